#include "auditclass.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Classification of events into vakt events. Most events decide alone; two wait briefly:
 *   - sudo's USER_CMD names no run-as user; the CRED_REFR/USER_START of the same process right
 *     after it does (acct=), so the command is held until then (or HOLD_USEC);
 *   - one useradd/userdel/... writes several records (ADD_GROUP, ADD_USER, ADD_USER home): the
 *     records of one process are merged into one account.changed.
 * Failed authentication is counted once per attempt: USER_AUTH res=failed is the attempt; a
 * USER_LOGIN/USER_ERR failure of a process that already failed USER_AUTH is the same attempt, and
 * sudo's final USER_CMD res=failed is reported as privilege.sudo (failed), never as a failure.
 *
 * snprintf(), memcpy() and memmove() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#define HOLD_USEC   (1 * USEC_PER_SEC)
#define READY_MAX   64
#define HELD_MAX    32
#define FAILS_MAX   64
#define STRING_MAX  4096
#define COMMAND_MAX 4096

enum held_kind {
	HELD_SUDO,
	HELD_ACCOUNT,
};

struct held {
	enum held_kind kind;
	uint32_t pid;
	uint64_t deadline;
	uint64_t sec; /* audit time */
	struct auditclass_facts facts;
};

struct fail_pid {
	uint32_t pid;
	uint64_t sec;
};

struct auditclass {
	struct auditclass_facts ready[READY_MAX];
	size_t ready_head, n_ready;
	struct held held[HELD_MAX];
	size_t n_held;
	struct fail_pid fails[FAILS_MAX];
	size_t fails_next;
	uint64_t newest_sec;
	uint64_t dropped;
	bool oom; /* a string could not be copied while classifying */
};

enum event_id auditclass_kind_to_event(enum auditclass_kind k)
{
	/* No default: -Wswitch names a new kind without an event here. */
	switch (k) {
	case AUDITCLASS_SUDO:
		return EVENT_PRIVILEGE_SUDO;
	case AUDITCLASS_SU:
		return EVENT_PRIVILEGE_SU;
	case AUDITCLASS_PKEXEC:
		return EVENT_PRIVILEGE_PKEXEC;
	case AUDITCLASS_AUTH_FAILED:
		return EVENT_AUTH_FAILED;
	case AUDITCLASS_ACCOUNT_CHANGED:
		return EVENT_ACCOUNT_CHANGED;
	case AUDITCLASS_FILE_CHANGED:
		return EVENT_FILE_CHANGED;
	case AUDITCLASS_RULES_CHANGED:
		return EVENT_AUDIT_RULES_CHANGED;
	case AUDITCLASS_MOUNT:
		return EVENT_PRIVILEGE_MOUNT;
	case AUDITCLASS_MODULE:
		return EVENT_PRIVILEGE_MODULE;
	case AUDITCLASS_SETUID:
		return EVENT_PRIVILEGE_SETUID;
	case AUDITCLASS_NONE:
	case AUDITCLASS_LOGIN:
	case _AUDITCLASS_KIND_MAX:
		break;
	}
	return _EVENT_INVALID;
}

void auditclass_facts_done(struct auditclass_facts *f)
{
	free(f->comm);
	free(f->exe);
	free(f->command);
	free(f->cwd);
	free(f->target_user);
	free(f->file);
	free(f->terminal);
	free(f->hostname);
	free(f->addr);
	free(f->key);
	free(f->op);
	*f = (struct auditclass_facts){ 0 };
}

struct auditclass *auditclass_free(struct auditclass *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_ready; i++)
		auditclass_facts_done(&c->ready[(c->ready_head + i) % READY_MAX]);
	for (size_t i = 0; i < c->n_held; i++)
		auditclass_facts_done(&c->held[i].facts);
	free(c);
	return NULL;
}

struct auditclass *auditclass_new(void)
{
	return calloc(1, sizeof(struct auditclass));
}

uint64_t auditclass_dropped(const struct auditclass *c)
{
	return c->dropped;
}

/* ---- Small helpers ---------------------------------------------------------------------- */

static char *dup_or_oom(struct auditclass *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		c->oom = true;
	return d;
}

