#pragma once

/*
 * The interface of an enforcement part. Each part (storage, audit, ...) lives in the daemon/
 * files that share its prefix and defines its part_ops in its *-part.c; manager.c lists the parts
 * in start order and drives them: start, reload with the new policy, stop.
 */

#include <stdbool.h>
#include <sys/capability.h>

#include "config.h"
#include "idle.h"

struct manager;

struct part_ops {
	const char *name; /* "storage", "audit", ... */
	/* The part's mode under config c (its section's mode =): it runs unless CONFIG_MODE_OFF. */
	enum config_mode (*mode)(const struct config *c);
	/* Capabilities the part needs while running under c; writes at most 8, returns the count.
	 */
	int (*capabilities)(const struct config *c, cap_value_t ret_caps[8]);
	/* Creates the part's state and event sources. Logs its own errors; < 0 aborts start-up. */
	int (*start)(struct manager *m, void **ret_state);
	/* The policy changed (m's config is already the new one, old is the previous one). */
	int (*reload)(struct manager *m, void *state, const struct config *old);
	/* Frees the state and its sources; accepts NULL. */
	void (*stop)(void *state);
	/* Optional. The part is off under the policy now in force: at start (at_start), or after a
	 * reload stopped it. Undoes what vakt set up before vaktd ran (the storage part opens the
	 * USB door the boot-time rule closed), so that the machine behaves as without the part. */
	void (*off)(struct manager *m, bool at_start);
};

extern const struct part_ops storage_part; /* storage-part.c */
extern const struct part_ops idle_part;	   /* idle-part.c */
extern const struct part_ops audit_part;   /* audit-part.c */

/* For the control socket: read-only views of a running part's state (manager_part_state()). */

/* What the idle part plans for session id and when (CLOCK_MONOTONIC; may be past: due now), as
 * idle_tracker_session_next() says. Returns 1, 0 (nothing planned) or -ENOENT. */
int idle_part_session_next(void *state,
			   const char *id,
			   enum idle_action_kind *ret_kind,
			   uint64_t *ret_when);

/* The kernel's lost-records counter as the audit part last read it: true and *ret_lost, false
 * when it has not been read (no audit control socket). */
bool audit_part_lost(void *state, uint32_t *ret_lost);
