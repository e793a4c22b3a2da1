#pragma once

/*
 * Written, time-limited dispensations: an administrator's exception to the storage policy for one
 * person, optionally for one device, until a time, with a ticket and a reason (vakt.conf(5),
 * "Dispensations"). Shared by vaktd (the store, the decision) and vaktctl (parsing what an
 * administrator types).
 *
 * A dispensation applies to a storage device when (dispensation_applies()):
 *   - the person at the device's seat is present, known, not locked, and is its user (the login
 *     name and the uid both match: a uid given to another account later does not inherit it);
 *   - it names no device, or the device's vendor and product (case-insensitively) and, when it
 *     names one, serial (exactly) are the device's;
 *   - the time is before not_after.
 * Where it stands among the other steps of the storage decision is lib/policy.h's business.
 *
 * The on-disk format (dispensation_list_parse(), dispensation_list_format()) is text, one
 * "key=value" a line, an entry starting at its "id=" line; '#' lines and blank lines are ignored.
 * Values are taken verbatim to the end of the line: validation forbids control characters in every
 * field, so no escaping is needed. Times are CLOCK_REALTIME microseconds. The file is hostile
 * input (it may have been edited by hand or damaged): an entry with a fault is dropped with a
 * message naming its line; the valid entries are kept.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "macro.h"

struct devid;
struct policy_person;

#define DISPENSATION_ID_MAX	  32
#define DISPENSATION_TICKET_MAX	  128
#define DISPENSATION_REASON_MAX	  1024
#define DISPENSATION_USER_MAX	  256 /* login names, also those of the granting administrator */
#define DISPENSATION_SERIAL_MAX	  256 /* DEVID_STRING_MAX */
#define DISPENSATION_DURATION_MAX (90 * USEC_PER_DAY) /* longest a dispensation may last */
#define DISPENSATION_LIST_MAX	  4096		      /* dispensations kept at most */

struct dispensation {
	char *id;		  /* "d-" and 8 lowercase hex digits */
	char *user;		  /* the person's login name */
	uid_t uid;		  /* ... and uid */
	bool device;		  /* it names a device: */
	char vendor[5];		  /* 4 lowercase hex digits */
	char product[5];	  /* 4 lowercase hex digits */
	char *serial;		  /* NULL = any serial */
	enum storage_action mode; /* STORAGE_ACTION_ALLOW or STORAGE_ACTION_READ_ONLY */
	uint64_t not_after;	  /* CLOCK_REALTIME usec: it ends at this time */
	uint64_t granted_at;	  /* CLOCK_REALTIME usec */
	char *granted_by;	  /* the administrator's login name */
	uid_t granted_by_uid;
	char *ticket;
	char *reason;
};

/* Frees d's strings and zeroes it; accepts NULL. */
void dispensation_done(struct dispensation *d);
/* A deep copy of src into *ret (caller calls dispensation_done()). 0 or -ENOMEM. */
int dispensation_copy(const struct dispensation *src, struct dispensation *ret);

/*
 * Whether d is complete and sensible at time now (CLOCK_REALTIME usec; 0 = do not look at the
 * time): id well formed (when check_id), user and granted_by given and of sane characters, mode
 * allow or read-only, ticket and reason given, no control characters anywhere, not_after after
 * now and at most DISPENSATION_DURATION_MAX after granted_at (or after now when granted_at is 0).
 * Returns 0, or -EINVAL with *reterr_why (static English, one sentence without its period).
 */
int dispensation_validate(const struct dispensation *d,
			  uint64_t now,
			  bool check_id,
			  const char **reterr_why);

/* Whether s is a dispensation id: "d-" and 8 lowercase hex digits. */
bool dispensation_id_valid(const char *s);

/*
 * "--for DURATION": one or more NUMBER UNIT groups, units s, m (minutes), h, d, w, e.g. "30m",
 * "8h", "2d", "1w", "1h30m". Not zero, at most DISPENSATION_DURATION_MAX. Returns 0 and *ret_usec,
 * or -EINVAL / -ERANGE with *reterr_why.
 */
