#pragma once

/* The one parser each for the value kinds of vakt.conf. Each returns 0 or -EINVAL/-ERANGE/-ENOMEM
 * and, on -EINVAL/-ERANGE, a static English explanation in *reterr_why (e.g. "expected a duration
 * such as 90s, 10min, 2h or 1d"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "0", "90s", "10min", "2h", "1d", combinations like "1h 30min"; plain number = seconds. */
int parse_duration(const char *s, uint64_t *ret_usec, const char **reterr_why);

/* The other way round, for messages: usec (whole seconds; less is rounded down) in the units
 * vakt.conf takes, largest first, e.g. "1h 30min", "10min", "45s", "0". Writes into buf of size
 * n (truncated to fit) and returns buf. */
const char *parse_duration_format(uint64_t usec, char *buf, size_t n);

/*
 * A date and time (local time, TZ), ISO 8601: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" or
 * "YYYY-MM-DD HH:MM", optionally ":SS", optionally a final "Z" for UTC or, after a time, an offset
 * from UTC "+HH", "+HH:MM", "+HHMM" (or "-"). A date alone is the midnight that starts the day, or
 * with end_of_day the one that ends it. A day that does not exist (2026-02-31) is refused.
 * Returns 0 and *ret_usec (CLOCK_REALTIME), or -EINVAL; *reterr_why is set only when a reason more
 * precise than the caller's description of the form applies (out of range, no such day).
 */
int parse_date_time(const char *s, bool end_of_day, uint64_t *ret_usec, const char **reterr_why);

/* Comma-separated list; items trimmed; empty string = empty list; empty items are an error. */
int parse_list(const char *s, char ***ret_list, const char **reterr_why);

/* One of names[0..n-1] (exact, case-sensitive); *ret_value is the index. */
int parse_enum(
	const char *s, const char *const *names, int n, int *ret_value, const char **reterr_why);

/* yes/no/true/false/on/off/1/0. */
int parse_bool(const char *s, bool *ret_value, const char **reterr_why);

/* "COUNT/DURATION", e.g. "5/5min"; COUNT >= 1, DURATION > 0. */
int parse_rate(const char *s, unsigned *ret_count, uint64_t *ret_usec, const char **reterr_why);

/* Unsigned decimal in [min, max]. */
int parse_uint(
	const char *s, unsigned min, unsigned max, unsigned *ret_value, const char **reterr_why);
