#pragma once

/* Internal to the idle part: its records and the terminal warning (idle-records.c). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct idle_action;

/* What a record says about the session (borrowed strings, never NULL: "" when unknown). */
struct idle_who {
	const char *user;
	uid_t uid;
	const char *seat;
	const char *tty;
	const char *remote_host;
	const char *type;
};

/* session.locked: verified by LockedHint, or (observe) what would have been locked. */
void idle_record_locked(const struct idle_action *a, const struct idle_who *w, bool observe);

/* session.lock_failed: refusal is logind's refusal of LockSession, NULL when the session simply
 * did not report LockedHint within grace_usec after each request. */
void idle_record_lock_failed(const struct idle_action *a,
			     const struct idle_who *w,
			     uint64_t grace_usec,
			     const char *refusal);

/* session.terminated: error is logind's refusal, NULL on success (or in observe). */
void idle_record_terminated(const struct idle_action *a,
			    const struct idle_who *w,
			    bool observe,
			    const char *error);

/* Writes the warning that a text session ends at after_usec idle time on its terminal
 * (/dev/TTY, without blocking), and logs that it did (or, observe, would). */
void idle_record_warn(const struct idle_action *a, const struct idle_who *w, uint64_t after_usec);