int dispensation_parse_duration(const char *s, uint64_t *ret_usec, const char **reterr_why);

/*
 * "--until DATE", local time (TZ), ISO 8601: "YYYY-MM-DD" (until the end of that day, i.e. the
 * midnight that follows), "YYYY-MM-DDTHH:MM" or "YYYY-MM-DD HH:MM", optionally ":SS", optionally a
 * final "Z" for UTC or an offset from UTC "+HH", "+HH:MM", "+HHMM" (or "-"). Returns 0 and
 * *ret_usec (CLOCK_REALTIME), or -EINVAL with *reterr_why. Whether the time is in the future is
 * dispensation_validate()'s business.
 */
int dispensation_parse_until(const char *s, uint64_t *ret_usec, const char **reterr_why);

/*
 * A device spec "VID:PID" or "VID:PID:SERIAL" (VID, PID 4 hex digits, case-insensitive; SERIAL
 * anything printable up to DISPENSATION_SERIAL_MAX, it may contain ':') into d's device fields
 * (d->serial replaced). Returns 0, -EINVAL with *reterr_why, or -ENOMEM.
 */
int dispensation_parse_device(const char *s, struct dispensation *d, const char **reterr_why);

/* "VID:PID[:SERIAL]" of d into buf (n bytes; truncated when too small), "any device" when it
 * names none. Returns buf. */
const char *dispensation_device_format(const struct dispensation *d, char *buf, size_t n);

/* "allow", "read-only" (and "block" for completeness); parse: 0 or -EINVAL. */
const char *dispensation_mode_to_string(enum storage_action a);
int dispensation_mode_from_string(const char *s, enum storage_action *ret);

/* Whether d names id: no device, or vendor, product and (when given) serial match. */
bool dispensation_matches_device(const struct dispensation *d, const struct devid *id);
/* Whether d is for person (present, known, unlocked, same login name and uid). */
bool dispensation_matches_person(const struct dispensation *d, const struct policy_person *person);
/* Both, and now (CLOCK_REALTIME usec) before d->not_after. */
bool dispensation_applies(const struct dispensation *d,
			  const struct devid *id,
			  const struct policy_person *person,
			  uint64_t now);

/* The current dispensations, kept in expiry order (not_after, then id). */
struct dispensation_list {
	struct dispensation *items;
	size_t n;
};

void dispensation_list_done(struct dispensation_list *l);
/* Adds a deep copy of d in expiry order. 0, -EEXIST (same id), -E2BIG (DISPENSATION_LIST_MAX), or
 * -ENOMEM. */
int dispensation_list_add(struct dispensation_list *l, const struct dispensation *d);
/* The index of id, or -ENOENT. */
ssize_t dispensation_list_find(const struct dispensation_list *l, const char *id);
/* Removes (and frees) item i. */
void dispensation_list_remove(struct dispensation_list *l, size_t i);

/*
 * The best dispensation of l for id and person at now: the most permissive, then the one that
 * lasts longest, then the smallest id. NULL when none applies.
 */
const struct dispensation *dispensation_list_best(const struct dispensation_list *l,
						  const struct devid *id,
						  const struct policy_person *person,
						  uint64_t now);

/* One fault of a parsed file. */
struct dispensation_fault {
	unsigned line;
	const char *why; /* static English, one sentence without its period */
};

/*
 * Parses text (size bytes, NUL not needed; NUL bytes are a fault) into *ret_list (emptied first)
 * and the faults into *ret_faults / *ret_n_faults (malloc'd array, at most 64 kept; caller frees).
 * Each entry is validated (dispensation_validate() with now = 0: expired entries are kept, for the
 * caller to expire with a record); a faulty one is dropped whole. Returns 0 (faults or not) or
 * -ENOMEM.
 */
int dispensation_list_parse(const char *text,
			    size_t size,
			    struct dispensation_list *ret_list,
			    struct dispensation_fault **ret_faults,
			    size_t *ret_n_faults);

/* The file text of l (malloc'd, NUL-terminated) into *ret_text. 0 or -ENOMEM. */
int dispensation_list_format(const struct dispensation_list *l, char **ret_text);
