#pragma once

/* Classification of assembled audit events into vakt events; see auditrec.h for the pipeline. */

#include <stdbool.h>
#include <stdint.h>

#include "auditasm.h"
#include "auditrec.h"
#include "events.h"
#include "macro.h"

/*
 * What an event is, is decided from what happened: the system call (its name from libaudit, for
 * the record's arch), its arguments (open flags), result (success, exit), the PATH records and the
 * watch list (auditclass_set_watch()); user-space records by their type and fields. The rule key
 * is only a hint, used where the records cannot decide (an unknown arch; a file named relative to
 * a directory descriptor): the kernel records only the first matching rule's key, so on a host
 * whose baseline rules (CIS, STIG: keys such as identity, scope, actions, privileged, or none) are
 * loaded before vakt's, vakt's keys never appear. A key is a vakt hint when it is "vakt-ROLE" or
 * "vakt-test-ROLE", optionally followed by "-anything" (e.g. vakt-watch-passwd), with ROLE one of:
 *   watch, audit-config  -w PATH -p wa                                 -> file.changed
 *   mount                -S mount,umount2                              -> privilege.mount
 *   module               -S init_module,finit_module,delete_module     -> privilege.module
 *   setuid, rootcmd      -S execve (setuid-root programs; execs as root by a person)
 */
#define AUDITCLASS_KEY_WATCH	    "watch"
#define AUDITCLASS_KEY_AUDIT_CONFIG "audit-config"
#define AUDITCLASS_KEY_MOUNT	    "mount"
#define AUDITCLASS_KEY_MODULE	    "module"

enum auditclass_kind {
	AUDITCLASS_NONE,
	AUDITCLASS_SUDO,	     /* privilege.sudo */
	AUDITCLASS_SU,		     /* privilege.su */
	AUDITCLASS_PKEXEC,	     /* privilege.pkexec */
	AUDITCLASS_AUTH_FAILED,	     /* auth.failed */
	AUDITCLASS_ACCOUNT_CHANGED,  /* account.changed */
	AUDITCLASS_FILE_CHANGED,     /* file.changed */
	AUDITCLASS_RULES_CHANGED,    /* audit.rules_changed */
	AUDITCLASS_MOUNT,	     /* privilege.mount (beyond SPEC.md) */
	AUDITCLASS_MODULE,	     /* privilege.module (beyond SPEC.md) */
	AUDITCLASS_SETUID,	     /* privilege.setuid (beyond SPEC.md) */
	AUDITCLASS_ROOT_COMMAND,     /* privilege.root_command: typed in a person's root shell */
	AUDITCLASS_LOGINUID_CHANGED, /* audit.loginuid_changed: an audit uid set before replaced */
	AUDITCLASS_LOGIN, /* no event: a login's ses/addr/hostname/terminal for attribution */
	_AUDITCLASS_KIND_MAX,
};

/* The vakt event of a kind (EVENT_PRIVILEGE_SUDO, ...); _EVENT_INVALID for NONE and LOGIN, which
 * are not recorded. */
enum event_id auditclass_kind_to_event(enum auditclass_kind k);

/*
 * The facts of one classified event. Numbers are AUDITREC_UNSET when absent; strings are NULL
 * when absent, else owned by the struct (auditclass_facts_done() frees them). Strings are decoded
 * (hex) and raw: no name resolution.
 */
struct auditclass_facts {
	enum auditclass_kind kind;
	char audit_id[AUDITREC_ID_MAX]; /* "SECONDS.MILLIS:SERIAL" of the deciding record */
	uint64_t time_usec;		/* audit timestamp of that record */
	uint32_t auid; /* the person (login uid): never root's 0 stand-in for sudo; for
			  loginuid_changed the audit uid that was replaced (who did it) */
	uint32_t uid;  /* the process's uid */
	uint32_t euid; /* SYSCALL only */
	uint32_t ses;  /* audit session; loginuid_changed: the one that was replaced */
	uint32_t pid;
	uint32_t ppid; /* SYSCALL only; root_command: the root shell the command was typed in */
	char *comm;
	char *exe;
	char *command; /* sudo/su/pkexec command, EXECVE (whole arguments) or proctitle, or useradd
			  & co. op */
	char *cwd;
	char *target_user; /* run-as (sudo/su), the account changed, or the account that failed */
	char *file;	   /* file.changed path; mount target; module name; setuid program */
	char *terminal;
	char *hostname;
	char *addr;
	char *key; /* the audit rule key, if any (a hint: not vakt's when a site rule came first) */
	char *op;  /* op= of the record (PAM:authentication, add_rule, ...) or syscall name */
	uint32_t target_id;	/* account.changed: the id= of the account or group, when given;
				   loginuid_changed: the new audit uid */
	uint32_t target_ses;	/* loginuid_changed: the new audit session */
	unsigned auth_failures; /* sudo: wrong passwords typed in this run before the record */
	bool has_result;
	bool success;
	bool counts_as_failure; /* auth.failed that counts for failed_auth_burst */
	bool attribute_change;	/* file.changed: attributes (chmod/chown/setxattr), not contents */
	bool authenticated;	/* sudo: the password was accepted (a failure is then a refusal by
				   the sudoers policy) */
	bool aborted; /* sudo: the password prompt was aborted (Ctrl-C, Ctrl-D, no terminal),
			 no password was typed at it; see auditclass.c */
	bool cut; /* a record of the event was longer than the assembly's cut and was shortened, or
		     records were dropped: values may be incomplete (report it, e.g. audit.lost) */
};

/* Frees the strings of *f and zeroes it; accepts a zeroed struct. */
void auditclass_facts_done(struct auditclass_facts *f);

struct auditclass;

/* A classifier (it keeps a little bounded state: sudo commands waiting for their run-as user,
 * recent authentications per process, a person's root shells). Its watch list is empty: call
 * auditclass_set_watch(). NULL only on OOM. */
struct auditclass *auditclass_free(struct auditclass *c);
struct auditclass *auditclass_new(void) _malloc_(auditclass_free);
DEFINE_FREEP(struct auditclass, auditclass_free)

/*
 * Sets the paths whose writes and attribute changes are file.changed (the [audit] watch list; a
 * directory covers everything below it), whatever rule recorded them. /etc/audit (the path of
 * vakt's own vakt-audit-config rule) is always watched. watch is NULL-terminated, borrowed
 * (copied). Paths are compared as written, made lexically absolute ("//", "/./", "/../"
 * resolved; symbolic links are not: a write through a link elsewhere is matched only by vakt's
 * own rule key). Returns 0, -EINVAL for a relative path, -ENOMEM (then the old list stays).
 */
int auditclass_set_watch(struct auditclass *c, char *const *watch);

/* Feeds one event (borrowed). Returns the number of facts now ready (>= 0) or -ENOMEM. */
int auditclass_feed(struct auditclass *c, const struct auditasm_event *ev, uint64_t now_usec);

/*
 * Takes the next ready facts into *ret_facts (caller calls auditclass_facts_done()). A sudo command
 * waits for the records naming its run-as user for up to 1 s (or until flush_all). Returns 1 with
 * *ret_facts filled, 0 when nothing is ready, -ENOMEM.
 */
int auditclass_next(struct auditclass *c,
		    uint64_t now_usec,
		    bool flush_all,
		    struct auditclass_facts *ret_facts);

/* When held facts will be released without further input; UINT64_MAX when none. */
uint64_t auditclass_next_deadline(const struct auditclass *c);

/* Facts dropped because the caller did not take them (more than 64 waiting). */
uint64_t auditclass_dropped(const struct auditclass *c);
