#pragma once

/* Classification of assembled audit events into vakt events; see auditrec.h for the pipeline. */

#include <stdbool.h>
#include <stdint.h>

#include "auditasm.h"
#include "auditrec.h"
#include "events.h"
#include "macro.h"

/*
 * Audit rule keys vakt's rules use (conf/audit/50-vakt.rules). A key matches when it is
 * "vakt-ROLE" or "vakt-test-ROLE", optionally followed by "-anything" (e.g. vakt-watch-passwd):
 *   watch:  -w PATH -p wa -k vakt-watch                                  -> file.changed
 *   mount:  -a always,exit -S mount,umount2 -k vakt-mount                -> MOUNT
 *   module: -a always,exit -S init_module,finit_module,delete_module -k vakt-module -> MODULE
 *   setuid: -a always,exit -S execve -C uid!=euid -F auid>=1000 -F auid!=unset -k vakt-setuid
 * Mount and module syscalls (x86_64) and setuid execs are recognised without the key too.
 */
#define AUDITCLASS_KEY_WATCH  "watch"
#define AUDITCLASS_KEY_MOUNT  "mount"
#define AUDITCLASS_KEY_MODULE "module"
#define AUDITCLASS_KEY_SETUID "setuid"

enum auditclass_kind {
	AUDITCLASS_NONE,
	AUDITCLASS_SUDO,	    /* privilege.sudo */
	AUDITCLASS_SU,		    /* privilege.su */
	AUDITCLASS_PKEXEC,	    /* privilege.pkexec */
	AUDITCLASS_AUTH_FAILED,	    /* auth.failed */
	AUDITCLASS_ACCOUNT_CHANGED, /* account.changed */
	AUDITCLASS_FILE_CHANGED,    /* file.changed */
	AUDITCLASS_RULES_CHANGED,   /* audit.rules_changed */
	AUDITCLASS_MOUNT,	    /* privilege.mount (beyond SPEC.md) */
	AUDITCLASS_MODULE,	    /* privilege.module (beyond SPEC.md) */
	AUDITCLASS_SETUID,	    /* privilege.setuid (beyond SPEC.md) */
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
	uint32_t auid; /* the person (login uid): never root's 0 stand-in for sudo */
	uint32_t uid;  /* the process's uid */
	uint32_t euid; /* SYSCALL only */
	uint32_t ses;
	uint32_t pid;
	char *comm;
	char *exe;
	char *command; /* sudo/su/pkexec command, EXECVE/proctitle, or useradd & co. op */
	char *cwd;
	char *target_user; /* run-as (sudo/su), the account changed, or the account that failed */
	char *file;	   /* file.changed path; mount target; module name */
	char *terminal;
	char *hostname;
	char *addr;
	char *key; /* the audit rule key, if any */
	char *op;  /* op= of the record (PAM:authentication, add_rule, ...) or syscall name */
	uint32_t target_id; /* account.changed: the id= of the account or group, when given */
	bool has_result;
	bool success;
	bool counts_as_failure; /* auth.failed that counts for failed_auth_burst */
	bool attribute_change;	/* file.changed: attributes (chmod/chown/setxattr), not contents */
};

/* Frees the strings of *f and zeroes it; accepts a zeroed struct. */
void auditclass_facts_done(struct auditclass_facts *f);

struct auditclass;

/* A classifier (it keeps a little bounded state: sudo commands waiting for their run-as user,
 * recent failed authentications per process). NULL only on OOM. */
struct auditclass *auditclass_free(struct auditclass *c);
struct auditclass *auditclass_new(void) _malloc_(auditclass_free);
DEFINE_FREEP(struct auditclass, auditclass_free)

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
