#pragma once

/*
 * Kernel audit records, the pure-logic half: parsing one record's text, assembling records into
 * events by (timestamp, serial), classifying an event into at most one vakt event with its facts,
 * and counting failed authentications into bursts. No netlink, no logging, no name resolution
 * (numbers and raw strings only; the daemon resolves uid -> name and ses -> logind session).
 *
 * Pipeline, as the daemon runs it:
 *     auditasm_feed(asm, text, len, type, now)         one record (netlink or auditd text line)
 *     while ((ev = auditasm_next(asm, now, false)))     complete (or expired) events
 *             auditclass_feed(cls, ev, now);
 *     while (auditclass_next(cls, now, false, &facts) > 0)
 *             ... log facts ..., auditfacts_done(&facts);
 * and at end of input (replay) the same with flush_all = true. Call the *_next() loops again when
 * auditasm_next_deadline()/auditclass_next_deadline() pass, so that events without EOE come out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Record type numbers (the kernel's and libaudit's values) that vakt looks at. */
enum {
	AUDITREC_TYPE_USER_AUTH = 1100,
	AUDITREC_TYPE_USER_ACCT = 1101,
	AUDITREC_TYPE_USER_MGMT = 1102,
	AUDITREC_TYPE_CRED_ACQ = 1103,
	AUDITREC_TYPE_CRED_DISP = 1104,
	AUDITREC_TYPE_USER_START = 1105,
	AUDITREC_TYPE_USER_END = 1106,
	AUDITREC_TYPE_USER_CHAUTHTOK = 1108,
	AUDITREC_TYPE_USER_ERR = 1109,
	AUDITREC_TYPE_CRED_REFR = 1110,
	AUDITREC_TYPE_USER_LOGIN = 1112,
	AUDITREC_TYPE_USER_LOGOUT = 1113,
	AUDITREC_TYPE_ADD_USER = 1114,
	AUDITREC_TYPE_DEL_USER = 1115,
	AUDITREC_TYPE_ADD_GROUP = 1116,
	AUDITREC_TYPE_DEL_GROUP = 1117,
	AUDITREC_TYPE_USER_CMD = 1123,
	AUDITREC_TYPE_USER_ROLE_CHANGE = 2300,
	AUDITREC_TYPE_GRP_MGMT = 1132,
	AUDITREC_TYPE_GRP_CHAUTHTOK = 1133,
	AUDITREC_TYPE_ACCT_LOCK = 1135,
	AUDITREC_TYPE_ACCT_UNLOCK = 1136,
	AUDITREC_TYPE_DAEMON_START = 1200,
	AUDITREC_TYPE_DAEMON_END = 1201,
	AUDITREC_TYPE_DAEMON_ABORT = 1202,
	AUDITREC_TYPE_DAEMON_CONFIG = 1203,
	AUDITREC_TYPE_SYSCALL = 1300,
	AUDITREC_TYPE_PATH = 1302,
	AUDITREC_TYPE_CONFIG_CHANGE = 1305,
	AUDITREC_TYPE_CWD = 1307,
	AUDITREC_TYPE_EXECVE = 1309,
	AUDITREC_TYPE_EOE = 1320,
	AUDITREC_TYPE_PROCTITLE = 1327,
	AUDITREC_TYPE_KERN_MODULE = 1330,
	AUDITREC_TYPE_LOGIN = 1006,
};

/* The name of a type ("USER_CMD"), or NULL when it is not in the table. */
const char *auditrec_type_to_name(int type);

/* The number for a type name of len bytes ("USER_CMD", or "UNKNOWN[1234]"); -ENOENT if unknown. */
int auditrec_type_from_name(const char *name, size_t len);

/* Whether records of this type always form a complete event on their own (user-space messages:
 * 1100-1299 and 2100-2999). */
bool auditrec_type_is_single(int type);

/* An audit event's identity: msg=audit(SEC.MSEC:SERIAL). */
struct auditrec_id {
	uint64_t sec;
	uint32_t msec;
	uint64_t serial;
};

/* "SECONDS.MILLIS:SERIAL" (the form `ausearch -a` takes) fits in this many bytes with its NUL. */
#define AUDITREC_ID_MAX 48

/* Formats id into buf (AUDITREC_ID_MAX bytes) as "1700000000.123:456"; returns buf. */
char *auditrec_id_format(const struct auditrec_id *id, char *buf);

/* Compares two ids by time then serial: < 0, 0, > 0. */
int auditrec_id_compare(const struct auditrec_id *a, const struct auditrec_id *b);

/* One name=value of a record. Pointers into the record text, NOT NUL-terminated. quoted is set for
 * values written "..." or '...' (literal); an unquoted value may be hex-encoded (see
 * auditrec_field_string()). Fields of a user-space record's inner msg='...' and enriched fields
 * after the 0x1d separator (UID="root") are listed like top-level fields. */
