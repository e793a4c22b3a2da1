#pragma once

/*
 * The only writer of records. Each record goes to exactly one target (journal, console or json)
 * and carries SYSLOG_IDENTIFIER=vaktd, MESSAGE, PRIORITY and, for events, VAKT_EVENT and
 * MESSAGE_ID from the event table.
 *
 *   log_info("Reloading policy from '%s'.", path);
 *   return log_error_errno(r, "Cannot open '%s': %m", path);          (%m shows strerror(-r))
 *   (events: see struct log_event below)
 */

#include <stdbool.h>
#include <syslog.h>

#include "events.h"
#include "macro.h"

enum log_target {
	LOG_TARGET_JOURNAL,
	LOG_TARGET_CONSOLE,
	LOG_TARGET_JSON,
	_LOG_TARGET_MAX,
};

/* "journal", "console", "json" -> target, or -EINVAL. */
int log_target_from_string(const char *s);
/* journal when /run/systemd/journal/socket exists, else console. */
enum log_target log_target_default(void);
void log_set_target(enum log_target t);
/* The console target writes to standard output instead of standard error (--replay-audit: the
 * records are the output). */
void log_set_console_stdout(bool on);
/* Records above this priority (e.g. LOG_DEBUG when max is LOG_INFO) are dropped. */
void log_set_max_level(int level);

/* From now on, every record of an event of part carries VAKT_POLICY_REF=ref (copied; NULL or ""
 * = none). Returns 0 or -ENOMEM (then the part's records carry none). */
int log_set_policy_reference(enum event_part part, const char *ref);

/* Plain log line with MESSAGE from format (errno-style %m uses -error). Returns -abs(error). */
int log_internal(
	int level, int error, const char *file, int line, const char *func, const char *format, ...)
	_printf_(6, 7);

#define log_full_errno(level, error, ...) \
	log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void)log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...)		      log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)		      log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)		      log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...)	      log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)		      log_full(LOG_ERR, __VA_ARGS__)
#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_notice_errno(error, ...)  log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)

/*
 * The one way to build an event record, used by every part:
 *
 *   struct log_event e;
 *
 *   log_event_begin(&e, EVENT_STORAGE_BLOCKED);
 *   log_event_add(&e, "VAKT_DEVICE_SERIAL", id.serial);          (NULL or "" adds nothing)
 *   log_event_addf(&e, "VAKT_UID", "%u", uid);                    (printf-checked)
 *   log_event_message(&e, "Blocked USB storage device '%s'.", id.name);
 *   log_event_end(&e);                                            (writes it, frees it)
 *
 * A helper may add the fields several records share (the device, the person) to any e it is
 * given. PRIORITY, SYSLOG_IDENTIFIER, MESSAGE_ID and VAKT_EVENT come from the event table and
 * cannot be overridden; a field with an invalid name is dropped, and a record that lost a field
 * (invalid or reserved name, out of memory) is followed by a warning saying so. An event without
 * MESSAGE gets "Event NAME.". Adding a field twice replaces the earlier value. Every begin needs
 * its end (or log_event_discard()): the record owns memory until then.
 */
struct log_event {
	/* Private to log.c. */
	const struct event_info *info;
	struct record *record; /* NULL: not written (below the max level, or out of memory) */
	unsigned n_lost;
};

void log_event_begin(struct log_event *e, enum event_id id);
/* NAME=value; nothing when value is NULL or empty. */
void log_event_add(struct log_event *e, const char *name, const char *value);
void log_event_addf(struct log_event *e, const char *name, const char *format, ...) _printf_(3, 4);
/* MESSAGE, one sentence a help desk can read aloud. */
void log_event_message(struct log_event *e, const char *format, ...) _printf_(2, 3);
/* Writes the record to the target and releases it. */
void log_event_end(struct log_event *e);
/* Releases the record without writing it. */
void log_event_discard(struct log_event *e);

/*
 * json records go into stdout's buffer. Deferred, they are written by log_flush(), which the
 * manager calls once per event loop iteration (all the records of one wakeup in one write) and
 * --replay-audit at end of input; otherwise (the default) each record is flushed at once.
 */
void log_set_flush_deferred(bool deferred);
void log_flush(void);

struct ratelimit;

/* Whether one more record of the kind rl limits (lib/ratelimit.h, owned by the caller) may be
 * written now, on the monotonic clock. When records were suppressed before, first logs a warning
 * with their number, naming them by what ("failed logins of 'bob'"). */
bool log_ratelimit_ok(struct ratelimit *rl, const char *what);
