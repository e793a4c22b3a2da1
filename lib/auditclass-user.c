/*
 * User-space records: sudo (USER_CMD), su and pkexec (USER_START), failed authentications
 * (USER_AUTH, USER_LOGIN, USER_ERR), logins, account changes. See auditclass-internal.h.
 *
 * One attempt, one record. Failed authentication is counted once per password typed: USER_AUTH
 * res=failed is the attempt; a USER_LOGIN or USER_ERR failure of a process that already failed
 * USER_AUTH is the same attempt; sudo's final USER_CMD res=failed is privilege.sudo (failed),
 * never a failure of its own, and when sudo writes it twice (a person not in sudoers who typed
 * wrong passwords: two identical records in the same millisecond) it is reported once.
 *
 * Aborted password prompts. A prompt answered with Ctrl-C or Ctrl-D, or that sudo cannot show
 * (no terminal), is not a wrong password, and must neither be reported as one nor count towards
 * failed_auth_burst. What the captures of tests/data/audit show (sudo 1.9.13, Linux-PAM 1.5.2,
 * pam_unix without nodelay):
 *   - sudo: libpam writes USER_AUTH res=failed in both cases, with the same fields. After a typed
 *     wrong password, pam_unix's failure delay (2 s, randomised by libpam to 1-3 s) follows, and
 *     only then does sudo prompt again (the next USER_AUTH) or give up (USER_CMD res=failed).
 *     After an aborted prompt sudo gives up at once: its USER_CMD res=failed follows in the same
 *     millisecond. Rule: a USER_AUTH failure of sudo that its USER_CMD res=failed follows within
 *     ABORT_GAP_USEC is an aborted prompt: no auth.failed, no count, and the sudo record says
 *     aborted. A sudo USER_AUTH failure is held up to AUTH_HOLD_USEC to see what follows.
 *   - su: Ctrl-C ends su before PAM returns (no record at all); Ctrl-D gives USER_AUTH
 *     res=failed exactly like a wrong password, and nothing follows either: counted.
 *   - login: Ctrl-C ends login without a record; Ctrl-D gives USER_AUTH and USER_LOGIN
 *     res=failed after pam_faildelay's delay, exactly like a wrong password: counted.
 * Limits: with pam_unix "nodelay" (and no pam_faildelay) the last of sudo's passwd_tries wrong
 * passwords is followed by USER_CMD at once too and is taken for an abort (one failure too few);
 * su and login aborted with Ctrl-D count as one failed attempt; records arriving out of order
 * (USER_CMD more than AUTH_HOLD_USEC after its USER_AUTH on the caller's clock) count the abort.
 *
 * snprintf(), memcpy() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#include <stdlib.h>
#include <string.h>

#include "auditclass-internal.h"

#define HOLD_USEC      (1 * USEC_PER_SEC)    /* a sudo command waits for its run-as user */
#define AUTH_HOLD_USEC (500 * USEC_PER_MSEC) /* a sudo USER_AUTH failure waits for USER_CMD */
#define ABORT_GAP_USEC                                                                         \
	(250 * USEC_PER_MSEC)		   /* USER_CMD this soon after: the prompt was aborted \
					    */
#define SAME_TRY_USEC  (60 * USEC_PER_SEC) /* USER_LOGIN/USER_ERR after USER_AUTH: same try */
#define AUTH_KEEP_USEC (UINT64_C(15) * 60 * USEC_PER_SEC) /* prompts remembered */
#define DUPLICATE_USEC (1 * USEC_PER_SEC) /* an identical USER_CMD this soon: the same one */

/* ---- Per-process authentication state ------------------------------------------------------ */

static struct auditclass_auth *auth_find(struct auditclass *c, uint32_t pid, uint64_t t)
{
	if (pid == 0 || pid == AUDITREC_UNSET)
		return NULL;
	for (size_t i = 0; i < AUDITCLASS_AUTHS_MAX; i++) {
		struct auditclass_auth *a = &c->auths[i];

		if (a->pid == pid && t >= a->time_usec && t - a->time_usec <= AUTH_KEEP_USEC)
			return a;
	}
	return NULL;
}

static struct auditclass_auth *auth_get(struct auditclass *c, uint32_t pid, uint64_t t)
{
	struct auditclass_auth *a = auth_find(c, pid, t);

	if (a || pid == 0 || pid == AUDITREC_UNSET)
		return a;
	a = &c->auths[c->auths_next];
	c->auths_next = (c->auths_next + 1) % AUDITCLASS_AUTHS_MAX;
	*a = (struct auditclass_auth){ .pid = pid, .time_usec = t };
	return a;
}

static bool is_sudo(const struct auditclass_facts *f)
{
	return auditclass_exe_is(f->exe, "sudo");
}

