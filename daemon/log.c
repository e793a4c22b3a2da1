#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

/* Otherwise sd_journal_sendv() adds CODE_FILE/CODE_LINE/CODE_FUNC of log.c, fields the json and
 * console targets would not have. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "bus-util.h"
#include "events.h"
#include "macro.h"
#include "ratelimit.h"
#include "record.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum log_target log_target = LOG_TARGET_CONSOLE;
static int log_max_level = LOG_INFO;
/* Set while the journal refuses records: the fallback warning is printed once per outage. */
static bool log_journal_failed;

/* Returned by log_field*() for "no field" (NULL would end log_event()'s argument list). */
static char log_field_none[] = "";
/* Returned by log_field*() when out of memory: the record says it lost a field. */
static char log_field_oom[] = "";

static const char *const log_target_names[_LOG_TARGET_MAX] = {
	[LOG_TARGET_JOURNAL] = "journal",
	[LOG_TARGET_CONSOLE] = "console",
	[LOG_TARGET_JSON] = "json",
};

int log_target_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(log_target_names); i++)
		if (s && streq(s, log_target_names[i]))
			return (int)i;
	return -EINVAL;
}

enum log_target log_target_default(void)
{
	return access(JOURNAL_SOCKET, F_OK) == 0 ? LOG_TARGET_JOURNAL : LOG_TARGET_CONSOLE;
}

void log_set_target(enum log_target t)
{
	if ((unsigned)t < _LOG_TARGET_MAX)
		log_target = t;
}

void log_set_max_level(int level)
{
	log_max_level = LOG_PRI(level);
}

/* The default event loop's idle source that flushes json records; created with the first one. */
static sd_event_source *log_json_flush;

static int log_on_idle(sd_event_source *source, void *userdata)
{
	(void)source;
	(void)userdata;
	if (fflush(stdout) != 0)
		(void)fputs("vaktd: cannot write records to standard output\n", stderr);
	return 0;
}

/*
 * json records go into stdout's buffer, which is flushed when the event loop goes idle (all the
 * records of one wakeup in one write) rather than once per record: a reader still sees every
 * record before vaktd waits again. Without a running loop (--replay-audit, or before the loop
 * starts) the buffer is flushed when it fills, when the loop first runs, and at exit. When no
 * loop can be had (out of memory, a forked child), each record is flushed at once.
 */
static void log_json_flush_later(void)
{
	if (!log_json_flush) {
		_cleanup_(sd_event_unrefp) sd_event *e = NULL;

		if (sd_event_default(&e) >= 0 &&
		    sd_event_add_defer(e, &log_json_flush, log_on_idle, NULL) >= 0)
			(void)sd_event_source_set_priority(log_json_flush, SD_EVENT_PRIORITY_IDLE);
	}
	if (!log_json_flush || sd_event_source_set_enabled(log_json_flush, SD_EVENT_ONESHOT) < 0)
		(void)log_on_idle(NULL, NULL);
}

static void log_write_console(const struct record *r)
{
	if (record_write_console(r, stderr) < 0)
		(void)fputs("vaktd: cannot write a record to standard error\n", stderr);
}

static int log_write_journal(const struct record *r)
{
	_cleanup_free_ struct iovec *iov = NULL;
	int n;

	/* sd_journal_sendv() reports success when the socket is missing (journald not running):
	 * such records would be lost without a trace, so check first. */
	if (access(JOURNAL_SOCKET, F_OK) < 0)
		return -errno;
	n = record_to_iovec(r, &iov);
	if (n < 0)
		return n;
	return sd_journal_sendv(iov, n);
}

/* When the journal refuses a record, says so once on stderr and writes the record there. */
static void log_journal_fallback(const struct record *r, int error)
{
	if (!log_journal_failed) {
		_cleanup_(record_freep) struct record *w = record_new(LOG_WARNING);
		_cleanup_free_ char *message = NULL;
		_cleanup_free_ char *number = NULL;

		log_journal_failed = true;
		if (asprintf(
			    &message,
			    "Cannot send records to the journal, writing them to standard error: %s",
			    strerror(-error)) < 0)
			message = NULL;
		if (asprintf(&number, "%d", -error) < 0)
			number = NULL;
		if (w && message && number && record_add(w, "SYSLOG_IDENTIFIER", "vaktd") >= 0 &&
		    record_add(w, "MESSAGE", message) >= 0 && record_add(w, "ERRNO", number) >= 0)
			log_write_console(w);
	}
	log_write_console(r);
}

static void log_emit(const struct record *r)
{
	int k;

	switch (log_target) {
	case LOG_TARGET_JOURNAL:
		k = log_write_journal(r);
		if (k < 0)
			log_journal_fallback(r, k);
		else
			log_journal_failed = false;
		break;
	case LOG_TARGET_JSON:
		if (record_write_json(r, stdout) < 0)
			(void)fputs("vaktd: cannot write a record to standard output\n", stderr);
		else
			log_json_flush_later();
		break;
	case LOG_TARGET_CONSOLE:
	default:
		log_write_console(r);
		break;
	}
}

static struct record *log_record_new(int priority)
{
	struct record *r = record_new(LOG_PRI(priority));

	if (r && record_add(r, "SYSLOG_IDENTIFIER", "vaktd") < 0)
		r = record_free(r);
	if (!r)
		(void)fputs("vaktd: out of memory, a record was lost\n", stderr);
	return r;
}

