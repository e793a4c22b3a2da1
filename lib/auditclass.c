#include "auditclass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auditclass-internal.h"

/*
 * Classification of events into vakt events: the public API, the output queue and held facts, the
 * watch list, and the helpers shared by auditclass-user.c and auditclass-kernel.c (see
 * auditclass-internal.h). Most events decide alone; some wait briefly (held facts): a sudo
 * command for its run-as user, an account change for the other records of its process, a failed
 * authentication to be known typed or aborted.
 *
 * memcpy() and memmove() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/* Paths always watched: those of vakt's own static rules (conf/audit/50-vakt.rules). */
static const char *const always_watched[] = { "/etc/audit" };

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
	case AUDITCLASS_ROOT_COMMAND:
		return EVENT_PRIVILEGE_ROOT_COMMAND;
	case AUDITCLASS_LOGINUID_CHANGED:
		return EVENT_AUDIT_LOGINUID_CHANGED;
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

static char **watch_free(char **w)
{
	for (char **p = w; p && *p; p++)
		free(*p);
	free(w);
	return NULL;
}

struct auditclass *auditclass_free(struct auditclass *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_ready; i++)
		auditclass_facts_done(&c->ready[(c->ready_head + i) % AUDITCLASS_READY_MAX]);
	for (size_t i = 0; i < c->n_held; i++)
		auditclass_facts_done(&c->held[i].facts);
	watch_free(c->watch);
	free(c);
	return NULL;
}

struct auditclass *auditclass_new(void)
{
	struct auditclass *c = calloc(1, sizeof(struct auditclass));

