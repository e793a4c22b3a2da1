#pragma once

/*
 * The one logind client: a table of logind's sessions and seats on one system bus connection,
 * kept current by logind's signals, plus asynchronous method calls. It works against the real
 * org.freedesktop.login1 and against python3-dbusmock's logind template alike.
 *
 * Nothing here waits for logind or for the bus: the connection, every method call and every
 * match are asynchronous and complete in the event loop. The table is "known" only while it is
 * a full copy of logind's: after a complete resync (ListSessions/ListSeats, then GetAll of each
 * object), kept current by SessionNew/SessionRemoved/SeatNew/SeatRemoved and PropertiesChanged.
 * While connecting, while resyncing, while org.freedesktop.login1 has no owner, after a call to
 * logind timed out and while the bus is away, the table is "unknown": lookups answer nothing
 * and each part decides what unknown means to it. A new owner of org.freedesktop.login1
 * (logind restarted) clears the table and resyncs.
 *
 * Timing: every call to logind or the bus gives up after LOGIND_CALL_TIMEOUT_USEC; a connection
 * that is not up after LOGIND_CONNECT_TIMEOUT_USEC is dropped; a missing or lost bus is tried
 * again every LOGIND_RECONNECT_USEC (one access() while the socket does not exist); a resync
 * that failed (logind did not answer) is tried again after LOGIND_RECONNECT_USEC, doubling up
 * to LOGIND_RESYNC_MAX_USEC while it keeps failing.
 *
 * Signals are taken only from the current unique owner of org.freedesktop.login1 (and
 * NameOwnerChanged only from the bus itself), so another client cannot feed the table.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define LOGIND_CALL_TIMEOUT_USEC    (5 * USEC_PER_SEC)
#define LOGIND_CONNECT_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define LOGIND_RECONNECT_USEC	    (5 * USEC_PER_SEC)
#define LOGIND_RESYNC_MAX_USEC	    (60 * USEC_PER_SEC)

struct logind;

/* Which fields of a session an update changed (struct logind_session's changed). */
enum logind_field {
	LOGIND_FIELD_ACTIVE = 1 << 0,
	LOGIND_FIELD_IDLE_HINT = 1 << 1,
	LOGIND_FIELD_IDLE_SINCE = 1 << 2, /* either IdleSinceHint clock */
	LOGIND_FIELD_LOCKED_HINT = 1 << 3,
	LOGIND_FIELD_STATE = 1 << 4,
	/* user, uid, seat, class, type, tty, remote, remote_host, audit, leader */
	LOGIND_FIELD_OTHER = 1 << 5,
};

/*
 * One logind session. Read only for parts; owned by the table, valid until the
 * LOGIND_SESSION_REMOVED or LOGIND_UNKNOWN notification for it has returned (do not keep the
 * pointer across loop iterations: keep the id and look it up again). Strings are never NULL
 * ("" when logind gave none).
 */
struct logind_session {
	char *id;
	char *path; /* logind's object path (escaped: session "1" is .../session/_31) */
	char *user; /* Name */
	uid_t uid;  /* User */
	char *seat; /* Seat, "" when the session has none */
	char *class;
	char *type;
	char *tty;
	bool remote;
	char *remote_host;
	uint32_t audit; /* Audit (the kernel's audit session id), 0 when none */
	pid_t leader;	/* Leader, 0 when unknown */
	bool active;
	bool idle_hint;
	uint64_t idle_since_usec;	    /* IdleSinceHint, CLOCK_REALTIME, 0 when not idle */
	uint64_t idle_since_monotonic_usec; /* IdleSinceHintMonotonic, CLOCK_MONOTONIC */
	bool locked_hint;
	/* TimestampMonotonic: when the session began, 0 unknown. */
	uint64_t timestamp_monotonic_usec;
	/* CLOCK_MONOTONIC when IdleSinceHint was last read from logind (a GetAll or a signal that
	 * carried it). A text session's idle start changes without a signal: it is only as fresh as
	 * this. */
	uint64_t idle_read_usec;
	char *state; /* State: "online", "active", "closing"; logind sends no change signal for it,
		      * so it may be stale: logind_refresh_session() reads it again */
	/* During LOGIND_SESSION_CHANGED: the LOGIND_FIELD_* bits that changed; else 0. */
	unsigned changed;
};

/* One seat. Read only; owned by the table, like struct logind_session. */
struct logind_seat {
	char *id;
	char *path;
	char *active_session; /* ActiveSession's id, "" when none */
};

enum logind_change {
	/* A session appeared; its record is complete. id: the session. */
	LOGIND_SESSION_NEW,
	/* Fields of a session changed (->changed says which). Only sent when something did. */
	LOGIND_SESSION_CHANGED,
	/* A session ended; the record is still readable during the call and freed after it. */
	LOGIND_SESSION_REMOVED,
	/* What logind_seat_active_session() answers for seat id may have changed (ActiveSession
	 * changed, the seat appeared or went away, or its active session's record came or went). */
	LOGIND_SEAT_CHANGED,
	/* The table is complete again (after start, a restart of logind or of the bus): re-read
	 * all of it. No per-session notifications are sent for what the resync found. id: NULL. */
	LOGIND_KNOWN,
	/* The table was cleared and is unknown (logind or the bus went away, or logind did not
	 * answer). No LOGIND_SESSION_REMOVED is sent for the sessions it held. id: NULL. */
	LOGIND_UNKNOWN,
	/* logind's PrepareForSleep(true) and (false). Sent whether or not the table is known. */
	LOGIND_PREPARE_SLEEP,
	LOGIND_RESUME,
};

