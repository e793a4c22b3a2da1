#pragma once

/*
 * The idle-session decision: when to lock an idle graphical session, verify that it locked, retry,
 * give up, and when to warn and terminate an idle text session. Pure logic with time as an input,
 * in the shape of lib/auditrec.h: the daemon turns logind session properties into
 * struct idle_session_facts, feeds them with the monotonic clock, asks for due actions, performs
 * them and records them:
 *
 *     idle_tracker_update(t, &facts, now)              on every property read of a session
 *     idle_tracker_remove(t, id)                       when logind removes it
 *     while (idle_tracker_next(t, now, &action) > 0)   when idle_tracker_next_deadline() passes,
 *             ... perform and record action ...        and after every update
 *     idle_tracker_call_failed(t, id, now)             when LockSession or a re-read failed
 *
 * Times are CLOCK_MONOTONIC microseconds. Nothing happens between calls: there is no timer here,
 * the daemon arms one for idle_tracker_next_deadline() (UINT64_MAX: nothing pending, sleep).
 *
 * Which sessions (idle_classify()), first applicable step decides:
 *
 *   1. Class other than "user" and "user-early": IGNORED. Greeter, lock-screen, background and
 *      manager sessions are nobody (as for the storage decision, see SPEC.md), and a class this
 *      code does not know is not assumed to be a person. "user-early" (systemd >= 256) is a
 *      person's login, typically root on a console, admitted before systemd-user-sessions.service
 *      finished: exactly the session that should not stay open unattended. Debian 12 (systemd
 *      252) never reports it; it is accepted so that an upgrade does not silently stop enforcement.
 *   2. State "closing": IGNORED (the session is ending; its processes may linger for a while).
 *   3. Type "x11", "wayland" or "mir": GRAPHICAL. Type "tty", or another type with a TTY or
 *      remote = true (ssh logins are type tty with TTY pts/N; "unspecified" sessions with a TTY
 *      count too): TEXT. Anything else (no screen to lock, no terminal to warn): IGNORED.
 *   4. The user is in one of exempt_groups: EXEMPT (left alone; only sessions that would be
 *      GRAPHICAL or TEXT are reported EXEMPT). Groups unknown (NULL) are not exempt: when the
 *      daemon cannot resolve a user's groups, enforcement wins over the exemption.
 *
 * GRAPHICAL sessions (idle.lock_after, grace, on_lock_failure):
 *   - Not idle (idle_hint false) or locked (locked_hint true): nothing is due.
 *   - Idle: LOCK (attempt 1, reason IDLE, rule lock_after) at idle_since + lock_after, not 1 us
 *     earlier. idle_since is the later of logind's IdleSinceHintMonotonic and the last time this
 *     tracker saw the session go from locked to unlocked: an unlock is a person typing a password,
 *     and a desktop that keeps IdleHint true across it must not be locked again at once. An
 *     idle_since of 0 (unknown) or in the future is replaced by the time the tracker first saw
 *     the session idle with that value (it cannot know better); actions then say
 *     idle_since_known = false.
 *   - Then the session has grace to report LockedHint. Facts with locked_hint true: LOCKED (once;
 *     same attempt and reason; the daemon records session.locked; handed out even when newer
 *     facts come first). Not locked at +grace: LOCK again (attempt 2, rule grace). Not locked
 *     another grace later: LOCK_FAILED (rule on_lock_failure) carrying the decision: with
 *     TERMINATE, action TERMINATE (reason LOCK_FAILURE) follows in the same round whatever facts
 *     arrive in between, so the record of the decision and the action agree; with LOG nothing
 *     follows. After a failure the session is left alone until it is active again (idle_hint
 *     false) or locks; a late lock is not reported.
 *   - idle_tracker_call_failed() while waiting for a lock: LockSession itself failed, so the
 *     session is treated as not locked at once (retry, or failure on attempt 2).
 *   - Activity (idle_hint false, or a different idle_since) while waiting for the lock of an IDLE
 *     cycle: back to watching, nothing is recorded. locked_hint true is looked at first, so a
 *     lock that came with activity is still reported LOCKED. Unlock + idle starts a new cycle.
 *   - idle_tracker_lock_all() before sleep: every GRAPHICAL session not locked gets LOCK (attempt
 *     1, reason SLEEP, rule "sleep" with the built-in place), also one already waiting for its idle
 *     lock, then the same grace verification, retry and failure. Activity does not end a SLEEP
 *     cycle, only a lock does: the person was at the session when sleep began, and whoever opens
 *     the lid afterwards is exactly who the lock is for. TEXT sessions: nothing.
 *
 * TEXT sessions (idle.text_sessions_after = T; 0 = never):
 *   - idle_since is the last access to the terminal (logind: the TTY's atime); idle_hint is not
 *     required (logind sets it only after its own IdleActionSec). idle_since 0 (unknown: no TTY
 *     found): nothing is ever due. In the future: replaced as for graphical sessions.
 *   - logind computes a text session's idle time when asked and sends no signal when it changes,
 *     so the tracker predicts: warn_at = idle_since + T - IDLE_WARN_BEFORE_USEC (60 s), or
 *     idle_since + T/2 when T <= 60 s; terminate_at = idle_since + T. When a deadline passes and
 *     the facts were last updated before it, the action is REFRESH: the daemon re-reads the
 *     properties and calls idle_tracker_update() with the time it read them. Only facts read at
 *     or after the deadline act: WARN (once per idle period), then TERMINATE (once, reason
 *     TEXT_IDLE). A refresh showing activity (another idle_since) starts a new idle period: the
 *     deadlines move, nothing is due.
 *   - A REFRESH that is not answered by an update, or is answered by idle_tracker_call_failed(),
 *     is handed out again IDLE_REFRESH_RETRY_USEC (10 s) after it was handed out or failed:
 *     never a busy loop, never given up.
 *   - The warning lead is kept: TERMINATE never comes sooner than the lead after the WARN was
 *     handed out, terminate_at = max(idle_since + T, warned_at + lead). This matters when the
 *     WARN comes late (the session is found idle beyond warn_at only now: daemon start, reload,
 *     refreshes that failed); a WARN late by a refresh round trip delays TERMINATE by as much.
 *
 * Mode (idle.mode): off: nothing is ever due (facts are still kept, for a reload). observe: the
 * first action that would change something is handed out with observe = true and the session is
 * then handled until activity (no grace wait, no retry, no LOCK_FAILED): LOCK for a graphical
 * session, TERMINATE at terminate_at for a text session (no WARN: writing to the person's terminal
 * is a change, and "would terminate" is what an observing admin needs to know). REFRESH is a read
 * and is handed out in every mode but off, with observe = false.
 *
 * Changes of classification (groups now exempt, a reload changing exempt_groups, state closing)
 * and of mode restart the session from watching. Other config changes apply to pending deadlines
 * at once: a shorter lock_after moves the lock deadline earlier (possibly to now).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "macro.h"

/* Lead of a text session's warning before its termination (for text_sessions_after > 60 s). */
#define IDLE_WARN_BEFORE_USEC	(60 * USEC_PER_SEC)
/* A REFRESH is handed out again this long after it was handed out or failed, until answered. */
#define IDLE_REFRESH_RETRY_USEC (10 * USEC_PER_SEC)
/*
 * Idle starts closer than this to the one known are the same idle start. logind computes a text
 * session's IdleSinceHintMonotonic at every read from the terminal's atime and both clocks, so it
 * differs by a microsecond or so from read to read (seen in tests/system with logind 252); a new
 * idle period after real use starts seconds later (the kernel updates a tty's atime at most
 * every few seconds).
 */
