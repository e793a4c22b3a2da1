#pragma once

/*
 * Who and where: audit uid -> login name (NSS, cached; in replay the names the log itself gives
 * first), audit session -> logind session (seat, tty, remote host; from logind's table,
 * logind.h, kept per audit session after it ends), the remote host and terminal seen on login
 * records per audit session, and the systemd unit of a process from its cgroup. And the context
 * a record lacks: recent command lines per process and session (an account tool's arguments).
 * Every cache
 * has a fixed size, so memory stays bounded whatever the input. When logind's table is unknown,
 * only what the audit records say is used.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

struct logind;

struct attribution;

/* Where an audit session is. Strings point into the cache (valid until the next call on the
 * attribution) and are NULL when unknown. */
struct attribution_place {
	const char *session; /* logind session id */
	const char *seat;
	const char *tty;
	const char *remote_host;
};

/* live: read /proc (the daemon); logind (borrowed, must outlive a; NULL for replay, where only
 * NSS and the login records of the input are used). NULL only on OOM. */
struct attribution *attribution_free(struct attribution *a);
struct attribution *attribution_new(bool live, struct logind *logind) _malloc_(attribution_free);
DEFINE_FREEP(struct attribution, attribution_free)

/*
 * The login name of uid, or NULL when none is known. Replaying a log, the names the log itself
 * gave (attribution_learn_user()) come first; this machine's NSS is asked only when the log had
 * none, and then *ret_guessed is set: the name may belong to someone else on the machine the log
 * came from. Live, NSS is the truth and *ret_guessed is false. Valid until the next call on a.
 */
const char *attribution_user_name(struct attribution *a, uint32_t uid, bool *ret_guessed);

/* The same for the id= of an account record: a user (group false) or group id. The names learned
 * with attribution_learn_id() come first in replay. */
const char *
attribution_account_name(struct attribution *a, uint32_t id, bool group, bool *ret_guessed);

/* Replay: remembers the name an enriched log gave for a uid (AUID=, UID=) or for an id= (ID=).
 * "unset", "?" and empty names are ignored. */
void attribution_learn_user(struct attribution *a, uint32_t uid, const char *name);
void attribution_learn_id(struct attribution *a, uint32_t id, const char *name);

/* Remembers the command line of process pid in audit session ses (at audit time usec) for
 * records that lack it: an account tool's arguments (usermod -aG sudo carol) come only with a
 * sudo USER_CMD or a syscall record of the tool. The last 32 are kept for 10 seconds. */
void attribution_remember_command(
	struct attribution *a, uint32_t pid, uint32_t ses, uint64_t usec, const char *command);

/* The remembered command that runs program (a base name: "usermod"; the part of a shell command
 * line that does) of process pid, else the newest one in audit session ses; NULL when none.
 * Valid until the next call on a. */
const char *attribution_command(
	struct attribution *a, uint32_t pid, uint32_t ses, const char *program, uint64_t usec);

/* Remembers what a login record (USER_LOGIN, USER_START, ...) says about audit session ses.
 * NULL, empty and "?" values are ignored. */
void attribution_remember_login(struct attribution *a,
				uint32_t ses,
				const char *hostname,
				const char *addr,
				const char *terminal);

/* Fills *ret_place for audit session ses: logind's session first (its table; a session seen once
 * is remembered after it ends), then what login records said. Never fails: unknown parts are
 * NULL. */
void attribution_place(struct attribution *a, uint32_t ses, struct attribution_place *ret_place);

/* The systemd unit (foo.service, bar.scope) of a live process from /proc/PID/cgroup.
 * Returns 0 and *ret_unit (caller frees), -ENOENT when it has none or is gone (live only). */
int attribution_unit(struct attribution *a, pid_t pid, char **ret_unit);

/* Whether a record's value says something: not NULL, "", "?" or "(none)". */
bool attribution_known(const char *s);

#define ATTRIBUTION_TTY_MAX 64

/* One form for a terminal: "pts/0" for "/dev/pts/0", "pts/0" and the kernel's "pts0"; "tty1" for
 * "/dev/tty1". NULL for NULL, "", "?", "(none)" and "none"; else buf, written. */
const char *attribution_tty(const char *tty, char buf[static ATTRIBUTION_TTY_MAX]);