/* Whether a value means "none" in audit records. */
static bool is_none(const char *s)
{
	return !*s || streq(s, "?") || streq(s, "(null)") || streq(s, "(none)");
}

/* A copy of field name of r, hex-decoded when decode; NULL when absent or "?". */
static char *
field_dup(struct auditclass *c, const struct auditrec *r, const char *name, bool decode)
{
	const struct auditrec_field *f = r ? auditrec_find(r, name) : NULL;
	char buf[STRING_MAX];

	if (!f)
		return NULL;
	if (decode)
		(void)auditrec_field_string(f, buf, sizeof(buf));
	else
		(void)auditrec_field_raw(f, buf, sizeof(buf));
	if (is_none(buf))
		return NULL;
	return dup_or_oom(c, buf);
}

static uint32_t field_u32(const struct auditrec *r, const char *name)
{
	uint64_t v;

	if (!r || auditrec_field_uint(auditrec_find(r, name), 10, &v) < 0 || v > UINT32_MAX)
		return AUDITREC_UNSET;
	return (uint32_t)v;
}

/* A new string a + sep + b; NULL on OOM. */
static char *join3(const char *a, const char *sep, const char *b)
{
	size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
	char *s = malloc(la + ls + lb + 1);

	if (!s)
		return NULL;
	memcpy(s, a, la);	 /* NOLINT(bugprone-not-null-terminated-result): ends below */
	memcpy(s + la, sep, ls); /* NOLINT(bugprone-not-null-terminated-result): ends below */
	memcpy(s + la + ls, b, lb + 1);
	return s;
}

static void set_string(char **p, char *s)
{
	free(*p);
	*p = s;
}

/* The last path component of s (s itself without '/'). */
static const char *base_name(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	return slash ? slash + 1 : s;
}

static bool exe_is(const char *exe, const char *name)
{
	return exe && streq(base_name(exe), name);
}

/* res=success|failed (user space), res=1|0 (CONFIG_CHANGE), success=yes|no (SYSCALL). */
static void set_result(struct auditclass_facts *f, const struct auditrec *r)
{
	const struct auditrec_field *res = auditrec_find(r, "res");

	if (!res)
		res = auditrec_find(r, "success");
	if (!res)
		return;
	f->has_result = true;
	f->success = auditrec_field_eq(res, "success") || auditrec_field_eq(res, "yes") ||
		     auditrec_field_eq(res, "1");
}

/*
 * Whether a rule key (as decoded: several keys are joined with 0x01, shown as '?') has role:
 * "vakt-ROLE" or "vakt-test-ROLE", optionally followed by "-anything".
 */
static bool key_has_role(const char *key, const char *role)
{
	size_t n = strlen(role);

	for (const char *k = key; k && *k;) {
		const char *p = k, *next = strchr(k, '?');

		if (strncmp(p, "vakt-", 5) == 0) {
			p += 5;
			if (strncmp(p, "test-", 5) == 0)
				p += 5;
			if (strncmp(p, role, n) == 0 &&
			    (p[n] == '\0' || p[n] == '-' || p[n] == '?'))
				return true;
		}
		k = next ? next + 1 : NULL;
	}
	return false;
}

/* The facts every kind shares, from the deciding record r (and the SYSCALL, if any). */
static void facts_common(struct auditclass *c,
			 struct auditclass_facts *f,
			 enum auditclass_kind kind,
			 const struct auditrec *r)
{
	*f = (struct auditclass_facts){
		.kind = kind,
		.time_usec = r->id.sec * USEC_PER_SEC + (uint64_t)r->id.msec * USEC_PER_MSEC,
		.auid = field_u32(r, "auid"),
		.uid = field_u32(r, "uid"),
		.euid = field_u32(r, "euid"),
		.ses = field_u32(r, "ses"),
		.pid = field_u32(r, "pid"),
		.target_id = AUDITREC_UNSET,
	};
	(void)auditrec_id_format(&r->id, f->audit_id);
	f->comm = field_dup(c, r, "comm", true);
	f->exe = field_dup(c, r, "exe", true);
	f->terminal = field_dup(c, r, "terminal", false);
	if (!f->terminal)
		f->terminal = field_dup(c, r, "tty", false);
	f->hostname = field_dup(c, r, "hostname", false);
	f->addr = field_dup(c, r, "addr", false);
	f->key = field_dup(c, r, "key", true);
	f->op = field_dup(c, r, "op", false);
	set_result(f, r);
}