#define IDLE_SINCE_JITTER_USEC	(1 * USEC_PER_SEC)
/* Longest logind session id with its NUL (logind's are "1", "c2", ...); longer ones are refused. */
#define IDLE_SESSION_ID_MAX	64

enum idle_session_kind {
	IDLE_SESSION_IGNORED,
	IDLE_SESSION_EXEMPT,
	IDLE_SESSION_GRAPHICAL,
	IDLE_SESSION_TEXT,
	_IDLE_SESSION_KIND_MAX,
};

enum idle_action_kind {
	IDLE_ACTION_LOCK,	 /* call LockSession */
	IDLE_ACTION_LOCKED,	 /* the lock is verified (LockedHint): record session.locked */
	IDLE_ACTION_LOCK_FAILED, /* record session.lock_failed with decision */
	IDLE_ACTION_TERMINATE,	 /* call TerminateSession, record session.terminated */
	IDLE_ACTION_WARN,	 /* write the coming termination to the session's terminal */
	IDLE_ACTION_REFRESH,	 /* re-read the session's properties, then idle_tracker_update() */
	_IDLE_ACTION_KIND_MAX,
};

enum idle_reason {
	IDLE_REASON_IDLE,	  /* graphical session idle for lock_after */
	IDLE_REASON_SLEEP,	  /* idle_tracker_lock_all() before sleep */
	IDLE_REASON_LOCK_FAILURE, /* TERMINATE after LOCK_FAILED with on_lock_failure = terminate */
	IDLE_REASON_TEXT_IDLE,	  /* text session idle for text_sessions_after */
	_IDLE_REASON_MAX,
};

/*
 * One logind session as the daemon read it, borrowed for the call. The tracker copies what it
 * needs. user, uid, active and remote_host are not part of the decision: the daemon's records take
 * them from its own session table; they are here so that one struct describes a session.
 */
struct idle_session_facts {
	const char *id; /* logind session id, required, shorter than IDLE_SESSION_ID_MAX */
	const char *user;
	uid_t uid;
	const char *class; /* "user", "greeter", "lock-screen", "background", "manager", ... */
	const char *type;  /* "x11", "wayland", "mir", "tty", "unspecified", ... */
	const char *tty;   /* "tty2", "pts/0", NULL or "" when none */
	bool remote;
	const char *remote_host;
	const char *state; /* "online", "active", "closing" */
	bool active;
	bool idle_hint;
	uint64_t idle_since_usec; /* IdleSinceHintMonotonic; 0 = unknown */
	bool locked_hint;
	char *const *groups; /* the user's group names (strv), NULL = unknown */
};

