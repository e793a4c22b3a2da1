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
#include <systemd/sd-journal.h>

#include "clock.h"
#include "events.h"
#include "macro.h"
#include "ratelimit.h"
#include "record.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum log_target log_target = LOG_TARGET_CONSOLE;
static bool log_console_stdout;
static int log_max_level = LOG_INFO;
/* VAKT_POLICY_REF per part (log_set_policy_reference). */
static char *log_policy_ref[_EVENT_PART_MAX];
/* Set while the journal refuses records: the fallback warning is printed once per outage. */
static bool log_journal_failed;

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

static bool log_flush_deferred;

void log_set_flush_deferred(bool deferred)
{
	log_flush_deferred = deferred;
	if (!deferred)
		log_flush();
}

void log_flush(void)
{
	if ((log_target == LOG_TARGET_JSON || log_console_stdout) && fflush(stdout) != 0)
		(void)fputs("vaktd: cannot write records to standard output\n", stderr);
}

void log_set_console_stdout(bool on)
{
	log_console_stdout = on;
}

static void log_write_console(const struct record *r)
{
	if (record_write_console(r, log_console_stdout ? stdout : stderr) < 0)
		(void)fputs("vaktd: cannot write a record to the console\n", stderr);
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
		else if (!log_flush_deferred)
			log_flush();
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

static bool log_field_reserved(const char *name)
{
	static const char *const reserved[] = {
		"PRIORITY",
		"SYSLOG_IDENTIFIER",
		"MESSAGE_ID",
		"VAKT_EVENT",
	};

	/* Called for every field of every record: the first letter rules out most names. */
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
		if (name[0] == reserved[i][0] && streq(name, reserved[i]))
			return true;
	return false;
}

int log_set_policy_reference(enum event_part part, const char *ref)
{
	char *copy = NULL;

	if ((unsigned)part >= _EVENT_PART_MAX)
		return -EINVAL;
	if (ref && ref[0] != '\0') {
		copy = strdup(ref);
		if (!copy) {
			free(log_policy_ref[part]);
			log_policy_ref[part] = NULL;
			return -ENOMEM;
		}
	}
	free(log_policy_ref[part]);
	log_policy_ref[part] = copy;
	return 0;
}

void log_event_begin(struct log_event *e, enum event_id id)
{
	const char *ref;

	*e = (struct log_event){ .info = event_info(id) };
	if (!e->info || e->info->priority > log_max_level)
		return;
	e->record = log_record_new(e->info->priority);
	if (!e->record)
		return;
	ref = log_policy_ref[event_part(id)];
	if (record_add(e->record, "VAKT_EVENT", e->info->name) < 0 ||
	    record_add(e->record, "MESSAGE_ID", e->info->message_id) < 0 ||
	    (ref && record_add(e->record, "VAKT_POLICY_REF", ref) < 0)) {
		(void)fputs("vaktd: out of memory, a record was lost\n", stderr);
		e->record = record_free(e->record);
	}
}

void log_event_add(struct log_event *e, const char *name, const char *value)
{
	if (!e->record || !value || value[0] == '\0')
		return;
	if (!name || log_field_reserved(name) || record_add(e->record, name, value) < 0)
		e->n_lost++;
}

static void log_event_vaddf(struct log_event *e, const char *name, const char *format, va_list ap)
	_printf_(3, 0);

static void log_event_vaddf(struct log_event *e, const char *name, const char *format, va_list ap)
{
	_cleanup_free_ char *value = NULL;
	char buf[256];
	va_list aq;
	int n;

	if (!e->record)
		return;
	/* Numbers and short values fit the stack buffer; longer ones (messages) are allocated. */
	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof(buf), format, aq);
	va_end(aq);
	if (n >= 0 && (size_t)n < sizeof(buf)) {
		log_event_add(e, name, buf);
		return;
	}
	if (n < 0 || vasprintf(&value, format, ap) < 0) {
		value = NULL;
		e->n_lost++;
		return;
	}
	log_event_add(e, name, value);
}

void log_event_addf(struct log_event *e, const char *name, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	log_event_vaddf(e, name, format, ap);
	va_end(ap);
}

void log_event_message(struct log_event *e, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	log_event_vaddf(e, "MESSAGE", format, ap);
	va_end(ap);
}

void log_event_discard(struct log_event *e)
{
	e->record = record_free(e->record);
}

void log_event_end(struct log_event *e)
{
	_cleanup_(record_freep) struct record *r = TAKE_PTR(e->record);
	_cleanup_free_ char *message = NULL;
	int saved_errno = errno;

	if (!r)
		return;
	if (!record_get(r, "MESSAGE")) {
		if (asprintf(&message, "Event %s.", e->info->name) < 0) {
			message = NULL;
			e->n_lost++;
		} else if (record_add(r, "MESSAGE", message) < 0)
			e->n_lost++;
	}
	log_emit(r);
	if (e->n_lost > 0)
		log_warning(
			"The last %s record lacks %u field(s): invalid or reserved name, or out "
			"of memory.",
			e->info->name,
			e->n_lost);
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
