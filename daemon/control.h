#pragma once

/*
 * The control socket: RUNTIME_DIR/control (lib/control-proto.h has the protocol), for vaktctl(8).
 *
 * Every request is hostile input and nothing here waits: the listening socket and every client
 * are non-blocking sd-event sources; a client has CONTROL_CLIENT_TIMEOUT_USEC from connecting to
 * reading all of its reply, then it is dropped; at most CONTROL_MAX_CLIENTS are served at once
 * and one more is told "busy" (when the socket takes it) and closed. A reply is built at once
 * from the parts' state (nothing is computed in the background) and written as the client
 * reads it.
 *
 * Authorisation, from the peer's credentials (SO_PEERCRED) for every request: root and members of
 * [vakt] admin_groups see everything; anyone else sees only their own sessions and the devices
 * decided for them.
 */

#include "macro.h"

#define CONTROL_CLIENT_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define CONTROL_MAX_CLIENTS	    32

struct control;
struct manager;

/* Listens on manager_options(m)->runtime_dir/control. Returns 0 and *ret; -ENOMEM; another
 * -errno when the socket cannot be created (logged: vaktd runs on without it). */
int control_new(struct manager *m, struct control **ret);
/* Closes the socket and every client; accepts NULL; returns NULL. */
struct control *control_free(struct control *c);