/* An action handed out by idle_tracker_next(). Owns nothing but session. */
struct idle_action {
	enum idle_action_kind kind;
	char session[IDLE_SESSION_ID_MAX]; /* the session id */
	unsigned attempt;		   /* LOCK, LOCKED, LOCK_FAILED: 1 or 2; otherwise 0 */
	enum idle_reason reason;	   /* REFRESH and WARN: TEXT_IDLE */
	enum lock_failure decision;	   /* LOCK_FAILED only: what on_lock_failure says */
	uint64_t idle_usec;    /* how long the session has been idle now (0 when not idle) */
	bool idle_since_known; /* false: the idle start was unknown or in the future */
	bool observe;	       /* idle.mode = observe: record, change nothing */
	/* The key that decided: "lock_after", "grace", "on_lock_failure", "text_sessions_after",
	 * or "sleep" (built-in, place.file NULL). Static. */
	const char *rule;
	struct config_place place; /* FILE:LINE of that key; file borrowed from the config */
	uint64_t deadline_usec;	   /* when the action was due (now minus this = lateness) */
};

struct idle_tracker;

/* Frees t (not its config); accepts NULL; returns NULL. */
struct idle_tracker *idle_tracker_free(struct idle_tracker *t);
DEFINE_FREEP(struct idle_tracker, idle_tracker_free)

/* A tracker with no sessions. c is borrowed and must outlive the tracker (or be replaced with
 * idle_tracker_set_config() first). NULL only on OOM. */
struct idle_tracker *idle_tracker_new(const struct config *c) _malloc_(idle_tracker_free);

/* Replaces the config (reload; c borrowed as for idle_tracker_new()). Sessions whose
 * classification changes, and all sessions when the mode changes, restart from watching; every
 * other pending deadline follows the new durations. Deadlines are computed from the config when
 * asked, so no time is needed here. */
void idle_tracker_set_config(struct idle_tracker *t, const struct config *c);

/*
 * Adds session f->id or replaces its facts (f borrowed). now is when the properties were read: a
 * text session's idle_since is only as fresh as the read, so never pass a cached IdleSinceHint
 * with a newer now. Returns 0, -EINVAL when f->id is NULL, empty or too long, -ENOMEM (then the
 * tracker is unchanged).
 */
int idle_tracker_update(struct idle_tracker *t, const struct idle_session_facts *f, uint64_t now);

/* Forgets session id and anything pending for it (no action). Unknown ids are ignored. */
void idle_tracker_remove(struct idle_tracker *t, const char *id);

/*
 * The daemon could not carry out the last action of session id: LockSession failed (the session
 * is treated as not locked now: the next step is due at once), or a REFRESH re-read failed (it is
 * due again IDLE_REFRESH_RETRY_USEC after now). For other actions (WARN, TERMINATE) nothing is
 * retried: the daemon records the failure. Unknown ids are ignored.
 */
void idle_tracker_call_failed(struct idle_tracker *t, const char *id, uint64_t now);

/* Before sleep: queues LOCK (reason SLEEP) for every GRAPHICAL session that is not locked; hand
 * them out with idle_tracker_next(). Returns the number queued (0 when mode is off). */
unsigned idle_tracker_lock_all(struct idle_tracker *t, uint64_t now);

/*
 * The next due action (deadline <= now; the earliest deadline first) in *ret, and the session's
 * state advanced as if the action was carried out. Returns 1 with *ret filled, 0 when nothing is
 * due (*ret untouched). Call it until it returns 0.
 */
int idle_tracker_next(struct idle_tracker *t, uint64_t now, struct idle_action *ret);

/* When the next action is due; UINT64_MAX when nothing is pending: the daemon sleeps until
 * facts change. A time <= now means idle_tracker_next() has something. O(sessions). */
uint64_t idle_tracker_next_deadline(const struct idle_tracker *t);

/*
 * For `vaktctl sessions`: what is planned for session id and when (*ret_when may be in the past:
 * due now). For a text session this is the WARN or TERMINATE a REFRESH stands for. Returns 1
 * with both filled (either may be NULL), 0 when nothing is planned, -ENOENT for an unknown id.
 */
int idle_tracker_session_next(const struct idle_tracker *t,
			      const char *id,
			      enum idle_action_kind *ret_kind,
			      uint64_t *ret_when);

/* How c treats the session described by f (see the top of this file). */
enum idle_session_kind idle_classify(const struct config *c, const struct idle_session_facts *f);

/* "lock", "locked", "lock-failed", "terminate", "warn", "refresh"; NULL when out of range. */
const char *idle_action_kind_to_string(enum idle_action_kind k);
/* "idle", "sleep", "lock-failure", "text-idle"; NULL when out of range. */
const char *idle_reason_to_string(enum idle_reason r);
/* "ignored", "exempt", "graphical", "text"; NULL when out of range. */
const char *idle_session_kind_to_string(enum idle_session_kind k);
