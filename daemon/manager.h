#pragma once

/*
 * The manager owns the sd_event loop, the policy in force and the enforcement parts (part.h),
 * which manager.c lists in start order.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "macro.h"

struct logind;
struct manager;
struct notifier;
struct part_ops;

struct manager_options {
	const char *config_path;
	const char *state_dir;
	const char *runtime_dir;
};

/*
 * Loads the policy in o->config_path, or when it is invalid the last valid one saved under
 * o->state_dir, or the built-in default (manager.c says why and how it reports that), and builds
 * the loop. o's strings are borrowed for the manager's lifetime. Logs why and returns < 0 when
 * that fails (out of memory, no event loop).
 */
int manager_new(const struct manager_options *o, struct manager **ret_manager);
struct manager *manager_free(struct manager *m);
DEFINE_FREEP(struct manager, manager_free)

/* Starts the enabled parts, drops capabilities, notifies READY=1 and runs until SIGTERM/SIGINT.
 * Returns the exit code. */
int manager_run(struct manager *m);

sd_event *manager_event(struct manager *m);
/* The one logind client (logind.h), shared by the parts. */
struct logind *manager_logind(struct manager *m);
/* The one notifier (notify-user.h): what the parts tell the person at a seat. */
struct notifier *manager_notifier(struct manager *m);
const struct config *manager_config(struct manager *m);
const struct manager_options *manager_options(struct manager *m);

struct part_ops;
/* The state of part ops (what its start returned) while it runs, else NULL. */
void *manager_part_state(struct manager *m, const struct part_ops *ops);

/* Someone asked, with a command the audit stream shows, to stop vaktd or the whole system. The
 * manager keeps the latest (strings are copied) and names them in vakt.stopped. */
struct manager_stop_request {
	uint32_t uid;	 /* audit uid; UINT32_MAX when unknown */
	const char *who; /* "alice (uid 1001)" */
	const char *user;
	const char *command;
	const char *audit_id;
	const char *tty;
	bool system; /* the command shuts the system down */
};
void manager_note_stop_request(struct manager *m, const struct manager_stop_request *r);

/* For the control socket (control.h). */
/* Where the policy in force comes from: "config", "saved" or "built-in". */
const char *manager_policy_origin(struct manager *m);
/* The STATUS= text ("Enforcing", or which policy runs instead), never NULL. */
const char *manager_status_text(struct manager *m);
/* CLOCK_MONOTONIC when the manager was created. */
uint64_t manager_started_usec(struct manager *m);

/* Reports STATUS= to systemd (ignored outside systemd). */
void manager_status(struct manager *m, const char *fmt, ...) _printf_(2, 3);
