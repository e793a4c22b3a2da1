#include "reload.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "macro.h"

#define RELOAD_FILE	 "reload"
#define RELOAD_WAIT_USEC (60 * USEC_PER_SEC)
#define RELOAD_POLL_USEC (50 * USEC_PER_MSEC)
#define RELOAD_TEXT_MAX	 ((size_t)64 * 1024)

int reload_result_write(const char *runtime_dir, bool loaded, char *const *errors)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	int fd;

	if (asprintf(&path, "%s/" RELOAD_FILE, runtime_dir) < 0 ||
	    asprintf(&tmp, "%s/." RELOAD_FILE ".XXXXXX", runtime_dir) < 0) {
		path = tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		(void)close(fd);
		(void)unlink(tmp);
		return -errno;
	}
	(void)fchmod(fd, 0644);
	(void)fprintf(f, "%" PRIu64 " %s\n", monotonic_usec(), loaded ? "loaded" : "refused");
	for (size_t i = 0; errors && errors[i]; i++)
		(void)fprintf(f, "%s\n", errors[i]);
	if (fflush(f) != 0 || rename(tmp, path) < 0) {
		int r = -errno;

		(void)unlink(tmp);
		return r;
	}
	return 0;
}

/* The generation in the file (0 when there is none), and its whole text into *ret_text (caller
 * frees) when ret_text is not NULL. */
static uint64_t read_result(const char *path, char **ret_text)
{
	char *text, *end = NULL;
	unsigned long long gen;
	FILE *f;
	size_t n;

	f = fopen(path, "re");
	if (!f)
		return 0;
	text = calloc(1, RELOAD_TEXT_MAX + 1);
	if (!text) {
		(void)fclose(f);
		return 0;
	}
	n = fread(text, 1, RELOAD_TEXT_MAX, f);
	(void)fclose(f);
	text[n] = '\0';
	errno = 0;
	gen = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != ' ') {
		free(text);
		return 0;
	}
	if (ret_text)
		*ret_text = text;
	else
		free(text);
	return (uint64_t)gen;
}

int reload_request(const char *runtime_dir, pid_t pid)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	uint64_t before, deadline;
	const char *rest;

	if (asprintf(&path, "%s/" RELOAD_FILE, runtime_dir) < 0) {
		(void)fputs("vaktd: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	before = read_result(path, NULL);
	if (pid <= 0 || kill(pid, SIGHUP) < 0) {
		(void)fprintf(stderr,
			      "vaktd: cannot signal vaktd (pid %d) to reload: %s\n",
			      (int)pid,
			      pid <= 0 ? "invalid pid" : strerror(errno));
		return EXIT_RUNTIME;
	}
	deadline = monotonic_usec() + RELOAD_WAIT_USEC;
	while (read_result(path, NULL) <= before) {
		struct timespec ts = { 0, (long)(RELOAD_POLL_USEC * 1000) };

		if (monotonic_usec() >= deadline) {
			(void)fprintf(
				stderr,
				"vaktd: vaktd (pid %d) did not answer the reload within %llu s; "
				"see journalctl -u vaktd\n",
				(int)pid,
				(unsigned long long)(RELOAD_WAIT_USEC / USEC_PER_SEC));
			return EXIT_RUNTIME;
		}
		(void)nanosleep(&ts, NULL);
	}
	(void)read_result(path, &text);
	rest = text ? strchr(text, ' ') : NULL;
	if (rest && strncmp(rest + 1, "loaded", 6) == 0) {
		(void)printf("vaktd: the new policy is loaded.\n");
		return EXIT_SUCCESS;
	}
	rest = text ? strchr(text, '\n') : NULL;
	(void)fprintf(stderr,
		      "vaktd: the new policy was REFUSED; the previous one stays in force "
		      "(journalctl -u vaktd -x):\n%s",
		      rest ? rest + 1 : "");
	return EXIT_INVALID;
}