/* Writes a plain record: MESSAGE, and ERRNO when abs_error != 0. */
static void log_plain(int level, int abs_error, const char *message)
{
	_cleanup_(record_freep) struct record *r = log_record_new(level);
	_cleanup_free_ char *number = NULL;

	if (!r)
		return;
	if (abs_error != 0 && asprintf(&number, "%d", abs_error) < 0)
		number = NULL;
	if (record_add(r, "MESSAGE", message) < 0 || (abs_error != 0 && !number) ||
	    (number && record_add(r, "ERRNO", number) < 0)) {
		(void)fputs("vaktd: out of memory, a record was lost\n", stderr);
		return;
	}
	log_emit(r);
}

int log_internal(
	int level, int error, const char *file, int line, const char *func, const char *format, ...)
{
	_cleanup_free_ char *message = NULL;
	int saved_errno = errno;
	int abs_error = error < 0 ? -error : error;

	/* CODE_FILE/CODE_LINE/CODE_FUNC are left out so that all targets carry the same fields. */
	(void)file;
	(void)line;
	(void)func;

	if (LOG_PRI(level) <= log_max_level) {
		va_list ap;
		int k;

		errno = abs_error; /* for %m */
		va_start(ap, format);
		k = vasprintf(&message, format, ap);
		va_end(ap);
		if (k < 0) {
			message = NULL;
			(void)fputs("vaktd: out of memory, a record was lost\n", stderr);
		} else
			log_plain(level, abs_error, message);
	}
	errno = saved_errno;
	return -abs_error;
}

char *log_field(const char *format, ...)
{
	char *s;
	va_list ap;
	int k;

	va_start(ap, format);
	k = vasprintf(&s, format, ap);
	va_end(ap);
	return k < 0 ? log_field_oom : s;
}

char *log_field_message(const char *format, ...)
{
	_cleanup_free_ char *message = NULL;
	char *s;
	va_list ap;
	int k;

	va_start(ap, format);
	k = vasprintf(&message, format, ap);
	va_end(ap);
	if (k < 0) {
		message = NULL;
		return log_field_oom;
	}
	if (asprintf(&s, "MESSAGE=%s", message) < 0)
		return log_field_oom;
	return s;
}

char *log_field_opt(const char *name, const char *value)
{
	char *s;

	if (!name || !value || value[0] == '\0')
		return log_field_none;
	if (asprintf(&s, "%s=%s", name, value) < 0)
		return log_field_oom;
	return s;
}

static bool log_field_reserved(const char *field)
{
	static const char *const reserved[] = {
		"PRIORITY=",
		"SYSLOG_IDENTIFIER=",
		"MESSAGE_ID=",
		"VAKT_EVENT=",
	};

	for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
		if (strncmp(field, reserved[i], strlen(reserved[i])) == 0)
			return true;
	return false;
}

/* An event record under construction; r is NULL when it is not written (level, OOM). */
struct log_event_state {
	const struct event_info *info;
	struct record *r;
	unsigned n_lost;
};

static void log_event_begin(struct log_event_state *s, enum event_id id)
{
	s->info = event_info(id);
	s->r = NULL;
	s->n_lost = 0;
	if (!s->info || s->info->priority > log_max_level)
		return;
	s->r = log_record_new(s->info->priority);
	if (!s->r)
		return;
	if (record_add(s->r, "VAKT_EVENT", s->info->name) < 0 ||
	    record_add(s->r, "MESSAGE_ID", s->info->message_id) < 0) {
		(void)fputs("vaktd: out of memory, a record was lost\n", stderr);
		s->r = record_free(s->r);
	}
}

static void log_event_add(struct log_event_state *s, const char *field)
{
	if (!s->r || field == log_field_none)
		return;
	if (field == log_field_oom || log_field_reserved(field) ||
	    record_add_assignment(s->r, field) < 0)
		s->n_lost++;
}

static void log_event_end(struct log_event_state *s)
{
	_cleanup_(record_freep) struct record *r = TAKE_PTR(s->r);
	_cleanup_free_ char *message = NULL;

	if (!r)
		return;
	if (!record_get(r, "MESSAGE")) {
		if (asprintf(&message, "Event %s.", s->info->name) < 0) {
			message = NULL;
			s->n_lost++;
		} else if (record_add(r, "MESSAGE", message) < 0)
			s->n_lost++;
	}
	log_emit(r);
	if (s->n_lost > 0)
		log_warning(
			"The last %s record lacks %u field(s): invalid or reserved name, or out "
			"of memory.",
			s->info->name,
			s->n_lost);
}

void log_event_internal(enum event_id id, ...)
{
	struct log_event_state s;
	int saved_errno = errno;
	char *field;
	va_list ap;

	log_event_begin(&s, id);
	va_start(ap, id);
	while ((field = va_arg(ap, char *))) {
		log_event_add(&s, field);
		if (field != log_field_none && field != log_field_oom)
			free(field);
	}
	va_end(ap);
	log_event_end(&s);
	errno = saved_errno;
}

void log_event_strv(enum event_id id, char *const *fields)
{
	struct log_event_state s;
	int saved_errno = errno;

	log_event_begin(&s, id);
	for (size_t i = 0; fields && fields[i]; i++)
		log_event_add(&s, fields[i]);
	log_event_end(&s);
	errno = saved_errno;
}

bool log_ratelimit_ok(struct ratelimit *rl, const char *what)
{
	unsigned suppressed;

	if (!ratelimit_ok(rl, monotonic_usec(), &suppressed))
		return false;
	if (suppressed > 0)
		log_warning("Suppressed %u records about %s: more than %u within %llu s.",
			    suppressed,
			    what,
			    rl->burst,
			    (unsigned long long)(rl->interval_usec / USEC_PER_SEC));
	return true;
}