/* ---- Output queue and held facts ---------------------------------------------------------- */

static void ready_push(struct auditclass *c, struct auditclass_facts *f)
{
	if (c->n_ready == READY_MAX) {
		auditclass_facts_done(&c->ready[c->ready_head]);
		c->ready_head = (c->ready_head + 1) % READY_MAX;
		c->n_ready--;
		c->dropped++;
	}
	c->ready[(c->ready_head + c->n_ready) % READY_MAX] = *f;
	c->n_ready++;
	*f = (struct auditclass_facts){ 0 };
}

static void held_release(struct auditclass *c, size_t i)
{
	ready_push(c, &c->held[i].facts);
	memmove(c->held + i, c->held + i + 1, (c->n_held - i - 1) * sizeof(*c->held));
	c->n_held--;
}

static struct held *held_find(struct auditclass *c, enum held_kind kind, uint32_t pid)
{
	for (size_t i = 0; i < c->n_held; i++)
		if (c->held[i].kind == kind && c->held[i].pid == pid)
			return &c->held[i];
	return NULL;
}

static void
held_add(struct auditclass *c, enum held_kind kind, struct auditclass_facts *f, uint64_t now)
{
	struct held *h;

	if (c->n_held == HELD_MAX)
		held_release(c, 0);
	h = &c->held[c->n_held++];
	*h = (struct held){
		.kind = kind,
		.pid = f->pid,
		.deadline = now + HOLD_USEC,
		.sec = f->time_usec / USEC_PER_SEC,
		.facts = *f,
	};
	*f = (struct auditclass_facts){ 0 };
}

/* ---- User-space records --------------------------------------------------------------------- */

static void remember_failure(struct auditclass *c, uint32_t pid, uint64_t sec)
{
	c->fails[c->fails_next] = (struct fail_pid){ .pid = pid, .sec = sec };
	c->fails_next = (c->fails_next + 1) % FAILS_MAX;
}

/* Whether process pid failed USER_AUTH within the last minute (the same attempt). */
static bool failed_before(const struct auditclass *c, uint32_t pid, uint64_t sec)
{
	for (size_t i = 0; i < FAILS_MAX; i++)
		if (c->fails[i].pid == pid && pid != 0 && pid != AUDITREC_UNSET &&
		    sec - c->fails[i].sec <= 60)
			return true;
	return false;
}

static void classify_auth_failure(struct auditclass *c, const struct auditrec *r)
{
	struct auditclass_facts f;
	uint64_t sec = r->id.sec;
	uint32_t pid = field_u32(r, "pid");

	if (r->type != AUDITREC_TYPE_USER_AUTH && failed_before(c, pid, sec))
		return; /* the USER_AUTH failure of this attempt was reported */
	if (r->type == AUDITREC_TYPE_USER_AUTH)
		remember_failure(c, pid, sec);

	facts_common(c, &f, AUDITCLASS_AUTH_FAILED, r);
	f.target_user = field_dup(c, r, "acct", true);
	f.counts_as_failure = true;
	ready_push(c, &f);
}

static void classify_user_cmd(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	struct auditclass_facts f;
	const char *exe;

	facts_common(c, &f, AUDITCLASS_SUDO, r);
	exe = f.exe;
	if (exe_is(exe, "pkexec"))
		f.kind = AUDITCLASS_PKEXEC;
	f.command = field_dup(c, r, "cmd", true);
	f.cwd = field_dup(c, r, "cwd", true);

	/* A successful command is followed by the records naming its run-as user. */
	if (f.has_result && f.success)
		held_add(c, HELD_SUDO, &f, now);
	else
		ready_push(c, &f);
}

