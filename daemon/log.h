#pragma once

/*
 * The only writer of records. Each record goes to exactly one target (journal, console or json)
 * and carries SYSLOG_IDENTIFIER=vaktd, MESSAGE, PRIORITY and, for events, VAKT_EVENT and
 * MESSAGE_ID from the event table.
 *
 *   log_info("Reloading policy from '%s'.", path);
 *   return log_error_errno(r, "Cannot open '%s': %m", path);          (%m shows strerror(-r))
 *   log_event(EVENT_STORAGE_BLOCKED,
 *             LOG_FIELD("VAKT_DEVICE_VENDOR_ID=%s", id.vendor),
 *             LOG_MESSAGE("Blocked USB storage device '%s'.", id.name));
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
/* Records above this priority (e.g. LOG_DEBUG when max is LOG_INFO) are dropped. */
void log_set_max_level(int level);

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
 * Field arguments for log_event(): each allocates "NAME=value" (freed by log_event()). They never
 * return NULL (which would end log_event()'s argument list): for "no field" and on OOM they return
 * static markers that log_event() skips (an OOM loss is reported after the record).
 */
char *log_field(const char *format, ...) _printf_(1, 2);
char *log_field_message(const char *format, ...) _printf_(1, 2);
/* "NAME=value" when value is non-NULL and non-empty, else the "no field" marker. */
char *log_field_opt(const char *name, const char *value);
#define LOG_FIELD(...)		   log_field(__VA_ARGS__)
#define LOG_MESSAGE(...)	   log_field_message(__VA_ARGS__)
#define LOG_FIELD_OPT(name, value) log_field_opt((name), (value))

/* Emits event id with the given fields (each from LOG_FIELD/LOG_MESSAGE/LOG_FIELD_OPT). */
void log_event_internal(enum event_id id, ...) _sentinel_;
#define log_event(id, ...) log_event_internal((id), __VA_ARGS__, (char *)NULL)

/* Same, with fields given as a NULL-terminated array of "NAME=value" (not freed). */
void log_event_strv(enum event_id id, char *const *fields);

/*
 * Notes on fields: PRIORITY, SYSLOG_IDENTIFIER, MESSAGE_ID and VAKT_EVENT come from the table and
 * cannot be overridden; a field with an invalid name is dropped, and a record that lost a field
 * (invalid name, out of memory) is followed by a warning saying so. An event without MESSAGE gets
 * "Event NAME.". log_internal() adds ERRNO= (a positive number) when error != 0.
 */

struct ratelimit;

/* Whether one more record of the kind rl limits (lib/ratelimit.h, owned by the caller) may be
 * written now, on the monotonic clock. When records were suppressed before, first logs a warning
 * with their number, naming them by what ("failed logins of 'bob'"). */
bool log_ratelimit_ok(struct ratelimit *rl, const char *what);
