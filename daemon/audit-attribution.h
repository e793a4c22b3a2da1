#pragma once

/*
 * Who and where: audit uid -> login name (NSS, cached), audit session -> logind session (seat,
 * tty, remote host; from logind's table, logind.h, kept per audit session after it ends), the
 * remote host and terminal seen on login records per audit session, and the systemd unit of a
 * process from its cgroup. Every cache has a fixed size, so memory stays bounded whatever the
 * input. When logind's table is unknown, only what the audit records say is used.
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

/* The login name of uid, or NULL when NSS knows none. Valid until the next call on a. */
const char *attribution_user_name(struct attribution *a, uint32_t uid);

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

/* "pts/0" for "/dev/pts/0"; NULL for NULL, "", "?", "(none)" and "none". Points into tty. */
const char *attribution_tty(const char *tty);
