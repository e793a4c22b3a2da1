#pragma once

/*
 * The control protocol between vaktd and vaktctl (the one parser and formatter both use).
 *
 * Transport: a SOCK_SEQPACKET Unix socket (CONTROL_SOCKET_NAME in vaktd's runtime directory).
 * The kernel keeps message boundaries, so a request is exactly one packet: no framing to get
 * wrong, and a request longer than CONTROL_REQUEST_MAX is seen as truncated (MSG_TRUNC) and
 * refused. One request per connection. The reply may be longer than one packet: vaktd sends it
 * in packets of at most CONTROL_PACKET_MAX bytes and then shuts the connection down; the client
 * concatenates them up to CONTROL_REPLY_MAX and parses the whole.
 *
 * A message (request or reply) is text: lines "KEY=VALUE\n". KEY is 1 to CONTROL_KEY_MAX
 * characters of [a-z0-9_], starting with a letter. VALUE is valid UTF-8 of at most
 * CONTROL_VALUE_MAX bytes once unescaped; in the text, a backslash is written "\\", a newline
 * "\n", a tab "\t" and another control character (0x01-0x1f, 0x7f) "\xHH" (two lowercase hex
 * digits); no other escape exists and a raw control character is an error. NUL cannot be sent.
 * The formatter replaces bytes that are not valid UTF-8 with U+FFFD, so that any device string
 * can be sent and vaktctl --json stays valid.
 *
 * A request's first field is "verb"; control_request_check() says which fields each verb takes.
 * A reply's first field is "status" = "ok" or "error"; an error reply has "error" (a sentence
 * for a person) and "code" (CONTROL_CODE_*: "usage", "denied", "not-found", "unavailable",
 * "internal"). The rest of a reply is fields, then records: a field "record" (its value names
 * the kind: "part", "device", "session", ...) starts a record, and the fields up to the next
 * "record" belong to it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define CONTROL_SOCKET_NAME	   "control"
#define CONTROL_REQUEST_MAX	   4096
#define CONTROL_REQUEST_FIELDS_MAX 16
#define CONTROL_PACKET_MAX	   16384
#define CONTROL_REPLY_MAX	   ((size_t)4 * 1024 * 1024)
#define CONTROL_REPLY_FIELDS_MAX   200000
#define CONTROL_KEY_MAX		   32
#define CONTROL_VALUE_MAX	   2048

#define CONTROL_CODE_USAGE	 "usage"
#define CONTROL_CODE_DENIED	 "denied"
#define CONTROL_CODE_NOT_FOUND	 "not-found"
#define CONTROL_CODE_UNAVAILABLE "unavailable"
#define CONTROL_CODE_INTERNAL	 "internal"

struct control_field {
	char *key;
	char *value;
};

struct control_msg {
	struct control_field *fields;
	size_t n, allocated;
};

/* An empty message; NULL on OOM. */
struct control_msg *control_msg_free(struct control_msg *m);
DEFINE_FREEP(struct control_msg, control_msg_free)
struct control_msg *control_msg_new(void) _malloc_(control_msg_free);

/* Appends KEY=VALUE (both copied; value NULL = ""). Returns 0, -EINVAL for a key that is not
 * valid (see above), -ENOMEM. A value longer than CONTROL_VALUE_MAX is cut there, at a UTF-8
 * character boundary. */
int control_msg_add(struct control_msg *m, const char *key, const char *value);
int control_msg_addf(struct control_msg *m, const char *key, const char *fmt, ...) _printf_(3, 4);

/* The value of the first field key in [begin, end) of m's fields, or NULL. */
const char *
control_msg_find(const struct control_msg *m, size_t begin, size_t end, const char *key);
/* The same over the whole message. */
const char *control_msg_get(const struct control_msg *m, const char *key);

/* Records: *pos starts at 0. Returns true with [*ret_begin, *ret_end) the fields of the next
 * record (the "record" field first), false at the end. */
bool control_msg_next_record(const struct control_msg *m,
			     size_t *pos,
			     size_t *ret_begin,
			     size_t *ret_end);

/* The text of m (see the top). *ret is NUL-terminated; *ret_len excludes the NUL. Returns 0 or
 * -ENOMEM. */
int control_format(const struct control_msg *m, char **ret, size_t *ret_len);

/*
 * Parses len bytes of buf (borrowed; need not be NUL-terminated) as a message of at most
 * max_fields fields. Returns 0 and *ret_msg, or -EBADMSG and *ret_error (a sentence naming the
 * line and what is wrong; caller frees), or -ENOMEM.
 */
int control_parse(const char *buf,
		  size_t len,
		  size_t max_fields,
		  struct control_msg **ret_msg,
		  char **ret_error);

/* Request verbs. */
enum control_verb {
	CONTROL_VERB_STATUS,
	CONTROL_VERB_DEVICES,
	CONTROL_VERB_SESSIONS,
	CONTROL_VERB_EXPLAIN,
	CONTROL_VERB_RULE,
	CONTROL_VERB_GRANT,
	CONTROL_VERB_REVOKE,
	CONTROL_VERB_DISPENSATIONS,
	_CONTROL_VERB_MAX,
};

const char *control_verb_to_string(enum control_verb v);

/*
 * Checks a parsed request: the first field is "verb" with a known verb, every other field is one
 * the verb takes, none twice, the required ones present and not empty, and the values of grant
 * and revoke well formed (control_grant_request() with now = 0, dispensation_id_valid()). Returns
 * 0 and *ret_verb, or -EINVAL and *ret_error (caller frees), or -ENOMEM.
 *
 * The fields of the verbs (vaktctl(8) says what they mean):
 *   status, devices, sessions, dispensations: none
 *   explain: device, optional user;  rule: device
 *   grant: user, ticket, reason, and exactly one of until (seconds since the epoch) or for (a
 *          duration, dispensation_parse_duration()); optional device (VID:PID[:SERIAL]) and mode
 *          (allow or read-only; allow when not given)
 *   revoke: id (a dispensation id)
 */
int control_request_check(const struct control_msg *req,
			  enum control_verb *ret_verb,
			  char **ret_error);

struct dispensation;

/*
 * The dispensation a grant request asks for, at now (CLOCK_REALTIME usec; 0 = only check the
 * form, not the time): user, device, mode, not_after (from until, or now + for), ticket and
 * reason, validated as dispensation_validate() does for one granted at now. The caller fills uid,
 * granted_by, granted_by_uid and granted_at (they are 0 and NULL here). Returns 0 and *ret (caller
 * calls dispensation_done()), or -EINVAL and *ret_error (a sentence; caller frees), or -ENOMEM.
 */
int control_grant_request(const struct control_msg *req,
			  uint64_t now,
			  struct dispensation *ret,
			  char **ret_error);

/* An error reply: status=error, code, error. NULL on OOM. */
struct control_msg *control_error_reply(const char *code, const char *fmt, ...) _printf_(2, 3);
