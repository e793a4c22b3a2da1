#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config-internal.h"
#include "macro.h"
#include "strv.h"

/*
 * snprintf(), memcpy() and memset() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/*
 * How a file is read: our reader, given to inih's ini_parse_stream(), takes one line at a time
 * from the file's text, counts lines, strips comments (whole-line '#' and ';', and inline ones: a
 * '#' or ';' after whitespace), handles "[section]" headers itself and checks the syntax of every
 * line, so that every problem is reported with its line (inih reports only the first, and without
 * a line number to the handler). A "key = value" line is kept whole in the loader and inih is given
 * a short stand-in line, so inih's line length limit (200) and its 50-character truncation of
 * section and key names never apply, and indented lines are never taken as continuation lines.
 * inih then calls the handler, config_handle_key(), which applies the key from the key table.
 */

#define CONFIG_FILE_SIZE_MAX ((size_t)1024 * 1024)

void config_loader_message(struct loader *l,
			   unsigned file_index,
			   const char *file,
			   unsigned line,
			   const char *fmt,
			   ...)
{
	char msg[1024];
	struct message *m;
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (line > 0)
		n = snprintf(NULL, 0, "%s:%u: %s", file, line, msg);
	else
		n = snprintf(NULL, 0, "%s: %s", file, msg);
	text = malloc((size_t)n + 1);
	m = reallocarray(l->messages, l->n_messages + 1, sizeof(*m));
	if (!text || !m) {
		free(text);
		if (m)
			l->messages = m;
		l->error = -ENOMEM;
		return;
	}
	if (line > 0)
		(void)snprintf(text, (size_t)n + 1, "%s:%u: %s", file, line, msg);
	else
		(void)snprintf(text, (size_t)n + 1, "%s: %s", file, msg);
	l->messages = m;
	l->messages[l->n_messages] = (struct message){
		.file = file_index, .line = line, .seq = l->n_messages, .text = text
	};
	l->n_messages++;
}

static char *skip_blanks(char *p)
{
	return p + strspn(p, " \t");
}

static void strip_trailing_blanks(char *p)
{
	size_t n = strlen(p);

	while (n > 0 && strchr(" \t\r\n\v\f", p[n - 1]))
		p[--n] = '\0';
}

/* Cuts an inline comment: '#' or ';' after whitespace. */
static void strip_inline_comment(char *p)
{
	for (size_t i = 1; p[i] != '\0'; i++)
		if ((p[i] == '#' || p[i] == ';') && (p[i - 1] == ' ' || p[i - 1] == '\t')) {
			p[i] = '\0';
			break;
		}
	strip_trailing_blanks(p);
}

