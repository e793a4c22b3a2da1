#pragma once

/*
 * The weekly administrator review (vaktctl report): vakt's journal records, given one at a time as
 * field lists, grouped by machine (_MACHINE_ID, _HOSTNAME) and by person (VAKT_USER, VAKT_UID),
 * counted per section (privileged commands, root shells, accounts, ...), and rendered as readable
 * tables or as the JSON of vaktctl(8). Reading the journal and asking NSS who is an administrator
 * are the caller's business: the aggregation and the rendering are pure, so they are unit-tested.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* The sections of the review, in the order they are shown. */
enum report_section {
	REPORT_SECTION_PRIVILEGE,    /* privilege.sudo, .su, .pkexec, .mount, .module, .setuid */
	REPORT_SECTION_ROOT_COMMAND, /* privilege.root_command */
	REPORT_SECTION_ACCOUNT,	     /* account.changed */
	REPORT_SECTION_FILE,	     /* file.changed */
	REPORT_SECTION_AUTH_FAILED,  /* auth.failed */
	REPORT_SECTION_AUTH_BURST,   /* auth.burst */
	REPORT_SECTION_TAMPER,	     /* audit.rules_changed, .disabled, .loginuid_changed, ... */
	REPORT_SECTION_ENFORCEMENT,  /* vakt.stopped, policy.loaded with a part off or observing */
	REPORT_SECTION_STORAGE,	     /* storage.*, input.blocked */
	REPORT_SECTION_DISPENSATION, /* dispensation.* (for the person it is for) */
	REPORT_SECTION_SESSION,	     /* session.* */
	REPORT_SECTION_LOST,	     /* audit.lost */
	_REPORT_SECTION_MAX,
	_REPORT_SECTION_NONE = -1, /* not part of the review (vakt.started, ...) */
};

/* Whether a person belongs to admin_groups, as the machine running the report resolves it. */
enum report_admin {
	REPORT_ADMIN_UNKNOWN, /* not resolved, or the name is unknown to this machine's NSS */
	REPORT_ADMIN_YES,
	REPORT_ADMIN_NO,
};

/* One field of a record; both strings borrowed for the call. */
struct report_field {
	const char *name;
	const char *value;
};

struct report;

/*
 * A time of --since or --until: "-7d", "-12h", "-30min" (now minus a duration of vakt.conf's
 * syntax), "now", "today", "YYYY-MM-DD" (midnight that starts the day, or with end_of_day the one
 * that ends it), "YYYY-MM-DD HH:MM[:SS]" or with "T"; local time (TZ), or UTC with a final "Z" or
 * an offset "+01:00" (parse_date_time()).
 * Returns 0 and *ret_usec (CLOCK_REALTIME), or -EINVAL with *reterr_why.
 */
int report_parse_time(const char *s,
		      uint64_t now_usec,
		      bool end_of_day,
		      uint64_t *ret_usec,
		      const char **reterr_why);

/* Frees r; accepts NULL; returns NULL. */
struct report *report_free(struct report *r);
DEFINE_FREEP(struct report, report_free)

/* An empty review of the records between since_usec and until_usec (CLOCK_REALTIME, shown in the
 * header; the caller selects the records). NULL on OOM. */
struct report *report_new(uint64_t since_usec, uint64_t until_usec) _malloc_(report_free);

/*
 * The section of a record of event name (VAKT_EVENT) with fields parts (VAKT_PARTS, may be NULL):
 * policy.loaded belongs to REPORT_SECTION_ENFORCEMENT only when a part is off or observing.
 */
enum report_section report_section_of(const char *event, const char *parts);

/* "privilege", "root_command", ...: the section's key in the JSON. NULL when out of range. */
const char *report_section_name(enum report_section s);
/* "Privileged commands (sudo, su, pkexec, ...)": its title in the tables. */
const char *report_section_title(enum report_section s);

/*
 * Adds one record: fields[0..n-1] (copied as far as kept), realtime_usec when the journal received
 * it. Fields used: VAKT_EVENT (a record without it is not counted), MESSAGE, VAKT_USER, VAKT_UID,
 * VAKT_TARGET_USER, VAKT_TARGET_UID (dispensations: the person they are for), VAKT_RESULT,
 * VAKT_POLICY_REF, VAKT_PARTS, VAKT_POLICY_DIGEST, _HOSTNAME, _MACHINE_ID; every VAKT_* field is
 * kept for the JSON. Returns 1 when the record is in the review, 0 when it is not (no VAKT_EVENT,
 * or an event outside the review), -ENOMEM.
 */
int report_add(struct report *r,
	       const struct report_field *fields,
	       size_t n,
	       uint64_t realtime_usec);

/* Records seen by report_add() (with a VAKT_EVENT), and records in the review. */
size_t report_n_seen(const struct report *r);
size_t report_n_records(const struct report *r);

/* Asks fn about every person with a login name (VAKT_USER): fn returns what it found. */
typedef enum report_admin (*report_admin_fn)(const char *user, void *userdata);
void report_resolve_admins(struct report *r, report_admin_fn fn, void *userdata);

/* What the header says about administrators: admin_groups (borrowed, NULL-terminated), where they
 * were read (a file, or the built-in default) and the host whose NSS resolved them. Copied;
 * returns 0 or -ENOMEM. */
int report_set_admin_groups(struct report *r,
			    char *const *groups,
			    const char *origin,
			    const char *resolved_on);

/* Says where the records came from (e.g. "the system journal", "directory
 * /var/log/journal/remote"), for the header. Copied; returns 0 or -ENOMEM. */
int report_set_source(struct report *r, const char *source);

/*
 * Renders the review as tables: header, machines, persons (administrators first), then each
 * person's records per section with time, machine, event and what, then the records of no person.
 * Times are local (TZ). Returns 0 or -errno of the write.
 */
int report_write_text(const struct report *r, FILE *f);

/* Renders the review as one JSON object (vaktctl(8), "REPORT JSON"), then "\n". */
int report_write_json(const struct report *r, FILE *f);
