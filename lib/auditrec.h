#pragma once

/*
 * Kernel audit records, the pure-logic half, in four concepts: auditrec.h (this file) parses one
 * record's text; auditasm.h assembles records into events by (timestamp, serial); auditclass.h
 * classifies an event into at most one vakt event with its facts; authburst.h counts failed
 * authentications into bursts. No netlink, no logging, no name resolution (numbers and raw
 * strings only; the daemon resolves uid -> name and ses -> logind session).
 *
 * Pipeline, as the daemon runs it:
 *     auditasm_feed(asm, text, len, type, now)         one record (netlink or auditd text line)
 *     while ((ev = auditasm_next(asm, now, false)))     complete (or expired) events
 *             auditclass_feed(cls, ev, now);
 *     while (auditclass_next(cls, now, false, &facts) > 0)
 *             ... log facts ..., auditclass_facts_done(&facts);
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
 * after the 0x1d separator (UID="root") are listed like top-level fields. msg='...' ends at the
 * record's last "'" (before the enriched fields): libaudit writes "'" inside it unencoded. */
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
 * storage; the rest are ignored, not an error). *ret_record points into text and fields.
 * Returns 0, or -EINVAL when there is no valid type or audit(...) header. Never reads past len.
 */
int auditrec_parse(const char *text,
		   size_t len,
		   int type,
		   struct auditrec_field *fields,
		   size_t max_fields,
		   struct auditrec *ret_record);

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

/*
 * Writes to out (out_size bytes, not NUL-terminated) a copy of a record's fields (body/len as for
 * auditrec_parse_fields()) in which every value, and every word without '=', longer than
 * max_value bytes is shortened to max_value bytes (rounded down to an even count, so that hex
 * stays decodable); quotes and msg='...' keep their shape. A long value early in a record
 * (a 4 KB hex exe=, cmd= or cwd=) then no longer pushes the fields after it (key=, res=) past a
 * cut. Returns the length written (at most out_size: the copy is cut there if still longer).
 */
size_t auditrec_compact(const char *body, size_t len, size_t max_value, char *out, size_t out_size);

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
int auditrec_field_uint(const struct auditrec_field *f, int base, uint64_t *ret_value);

/* auid/uid/ses value meaning "unset" (4294967295 in the records). */
#define AUDITREC_UNSET UINT32_MAX
