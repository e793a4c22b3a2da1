#pragma once

/*
 * One journal record: PRIORITY plus an ordered list of NAME=value fields. The same record is
 * rendered for all three log targets with identical fields:
 *   journal: an iovec array for sd_journal_sendv() (by daemon/log.c),
 *   json:    one JSON object per line, every field a string, PRIORITY too,
 *   console: "MESSAGE [NAME=value NAME=value ...]" on one line, values with spaces or quotes
 * quoted. Field names follow journald's rules: [A-Z0-9_], not starting with '_' or a digit, <= 64
 * chars.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/uio.h>

#include "macro.h"

struct record;

/* Whether name is a valid journal field name for a record (see above). */
bool record_field_name_valid(const char *name) _pure_;

/* Frees r; accepts NULL; returns NULL. */
struct record *record_free(struct record *r);
/* A record of the given syslog priority (0..7) holding only the field PRIORITY; NULL on OOM.
 * PRIORITY is the first field of every rendering; record_add(r, "PRIORITY", "4") changes it
 * (-EINVAL unless the value is one digit 0..7). */
struct record *record_new(int priority) _malloc_(record_free);
DEFINE_FREEP(struct record, record_free)

/* Appends name=value (both copied). -EINVAL for an invalid name, -ENOMEM. A field given twice is
 * replaced in place (records never carry duplicate names). */
int record_add(struct record *r, const char *name, const char *value);

/* Appends "NAME=value" given as one string (as LOG_FIELD produces). -EINVAL without '='. */
int record_add_assignment(struct record *r, const char *assignment);

/* Value of name (borrowed from r), or NULL. */
const char *record_get(const struct record *r, const char *name);
int record_priority(const struct record *r);
/* Number of fields, PRIORITY included (so a new record has 1). */
size_t record_n_fields(const struct record *r);

/* Renders as one JSON object plus "\n" (with PRIORITY as a field), written with one fwrite().
 * Quotes, backslashes and control characters are escaped; bytes that are not valid UTF-8 become
 * U+FFFD, so the output is always valid JSON. Returns 0 or -errno. */
int record_write_json(const struct record *r, FILE *f);

/* Writes s as one JSON string (quotes included), escaped as record_write_json() escapes values.
 * Returns 0 or -errno. */
int record_write_json_string(const char *s, FILE *f);

/* Renders as one readable line plus "\n": the MESSAGE value, then every other field in order in
 * brackets. A value that is empty or holds spaces, quotes, backslashes, ']' or control
 * characters is put in double quotes with C-style escapes (\" \\ \n \t \r \xNN); control
 * characters and invalid UTF-8 in MESSAGE are escaped the same way. Never a raw newline.
 * Returns 0 or -errno. */
int record_write_console(const struct record *r, FILE *f);

/* Builds "NAME=value" iovecs (PRIORITY included) pointing into r; *ret_iov (caller frees the array
 * only) stays valid while r is unchanged. Returns the count or -ENOMEM. */
int record_to_iovec(const struct record *r, struct iovec **ret_iov);
