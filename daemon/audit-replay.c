/*
 * --replay-audit: saved auditd text (raw or enriched) through the same pipeline as the live
 * stream (audit-pipe.c), with the records' own clock.
 */

#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit-pipe.h"
#include "log.h"

#define REPLAY_BUFFER_SIZE ((size_t)1024 * 1024)

/* Feeds every complete line in buf[0..n) and returns how many bytes were consumed. */
static size_t replay_lines(struct auditpipe *p, const char *buf, size_t n, bool *oom)
{
	size_t done = 0;

	for (;;) {
		const char *nl = memchr(buf + done, '\n', n - done);
		size_t len;

		if (!nl)
			return done;
		len = (size_t)(nl - (buf + done));
		if (len > 0 && auditpipe_feed(p, buf + done, len, -1, 0) == -ENOMEM)
			*oom = true;
		done += len + 1;
	}
}

static int replay_fd(struct auditpipe *p, int fd, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t filled = 0;
	bool skipping = false, oom = false;

	buf = malloc(REPLAY_BUFFER_SIZE);
	if (!buf)
		return log_error_errno(-ENOMEM, "Cannot replay '%s': %m", path);
	for (;;) {
		ssize_t k = read(fd, buf + filled, REPLAY_BUFFER_SIZE - filled);
		size_t used;

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(-errno, "Cannot read '%s': %m", path);
		}
		if (k == 0)
			break;
		filled += (size_t)k;
		if (skipping) {
			/* The rest of an over-long line: drop it up to its end. */
			const char *nl = memchr(buf, '\n', filled);

			if (!nl) {
				filled = 0;
				continue;
			}
			skipping = false;
			used = (size_t)(nl - buf) + 1;
			memmove(buf, buf + used, filled - used);
			filled -= used;
		}
		used = replay_lines(p, buf, filled, &oom);
		memmove(buf, buf + used, filled - used);
		filled -= used;
		if (filled == REPLAY_BUFFER_SIZE) {
			log_warning("'%s': a line longer than %zu bytes, ignoring it.",
				    path,
				    REPLAY_BUFFER_SIZE);
			filled = 0;
			skipping = true;
		}
	}
	if (filled > 0 && !skipping && auditpipe_feed(p, buf, filled, -1, 0) == -ENOMEM)
		oom = true;
	if (auditpipe_drain(p, 0, true) == -ENOMEM || oom)
		return log_error_errno(
			-ENOMEM, "Out of memory replaying '%s', records were lost: %m", path);
	return 0;
}

/* Opens path ("-" = stdin) and replays it. Returns 0 or -errno (logged). */
static int replay_path(struct auditpipe *p, const char *path)
{
	_cleanup_close_ int fd = -1;

	if (streq(path, "-"))
		return replay_fd(p, STDIN_FILENO, "standard input");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open '%s': %m", path);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return replay_fd(p, fd, path);
}

int audit_replay(const struct config *c, const char *path)
{
	_cleanup_(auditpipe_freep) struct auditpipe *p = NULL;
	struct auditpipe_stats st;
	int r;

	r = auditpipe_new(c, false, NULL, &p);
	if (r < 0) {
		log_error_errno(r, "Cannot set up the audit pipeline: %m");
		return EXIT_RUNTIME;
	}
	/* json records are written in large blocks, and all of them at the end. */
	log_set_flush_deferred(true);
	r = replay_path(p, path);
	log_set_flush_deferred(false);
	if (r < 0)
		return EXIT_RUNTIME;
	auditpipe_get_stats(p, &st);
	log_debug("Replayed %" PRIu64 " audit records (%" PRIu64 " malformed) in %" PRIu64
		  " events, %" PRIu64 " records written.",
		  st.records,
		  st.malformed,
		  st.events,
		  st.emitted);
	return 0;
}
