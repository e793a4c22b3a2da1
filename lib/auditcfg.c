#include "auditcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * snprintf() with explicit sizes is used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

struct open_change {
	bool used;
	uint32_t auid, ses, pid; /* the actor */
	uint64_t first_usec;	 /* now_usec of the first change */
	uint64_t last_usec;	 /* now_usec of the last change */
	struct auditcfg_change change;
};

struct auditcfg {
	struct open_change open[AUDITCFG_MAX_OPEN];
	struct auditcfg_change ready[AUDITCFG_MAX_OPEN];
	size_t ready_head, n_ready;
	size_t n_open;
	uint64_t dropped;
	uint64_t noops;
};

bool auditcfg_change_disabled(const struct auditcfg_change *ch)
{
	return ch->enabled == 0 && ch->enabled_old != 0;
}

void auditcfg_change_done(struct auditcfg_change *ch)
{
	auditclass_facts_done(&ch->facts);
	*ch = (struct auditcfg_change){ .enabled = -1, .enabled_old = -1 };
}

struct auditcfg *auditcfg_new(void)
{
	return calloc(1, sizeof(struct auditcfg));
}

struct auditcfg *auditcfg_free(struct auditcfg *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < AUDITCFG_MAX_OPEN; i++)
		if (c->open[i].used)
			auditcfg_change_done(&c->open[i].change);
	for (size_t i = 0; i < c->n_ready; i++)
		auditcfg_change_done(&c->ready[(c->ready_head + i) % AUDITCFG_MAX_OPEN]);
	free(c);
	return NULL;
}

uint64_t auditcfg_dropped(const struct auditcfg *c)
{
	return c->dropped;
}

uint64_t auditcfg_noops(const struct auditcfg *c)
{
	return c->noops;
}

/* Whether two facts come from the same actor: the person in one audit session, or (no audit
 * uid) the same process. */
static bool same_actor(const struct open_change *o, const struct auditclass_facts *f)
{
	if (o->auid != f->auid)
		return false;
	if (f->auid != AUDITREC_UNSET)
		return o->ses == f->ses;
	return o->pid == f->pid;
}

/* Moves open change o to the ready queue (dropping the oldest waiting one when it is full). A
 * change of which the kernel applied nothing is dropped: a refused CONFIG_CHANGE (res=0) is an
 * addition of a rule that exists or a removal of one that does not, which changes nothing (a
 * caller without CAP_AUDIT_CONTROL gets no CONFIG_CHANGE at all). */
static void end_change(struct auditcfg *c, struct open_change *o)
{
	struct auditcfg_change *ch = &o->change;

	c->n_open--;
	if (ch->added + ch->removed + ch->settings == 0 && ch->enabled < 0) {
		auditcfg_change_done(ch);
		*o = (struct open_change){ 0 };
		c->noops++;
		return;
	}
	if (c->n_ready == AUDITCFG_MAX_OPEN) {
		auditcfg_change_done(&c->ready[c->ready_head]);
		c->ready_head = (c->ready_head + 1) % AUDITCFG_MAX_OPEN;
		c->n_ready--;
		c->dropped++;
	}
	c->ready[(c->ready_head + c->n_ready) % AUDITCFG_MAX_OPEN] = o->change;
	c->n_ready++;
	*o = (struct open_change){ 0 };
}

/* Appends key to ch->keys unless it is there already; "..." marks keys that did not fit. */
static void add_key(struct auditcfg_change *ch, const char *key)
{
	size_t len = strlen(ch->keys), klen = strlen(key);
	const char *sep = len > 0 ? ", " : "";

	for (const char *p = ch->keys; (p = strstr(p, key));) {
		bool starts = p == ch->keys || p[-1] == ' ';

		if (starts && (p[klen] == '\0' || p[klen] == ','))
			return;
		p += klen;
	}
	if (len >= 3 && streq(ch->keys + len - 3, "..."))
		return;
	if (len + strlen(sep) + klen + 1 <= sizeof(ch->keys) - 5)
		(void)snprintf(ch->keys + len, sizeof(ch->keys) - len, "%s%s", sep, key);
	else
		(void)snprintf(ch->keys + len, sizeof(ch->keys) - len, "%s...", sep);
}

/* "audit_enabled=N old=M", as auditclass writes a change of the enabled flag. Returns 0, or
 * -EINVAL for anything else. */
static int parse_enabled(const char *s, int *ret_enabled, int *ret_old)
{
	static const char prefix[] = "audit_enabled=", old[] = " old=";
	const char *p;
	char *end = NULL;
	long v, o;

	if (!s || strncmp(s, prefix, strlen(prefix)) != 0)
		return -EINVAL;
	p = s + strlen(prefix);
	v = strtol(p, &end, 10);
	if (end == p || strncmp(end, old, strlen(old)) != 0)
		return -EINVAL;
	p = end + strlen(old);
	o = strtol(p, &end, 10);
	if (end == p || v < 0 || v > 2 || o < 0 || o > 2)
		return -EINVAL;
	*ret_enabled = (int)v;
	*ret_old = (int)o;
	return 0;
}