struct auditrec_field {
	const char *name;
	const char *value;
	uint32_t name_len;
	uint32_t value_len;
	bool quoted;
};

struct auditasm;

/* One parsed record. text/len is the part after "msg=audit(...): " (the fields). In an event from
 * auditasm_next() the fields are listed on first use: read them with auditrec_find(), or call
 * auditrec_fields() before reading fields/n_fields. */
struct auditrec {
	int type;
	struct auditrec_id id;
	const char *text;
	size_t len;
	const struct auditrec_field *fields;
	size_t n_fields;
	struct auditasm
		*unlisted; /* the assembler that lists fields on first use; NULL once listed */
};

/*
 * Parses one record: either an auditd text line "type=NAME msg=audit(S.M:N): fields" (type < 0;
 * a trailing newline is fine) or the netlink payload "audit(S.M:N): fields" with its type number
 * (type >= 0; a "type=... msg=" prefix is accepted there too). text need not be NUL-terminated and
 * may contain NULs (they end the record). Up to max_fields fields are stored in fields[] (caller's
 * storage; the rest are ignored, not an error). *ret points into text and fields.
 * Returns 0, or -EINVAL when there is no valid type or audit(...) header. Never reads past len.
 */
int auditrec_parse(const char *text,
		   size_t len,
		   int type,
		   struct auditrec_field *fields,
		   size_t max_fields,
		   struct auditrec *ret);

/* Parses only the type and id (what the assembler needs); *ret_body is the offset of the fields.
 * Same input and errors as auditrec_parse(). */
int auditrec_parse_header(const char *text,
			  size_t len,
			  int type,
			  int *ret_type,
			  struct auditrec_id *ret_id,
			  size_t *ret_body);

/* Lists the fields of a record's body (text + *ret_body of auditrec_parse_header(), up to the
 * record's end) in fields[] (caller's storage, at most max_fields) exactly as auditrec_parse()
 * does, for callers that parsed the header already. Returns the number of fields stored. */
size_t auditrec_parse_fields(const char *body,
			     size_t len,
			     struct auditrec_field *fields,
			     size_t max_fields);

/* The first field called name in r, or NULL. */
const struct auditrec_field *auditrec_find(const struct auditrec *r, const char *name);

/* Lists r's fields and n_fields if they are not listed yet (records of assembled events); returns
 * r. */
const struct auditrec *auditrec_fields(const struct auditrec *r);

/* Whether f's value is exactly s. */
bool auditrec_field_eq(const struct auditrec_field *f, const char *s);

/*
 * Writes f's value as a string to buf (size > 0), always NUL-terminated, truncated to fit:
 * quoted values literally; unquoted values of even length made only of hex digits are decoded
 * (NUL bytes between arguments become spaces, as in proctitle and EXECVE); other values
 * ("?", "(null)", numbers) literally. Control characters in decoded text become '?'.
 * Returns the length written (without NUL).
 */
size_t auditrec_field_string(const struct auditrec_field *f, char *buf, size_t size);

/* Writes f's value to buf (size > 0) literally (no hex decoding: hostname, addr, terminal, op),
 * NUL-terminated, truncated to fit, control characters as '?'. Returns the length written. */
size_t auditrec_field_raw(const struct auditrec_field *f, char *buf, size_t size);

/* Parses f's value as an unsigned number in base 10 or 16 (audit writes a0= etc. in hex without
 * a prefix). Returns 0 or -EINVAL/-ERANGE. */
int auditrec_field_uint(const struct auditrec_field *f, int base, uint64_t *ret);

/* auid/uid/ses value meaning "unset" (4294967295 in the records). */
#define AUDITREC_UNSET UINT32_MAX

/* ---- Events ---------------------------------------------------------------------------- */

/* An event: the records sharing one (timestamp, serial), in arrival order. */
struct auditevent {
	struct auditrec_id id;
	const struct auditrec *records;
	size_t n_records;
	bool complete;	/* ended by EOE, or a single-record user-space type */
	bool truncated; /* records or bytes beyond the limits were dropped from it */
};

/* The first record of the given type in ev, or NULL. */
const struct auditrec *auditevent_find(const struct auditevent *ev, int type);

/* ---- Assembly ---------------------------------------------------------------------------- */

struct auditasm_limits {
	size_t max_pending; /* events being assembled at once; beyond it the oldest is flushed */
	size_t max_records; /* records kept per event; more are dropped (counted) */
	size_t max_event_bytes; /* record text kept per event; more records are dropped (counted) */
	size_t max_record_len;	/* longer records are cut to this length (counted) */
	uint64_t max_age_usec;	/* an event without EOE is flushed this long after its first record,
				   measured on now_usec and on the newest audit timestamp seen */
};

