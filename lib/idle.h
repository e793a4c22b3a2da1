#pragma once

/*
 * The idle-session decision: session facts and the clock in, the next action and its deadline
 * out. No bus, no timer, no clock of its own (the shape of auditasm.h): the daemon feeds logind's
 * properties with the time, asks for what is due, acts, and sleeps until
 * idle_tracker_next_deadline().
 *
 * Which sessions (idle_classify()):
 *   - Only a session of class "user" is a person's session. Greeter (the login screen),
 *     lock-screen, background and manager sessions, and "user-early" (a user session before
 *     logind knows its seat: too early to be left unattended), are never touched. A session in
 *     state "closing" is on its way out: not touched either.
 *   - A user in one of exempt_groups is exempt. When the user's groups are unknown (NSS does not
 *     know them) the user is not exempt: an exemption must be shown, not assumed.
 *   - GRAPHICAL: type x11, wayland or mir. They can lock.
 *   - TEXT: type tty, or another non-graphical type with a terminal or a remote host (ssh
 *     sessions are type tty on a pts). They cannot lock: they are warned, then ended.
 *   - Anything else (no display, no terminal) is ignored: there is nothing to lock or warn.
 *
 * Graphical sessions (lock_after, grace, on_lock_failure). The desktop reports IdleHint with the
 * moment it became idle (IdleSinceHint):
 *   1. idle_hint and not locked: at idle_since + lock_after, LOCK (attempt 1).
 *   2. LockedHint reported true within grace: LOCKED (verified; the daemon records it).
 *   3. Not locked after grace (or the LockSession call failed): LOCK again (attempt 2), and wait
 *      another grace.
 *   4. Still not locked: LOCK_FAILED with the decision of on_lock_failure; for "terminate" a
 *      TERMINATE follows at once. The session is then left alone until it is used again or locks.
 *   Activity (idle_hint false) or a lock at any point ends the cycle; the next idle period
 *   starts a new one. idle_hint with an unknown (0) or future idle_since counts from the moment
 *   the tracker saw it (idle_since_known false in the action).
 *
 * Text sessions (text_sessions_after; 0 = never). logind computes a tty session's idle time on
 * demand from the terminal's last access (IdleSinceHint) and sends no signal when it changes, so
 * the tracker predicts: the warning is due at idle_since + text_sessions_after - 60 s (half of
 * text_sessions_after when that is 60 s or less), the end at idle_since + text_sessions_after.
 * At such a moment, facts older than the moment give REFRESH (the daemon reads the properties
 * again and feeds them); only facts read at or after it that still show the session idle give
 * WARN or TERMINATE. New activity moves both moments. A REFRESH that gets no answer
 * (idle_tracker_call_failed()) is tried again IDLE_RETRY_USEC later. idle_since unknown (0): no
 * action (vakt cannot know how long the terminal was idle).
 *
 * observe mode: the first action of a cycle (LOCK, WARN, TERMINATE) comes with observe set, and
 * the session is then left alone until it is used again: no verification, no escalation.
 *
 * Before sleep (idle_tracker_lock_all()): every tracked graphical session that is not locked and
 * not exempt gets a LOCK with reason SLEEP, verified like any other.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "macro.h"

/* A text session is warned this long before it is ended. */
#define IDLE_WARN_BEFORE_USEC (60 * USEC_PER_SEC)
/* A REFRESH without an answer is tried again after this long. */
#define IDLE_RETRY_USEC	      (10 * USEC_PER_SEC)

/* What logind says about a session, borrowed for the call. Times are CLOCK_MONOTONIC. */
struct idle_session_facts {
	const char *id; /* logind session id, not NULL */
	const char *user;
	uid_t uid;
	const char *class; /* "user", "greeter", ... */
	const char *type;  /* "x11", "wayland", "tty", ... */
	const char *tty;
	bool remote;
	const char *state; /* "online", "active", "closing" */
	bool idle_hint;
	uint64_t idle_since_usec; /* IdleSinceHintMonotonic; 0 = unknown */
	bool locked_hint;
	char **groups; /* the user's group names (strv), NULL = unknown */
};

enum idle_session_kind {
	IDLE_SESSION_IGNORED, /* not a person's session, closing, or nothing to lock or warn */
	IDLE_SESSION_EXEMPT,  /* the user is in exempt_groups */
	IDLE_SESSION_GRAPHICAL,
	IDLE_SESSION_TEXT,
	_IDLE_SESSION_KIND_MAX,
};