static void classify_auth_failure(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	uint64_t t = auditclass_time_usec(r);
	uint32_t pid = auditclass_field_u32(r, "pid");
	struct auditclass_auth *a = auth_find(c, pid, t);
	struct auditclass_facts f;

	if (r->type != AUDITREC_TYPE_USER_AUTH && a && a->failures > 0 &&
	    t - a->time_usec <= SAME_TRY_USEC)
		return; /* the USER_AUTH failure of this attempt was reported */

	auditclass_facts_common(c, &f, AUDITCLASS_AUTH_FAILED, r);
	/* sudo -n and sudo refused by sudoers close PAM with USER_ERR op=PAM:bad_ident: no password
	 * was asked for; sudo's USER_CMD is the record of that. */
	if (r->type == AUDITREC_TYPE_USER_ERR && is_sudo(&f)) {
		auditclass_facts_done(&f);
		return;
	}
	f.target_user = auditclass_field_dup(c, r, "acct", true);
	if (r->type == AUDITREC_TYPE_USER_AUTH) {
		a = auth_get(c, pid, t);
		if (a) {
			a->time_usec = t;
			a->failures++;
			a->aborted = false;
		}
		if (is_sudo(&f)) {
			struct auditclass_held *h =
				auditclass_held_find(c, AUDITCLASS_HELD_AUTH, pid);

			/* sudo prompted again: the failure before was typed. */
			if (h)
				auditclass_held_release(c, h);
			/* Typed or aborted: USER_CMD right after it will tell. */
			(void)auditclass_held_add(c, AUDITCLASS_HELD_AUTH, &f, now, AUTH_HOLD_USEC);
			return;
		}
	}
	f.counts_as_failure = true;
	auditclass_ready_push(c, &f);
}

static void classify_auth_success(struct auditclass *c, const struct auditrec *r)
{
	uint64_t t = auditclass_time_usec(r);
	struct auditclass_auth *a = auth_get(c, auditclass_field_u32(r, "pid"), t);

	if (a) {
		a->time_usec = t;
		a->authenticated = true;
	}
}

/* ---- sudo, su, pkexec --------------------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
	return h;
}

/* Whether r repeats a USER_CMD of the same process just before; remembers r otherwise. */
static bool cmd_repeated(struct auditclass *c, const struct auditrec *r, uint32_t pid, uint64_t t)
{
	uint64_t h = hash_bytes(r->text, r->len);

	for (size_t i = 0; i < AUDITCLASS_CMDS_MAX; i++) {
		const struct auditclass_cmd *m = &c->cmds[i];

		if (m->pid == pid && m->hash == h && t >= m->time_usec &&
		    t - m->time_usec <= DUPLICATE_USEC)
			return true;
	}
	c->cmds[c->cmds_next] = (struct auditclass_cmd){ .pid = pid, .time_usec = t, .hash = h };
	c->cmds_next = (c->cmds_next + 1) % AUDITCLASS_CMDS_MAX;
	return false;
}

/* The prompts of sudo process f->pid before its USER_CMD: decides a held failure (typed or
 * aborted) and copies what happened into f. */
static void sudo_prompts(struct auditclass *c, struct auditclass_facts *f)
{
	struct auditclass_held *h = auditclass_held_find(c, AUDITCLASS_HELD_AUTH, f->pid);
	struct auditclass_auth *a = auth_find(c, f->pid, f->time_usec);

	if (h) {
		bool refused = f->has_result && !f->success;

		if (refused && f->time_usec >= h->time_usec &&
		    f->time_usec - h->time_usec <= ABORT_GAP_USEC) {
			auditclass_held_drop(c, h);
			if (a) {
				a->failures--;
				a->aborted = true;
			}
		} else
			auditclass_held_release(c, h);
	}
	if (a) {
		f->auth_failures = a->failures;
		f->authenticated = a->authenticated;
		f->aborted = a->aborted;
		a->pid = 0; /* this run of sudo is over; its pid may be reused */
	}
}

static void classify_user_cmd(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	struct auditclass_facts f;

	auditclass_facts_common(c, &f, AUDITCLASS_SUDO, r);
	if (f.has_result && !f.success && cmd_repeated(c, r, f.pid, f.time_usec)) {
		auditclass_facts_done(&f);
		return;
	}
	if (auditclass_exe_is(f.exe, "pkexec"))
		f.kind = AUDITCLASS_PKEXEC;
	f.command = auditclass_field_dup(c, r, "cmd", true);
	f.cwd = auditclass_field_dup(c, r, "cwd", true);
	sudo_prompts(c, &f);

	/* A successful command is followed by the records naming its run-as user. */
	if (f.has_result && f.success)
		(void)auditclass_held_add(c, AUDITCLASS_HELD_SUDO, &f, now, HOLD_USEC);
	else
		auditclass_ready_push(c, &f);
}

