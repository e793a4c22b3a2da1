#pragma once

/*
 * The manager owns the sd_event loop, the policy in force and the enforcement parts. Each part
 * (storage, idle, audit) is one adapter with the operations below, registered in manager.c.
 */

#include <stdbool.h>
#include <sys/capability.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "macro.h"

struct manager;

struct part_ops {
	const char *name; /* "storage", "audit", ... */
	/* Whether the part runs under config c (e.g. its mode is not off). */
	bool (*enabled)(const struct config *c);
	/* Capabilities the part needs while running under c; writes at most 8, returns the count.
	 */
	int (*capabilities)(const struct config *c, cap_value_t ret_caps[8]);
	/* Creates the part's state and event sources. Logs its own errors; < 0 aborts start-up. */
	int (*start)(struct manager *m, void **ret_state);
	/* The policy changed (m's config is already the new one, old is the previous one). */
	int (*reload)(struct manager *m, void *state, const struct config *old);
	/* Frees the state and its sources; accepts NULL. */
	void (*stop)(void *state);
};

struct manager_options {
	const char *config_path;
	const char *state_dir;
	const char *runtime_dir;
};

/* Loads the policy and builds the loop; logs why and returns < 0 when that fails. */
int manager_new(const struct manager_options *o,
		struct config *config_consume,
		struct manager **ret);
struct manager *manager_free(struct manager *m);
DEFINE_FREEP(struct manager, manager_free)

/* Starts the enabled parts, drops capabilities, notifies READY=1 and runs until SIGTERM/SIGINT.
 * Returns the exit code. */
int manager_run(struct manager *m);

sd_event *manager_event(struct manager *m);
const struct config *manager_config(struct manager *m);
const struct manager_options *manager_options(struct manager *m);

/* Reports STATUS= to systemd (ignored outside systemd). */
void manager_status(struct manager *m, const char *fmt, ...) _printf_(2, 3);
