#pragma once

/*
 * The person at a seat: the active session on that seat according to logind (over sd-bus, so it
 * works against the real org.freedesktop.login1 and against a test's mock alike), with the user's
 * groups from NSS. Nobody when the seat has no active session, when logind cannot be asked, or
 * when the answer makes no sense: the storage policy then treats the seat as empty (fail closed).
 */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

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

/* A lazily connected system bus handle; NULL on OOM. Connects on first use and again after a
 * failure, so a logind that starts later is found. */
struct seat_bus *seat_bus_free(struct seat_bus *b);
DEFINE_FREEP(struct seat_bus, seat_bus_free)
struct seat_bus *seat_bus_new(void) _malloc_(seat_bus_free);

/*
 * Fills *ret (caller calls seat_person_done()) with the person at seat_id (borrowed; NULL or ""
 * means "seat0"). Never fails: every problem yields "nobody", and *reterr_why (may be NULL) then
 * points to a static English explanation ("no active session", "cannot reach logind", ...) or is
 * NULL when the seat is simply empty. Calls are bounded by a short timeout.
 */
void seat_bus_lookup(struct seat_bus *b,
		     const char *seat_id,
		     struct seat_person *ret,
		     const char **reterr_why);
