#pragma once

/*
 * `systemctl reload vaktd` must fail when the new policy is refused, but the reload itself is
 * SIGHUP to the running daemon, which answers nobody. So the daemon writes the outcome of each
 * reload to RUNTIME_DIR/reload, and `vaktd --reload PID` (the unit's ExecReload=) signals it and
 * waits for that answer.
 *
 * The file: a first line "GENERATION loaded|refused", GENERATION the daemon's CLOCK_MONOTONIC in
 * microseconds when it finished the reload (it only grows, also across restarts), then the
 * problems of a refused policy, one "FILE:LINE: message" per line. Written atomically (a
 * temporary file renamed over it).
 */

#include <stdbool.h>
#include <sys/types.h>

/* The daemon: records the outcome of the reload it just finished. Returns 0 or -errno. */
int reload_result_write(const char *runtime_dir, bool loaded, char *const *errors);

/*
 * `vaktd --reload PID`: sends SIGHUP to pid and waits (at most RELOAD_WAIT_USEC) for the daemon
 * to write a newer outcome; prints it (the problems on stderr). Returns the exit code:
 * EXIT_SUCCESS when the new policy was loaded, EXIT_INVALID when it was refused,
 * EXIT_RUNTIME when the daemon cannot be signalled or did not answer.
 */
int reload_request(const char *runtime_dir, pid_t pid);