/* The defaults: 64 pending, 64 records, 64 KiB per event, 8 KiB per record, 2 s. */
void auditasm_limits_default(struct auditasm_limits *ret);

struct auditasm_stats {
	uint64_t records;	  /* records fed */
	uint64_t malformed;	  /* records refused by the parser */
	uint64_t events;	  /* events returned */
	uint64_t incomplete;	  /* events returned without EOE because of age or max_pending */
	uint64_t dropped_records; /* records dropped because an event hit max_records/bytes */
	uint64_t dropped_events;  /* finished events dropped because the caller did not take them */
	uint64_t cut_records;	  /* records cut to max_record_len */
};

struct auditasm;

/* A new assembler; limits NULL means the defaults (zero members are replaced by defaults too).
 * NULL only on OOM. Memory is bounded by the limits whatever the input. */
struct auditasm *auditasm_free(struct auditasm *a);
struct auditasm *auditasm_new(const struct auditasm_limits *limits) _malloc_(auditasm_free);
DEFINE_FREEP(struct auditasm, auditasm_free)

/*
 * Feeds one record (see auditrec_parse() for text and type). The text is copied. now_usec is the
 * caller's clock (monotonic or the record's time in replay; only differences matter).
 * Returns 0, -EINVAL for a malformed record (counted, ignored), -ENOMEM.
 */
int auditasm_feed(struct auditasm *a, const char *text, size_t len, int type, uint64_t now_usec);

/*
 * The next finished event: complete events in order of completion, then (oldest first) events
 * that are older than max_age_usec, or all pending events when flush_all. NULL when none.
 * The event and its records are owned by the assembler and valid until the next call of any
 * auditasm_*() function on a.
 */
const struct auditevent *auditasm_next(struct auditasm *a, uint64_t now_usec, bool flush_all);

/* When (on the now_usec clock) the oldest pending event will expire; UINT64_MAX when none. */
uint64_t auditasm_next_deadline(const struct auditasm *a);

/* Lists the fields of r, a record of the event a handed out last (r->unlisted == a), as
 * auditrec_parse() does. auditrec_find() and auditrec_fields() call it: most events are decided
 * by their first record, so the fields of the others are mostly never listed. */
void auditasm_list_fields(struct auditasm *a, const struct auditrec *r);

void auditasm_get_stats(const struct auditasm *a, struct auditasm_stats *ret);

/* ---- Classification ---------------------------------------------------------------------- */

/*
 * Audit rule keys vakt's rules use (conf/audit/50-vakt.rules). A key matches when it is
 * "vakt-ROLE" or "vakt-test-ROLE", optionally followed by "-anything" (e.g. vakt-watch-passwd):
 *   watch:  -w PATH -p wa -k vakt-watch                                  -> file.changed
 *   mount:  -a always,exit -S mount,umount2 -k vakt-mount                -> MOUNT
 *   module: -a always,exit -S init_module,finit_module,delete_module -k vakt-module -> MODULE
 *   setuid: -a always,exit -S execve -C uid!=euid -F auid>=1000 -F auid!=unset -k vakt-setuid
 * Mount and module syscalls (x86_64) and setuid execs are recognised without the key too.
 */
#define AUDITCLASS_KEY_WATCH  "watch"
#define AUDITCLASS_KEY_MOUNT  "mount"
#define AUDITCLASS_KEY_MODULE "module"
#define AUDITCLASS_KEY_SETUID "setuid"

enum auditclass_kind {
	AUDITCLASS_NONE,
	AUDITCLASS_SUDO,	    /* privilege.sudo */
	AUDITCLASS_SU,		    /* privilege.su */
	AUDITCLASS_PKEXEC,	    /* privilege.pkexec */
	AUDITCLASS_AUTH_FAILED,	    /* auth.failed */
	AUDITCLASS_ACCOUNT_CHANGED, /* account.changed */
	AUDITCLASS_FILE_CHANGED,    /* file.changed */
	AUDITCLASS_RULES_CHANGED,   /* audit.rules_changed */
	AUDITCLASS_MOUNT,	    /* not in SPEC: proposed privilege.mount */
	AUDITCLASS_MODULE,	    /* not in SPEC: proposed privilege.module */
	AUDITCLASS_SETUID,	    /* not in SPEC: proposed privilege.setuid */
	AUDITCLASS_LOGIN, /* no event: a login's ses/addr/hostname/terminal for attribution */
	_AUDITCLASS_KIND_MAX,
};

