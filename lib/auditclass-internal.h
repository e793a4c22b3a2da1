#pragma once

/*
 * Shared by the parts of lib/auditclass, not by its callers:
 *   auditclass.c         the public API: the output queue, held facts, the watch list, feeding;
 *                        the helpers that read fields into facts;
 *   auditclass-user.c    user-space records: sudo, su, pkexec, authentication, accounts, logins;
 *   auditclass-kernel.c  kernel events: files, mounts, modules, setuid programs, root shells and
 *                        their commands, audit uid changes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auditasm.h"
#include "auditclass.h"
#include "auditrec.h"

#define AUDITCLASS_READY_MAX	64
#define AUDITCLASS_HELD_MAX	32
#define AUDITCLASS_AUTHS_MAX	64
#define AUDITCLASS_CMDS_MAX	16
#define AUDITCLASS_SHELLS_MAX	64
#define AUDITCLASS_CHILDREN_MAX 128
#define AUDITCLASS_STRING_MAX	4096
#define AUDITCLASS_COMMAND_MAX	4096

enum auditclass_held_kind {
	AUDITCLASS_HELD_SUDO,	 /* a sudo command waiting for its run-as user */
	AUDITCLASS_HELD_ACCOUNT, /* an account change collecting the records of its process */
	AUDITCLASS_HELD_AUTH,	 /* a failed authentication waiting to be known typed or aborted */
};

struct auditclass_held {
	enum auditclass_held_kind kind;
	uint32_t pid;
	uint64_t deadline;  /* on the caller's clock */
	uint64_t time_usec; /* audit time */
	uint64_t wait_usec;
	struct auditclass_facts facts;
};

/* What one process (sudo, login) did at its password prompts so far. */
struct auditclass_auth {
	uint32_t pid;
	uint64_t time_usec; /* audit time of its latest USER_AUTH */
	unsigned failures;  /* typed wrong passwords, counted */
	bool authenticated;
	bool aborted; /* its latest failure was an aborted prompt */
};

/* A sudo refusal already reported: sudo writes some twice. */
struct auditclass_cmd {
	uint32_t pid;
	uint64_t time_usec;
	uint64_t hash; /* of the record's fields */
};

/* An interactive shell running as root for a person (sudo -i, su -). */
struct auditclass_shell {
	uint32_t pid;
	uint32_t auid;
	uint32_t ses;
};

/* A process already reported as a root command: its later execs are the same command. */
struct auditclass_child {
	uint32_t pid;
	uint32_t shell_pid;
};

struct auditclass {
	struct auditclass_facts ready[AUDITCLASS_READY_MAX];
	size_t ready_head, n_ready;
	struct auditclass_held held[AUDITCLASS_HELD_MAX];
	size_t n_held;
	struct auditclass_auth auths[AUDITCLASS_AUTHS_MAX];
	size_t auths_next;
	struct auditclass_cmd cmds[AUDITCLASS_CMDS_MAX];
	size_t cmds_next;
	struct auditclass_shell shells[AUDITCLASS_SHELLS_MAX];
	size_t shells_next;
	struct auditclass_child children[AUDITCLASS_CHILDREN_MAX];
	size_t children_next;
	char **watch;	      /* normalized absolute paths, NULL-terminated */
	uint64_t newest_usec; /* newest audit time seen */
	uint64_t dropped;
	bool event_cut; /* the event being classified lost bytes or records to the assembly's limits
			 */
	bool oom;	/* a string could not be copied while classifying */
};

/* ---- auditclass.c: helpers ---- */

/* A copy of s, or NULL with c->oom set. */
char *auditclass_strdup(struct auditclass *c, const char *s);

/* A copy of field name of r (r may be NULL), hex-decoded when decode; NULL when absent or one of
 * audit's "none" values ("?", "(null)", "(none)", ""). */
char *
auditclass_field_dup(struct auditclass *c, const struct auditrec *r, const char *name, bool decode);

/* Field name of r (may be NULL) as a decimal uint32_t; AUDITREC_UNSET when absent or invalid. */
uint32_t auditclass_field_u32(const struct auditrec *r, const char *name);

/* The audit time of r in microseconds. */
uint64_t auditclass_time_usec(const struct auditrec *r);

/* Sets has_result and success from res= (success|failed|1|0) or success= (yes|no) of r. */
void auditclass_set_result(struct auditclass_facts *f, const struct auditrec *r);

/* Fills *f (overwriting it) with kind and the facts every kind shares, from record r. */
void auditclass_facts_common(struct auditclass *c,
			     struct auditclass_facts *f,
			     enum auditclass_kind kind,
			     const struct auditrec *r);

/* Whether the last path component of exe is name. */
bool auditclass_exe_is(const char *exe, const char *name);

/* Whether the rule key (decoded: several keys joined by 0x01 show as '?') has a vakt role. */
bool auditclass_key_has_role(const char *key, const char *role);

/* Whether path (absolute, normalized) is a watched path or lies below one. */
bool auditclass_watched(const struct auditclass *c, const char *path);

/* Writes the lexically normalized absolute form of dir + "/" + name (dir NULL or ignored when name
 * is absolute) to buf (size bytes). Returns false when it does not fit or is not absolute. */
bool auditclass_path_normalize(const char *dir, const char *name, char *buf, size_t size);

/* Queues *f as ready (taking its strings; *f is zeroed). */
void auditclass_ready_push(struct auditclass *c, struct auditclass_facts *f);

/* The held facts of kind for pid, or NULL. */
struct auditclass_held *
auditclass_held_find(struct auditclass *c, enum auditclass_held_kind kind, uint32_t pid);

/* Holds *f (taking its strings; *f is zeroed) until now + wait_usec or until released. */
struct auditclass_held *auditclass_held_add(struct auditclass *c,
					    enum auditclass_held_kind kind,
					    struct auditclass_facts *f,
					    uint64_t now,
					    uint64_t wait_usec);

/* Queues held h as ready. */
void auditclass_held_release(struct auditclass *c, struct auditclass_held *h);

/* Drops held h and its facts. */
void auditclass_held_drop(struct auditclass *c, struct auditclass_held *h);

/* ---- auditclass-user.c ---- */

/* Classifies r, a user-space record (a single-record event). */
void auditclass_user(struct auditclass *c, const struct auditrec *r, uint64_t now);

/* ---- auditclass-kernel.c ---- */

/* Classifies a kernel event: sc is its SYSCALL record, or NULL (a KERN_MODULE record alone). */
void auditclass_kernel(struct auditclass *c,
		       const struct auditasm_event *ev,
		       const struct auditrec *sc);

/* Classifies an event with a CONFIG_CHANGE record cc (and its SYSCALL sc, or NULL). */
void auditclass_config_change(struct auditclass *c,
			      const struct auditasm_event *ev,
			      const struct auditrec *cc,
			      const struct auditrec *sc);

/* Classifies an event with a LOGIN record (an audit uid being set). */
void auditclass_loginuid(struct auditclass *c,
			 const struct auditasm_event *ev,
			 const struct auditrec *login);