/* Counts what f changed into ch. */
static void account(struct auditcfg_change *ch, const struct auditclass_facts *f)
{
	bool refused = f->has_result && !f->success;
	const char *op = f->op ? f->op : "";
	int enabled, old;

	if (refused)
		ch->refused++;
	/* auditclass writes the enabled flag's change as "audit_enabled=N old=M". */
	if (streq(op, "set") && parse_enabled(f->command, &enabled, &old) == 0) {
		if (!refused) {
			if (ch->enabled < 0)
				ch->enabled_old = old;
			ch->enabled = enabled;
		}
		return;
	}
	if (streq(op, "add_rule") || streq(op, "remove_rule")) {
		if (!refused) {
			if (streq(op, "add_rule"))
				ch->added++;
			else
				ch->removed++;
		}
		if (f->key)
			add_key(ch, f->key);
		else
			ch->keyless++;
		return;
	}
	if (!refused)
		ch->settings++;
}

int auditcfg_add(struct auditcfg *c, struct auditclass_facts *f, uint64_t now_usec)
{
	struct open_change *o = NULL, *oldest = NULL, *free_slot = NULL;

	if (f->kind != AUDITCLASS_RULES_CHANGED)
		return (int)c->n_ready;
	for (size_t i = 0; i < AUDITCFG_MAX_OPEN; i++) {
		struct open_change *s = &c->open[i];

		if (!s->used) {
			if (!free_slot)
				free_slot = s;
		} else if (same_actor(s, f)) {
			o = s;
			break;
		} else if (!oldest || s->first_usec < oldest->first_usec)
			oldest = s;
	}
	if (!o) {
		if (!free_slot) {
			end_change(c, oldest);
			free_slot = oldest;
		}
		o = free_slot;
		c->n_open++;
		*o = (struct open_change){
			.used = true,
			.auid = f->auid,
			.ses = f->ses,
			.pid = f->pid,
			.first_usec = now_usec,
			.change = { .enabled = -1, .enabled_old = -1 },
		};
		account(&o->change, f);
		o->change.facts = *f;
		memcpy(o->change.last_id, f->audit_id, sizeof(o->change.last_id));
		o->change.last_usec = f->time_usec;
		*f = (struct auditclass_facts){ 0 };
	} else {
		account(&o->change, f);
		memcpy(o->change.last_id, f->audit_id, sizeof(o->change.last_id));
		o->change.last_usec = f->time_usec;
		/* The result is the first change's unless that one was refused and this one not. */
		if (o->change.facts.has_result && !o->change.facts.success && f->has_result &&
		    f->success)
			o->change.facts.success = true;
		auditclass_facts_done(f);
	}
	o->last_usec = now_usec;
	return (int)c->n_ready;
}

static bool open_expired(const struct open_change *o, uint64_t now_usec)
{
	return now_usec >= o->last_usec + AUDITCFG_QUIET_USEC ||
	       now_usec >= o->first_usec + AUDITCFG_MAX_AGE_USEC;
}

int auditcfg_next(struct auditcfg *c,
		  uint64_t now_usec,
		  bool flush_all,
		  struct auditcfg_change *ret_change)
{
	/* Nearly always: nothing open, nothing waiting (called for every event). */
	if (c->n_open == 0 && c->n_ready == 0)
		return 0;
	/* Oldest first, so that records come out in the order the changes began. */
	while (c->n_open > 0) {
		struct open_change *oldest = NULL;

		for (size_t i = 0; i < AUDITCFG_MAX_OPEN; i++) {
			struct open_change *o = &c->open[i];

			if (o->used && (flush_all || open_expired(o, now_usec)) &&
			    (!oldest || o->first_usec < oldest->first_usec))
				oldest = o;
		}
		if (!oldest)
			break;
		end_change(c, oldest);
	}
	if (c->n_ready == 0)
		return 0;
	*ret_change = c->ready[c->ready_head];
	c->ready[c->ready_head] = (struct auditcfg_change){ 0 };
	c->ready_head = (c->ready_head + 1) % AUDITCFG_MAX_OPEN;
	c->n_ready--;
	return 1;
}

uint64_t auditcfg_next_deadline(const struct auditcfg *c)
{
	uint64_t d = UINT64_MAX;

	if (c->n_ready > 0)
		return 0;
	for (size_t i = 0; c->n_open > 0 && i < AUDITCFG_MAX_OPEN; i++) {
		const struct open_change *o = &c->open[i];
		uint64_t quiet, age;

		if (!o->used)
			continue;
		quiet = o->last_usec + AUDITCFG_QUIET_USEC;
		age = o->first_usec + AUDITCFG_MAX_AGE_USEC;
		if (quiet < d)
			d = quiet;
		if (age < d)
			d = age;
	}
	return d;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
