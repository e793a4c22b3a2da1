#pragma once

/*
 * The store of written dispensations (lib/dispensation.h), part of the storage part
 * (storage-dispensation.c): the file STATE_DIR/dispensations, loaded at start, written atomically
 * on every change, expiry on a CLOCK_REALTIME timer at the next not_after (no polling), and the
 * records dispensation.granted, dispensation.revoked and dispensation.expired. Every change
 * decides the present USB devices again.
 *
 * The daemon API (the control socket calls it): all three work only while the storage part runs
 * (enforce or observe mode); otherwise grant and revoke refuse with -ENOTCONN and say why, and
 * next returns NULL.
 */

#include <sys/types.h>

#include "dispensation.h"

struct manager;
struct storage;

/*
 * Validates d (its id is ignored: a new one is made), stores it, decides the present devices
 * again and writes dispensation.granted. Returns 0 and the new id in *ret_id (malloc'd), or a
 * negative errno and *ret_error (malloc'd) saying why in one sentence.
 */
int storage_dispensation_grant(struct manager *m,
			       const struct dispensation *d,
			       char **ret_id,
			       char **ret_error);

/*
 * Ends dispensation id at the request of by_user (by_uid): removes it, decides the present
 * devices again and writes dispensation.revoked. Returns 0, or a negative errno (-ENOENT: no such
 * dispensation) and *ret_error (malloc'd).
 */
int storage_dispensation_revoke(
	struct manager *m, const char *id, const char *by_user, uid_t by_uid, char **ret_error);

/* The current dispensations in expiry order: the first with prev = NULL, then the one after
 * prev; NULL after the last (or when storage is off). Valid until the next change. */
const struct dispensation *storage_dispensation_next(struct manager *m,
						     const struct dispensation *prev);

/* ---- internal to the storage part ---- */

/* At start, before coldplug: reads the file (faults reported, the valid entries kept), expires
 * what ended while vaktd was not running, arms the timer and gives the list to s->policy. Logs its
 * own errors; returns 0 (a store that cannot be read leaves vaktd without dispensations, never
 * down) or -ENOMEM. */
int storage_dispensations_start(struct storage *s);

/* Frees the list and the timer. */
void storage_dispensations_stop(struct storage *s);