/* The vakt event name of a kind ("privilege.sudo"; proposed names for MOUNT/MODULE/SETUID),
 * NULL for NONE and LOGIN. */
const char *auditclass_kind_to_event(enum auditclass_kind k);

/*
 * The facts of one classified event. Numbers are AUDITREC_UNSET when absent; strings are NULL
 * when absent, else owned by the struct (auditfacts_done() frees them). Strings are decoded
 * (hex) and raw: no name resolution.
 */
struct auditfacts {
	enum auditclass_kind kind;
	char audit_id[AUDITREC_ID_MAX]; /* "SECONDS.MILLIS:SERIAL" of the deciding record */
	uint64_t time_usec;		/* audit timestamp of that record */
	uint32_t auid; /* the person (login uid): never root's 0 stand-in for sudo */
	uint32_t uid;  /* the process's uid */
	uint32_t euid; /* SYSCALL only */
	uint32_t ses;
	uint32_t pid;
	char *comm;
	char *exe;
	char *command; /* sudo/su/pkexec command, EXECVE/proctitle, or useradd & co. op */
	char *cwd;
	char *target_user; /* run-as (sudo/su), the account changed, or the account that failed */
	char *file;	   /* file.changed path; mount target; module name */
	char *terminal;
	char *hostname;
	char *addr;
	char *key; /* the audit rule key, if any */
	char *op;  /* op= of the record (PAM:authentication, add_rule, ...) or syscall name */
	uint32_t target_id; /* account.changed: the id= of the account or group, when given */
	bool has_result;
	bool success;
	bool counts_as_failure; /* auth.failed that counts for failed_auth_burst */
	bool attribute_change;	/* file.changed: attributes (chmod/chown/setxattr), not contents */
};

/* Frees the strings of *f and zeroes it; accepts a zeroed struct. */
void auditfacts_done(struct auditfacts *f);

struct auditclass;

/* A classifier (it keeps a little bounded state: sudo commands waiting for their run-as user,
 * recent failed authentications per process). NULL only on OOM. */
struct auditclass *auditclass_free(struct auditclass *c);
struct auditclass *auditclass_new(void) _malloc_(auditclass_free);
DEFINE_FREEP(struct auditclass, auditclass_free)

/* Feeds one event (borrowed). Returns the number of facts now ready (>= 0) or -ENOMEM. */
int auditclass_feed(struct auditclass *c, const struct auditevent *ev, uint64_t now_usec);

/*
 * Takes the next ready facts into *ret (caller calls auditfacts_done()). A sudo command waits for
 * the records naming its run-as user for up to 1 s (or until flush_all).
 * Returns 1 with *ret filled, 0 when nothing is ready, -ENOMEM.
 */
int auditclass_next(struct auditclass *c,
		    uint64_t now_usec,
		    bool flush_all,
		    struct auditfacts *ret);

/* When held facts will be released without further input; UINT64_MAX when none. */
uint64_t auditclass_next_deadline(const struct auditclass *c);

/* Facts dropped because the caller did not take them (more than 64 waiting). */
uint64_t auditclass_dropped(const struct auditclass *c);

/* ---- Bursts of failed authentication ------------------------------------------------------ */

/*
 * failed_auth_burst = COUNT/WINDOW, per account (the acct= string). A failure at time t "meets
 * the threshold" when it and the COUNT-1 failures before it for that account all lie within
 * WINDOW (t - oldest <= WINDOW). A burst is reported on the failure that meets the threshold when
 * the account's previous failure did not: failures that keep arriving at or above the rate stay
 * in the same burst (one auth.burst), and a new burst starts only after the rate has dropped
 * (a failure that does not meet the threshold, or WINDOW passing without COUNT failures).
 */
#define AUTHBURST_MAX_COUNT 1000

struct authburst;

/* count 1..AUTHBURST_MAX_COUNT, window > 0, max_accounts > 0 (when more accounts are tracked the
 * one with the oldest last failure is forgotten, counted). Returns 0 or -EINVAL/-ENOMEM. */
int authburst_new(unsigned count,
		  uint64_t window_usec,
		  size_t max_accounts,
		  struct authburst **ret);
struct authburst *authburst_free(struct authburst *b);
DEFINE_FREEP(struct authburst, authburst_free)

/* Records one failure for account at now_usec (the audit time; not going backwards is assumed,
 * earlier times are treated as now). Returns 1 when this failure starts a burst (report
 * auth.burst; *ret_failures, if not NULL, is the number of failures within the window), 0 when
 * not, -ENOMEM. */
int authburst_add(struct authburst *b,
		  const char *account,
		  uint64_t now_usec,
		  unsigned *ret_failures);

/* Accounts forgotten because max_accounts was reached. */
uint64_t authburst_evicted(const struct authburst *b);