/* Handles one line; returns whether it is a "key = value" line for inih's handler. */
static bool line_process(struct loader *l, char *buf)
{
	char *p = buf, *eq;

	if (l->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p = skip_blanks(p);
	strip_trailing_blanks(p);
	if (*p == '\0' || *p == '#' || *p == ';')
		return false;
	strip_inline_comment(p);

	if (*p == '[') {
		config_section_begin(l, p);
		return false;
	}

	eq = strchr(p, '=');
	if (!eq) {
		line_error(l, "expected '[section]', 'key = value' or a comment");
		return false;
	}
	*eq = '\0';
	strip_trailing_blanks(p);
	if (*p == '\0') {
		line_error(l, "expected a key name before '='");
		return false;
	}
	free(l->key);
	free(l->value);
	l->key = strdup(p);
	l->value = strdup(skip_blanks(eq + 1));
	if (!l->key || !l->value) {
		l->error = -ENOMEM;
		return false;
	}
	return true;
}

/* inih's reader: hands out one line per call (see the comment at the top). */
static char *read_line(char *str, int num, void *stream)
{
	struct loader *l = stream;
	const char *start, *nl;
	size_t n;
	bool is_key = false;

	if (l->pos >= l->len || num < 4 || l->error == -ENOMEM)
		return NULL;

	start = l->text + l->pos;
	nl = memchr(start, '\n', l->len - l->pos);
	n = nl ? (size_t)(nl - start) : l->len - l->pos;
	l->pos += n + (nl ? 1 : 0);
	l->line++;

	if (memchr(start, '\0', n))
		line_error(l, "line contains a NUL byte");
	else {
		char *buf = strndup(start, n);

		if (!buf) {
			l->error = -ENOMEM;
			return NULL;
		}
		is_key = line_process(l, buf);
		free(buf);
	}

	(void)snprintf(str, (size_t)num, "%s", is_key ? "k=v\n" : "\n");
	return str;
}

void config_parse_text(struct loader *l, const char *name, const char *text, size_t len)
{
	l->file = name;
	l->text = text;
	l->len = len;
	l->pos = 0;
	l->line = 0;
	l->section = SECTION_NONE;
	l->section_line = 0;
	memset(l->seen, 0, config_n_key_defs * sizeof(l->seen[0]));

	if (ini_parse_stream(read_line, l, config_handle_key, l) == -2)
		l->error = -ENOMEM;
	config_section_end(l);

	free(l->key);
	free(l->value);
	l->key = l->value = NULL;
}

/* Reads all of fd; the text is NUL-terminated. */
static int read_all(int fd, char **ret_text, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	for (;;) {
		ssize_t k;

		if (size - len < 4096) {
			char *b;

			if (size > CONFIG_FILE_SIZE_MAX)
				return -EFBIG;
			size = size * 2 + 4096;
			b = realloc(buf, size + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		k = read(fd, buf + len, size - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > CONFIG_FILE_SIZE_MAX)
		return -EFBIG;
	buf[len] = '\0';
	*ret_text = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Whether a file or directory may hold policy: owned by root or owner_uid, not writable by others.
 * Reports the problem when not. */
static bool
owner_mode_ok(struct loader *l, const char *name, const struct stat *st, uid_t owner_uid)
{
	if (st->st_uid != 0 && st->st_uid != owner_uid) {
		if (owner_uid == 0)
			config_loader_message(l,
					      l->file_index,
					      name,
					      0,
					      "refusing: owned by uid %u, expected root",
					      (unsigned)st->st_uid);
		else
			config_loader_message(l,
					      l->file_index,
					      name,
					      0,
					      "refusing: owned by uid %u, expected root or uid %u",
					      (unsigned)st->st_uid,
					      (unsigned)owner_uid);
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		config_loader_message(l,
				      l->file_index,
				      name,
				      0,
				      "refusing: writable by group or others (mode %04o)",
				      (unsigned)(st->st_mode & 07777));
		return false;
	}
	return true;
}

static void file_error(struct loader *l, const char *name, const char *what, int r)
{
	config_loader_message(l, l->file_index, name, 0, "%s: %s", what, strerror(-r));
	if (l->error == 0)
		l->error = r;
}

void config_load_file_at(
	struct loader *l, int dir_fd, const char *name, const char *display, uid_t owner_uid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (strv_extend(&l->names, display) < 0) {
		l->error = -ENOMEM;
		return;
	}
	l->file_index = (unsigned)strv_length(l->names) - 1;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_error(l, display, "cannot open", -errno);
	if (fstat(fd, &st) < 0)
		return file_error(l, display, "cannot stat", -errno);
	if (!S_ISREG(st.st_mode)) {
		config_loader_message(l, l->file_index, display, 0, "refusing: not a regular file");
		return;
	}
	if (!owner_mode_ok(l, display, &st, owner_uid))
		return;

	r = read_all(fd, &text, &len);
	if (r == -EFBIG) {
		config_loader_message(l, l->file_index, display, 0, "refusing: larger than 1 MiB");
		return;
	}
	if (r < 0)
		return file_error(l, display, "cannot read", r);

	/* The main file is read first; a drop-in's name is its name in the drop-in directory. */
	if ((l->digest &&
	     policy_digest_add(l->digest,
			       strv_length(l->config->files) == 0 ? POLICY_DIGEST_MAIN_LABEL : name,
			       text,
			       len) < 0) ||
	    strv_extend(&l->config->files, display) < 0) {
		l->error = -ENOMEM;
		return;
	}
	config_parse_text(l, display, text, len);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && streq(name + n - 5, ".conf");
}

/*
 * Opens the drop-in directory dir and checks its owner and mode. Returns its fd, or a negative
 * errno when it is missing (-ENOENT, fine) or cannot be used (reported).
 */
static int dropin_dir_open(struct loader *l, const char *dir, uid_t owner_uid)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (strv_extend(&l->names, dir) < 0) {
		l->error = -ENOMEM;
		return -ENOMEM;
	}
	l->file_index = (unsigned)strv_length(l->names) - 1;
	if (fd < 0) {
		r = -errno;
		file_error(l, dir, "cannot open", r);
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		file_error(l, dir, "cannot stat", r);
		return r;
	}
	if (!owner_mode_ok(l, dir, &st, owner_uid))
		return -EPERM;
	/* cppcheck-suppress unreadVariable ; fd = -1 in TAKE_FD() is read by its cleanup */
	return TAKE_FD(fd);
}

/*
 * The names of the drop-ins in the directory dir_fd (borrowed), sorted; NULL when there are none.
 * Returns 0 and *ret_names (caller frees), or a negative errno (reported).
 */
static int dropin_names(struct loader *l, int dir_fd, const char *dir, char ***ret_names)
{
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	DIR *d;
	int fd, r;

	fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		r = -errno;
		file_error(l, dir, "cannot read", r);
		return r;
	}
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		(void)close(fd);
		file_error(l, dir, "cannot read", r);
		return r;
	}
	while ((de = readdir(d)))
		if (is_dropin_name(de->d_name) && strv_extend(&names, de->d_name) < 0) {
			(void)closedir(d);
			l->error = -ENOMEM;
			return -ENOMEM;
		}
	(void)closedir(d);

	if (names)
		qsort(names, strv_length(names), sizeof(char *), compare_names);
	*ret_names = TAKE_PTR(names);
	return 0;
}

void config_load_dropins(struct loader *l, const char *dir, uid_t owner_uid)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int fd = -1;

	fd = dropin_dir_open(l, dir, owner_uid);
	if (fd < 0)
		return;
	if (dropin_names(l, fd, dir, &names) < 0)
		return;

	STRV_FOREACH (name, names) {
		_cleanup_free_ char *display = NULL;
		size_t n = strlen(dir) + strlen(*name) + 2;

		display = malloc(n);
		if (!display) {
			l->error = -ENOMEM;
			return;
		}
		(void)snprintf(display, n, "%s/%s", dir, *name);
		config_load_file_at(l, fd, *name, display, owner_uid);
	}
}

static int compare_messages(const void *a, const void *b)
{
	const struct message *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

int config_loader_finish(struct loader *l, struct config **ret_config, char ***reterr_messages)
{
	_cleanup_strv_free_ char **messages = NULL;
	int r = l->error;

	if (r == 0 && l->n_messages == 0) {
		*ret_config = TAKE_PTR(l->config);
		return 0;
	}

	if (l->n_messages > 0)
		qsort(l->messages, l->n_messages, sizeof(l->messages[0]), compare_messages);
	messages = calloc(1, sizeof(char *));
	for (size_t i = 0; i < l->n_messages; i++) {
		if (messages && strv_consume(&messages, l->messages[i].text) < 0)
			messages = strv_free(messages);
		else if (!messages)
			free(l->messages[i].text);
		l->messages[i].text = NULL;
	}
	l->n_messages = 0;
	if (!messages)
		r = -ENOMEM;

	*reterr_messages = TAKE_PTR(messages);
	return r < 0 ? r : -EINVAL;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