/* CRED_REFR, CRED_ACQ, USER_START: a run-as user for a held sudo, or su/pkexec themselves. */
static void classify_session(struct auditclass *c, const struct auditrec *r)
{
	uint32_t pid = field_u32(r, "pid");
	struct held *h = held_find(c, HELD_SUDO, pid);
	struct auditclass_facts f;

	if (h) {
		if (!h->facts.target_user)
			h->facts.target_user = field_dup(c, r, "acct", true);
		held_release(c, (size_t)(h - c->held));
		return;
	}
	if (r->type != AUDITREC_TYPE_USER_START)
		return;

	facts_common(c, &f, AUDITCLASS_NONE, r);
	if (exe_is(f.exe, "su"))
		f.kind = AUDITCLASS_SU;
	else if (exe_is(f.exe, "pkexec"))
		f.kind = AUDITCLASS_PKEXEC;
	if (f.kind == AUDITCLASS_NONE) {
		auditclass_facts_done(&f);
		return;
	}
	f.target_user = field_dup(c, r, "acct", true);
	ready_push(c, &f);
}

static void classify_login(struct auditclass *c, const struct auditrec *r)
{
	struct auditclass_facts f;

	facts_common(c, &f, AUDITCLASS_LOGIN, r);
	if (f.has_result && !f.success) {
		auditclass_facts_done(&f);
		classify_auth_failure(c, r);
		return;
	}
	f.target_user = field_dup(c, r, "acct", true);
	ready_push(c, &f);
}

static bool is_account_type(int type)
{
	switch (type) {
	case AUDITREC_TYPE_USER_MGMT:
	case AUDITREC_TYPE_USER_CHAUTHTOK:
	case AUDITREC_TYPE_ADD_USER:
	case AUDITREC_TYPE_DEL_USER:
	case AUDITREC_TYPE_ADD_GROUP:
	case AUDITREC_TYPE_DEL_GROUP:
	case AUDITREC_TYPE_GRP_MGMT:
	case AUDITREC_TYPE_GRP_CHAUTHTOK:
	case AUDITREC_TYPE_ACCT_LOCK:
	case AUDITREC_TYPE_ACCT_UNLOCK:
	case AUDITREC_TYPE_USER_ROLE_CHANGE:
	case 1119: /* CHGRP_ID */
	case 1125: /* CHUSER_ID */
		return true;
	default:
		return false;
	}
}

/* Appends "; op" to the held account change unless it is there already. */
static void
account_merge(struct auditclass *c, struct auditclass_facts *held, const struct auditrec *r)
{
	_cleanup_free_ char *op = field_dup(c, r, "op", false);
	struct auditclass_facts tmp = { 0 };

	if (op && (!held->command || !strstr(held->command, op)) &&
	    (!held->command || strlen(held->command) + strlen(op) + 3 < COMMAND_MAX)) {
		char *joined;

		joined = held->command ? join3(held->command, "; ", op) : strdup(op);
		if (!joined)
			c->oom = true;
		else
			set_string(&held->command, joined);
	}
	if (!held->target_user)
		held->target_user = field_dup(c, r, "acct", true);
	if (held->target_id == AUDITREC_UNSET)
		held->target_id = field_u32(r, "id");
	set_result(&tmp, r);
	if (tmp.has_result && !tmp.success)
		held->success = false;
}

static void classify_account(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	uint32_t pid = field_u32(r, "pid");
	struct held *h = held_find(c, HELD_ACCOUNT, pid);
	struct auditclass_facts f;

	if (h) {
		account_merge(c, &h->facts, r);
		return;
	}
	facts_common(c, &f, AUDITCLASS_ACCOUNT_CHANGED, r);
	account_merge(c, &f, r);
	held_add(c, HELD_ACCOUNT, &f, now);
}

static void classify_user(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	bool failed = auditrec_field_eq(auditrec_find(r, "res"), "failed");

	switch (r->type) {
	case AUDITREC_TYPE_USER_AUTH:
	case AUDITREC_TYPE_USER_ERR:
		if (failed)
			classify_auth_failure(c, r);
		return;
	case AUDITREC_TYPE_USER_CMD:
		classify_user_cmd(c, r, now);
		return;
	case AUDITREC_TYPE_CRED_REFR:
	case AUDITREC_TYPE_CRED_ACQ:
	case AUDITREC_TYPE_USER_START:
		classify_session(c, r);
		return;
	case AUDITREC_TYPE_USER_LOGIN:
		classify_login(c, r);
		return;
	default:
		if (is_account_type(r->type))
			classify_account(c, r, now);
		return;
	}
}

