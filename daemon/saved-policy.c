#include "saved-policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define LINK_NAME     "policy"
#define LINK_NEW_NAME ".policy.new"
#define COPY_PREFIX   "policy."
#define MAIN_NAME     "vakt.conf"
#define DROPIN_NAME   "vakt.conf.d"
/* config_load() refuses larger files, so a valid policy never has one. */
#define COPY_SIZE_MAX ((size_t)1024 * 1024)

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, buf, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Copies the file src into dir_fd as name (new, mode 0600) and fsyncs it. Returns 0 or -errno. */
static int copy_file(const char *src, int dir_fd, const char *name)
{
	_cleanup_close_ int in = -1, out = -1;
	char buf[16384];
	size_t total = 0;
	int r;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0)
		return -errno;
	out = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t k = read(in, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		total += (size_t)k;
		if (total > COPY_SIZE_MAX)
			return -EFBIG;
		r = write_all(out, buf, (size_t)k);
		if (r < 0)
			return r;
	}
	return fsync(out) < 0 ? -errno : 0;
}

/* Removes the directory name in dir_fd and the files in it. Errors are ignored: a leftover copy
 * is removed by the next save. */
static void remove_flat_dir_at(int dir_fd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	(void)closedir(d);
	(void)unlinkat(dir_fd, name, AT_REMOVEDIR);
}

/* Removes the copy name in state_fd: its drop-in directory, then the rest. */
static void remove_copy_at(int state_fd, const char *name)
{
	_cleanup_close_ int fd = -1;

	fd = openat(state_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0)
		remove_flat_dir_at(fd, DROPIN_NAME);
	remove_flat_dir_at(state_fd, name);
}

/* Removes every copy in state_fd but keep (and a leftover new link): copies an interrupted save
 * or an older one left behind. */
static void remove_old_copies(int state_fd, const char *keep)
{
	struct dirent *de;
	DIR *d;
	int fd;

	(void)unlinkat(state_fd, LINK_NEW_NAME, 0);
	fd = fcntl(state_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (strncmp(de->d_name, COPY_PREFIX, strlen(COPY_PREFIX)) != 0 ||
		    (keep && streq(de->d_name, keep)))
			continue;
		if (fstatat(state_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			remove_copy_at(state_fd, de->d_name);
	}
	(void)closedir(d);
}

/* Copies c's files into the empty directory copy_fd and fsyncs it. Returns 0 or -errno, and the
 * file that failed in *reterr_file. */
static int copy_files(const struct config *c, int copy_fd, const char **reterr_file)
{
	_cleanup_close_ int dropin_fd = -1;
	size_t n = strv_length(c->files);
	int r;

	*reterr_file = c->files[0];
	r = copy_file(c->files[0], copy_fd, MAIN_NAME);
	if (r < 0)
		return r;
	for (size_t i = 1; i < n; i++) {
		const char *slash = strrchr(c->files[i], '/');
		const char *name = slash ? slash + 1 : c->files[i];

		*reterr_file = c->files[i];
		if (dropin_fd < 0) {
			if (mkdirat(copy_fd, DROPIN_NAME, 0700) < 0)
				return -errno;
			dropin_fd =
				openat(copy_fd, DROPIN_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dropin_fd < 0)
				return -errno;
		}
		r = copy_file(c->files[i], dropin_fd, name);
		if (r < 0)
			return r;
	}
	*reterr_file = NULL;
	if (dropin_fd >= 0 && fsync(dropin_fd) < 0)
		return -errno;
	return fsync(copy_fd) < 0 ? -errno : 0;
}

/* Whether the copy in dir loads; logs why not. The files may have changed between the load and
 * the copy: then the copy is not the policy in force, and may not even be valid. */
static bool copy_loads(const char *dir)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/" MAIN_NAME, dir) < 0)
		return false;
	r = config_load(path, geteuid(), &c, &errors);
	if (r < 0)
		log_warning(
			"The policy files changed while vaktd saved a copy (%s); the previous copy "
			"is kept.",
			errors && errors[0] ? errors[0] : strerror(-r));
	return r >= 0;
}

int saved_policy_save(const char *state_dir, const struct config *c)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int state_fd = -1, copy_fd = -1;
	const char *name, *file = NULL;
	int r;

	if (strv_length(c->files) == 0)
		return 0;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return log_warning_errno(
			-errno, "Cannot save a copy of the policy in %s, ignoring: %m", state_dir);
	state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state_fd < 0)
		return log_warning_errno(
			-errno, "Cannot save a copy of the policy in %s, ignoring: %m", state_dir);
	if (asprintf(&dir, "%s/" COPY_PREFIX "XXXXXX", state_dir) < 0) {
		dir = NULL;
		return log_warning_errno(-ENOMEM, "Cannot save a copy of the policy: %m");
	}
	if (!mkdtemp(dir))
		return log_warning_errno(
			-errno, "Cannot save a copy of the policy in %s, ignoring: %m", state_dir);
	name = strrchr(dir, '/') + 1;

	copy_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = copy_fd < 0 ? -errno : copy_files(c, copy_fd, &file);
	if (r < 0) {
		log_warning_errno(r,
				  "Cannot save a copy of the policy (%s) in %s, ignoring: %m",
				  file ? file : dir,
				  state_dir);
		goto fail;
	}
	if (!copy_loads(dir)) {
		r = -ESTALE;
		goto fail;
	}

	/* The switch: a new symlink renamed over the old one is atomic, and fsync on the directory
	 * makes the rename durable. Then the old copy can go. */
	(void)unlinkat(state_fd, LINK_NEW_NAME, 0);
	if (symlinkat(name, state_fd, LINK_NEW_NAME) < 0 ||
	    renameat(state_fd, LINK_NEW_NAME, state_fd, LINK_NAME) < 0 || fsync(state_fd) < 0) {
		r = log_warning_errno(-errno,
				      "Cannot save a copy of the policy in %s/" LINK_NAME
				      ", ignoring: %m",
				      state_dir);
		goto fail;
	}
	remove_old_copies(state_fd, name);
	log_debug("Saved a copy of the policy in %s.", dir);
	return 0;
fail:
	remove_copy_at(state_fd, name);
	(void)unlinkat(state_fd, LINK_NEW_NAME, 0);
	return r;
}

int saved_policy_load(const char *state_dir, struct config **ret_config, char ***reterr_messages)
{
	_cleanup_free_ char *link = NULL, *path = NULL;
	struct stat st;
	int r;

	if (asprintf(&link, "%s/" LINK_NAME, state_dir) < 0 ||
	    asprintf(&path, "%s/" LINK_NAME "/" MAIN_NAME, state_dir) < 0) {
		*reterr_messages = NULL;
		return -ENOMEM;
	}
	if (lstat(link, &st) < 0) {
		_cleanup_strv_free_ char **messages = NULL;
		char *m = NULL;

		r = -errno;
		if (r == -ENOENT)
			return 0;
		if (asprintf(&m, "%s: cannot stat: %s", link, strerror(-r)) < 0 ||
		    strv_consume(&messages, m) < 0) {
			*reterr_messages = NULL;
			return -ENOMEM;
		}
		*reterr_messages = TAKE_PTR(messages);
		return r;
	}
	r = config_load(path, geteuid(), ret_config, reterr_messages);
	return r < 0 ? r : 1;
}
