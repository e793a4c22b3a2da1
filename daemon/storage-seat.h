#pragma once

/*
 * The person at a seat: the active session on that seat according to logind (over sd-bus, so it
 * works against the real org.freedesktop.login1 and against a test's mock alike), with the user's
 * groups from NSS. Nobody when the seat has no active session, when logind cannot be asked, or
 * when the answer makes no sense: the storage policy then treats the seat as empty (fail closed).
 *
 * A USB decision never waits long for logind: one lookup (connecting included) is bounded by
 * SEAT_LOOKUP_TIMEOUT_USEC (1 s), and after a lookup ran out of time the next ones answer
 * "nobody" at once for SEAT_BACKOFF_USEC (10 s), so a hung logind costs one second, not one
 * second per device of a hub full of sticks.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define SEAT_LOOKUP_TIMEOUT_USEC (1 * USEC_PER_SEC)
#define SEAT_BACKOFF_USEC	 (10 * USEC_PER_SEC)

struct seat_bus;

/* The person; every string is owned (seat_person_done() frees them), NULL when unknown. */
struct seat_person {
	bool present; /* an active session exists on the seat */
	bool locked;  /* its LockedHint */
	bool remote;
	char *user; /* login name */
	uid_t uid;
	char *session; /* logind session id */
	char *seat;    /* the seat asked about (always set after seat_bus_lookup()) */
	char *tty;
	char *remote_host;
	char **groups; /* strv of group names, primary first; NULL when unknown */
};

/* Frees the strings of p and zeroes it; accepts NULL. */
void seat_person_done(struct seat_person *p);

/* Whether a and b (borrowed) are the same session, or both nobody. */
bool seat_person_same_session(const struct seat_person *a, const struct seat_person *b);

/* Called when a seat's active session may have changed: logind said so, or the bus came back
 * after being lost. It may run from inside seat_bus_lookup() (while the connection completes), so
 * it must not look up itself: it schedules the work. */
typedef void (*seat_changed_fn)(void *userdata);

/* Frees b and closes its connection without waiting for anything; accepts NULL; returns NULL. */
struct seat_bus *seat_bus_free(struct seat_bus *b);
DEFINE_FREEP(struct seat_bus, seat_bus_free)

/*
 * A system bus handle attached to event (borrowed, must outlive b; NULL: no signals, no
 * reconnect timer). Starts connecting at once without waiting; a failed or lost connection is
 * retried in the background and on the next lookup, so a logind that starts later is found.
 * changed (may be NULL) is called with userdata when a seat's ActiveSession changes. Returns
 * NULL on OOM.
 */
struct seat_bus *seat_bus_new(sd_event *event, seat_changed_fn changed, void *userdata)
	_malloc_(seat_bus_free);

/*
 * Fills *ret (caller calls seat_person_done()) with the person at seat_id (borrowed; NULL or ""
 * means "seat0"). Never fails: every problem yields "nobody", and *reterr_why (may be NULL) then
 * points to a static English explanation ("no active session", "cannot reach logind", ...) or is
 * NULL when the seat is simply empty. Bounded by SEAT_LOOKUP_TIMEOUT_USEC (see above).
 */
void seat_bus_lookup(struct seat_bus *b,
		     const char *seat_id,
		     struct seat_person *ret,
		     const char **reterr_why);