/* CRED_REFR, CRED_ACQ, USER_START: a run-as user for a held sudo, or su/pkexec themselves. */
static void classify_session(struct auditclass *c, const struct auditrec *r)
{
	uint32_t pid = auditclass_field_u32(r, "pid");
	struct auditclass_held *h = auditclass_held_find(c, AUDITCLASS_HELD_SUDO, pid);
	struct auditclass_facts f;

	if (h) {
		if (!h->facts.target_user)
			h->facts.target_user = auditclass_field_dup(c, r, "acct", true);
		auditclass_held_release(c, h);
		return;
	}
	if (r->type != AUDITREC_TYPE_USER_START)
		return;

	auditclass_facts_common(c, &f, AUDITCLASS_NONE, r);
	/* su run by root (sudo su -, or typed in a root shell) gains nothing: the record of the
	 * command that ran it says what happened. */
	if (auditclass_exe_is(f.exe, "su") && f.uid != 0)
		f.kind = AUDITCLASS_SU;
	else if (auditclass_exe_is(f.exe, "pkexec"))
		f.kind = AUDITCLASS_PKEXEC;
	if (f.kind == AUDITCLASS_NONE) {
		auditclass_facts_done(&f);
		return;
	}
	f.target_user = auditclass_field_dup(c, r, "acct", true);
	auditclass_ready_push(c, &f);
}

static void classify_login(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	struct auditclass_facts f;

	auditclass_facts_common(c, &f, AUDITCLASS_LOGIN, r);
	if (f.has_result && !f.success) {
		auditclass_facts_done(&f);
		classify_auth_failure(c, r, now);
		return;
	}
	f.target_user = auditclass_field_dup(c, r, "acct", true);
	auditclass_ready_push(c, &f);
}

/* ---- Accounts ----------------------------------------------------------------------------- */

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

/* Appends "; op" to the held account change unless it is there already. */
static void
account_merge(struct auditclass *c, struct auditclass_facts *held, const struct auditrec *r)
{
	_cleanup_free_ char *op = auditclass_field_dup(c, r, "op", false);
	struct auditclass_facts tmp = { 0 };

	if (op && (!held->command || !strstr(held->command, op)) &&
	    (!held->command || strlen(held->command) + strlen(op) + 3 < AUDITCLASS_COMMAND_MAX)) {
		char *joined = held->command ? join3(held->command, "; ", op) : strdup(op);

		if (!joined)
			c->oom = true;
		else {
			free(held->command);
			held->command = joined;
		}
	}
	if (!held->target_user)
		held->target_user = auditclass_field_dup(c, r, "acct", true);
	if (held->target_id == AUDITREC_UNSET)
		held->target_id = auditclass_field_u32(r, "id");
	auditclass_set_result(&tmp, r);
	if (tmp.has_result && !tmp.success)
		held->success = false;
}

static void classify_account(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	uint32_t pid = auditclass_field_u32(r, "pid");
	struct auditclass_held *h = auditclass_held_find(c, AUDITCLASS_HELD_ACCOUNT, pid);
	struct auditclass_facts f;

	if (h) {
		account_merge(c, &h->facts, r);
		return;
	}
	auditclass_facts_common(c, &f, AUDITCLASS_ACCOUNT_CHANGED, r);
	account_merge(c, &f, r);
	(void)auditclass_held_add(c, AUDITCLASS_HELD_ACCOUNT, &f, now, HOLD_USEC);
}

static bool op_is_pam(const struct auditrec *r)
{
	const struct auditrec_field *op = auditrec_find(r, "op");

	return !op || (op->value_len >= 4 && memcmp(op->value, "PAM:", 4) == 0);
}

void auditclass_user(struct auditclass *c, const struct auditrec *r, uint64_t now)
{
	const struct auditrec_field *res = auditrec_find(r, "res");
	bool failed = auditrec_field_eq(res, "failed");

	switch (r->type) {
	case AUDITREC_TYPE_USER_AUTH:
		if (failed)
			classify_auth_failure(c, r, now);
		else if (auditrec_field_eq(res, "success"))
			classify_auth_success(c, r);
		return;
	case AUDITREC_TYPE_USER_ERR:
		if (failed)
			classify_auth_failure(c, r, now);
		return;
	case AUDITREC_TYPE_USER_ACCT:
		/* PAM's account check (op=PAM:accounting) is no change; gpasswd writes its group
		 * changes as USER_ACCT too (op=user bob added by root to group sudo). */
		if (!op_is_pam(r))
			classify_account(c, r, now);
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
		classify_login(c, r, now);
		return;
	default:
		if (is_account_type(r->type))
			classify_account(c, r, now);
		return;
	}
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