	if (c && auditclass_set_watch(c, NULL) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

int auditclass_set_watch(struct auditclass *c, char *const *watch)
{
	size_t n = ELEMENTSOF(always_watched), i = 0;
	char **w, buf[AUDITCLASS_STRING_MAX];

	for (char *const *p = watch; p && *p; p++)
		n++;
	w = calloc(n + 1, sizeof(char *));
	if (!w)
		return -ENOMEM;
	for (size_t j = 0; j < ELEMENTSOF(always_watched); j++)
		w[i++] = strdup(always_watched[j]);
	for (char *const *p = watch; p && *p; p++) {
		if (!auditclass_path_normalize(NULL, *p, buf, sizeof(buf))) {
			watch_free(w);
			return -EINVAL;
		}
		w[i++] = strdup(buf);
	}
	for (size_t j = 0; j < i; j++)
		if (!w[j]) {
			watch_free(w);
			return -ENOMEM;
		}
	watch_free(c->watch);
	c->watch = w;
	return 0;
}

uint64_t auditclass_dropped(const struct auditclass *c)
{
	return c->dropped;
}

/* ---- Helpers ------------------------------------------------------------------------------ */

char *auditclass_strdup(struct auditclass *c, const char *s)
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

char *
auditclass_field_dup(struct auditclass *c, const struct auditrec *r, const char *name, bool decode)
{
	const struct auditrec_field *f = r ? auditrec_find(r, name) : NULL;
	char buf[AUDITCLASS_STRING_MAX];

	if (!f)
		return NULL;
	if (decode)
		(void)auditrec_field_string(f, buf, sizeof(buf));
	else
		(void)auditrec_field_raw(f, buf, sizeof(buf));
	if (is_none(buf))
		return NULL;
	return auditclass_strdup(c, buf);
}

uint32_t auditclass_field_u32(const struct auditrec *r, const char *name)
{
	uint64_t v;

	if (!r || auditrec_field_uint(auditrec_find(r, name), 10, &v) < 0 || v > UINT32_MAX)
		return AUDITREC_UNSET;
	return (uint32_t)v;
}

uint64_t auditclass_time_usec(const struct auditrec *r)
{
	return r->id.sec * USEC_PER_SEC + (uint64_t)r->id.msec * USEC_PER_MSEC;
}

void auditclass_set_result(struct auditclass_facts *f, const struct auditrec *r)
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

void auditclass_facts_common(struct auditclass *c,
			     struct auditclass_facts *f,
			     enum auditclass_kind kind,
			     const struct auditrec *r)
{
	*f = (struct auditclass_facts){
		.kind = kind,
		.time_usec = auditclass_time_usec(r),
		.auid = auditclass_field_u32(r, "auid"),
		.uid = auditclass_field_u32(r, "uid"),
		.euid = auditclass_field_u32(r, "euid"),
		.ses = auditclass_field_u32(r, "ses"),
		.pid = auditclass_field_u32(r, "pid"),
		.ppid = auditclass_field_u32(r, "ppid"),
		.target_id = AUDITREC_UNSET,
		.target_ses = AUDITREC_UNSET,
		.cut = c->event_cut,
	};
	(void)auditrec_id_format(&r->id, f->audit_id);
	f->comm = auditclass_field_dup(c, r, "comm", true);
	f->exe = auditclass_field_dup(c, r, "exe", true);
	f->terminal = auditclass_field_dup(c, r, "terminal", false);
	if (!f->terminal)
		f->terminal = auditclass_field_dup(c, r, "tty", false);
	f->hostname = auditclass_field_dup(c, r, "hostname", false);
	f->addr = auditclass_field_dup(c, r, "addr", false);
	f->key = auditclass_field_dup(c, r, "key", true);
	f->op = auditclass_field_dup(c, r, "op", false);
	auditclass_set_result(f, r);
}

bool auditclass_exe_is(const char *exe, const char *name)
{
	const char *slash = exe ? strrchr(exe, '/') : NULL;

	return exe && streq(slash ? slash + 1 : exe, name);
}

bool auditclass_key_has_role(const char *key, const char *role)
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

/* ---- Paths -------------------------------------------------------------------------------- */

/* Appends the components of s to buf (length *n, size bytes), resolving "." and ".." lexically. */
static bool append_components(char *buf, size_t *n, size_t size, const char *s)
{
	while (*s) {
		const char *e;
		size_t len;

		while (*s == '/')
			s++;
		e = strchrnul(s, '/');
		len = (size_t)(e - s);
		if (len == 0 || (len == 1 && s[0] == '.')) {
			s = e;
			continue;
		}
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (*n > 0 && buf[*n - 1] != '/')
				(*n)--;
			if (*n > 0)
				(*n)--; /* the slash */
			s = e;
			continue;
		}
		if (*n + 1 + len + 1 > size)
			return false;
		buf[(*n)++] = '/';
		memcpy(buf + *n, s, len);
		*n += len;
		s = e;
	}
	return true;
}

bool auditclass_path_normalize(const char *dir, const char *name, char *buf, size_t size)
{
	size_t n = 0;

	if (size < 2)
		return false;
	if (name[0] != '/') {
		if (!dir || dir[0] != '/' || !append_components(buf, &n, size, dir))
			return false;
	}
	if (!append_components(buf, &n, size, name))
		return false;
	if (n == 0)
		buf[n++] = '/';
	buf[n] = '\0';
	return true;
}

bool auditclass_watched(const struct auditclass *c, const char *path)
{
	for (char **w = c->watch; w && *w; w++) {
		size_t n = strlen(*w);

		if (strncmp(path, *w, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/' || streq(*w, "/")))
			return true;
	}
	return false;
}

/* ---- Output queue and held facts ---------------------------------------------------------- */

void auditclass_ready_push(struct auditclass *c, struct auditclass_facts *f)
{
	if (c->n_ready == AUDITCLASS_READY_MAX) {
		auditclass_facts_done(&c->ready[c->ready_head]);
		c->ready_head = (c->ready_head + 1) % AUDITCLASS_READY_MAX;
		c->n_ready--;
		c->dropped++;
	}
	c->ready[(c->ready_head + c->n_ready) % AUDITCLASS_READY_MAX] = *f;
	c->n_ready++;
	*f = (struct auditclass_facts){ 0 };
}

static void held_remove(struct auditclass *c, const struct auditclass_held *h)
{
	size_t i = (size_t)(h - c->held);

	memmove(c->held + i, c->held + i + 1, (c->n_held - i - 1) * sizeof(*c->held));
	c->n_held--;
}

void auditclass_held_release(struct auditclass *c, struct auditclass_held *h)
{
	/* A held failed authentication that was not aborted counts. */
	if (h->kind == AUDITCLASS_HELD_AUTH)
		h->facts.counts_as_failure = true;
	auditclass_ready_push(c, &h->facts);
	held_remove(c, h);
}

void auditclass_held_drop(struct auditclass *c, struct auditclass_held *h)
{
	auditclass_facts_done(&h->facts);
	held_remove(c, h);
}

struct auditclass_held *
auditclass_held_find(struct auditclass *c, enum auditclass_held_kind kind, uint32_t pid)
{
	for (size_t i = 0; i < c->n_held; i++)
		if (c->held[i].kind == kind && c->held[i].pid == pid)
			return &c->held[i];
	return NULL;
}

struct auditclass_held *auditclass_held_add(struct auditclass *c,
					    enum auditclass_held_kind kind,
					    struct auditclass_facts *f,
					    uint64_t now,
					    uint64_t wait_usec)
{
	struct auditclass_held *h;

	if (c->n_held == AUDITCLASS_HELD_MAX)
		auditclass_held_release(c, &c->held[0]);
	h = &c->held[c->n_held++];
	*h = (struct auditclass_held){
		.kind = kind,
		.pid = f->pid,
		.deadline = now + wait_usec,
		.time_usec = f->time_usec,
		.wait_usec = wait_usec,
		.facts = *f,
	};
	*f = (struct auditclass_facts){ 0 };
	return h;
}

/* Expired when the caller's clock passed the deadline, or, in replay, where that clock may stand
 * still between records, when the audit time moved on by as much. */
static bool held_expired(const struct auditclass *c, const struct auditclass_held *h, uint64_t now)
{
	return now >= h->deadline || c->newest_usec > h->time_usec + h->wait_usec;
}

/* ---- Feeding and taking -------------------------------------------------------------------- */

int auditclass_feed(struct auditclass *c, const struct auditasm_event *ev, uint64_t now_usec)
{
	const struct auditrec *first, *sc, *cc, *login;
	uint64_t t;

	if (ev->n_records == 0)
		return (int)c->n_ready;
	first = &ev->records[0];
	t = auditclass_time_usec(first);
	if (t > c->newest_usec)
		c->newest_usec = t;
	c->oom = false;
	c->event_cut = ev->cut || ev->truncated;

	if (auditrec_type_is_single(first->type)) {
		auditclass_user(c, first, now_usec);
		goto out;
	}
	login = auditasm_event_find(ev, AUDITREC_TYPE_LOGIN);
	if (login) {
		auditclass_loginuid(c, ev, login);
		goto out;
	}
	sc = auditasm_event_find(ev, AUDITREC_TYPE_SYSCALL);
	cc = auditasm_event_find(ev, AUDITREC_TYPE_CONFIG_CHANGE);
	if (cc)
		auditclass_config_change(c, ev, cc, sc);
	else if (sc || first->type == AUDITREC_TYPE_KERN_MODULE)
		auditclass_kernel(c, ev, sc);
out:
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
			auditclass_held_release(c, &c->held[i]);
		else
			i++;

	if (c->n_ready == 0)
		return 0;
	*ret_facts = c->ready[c->ready_head];
	c->ready[c->ready_head] = (struct auditclass_facts){ 0 };
	c->ready_head = (c->ready_head + 1) % AUDITCLASS_READY_MAX;
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
