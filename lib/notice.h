#pragma once

/*
 * What the person at a seat is told (notify_user in vakt.conf(5)): the text of a desktop
 * notification (summary and body) and of the line written on a text session's terminal. Pure:
 * the daemon (daemon/notify-user.c) delivers it. Every string that comes from outside (a USB
 * device's name, the policy text) is reduced here to printable characters (ASCII, and well-formed
 * UTF-8 but C1 controls and bidirectional overrides), so that neither a desktop's markup nor a
 * terminal's escape sequences can be smuggled in by a device.
 */

#include <stdbool.h>
#include <stddef.h>

enum notice_kind {
	NOTICE_STORAGE_BLOCKED,	  /* a storage device was blocked */
	NOTICE_STORAGE_READ_ONLY, /* a storage device was made read-only */
	NOTICE_SESSION_LOCKED,	  /* the idle session was locked */
	NOTICE_SESSION_TERMINATE, /* the idle session will be ended (it could not be locked) */
	_NOTICE_KIND_MAX,
};

/* Longest device name, policy text and contact kept, in bytes (longer ones are cut, with
 * "..."). */
#define NOTICE_FIELD_MAX 200

struct notice_input {
	enum notice_kind kind;
	const char *device;	      /* the device's name; NULL or "" = unnamed */
	const char *policy_reference; /* [section] policy_reference, NULL when unset */
	const char *contact;	      /* [vakt] contact, NULL when unset */
};

struct notice {
	char *summary; /* one short line, plain text */
	char *body;    /* the desktop body: plain text with & < > escaped (body-markup safe) */
	char *line;    /* the terminal line: "\r\n\a*** vakt: ... ***\r\n", printable */
};

/* The default of contact: who to ask when [vakt] contact is not set. */
#define NOTICE_DEFAULT_CONTACT "your IT help desk"

/* Fills *ret (caller calls notice_done()) from in (borrowed). Returns 0, -EINVAL for a kind out
 * of range, or -ENOMEM. */
int notice_format(const struct notice_input *in, struct notice *ret);
void notice_done(struct notice *n);

/* Copies s (NULL: "") into buf (size > 3), each character that may not be shown (see above)
 * replaced by '?'; a string that does not fit is cut on a character boundary and ends in "...".
 * Returns buf. */
char *notice_printable(const char *s, char *buf, size_t size);

/* Whether tty is a terminal name vaktd may open below /dev ("pts/3", "tty2", "hvc0"): letters,
 * digits, '/', '-', '_'; not empty, no leading '/', no "..". */
bool notice_tty_name_ok(const char *tty);