/* ---- Kernel events -------------------------------------------------------------------------- */

#define ARCH_X86_64 "c000003e"

struct syscall_name {
	const char *name;
	unsigned nr;
	bool attribute; /* changes attributes, not contents */
};

/* x86_64 numbers of the system calls vakt's rules catch. */
static const struct syscall_name x86_64_syscalls[] = {
	{ "open", 2, false },
	{ "execve", 59, false },
	{ "truncate", 76, false },
	{ "ftruncate", 77, false },
	{ "rename", 82, false },
	{ "mkdir", 83, false },
	{ "rmdir", 84, false },
	{ "creat", 85, false },
	{ "link", 86, false },
	{ "unlink", 87, false },
	{ "symlink", 88, false },
	{ "chmod", 90, true },
	{ "fchmod", 91, true },
	{ "chown", 92, true },
	{ "fchown", 93, true },
	{ "lchown", 94, true },
	{ "utime", 132, true },
	{ "mount", 165, false },
	{ "umount2", 166, false },
	{ "init_module", 175, false },
	{ "delete_module", 176, false },
	{ "setxattr", 188, true },
	{ "lsetxattr", 189, true },
	{ "fsetxattr", 190, true },
	{ "removexattr", 197, true },
	{ "lremovexattr", 198, true },
	{ "fremovexattr", 199, true },
	{ "utimes", 235, true },
	{ "openat", 257, false },
	{ "mkdirat", 258, false },
	{ "fchownat", 260, true },
	{ "futimesat", 261, true },
	{ "unlinkat", 263, false },
	{ "renameat", 264, false },
	{ "linkat", 265, false },
	{ "symlinkat", 266, false },
	{ "fchmodat", 268, true },
	{ "utimensat", 280, true },
	{ "finit_module", 313, false },
	{ "renameat2", 316, false },
	{ "execveat", 322, false },
	{ "openat2", 437, false },
	{ "fchmodat2", 452, true },
};

static const struct syscall_name *syscall_lookup(const struct auditrec *sc)
{
	uint64_t nr;

	if (!auditrec_field_eq(auditrec_find(sc, "arch"), ARCH_X86_64) ||
	    auditrec_field_uint(auditrec_find(sc, "syscall"), 10, &nr) < 0)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(x86_64_syscalls); i++)
		if (x86_64_syscalls[i].nr == nr)
			return &x86_64_syscalls[i];
	return NULL;
}

static bool syscall_is(const struct syscall_name *s, const char *name)
{
	return s && streq(s->name, name);
}

/* The file an event is about: the first PATH that is not a PARENT, made absolute with CWD. */
static char *event_path(struct auditclass *c, const struct auditasm_event *ev)
{
	const struct auditrec *path = NULL, *cwd = auditasm_event_find(ev, AUDITREC_TYPE_CWD);
	_cleanup_free_ char *name = NULL, *dir = NULL;
	char *full;

	for (size_t i = 0; i < ev->n_records; i++) {
		const struct auditrec *r = &ev->records[i];

		if (r->type != AUDITREC_TYPE_PATH)
			continue;
		if (!path)
			path = r;
		if (!auditrec_field_eq(auditrec_find(r, "nametype"), "PARENT")) {
			path = r;
			break;
		}
	}
	name = field_dup(c, path, "name", true);
	if (!name || name[0] == '/')
		return TAKE_PTR(name);
	dir = field_dup(c, cwd, "cwd", true);
	if (!dir)
		return TAKE_PTR(name);
	full = join3(dir, streq(dir, "/") ? "" : "/", name);
	if (!full)
		c->oom = true;
	return full;
}

/* EXECVE a0..aN joined with spaces (long arguments come as aN_len + aN[0], aN[1], ...), else
 * the proctitle. */
