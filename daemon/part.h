#pragma once

/*
 * The interface of an enforcement part. Each part (storage, audit, ...) lives in the daemon/
 * files that share its prefix and defines its part_ops in its *-part.c; manager.c lists the parts
 * in start order and drives them: start, reload with the new policy, stop.
 */

#include <stdbool.h>
#include <sys/capability.h>

#include "config.h"

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