/* What logind_seat_active_session() knows. */
enum logind_seat_answer {
	LOGIND_SEAT_UNKNOWN, /* the table is unknown, or the seat's active session is not loaded */
	LOGIND_SEAT_NOBODY,  /* known: no such seat, or no active session on it */
	LOGIND_SEAT_SESSION, /* known: this session is active on the seat */
};

/*
 * A subscriber. id (borrowed, valid during the call) names the session or seat, NULL for
 * KNOWN, UNKNOWN, PREPARE_SLEEP and RESUME. It may call any logind_* function except
 * logind_free(), including (un)subscribing itself or others.
 */
typedef void (*logind_change_fn)(struct logind *l,
				 enum logind_change what,
				 const char *id,
				 void *userdata);

/*
 * The answer to a method call: error is 0 or -errno; e (may be NULL, borrowed for the call) is
 * the D-Bus error logind or the bus replied with. A call timed out or cut off by a lost
 * connection reports -ETIMEDOUT or -ECONNRESET.
 */
typedef void (*logind_reply_fn)(int error, const sd_bus_error *e, void *userdata);
/* Inhibit's answer: on success fd >= 0 is the inhibitor, now owned by the callee (close it to
 * release the inhibitor); on error fd is -1. */
typedef void (*logind_inhibit_fn)(int error, const sd_bus_error *e, int fd, void *userdata);

/*
 * Frees l: closes the connection without flushing it and cancels every pending call (no
 * callback is called from now on). Accepts NULL; returns NULL. Not from a callback of l.
 */
struct logind *logind_free(struct logind *l);
DEFINE_FREEP(struct logind, logind_free)

/*
 * A logind client attached to event (borrowed, must outlive l). Starts connecting to the system
 * bus (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket) without waiting; the table
 * becomes known later (LOGIND_KNOWN). When event exits, the bus is closed before sd-bus would
 * flush it, so that a stuck bus daemon cannot hold up the exit. NULL only on OOM.
 */
struct logind *logind_new(sd_event *event) _malloc_(logind_free);

/* Whether the table is a complete, current copy of logind's. */
bool logind_is_known(struct logind *l);

/* The session with this id (borrowed), or NULL when there is none or the table is unknown. */
const struct logind_session *logind_get_session(struct logind *l, const char *id);

/* The session whose Audit property is audit, or NULL (also for 0 and UINT32_MAX, which are no
 * audit session, and when the table is unknown). */
const struct logind_session *logind_session_by_audit(struct logind *l, uint32_t audit);

/*
 * Who is active at seat_id (borrowed; NULL or "" means "seat0"). On LOGIND_SEAT_SESSION,
 * *ret_session (may be NULL) is the session; it is not written otherwise.
 */
enum logind_seat_answer logind_seat_active_session(struct logind *l,
						   const char *seat_id,
						   const struct logind_session **ret_session);

/* Iteration: the first session (prev NULL) or the one after prev; NULL at the end and while the
 * table is unknown. The table does not change during one callback. Same for seats. */
const struct logind_session *logind_sessions_next(struct logind *l,
						  const struct logind_session *prev);
const struct logind_seat *logind_seats_next(struct logind *l, const struct logind_seat *prev);

/* Calls fn(l, what, id, userdata) on every change from now on. Returns 0, -EINVAL when fn is
 * NULL, -EEXIST when this fn and userdata are subscribed already, or -ENOMEM. */
int logind_subscribe(struct logind *l, logind_change_fn fn, void *userdata);
/* Stops that; takes effect at once, also during a notification. Returns 0 or -ENOENT. */
int logind_unsubscribe(struct logind *l, logind_change_fn fn, void *userdata);

/*
 * Asynchronous calls to logind. Each returns 0 when the call was sent: then cb (may be NULL
 * where noted) is called exactly once with userdata, from the event loop, unless the call is
 * cancelled with logind_cancel() or l is freed or its event loop exits first. It returns
 * -ENOTCONN (and cb is not called) when logind cannot be asked now: no bus, or no owner of
 * org.freedesktop.login1; -ENOMEM or another -errno when the call could not be sent.
 */

/* Manager.LockSession(id) and Manager.TerminateSession(id); cb may be NULL. */
int logind_lock_session(struct logind *l, const char *id, logind_reply_fn cb, void *userdata);
int logind_terminate_session(struct logind *l, const char *id, logind_reply_fn cb, void *userdata);

/*
 * Reads session id (which must be in the table: else -ENOENT) from logind again. The table is
 * updated first (LOGIND_SESSION_CHANGED if a field changed, LOGIND_SESSION_REMOVED if logind no
 * longer knows the session), then cb (may be NULL) is called.
 */
int logind_refresh_session(struct logind *l, const char *id, logind_reply_fn cb, void *userdata);

/* Manager.Inhibit("sleep", who, why, "delay"): a delay lock on sleep, handed to cb (not NULL:
 * -EINVAL) as a file descriptor. who and why are borrowed. */
int logind_inhibit_sleep(
	struct logind *l, const char *who, const char *why, logind_inhibit_fn cb, void *userdata);

/* Cancels every pending call made with this userdata: their callbacks will not be called (for
 * instance when the part's state for a session is freed). Returns how many were cancelled. */
int logind_cancel(struct logind *l, const void *userdata);