static char *event_command(struct auditclass *c, const struct auditasm_event *ev)
{
	const struct auditrec *ex = auditasm_event_find(ev, AUDITREC_TYPE_EXECVE);
	char cmd[COMMAND_MAX], arg[STRING_MAX], name[32];
	size_t len = 0;
	uint64_t argc;

	if (!ex || auditrec_field_uint(auditrec_find(ex, "argc"), 10, &argc) < 0)
		return field_dup(
			c, auditasm_event_find(ev, AUDITREC_TYPE_PROCTITLE), "proctitle", true);

	cmd[0] = '\0';
	for (uint64_t i = 0; i < argc && len + 1 < sizeof(cmd); i++) {
		const struct auditrec_field *f;

		(void)snprintf(name, sizeof(name), "a%" PRIu64, i);
		f = auditrec_find(ex, name);
		if (!f) {
			(void)snprintf(name, sizeof(name), "a%" PRIu64 "[0]", i);
			f = auditrec_find(ex, name);
		}
		if (!f)
			break;
		(void)auditrec_field_string(f, arg, sizeof(arg));
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s%s", i ? " " : "", arg);
	}
	return dup_or_oom(c, cmd);
}

static void classify_config_change(struct auditclass *c,
				   const struct auditasm_event *ev,
				   const struct auditrec *cc,
				   const struct auditrec *sc)
{
	const struct auditrec_field *enabled = auditrec_find(cc, "audit_enabled");
	const struct auditrec_field *old = auditrec_find(cc, "old");
	struct auditclass_facts f;

	/* "op=set audit_enabled=1 old=1" changes nothing. */
	if (enabled && old && enabled->value_len == old->value_len &&
	    memcmp(enabled->value, old->value, old->value_len) == 0)
		return;

	facts_common(c, &f, AUDITCLASS_RULES_CHANGED, sc ? sc : cc);
	set_string(&f.op, field_dup(c, cc, "op", false));
	set_string(&f.key, field_dup(c, cc, "key", true));
	set_result(&f, cc);
	f.auid = field_u32(cc, "auid");
	if (field_u32(cc, "ses") != AUDITREC_UNSET)
		f.ses = field_u32(cc, "ses");
	(void)auditrec_id_format(&ev->id, f.audit_id);
	if (enabled) {
		char what[128], v[32], o[32] = "";

		(void)auditrec_field_raw(enabled, v, sizeof(v));
		if (old)
			(void)auditrec_field_raw(old, o, sizeof(o));
		(void)snprintf(what,
			       sizeof(what),
			       "audit_enabled=%s%s%s",
			       v,
			       old ? " old=" : "",
			       old ? o : "");
		set_string(&f.command, dup_or_oom(c, what));
	}
	ready_push(c, &f);
}

/* Cheapest checks first: nearly every exec is not a setuid one. */
static bool is_setuid_exec(const struct auditrec *sc, const struct syscall_name *nr)
{
	const struct auditrec_field *f;
	uint32_t uid, auid;

	if (!syscall_is(nr, "execve") && !syscall_is(nr, "execveat"))
		return false;
	if (!auditrec_field_eq(auditrec_find(sc, "success"), "yes"))
		return false;
	uid = field_u32(sc, "uid");
	if (uid == field_u32(sc, "euid") && field_u32(sc, "gid") == field_u32(sc, "egid"))
		return false;
	auid = field_u32(sc, "auid");
	if (auid == AUDITREC_UNSET || auid == 0 || uid == 0)
		return false;
	/* sudo, su and pkexec are reported by their own records. */
	f = auditrec_find(sc, "exe");
	if (f) {
		char exe[STRING_MAX];

		(void)auditrec_field_string(f, exe, sizeof(exe));
		if (exe_is(exe, "sudo") || exe_is(exe, "su") || exe_is(exe, "pkexec"))
			return false;
	}
	return true;
}