enum idle_action_kind {
	IDLE_ACTION_LOCK,	 /* call LockSession */
	IDLE_ACTION_LOCKED,	 /* the lock was verified (LockedHint): record session.locked */
	IDLE_ACTION_LOCK_FAILED, /* not locked after two requests: record session.lock_failed */
	IDLE_ACTION_TERMINATE,	 /* call TerminateSession */
	IDLE_ACTION_WARN,	 /* write the warning on the session's terminal */
	IDLE_ACTION_REFRESH,	 /* read the session's properties again and feed them */
	_IDLE_ACTION_KIND_MAX,
};

enum idle_reason {
	IDLE_REASON_IDLE,	  /* a graphical session idle for lock_after */
	IDLE_REASON_SLEEP,	  /* the machine is about to sleep */
	IDLE_REASON_TEXT_IDLE,	  /* a text session idle for text_sessions_after */
	IDLE_REASON_LOCK_FAILURE, /* the session did not lock (on_lock_failure) */
	_IDLE_REASON_MAX,
};

#define IDLE_ID_MAX 64

struct idle_action {
	enum idle_action_kind kind;
	char id[IDLE_ID_MAX]; /* the session */
	enum idle_reason reason;
	unsigned attempt;		  /* LOCK: 1 or 2 */
	enum lock_failure decision;	  /* LOCK_FAILED: what follows (terminate or log) */
	bool observe;			  /* mode = observe: record only, change nothing */
	uint64_t idle_usec;		  /* how long the session had been idle at deadline_usec */
	bool idle_since_known;		  /* false: idle_usec counts from when vakt saw it idle */
	uint64_t deadline_usec;		  /* when the action was due */
	const char *rule;		  /* the [idle] key that decided ("lock_after", ...) */
	const struct config_place *place; /* where that key is set (borrowed from the config) */
};

struct idle_tracker;

/* Frees t; accepts NULL; returns NULL. */
struct idle_tracker *idle_tracker_free(struct idle_tracker *t);
DEFINE_FREEP(struct idle_tracker, idle_tracker_free)

/* A tracker under config c (borrowed: must outlive t or be replaced with
 * idle_tracker_set_config()). NULL on OOM. */
struct idle_tracker *idle_tracker_new(const struct config *c) _malloc_(idle_tracker_free);

/* Uses c from now on (a reload): deadlines follow the new durations, sessions that became exempt
 * or ignored are left alone. */
void idle_tracker_set_config(struct idle_tracker *t, const struct config *c);

/* What kind of session f is under c. */
enum idle_session_kind idle_classify(const struct config *c, const struct idle_session_facts *f);

/* Adds session f->id or replaces its facts, read from logind at now_usec. Returns 0, -EINVAL
 * (no id, or an id of IDLE_ID_MAX bytes or more) or -ENOMEM. */
int idle_tracker_update(struct idle_tracker *t,
			const struct idle_session_facts *f,
			uint64_t now_usec);

/* Forgets session id (logged out); nothing is due for it any more. */
void idle_tracker_remove(struct idle_tracker *t, const char *id);

/* Forgets every session (logind's table became unknown). */
void idle_tracker_clear(struct idle_tracker *t);

/* The LockSession or refresh call the last action for id asked for failed: LOCK goes on to its
 * next step at once, REFRESH is tried again IDLE_RETRY_USEC later. */
void idle_tracker_call_failed(struct idle_tracker *t, const char *id, uint64_t now_usec);

/* Before sleep: a LOCK (reason SLEEP) becomes due now for every graphical session that is not
 * locked and not exempt. Returns how many. */
int idle_tracker_lock_all(struct idle_tracker *t, uint64_t now_usec);

/* Takes the next action due at now_usec into *ret_action. Returns 1 with *ret_action, 0 when
 * nothing is due. */
int idle_tracker_next(struct idle_tracker *t, uint64_t now_usec, struct idle_action *ret_action);

/* When idle_tracker_next() has something again without new facts; UINT64_MAX when nothing is
 * pending (the daemon sleeps). */
uint64_t idle_tracker_next_deadline(const struct idle_tracker *t);

/*
 * For vaktctl sessions: the next action for session id and when it is due. Returns 1 with
 * *ret_kind and *ret_when, 0 when nothing is pending for it, -ENOENT when id is not tracked.
 */
int idle_tracker_session_next(const struct idle_tracker *t,
			      const char *id,
			      enum idle_action_kind *ret_kind,
			      uint64_t *ret_when);

const char *idle_action_kind_to_string(enum idle_action_kind k);
const char *idle_session_kind_to_string(enum idle_session_kind k);
const char *idle_reason_to_string(enum idle_reason r);