static void
classify_syscall(struct auditclass *c, const struct auditasm_event *ev, const struct auditrec *sc)
{
	const struct syscall_name *nr = syscall_lookup(sc);
	const struct auditrec *mod = auditasm_event_find(ev, AUDITREC_TYPE_KERN_MODULE);
	const struct auditrec_field *key_field = auditrec_find(sc, "key");
	enum auditclass_kind kind = AUDITCLASS_NONE;
	struct auditclass_facts f;
	char key[STRING_MAX];

	/* Decoded on the stack: most events classify as nothing, and allocate nothing. */
	key[0] = '\0';
	if (key_field)
		(void)auditrec_field_string(key_field, key, sizeof(key));

	if (mod || key_has_role(key, AUDITCLASS_KEY_MODULE) || syscall_is(nr, "init_module") ||
	    syscall_is(nr, "finit_module") || syscall_is(nr, "delete_module"))
		kind = AUDITCLASS_MODULE;
	else if (key_has_role(key, AUDITCLASS_KEY_MOUNT) || syscall_is(nr, "mount") ||
		 syscall_is(nr, "umount2"))
		kind = AUDITCLASS_MOUNT;
	else if (key_has_role(key, AUDITCLASS_KEY_WATCH))
		kind = AUDITCLASS_FILE_CHANGED;
	else if (is_setuid_exec(sc, nr))
		kind = AUDITCLASS_SETUID;
	if (kind == AUDITCLASS_NONE)
		return;

	facts_common(c, &f, kind, sc);
	(void)auditrec_id_format(&ev->id, f.audit_id);
	if (nr)
		set_string(&f.op, dup_or_oom(c, nr->name));
	switch (kind) {
	case AUDITCLASS_MODULE:
		f.file = mod ? field_dup(c, mod, "name", true) : NULL;
		break;
	case AUDITCLASS_FILE_CHANGED:
		f.attribute_change = nr && nr->attribute;
		f.file = event_path(c, ev);
		break;
	case AUDITCLASS_SETUID:
		f.file = f.exe ? dup_or_oom(c, f.exe) : NULL;
		break;
	default:
		f.file = event_path(c, ev);
		break;
	}
	f.command = event_command(c, ev);
	f.cwd = field_dup(c, auditasm_event_find(ev, AUDITREC_TYPE_CWD), "cwd", true);
	ready_push(c, &f);
}

/* ---- Feeding and taking -------------------------------------------------------------------- */

static bool held_expired(const struct auditclass *c, const struct held *h, uint64_t now)
{
	return now >= h->deadline || c->newest_sec > h->sec + HOLD_USEC / USEC_PER_SEC;
}

int auditclass_feed(struct auditclass *c, const struct auditasm_event *ev, uint64_t now_usec)
{
	const struct auditrec *first, *sc, *cc;

	if (ev->n_records == 0)
		return (int)c->n_ready;
	if (ev->id.sec > c->newest_sec)
		c->newest_sec = ev->id.sec;
	c->oom = false;

	first = &ev->records[0];
	sc = auditasm_event_find(ev, AUDITREC_TYPE_SYSCALL);
	cc = auditasm_event_find(ev, AUDITREC_TYPE_CONFIG_CHANGE);
	if (cc)
		classify_config_change(c, ev, cc, sc);
	else if (sc)
		classify_syscall(c, ev, sc);
	else if (auditrec_type_is_single(first->type))
		classify_user(c, first, now_usec);
	else if (first->type == AUDITREC_TYPE_KERN_MODULE)
		classify_syscall(c, ev, first);

	if (c->oom)
		return -ENOMEM;
	return (int)c->n_ready;
}

int auditclass_next(struct auditclass *c,
		    uint64_t now_usec,
		    bool flush_all,
		    struct auditclass_facts *ret_facts)
{
	for (size_t i = 0; i < c->n_held;)
		if (flush_all || held_expired(c, &c->held[i], now_usec))
			held_release(c, i);
		else
			i++;

	if (c->n_ready == 0)
		return 0;
	*ret_facts = c->ready[c->ready_head];
	c->ready[c->ready_head] = (struct auditclass_facts){ 0 };
	c->ready_head = (c->ready_head + 1) % READY_MAX;
	c->n_ready--;
	return 1;
}

uint64_t auditclass_next_deadline(const struct auditclass *c)
{
	uint64_t d = UINT64_MAX;

	if (c->n_ready > 0)
		return 0;
	for (size_t i = 0; i < c->n_held; i++)
		if (c->held[i].deadline < d)
			d = c->held[i].deadline;
	return d;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
