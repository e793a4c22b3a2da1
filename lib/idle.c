#include "idle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

/* Where a graphical session is in its cycle (see idle.h). */
enum phase {
	PHASE_WATCH,	  /* nothing asked in this idle period */
	PHASE_LOCK_SENT,  /* first LockSession sent at phase_usec */
	PHASE_LOCK_RETRY, /* second LockSession sent at phase_usec */
	PHASE_DONE,	  /* locked, failed, observed or ended: left alone until used again */
};

struct session {
	char id[IDLE_ID_MAX];
	/* What classification needs, kept so that a reload can classify again. */
	bool user_class;
	bool closing;
	bool graphical_type;
	bool tty_type;
	bool has_terminal; /* a tty or a remote host */
	char **groups;	   /* NULL = unknown */
	enum idle_session_kind kind;

	bool idle_hint;
	bool locked;
	uint64_t idle_since; /* effective; 0 = unknown (text sessions) */
	bool idle_since_known;
	uint64_t facts_usec; /* when the facts were read */

	/* graphical */
	enum phase phase;
	uint64_t phase_usec;
	enum idle_reason lock_reason;
	uint64_t cycle_idle_since; /* idle_since of the period the phase belongs to */
	bool call_failed;	   /* the last LockSession failed: next step at once */
	bool locked_due;	   /* LOCKED to report */
	bool terminate_due;	   /* TERMINATE after LOCK_FAILED */
	bool sleep_due;		   /* LOCK before sleep */

	/* text */
	bool warned;
	bool ended;
	bool refresh_pending;	     /* a REFRESH was handed out; waiting for facts */
	uint64_t refresh_not_before; /* after a failed refresh */
};

struct idle_tracker {
	const struct config *config;
	struct session **sessions;
	size_t n_sessions;
};

static const char *const action_names[_IDLE_ACTION_KIND_MAX] = {
	[IDLE_ACTION_LOCK] = "lock",
	[IDLE_ACTION_LOCKED] = "locked",
	[IDLE_ACTION_LOCK_FAILED] = "lock-failed",
	[IDLE_ACTION_TERMINATE] = "terminate",
	[IDLE_ACTION_WARN] = "warn",
	[IDLE_ACTION_REFRESH] = "refresh",
};

static const char *const kind_names[_IDLE_SESSION_KIND_MAX] = {
	[IDLE_SESSION_IGNORED] = "ignored",
	[IDLE_SESSION_EXEMPT] = "exempt",
	[IDLE_SESSION_GRAPHICAL] = "graphical",
	[IDLE_SESSION_TEXT] = "text",
};

static const char *const reason_names[_IDLE_REASON_MAX] = {
	[IDLE_REASON_IDLE] = "idle",
	[IDLE_REASON_SLEEP] = "sleep",
	[IDLE_REASON_TEXT_IDLE] = "text-idle",
	[IDLE_REASON_LOCK_FAILURE] = "lock-failure",
};

const char *idle_action_kind_to_string(enum idle_action_kind k)
{
	return (unsigned)k < _IDLE_ACTION_KIND_MAX ? action_names[k] : NULL;
}

const char *idle_session_kind_to_string(enum idle_session_kind k)
{
	return (unsigned)k < _IDLE_SESSION_KIND_MAX ? kind_names[k] : NULL;
}

const char *idle_reason_to_string(enum idle_reason r)
{
	return (unsigned)r < _IDLE_REASON_MAX ? reason_names[r] : NULL;
}

static bool str_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (streq(s, list[i]))
			return true;
	return false;
}

static bool is_graphical_type(const char *type)
{
	static const char *const graphical[] = { "x11", "wayland", "mir" };

	return str_in(type, graphical, ELEMENTSOF(graphical));
}

static bool exempt(const struct config *c, char *const *groups)
{
	STRV_FOREACH (g, c->idle.exempt_groups)
		if (strv_contains(groups, *g))
			return true;
	return false;
}

static enum idle_session_kind classify_session(const struct config *c, const struct session *s)
{
	if (!s->user_class || s->closing)
		return IDLE_SESSION_IGNORED;
	if (!s->graphical_type && !s->tty_type && !s->has_terminal)
		return IDLE_SESSION_IGNORED;
	/* Unknown groups are no exemption: it must be shown, not assumed. */
	if (s->groups && exempt(c, s->groups))
		return IDLE_SESSION_EXEMPT;
	return s->graphical_type ? IDLE_SESSION_GRAPHICAL : IDLE_SESSION_TEXT;
}

/* The classification inputs of f into s (groups not included). */
static void take_shape(struct session *s, const struct idle_session_facts *f)
{
	s->user_class = f->class && streq(f->class, "user");
	s->closing = f->state && streq(f->state, "closing");
	s->graphical_type = is_graphical_type(f->type);
	s->tty_type = f->type && streq(f->type, "tty");
	s->has_terminal = (f->tty && f->tty[0]) || f->remote;
}

enum idle_session_kind idle_classify(const struct config *c, const struct idle_session_facts *f)
{
	struct session s = { .groups = f->groups };

	take_shape(&s, f);
	return classify_session(c, &s);
}

static struct session *session_free(struct session *s)
{
	if (!s)
		return NULL;
	strv_free(s->groups);
	free(s);
	return NULL;
}

struct idle_tracker *idle_tracker_free(struct idle_tracker *t)
{
	if (!t)
		return NULL;
	idle_tracker_clear(t);
	free(t->sessions);
	free(t);
	return NULL;
}

struct idle_tracker *idle_tracker_new(const struct config *c)
{
	struct idle_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->config = c;
	return t;
}

void idle_tracker_set_config(struct idle_tracker *t, const struct config *c)
{
	t->config = c;
	for (size_t i = 0; i < t->n_sessions; i++)
		t->sessions[i]->kind = classify_session(c, t->sessions[i]);
}

static ssize_t find(const struct idle_tracker *t, const char *id)
{
	for (size_t i = 0; id && i < t->n_sessions; i++)
		if (streq(t->sessions[i]->id, id))
			return (ssize_t)i;
	return -1;
}

static int add_session(struct idle_tracker *t, const char *id, struct session **ret_session)
{
	struct session **a, *s;

	a = reallocarray(t->sessions, t->n_sessions + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	t->sessions = a;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s->id, id, strlen(id) + 1);
	t->sessions[t->n_sessions++] = s;
	*ret_session = s;
	return 0;
}

/* New facts for a graphical session: its idle period, a verified lock, a cycle that ends. */
static void graphical_facts(struct session *s, const struct idle_session_facts *f, uint64_t now)
{
	uint64_t since = f->idle_since_usec;
	bool known = since > 0 && since <= now;

	if (f->idle_hint) {
		if (known) {
			s->idle_since = since;
			s->idle_since_known = true;
		} else if (!s->idle_hint || s->idle_since == 0) {
			/* Counted from when the tracker saw it: logind gave no usable moment. */
			s->idle_since = now;
			s->idle_since_known = false;
		}
	}
	if (f->locked_hint && (s->phase == PHASE_LOCK_SENT || s->phase == PHASE_LOCK_RETRY)) {
		s->locked_due = true;
		s->phase = PHASE_DONE;
	}
	s->idle_hint = f->idle_hint;
	s->locked = f->locked_hint;
	/*
	 * Used again, or idle anew: the cycle is over. A request already sent is not withdrawn by
	 * activity, though: a session asked to lock that does not lock has a broken locker,
	 * whoever moves the mouse afterwards, so the escalation goes on until LockedHint says
	 * otherwise.
	 */
	if (s->phase == PHASE_DONE && !s->locked &&
	    (!s->idle_hint || s->idle_since != s->cycle_idle_since))
		s->phase = PHASE_WATCH;
}

static void text_facts(struct session *s, const struct idle_session_facts *f)
{
	uint64_t since = f->idle_since_usec;

	/* The terminal was used since: a new idle period. */
	if (since != s->idle_since) {
		s->warned = false;
		s->ended = false;
	}
	s->idle_since = since;
	s->idle_since_known = since > 0;
	s->idle_hint = f->idle_hint;
	s->locked = f->locked_hint;
	s->refresh_pending = false;
}

int idle_tracker_update(struct idle_tracker *t,
			const struct idle_session_facts *f,
			uint64_t now_usec)
{
	_cleanup_strv_free_ char **groups = NULL;
	struct session *s;
	ssize_t i;
	int r;

	if (!f->id || strnlen(f->id, IDLE_ID_MAX) >= IDLE_ID_MAX)
		return -EINVAL;
	if (f->groups) {
		groups = strv_copy(f->groups);
		if (!groups)
			return -ENOMEM;
	}
	i = find(t, f->id);
	if (i >= 0)
		s = t->sessions[i];
	else {
		r = add_session(t, f->id, &s);
		if (r < 0)
			return r;
	}
	take_shape(s, f);
	strv_free(s->groups);
	s->groups = TAKE_PTR(groups);
	s->kind = classify_session(t->config, s);
	if (s->kind == IDLE_SESSION_TEXT)
		text_facts(s, f);
	else
		graphical_facts(s, f, now_usec);
	s->facts_usec = now_usec;
	return 0;
}

void idle_tracker_remove(struct idle_tracker *t, const char *id)
{
	ssize_t i = find(t, id);

	if (i < 0)
		return;
	session_free(t->sessions[i]);
	memmove(t->sessions + i,
		t->sessions + i + 1,
		(t->n_sessions - (size_t)i - 1) * sizeof(*t->sessions));
	t->n_sessions--;
}

void idle_tracker_clear(struct idle_tracker *t)
{
	for (size_t i = 0; i < t->n_sessions; i++)
		session_free(t->sessions[i]);
	t->n_sessions = 0;
}

void idle_tracker_call_failed(struct idle_tracker *t, const char *id, uint64_t now_usec)
{
	ssize_t i = find(t, id);
	struct session *s;

	if (i < 0)
		return;
	s = t->sessions[i];
	if (s->kind == IDLE_SESSION_TEXT) {
		s->refresh_pending = false;
		s->refresh_not_before = now_usec + IDLE_RETRY_USEC;
	} else if (s->phase == PHASE_LOCK_SENT || s->phase == PHASE_LOCK_RETRY)
		s->call_failed = true;
}

int idle_tracker_lock_all(struct idle_tracker *t, uint64_t now_usec)
{
	int n = 0;

	(void)now_usec;
	if (t->config->idle.mode == CONFIG_MODE_OFF)
		return 0;
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct session *s = t->sessions[i];

		if (s->kind != IDLE_SESSION_GRAPHICAL || s->locked || s->phase == PHASE_LOCK_SENT ||
		    s->phase == PHASE_LOCK_RETRY)
			continue;
		s->sleep_due = true;
		n++;
	}
	return n;
}

/* A candidate action for one session: what, when, and the details. */
struct due {
	uint64_t when;
	struct idle_action action;
};

static void set_rule(struct idle_action *a, const char *rule, const struct config_place *place)
{
	a->rule = rule;
	a->place = place;
}

static uint64_t sum(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* What is due next for graphical session s, into *d. Returns false when nothing is. */
static bool graphical_due(const struct idle_tracker *t, const struct session *s, struct due *d)
{
	const struct config *c = t->config;

	d->action.kind = IDLE_ACTION_LOCK;
	d->action.reason = IDLE_REASON_IDLE;
	set_rule(&d->action, "lock_after", &c->idle.lock_after_place);
	if (s->locked_due) {
		d->when = 0;
		d->action.kind = IDLE_ACTION_LOCKED;
		d->action.reason = s->lock_reason;
		return true;
	}
	if (s->terminate_due) {
		d->when = 0;
		d->action.kind = IDLE_ACTION_TERMINATE;
		d->action.reason = IDLE_REASON_LOCK_FAILURE;
		set_rule(&d->action, "on_lock_failure", &c->idle.on_lock_failure_place);
		return true;
	}
	if (s->sleep_due && (s->phase == PHASE_WATCH || s->phase == PHASE_DONE)) {
		d->when = 0;
		d->action.reason = IDLE_REASON_SLEEP;
		d->action.attempt = 1;
		return true;
	}
	switch (s->phase) {
	case PHASE_WATCH:
		if (!s->idle_hint || s->locked)
			return false;
		d->when = sum(s->idle_since, c->idle.lock_after_usec);
		d->action.attempt = 1;
		return true;
	case PHASE_LOCK_SENT:
		d->when = s->call_failed ? 0 : sum(s->phase_usec, c->idle.grace_usec);
		d->action.attempt = 2;
		d->action.reason = s->lock_reason;
		set_rule(&d->action, "grace", &c->idle.grace_place);
		return true;
	case PHASE_LOCK_RETRY:
		d->when = s->call_failed ? 0 : sum(s->phase_usec, c->idle.grace_usec);
		d->action.kind = IDLE_ACTION_LOCK_FAILED;
		d->action.reason = s->lock_reason;
		d->action.decision = c->idle.on_lock_failure;
		set_rule(&d->action, "on_lock_failure", &c->idle.on_lock_failure_place);
		return true;
	case PHASE_DONE:
		break;
	}
	return false;
}

/* What is due next for text session s, into *d. Returns false when nothing is. */
static bool text_due(const struct idle_tracker *t, const struct session *s, struct due *d)
{
	const struct config *c = t->config;
	uint64_t after = c->idle.text_sessions_after_usec, warn_before, target;

	if (after == 0 || !s->idle_since_known || s->ended)
		return false;
	warn_before = after > IDLE_WARN_BEFORE_USEC ? IDLE_WARN_BEFORE_USEC : after / 2;
	d->action.reason = IDLE_REASON_TEXT_IDLE;
	set_rule(&d->action, "text_sessions_after", &c->idle.text_sessions_after_place);
	if (!s->warned) {
		target = sum(s->idle_since, after - warn_before);
		d->action.kind = IDLE_ACTION_WARN;
	} else {
		target = sum(s->idle_since, after);
		d->action.kind = IDLE_ACTION_TERMINATE;
	}
	d->when = target;
	if (s->facts_usec >= target)
		return true;
	/* The terminal may have been used since the facts were read: ask again first. */
	if (s->refresh_pending)
		return false;
	d->action.kind = IDLE_ACTION_REFRESH;
	if (s->refresh_not_before > d->when)
		d->when = s->refresh_not_before;
	return true;
}

static bool session_due(const struct idle_tracker *t, const struct session *s, struct due *d)
{
	*d = (struct due){ 0 };
	memcpy(d->action.id, s->id, sizeof(s->id));
	d->action.idle_since_known = s->idle_since_known;
	if (t->config->idle.mode == CONFIG_MODE_OFF)
		return false;
	switch (s->kind) {
	case IDLE_SESSION_GRAPHICAL:
		return graphical_due(t, s, d);
	case IDLE_SESSION_TEXT:
		return text_due(t, s, d);
	case IDLE_SESSION_IGNORED:
	case IDLE_SESSION_EXEMPT:
	case _IDLE_SESSION_KIND_MAX:
		break;
	}
	return false;
}

/* The state change of handing out d's action for s. */
static void
take(const struct idle_tracker *t, struct session *s, struct idle_action *a, uint64_t now)
{
	bool observe = t->config->idle.mode == CONFIG_MODE_OBSERVE;

	switch (a->kind) {
	case IDLE_ACTION_LOCK:
		s->sleep_due = false;
		s->call_failed = false;
		s->lock_reason = a->reason;
		s->cycle_idle_since = s->idle_since;
		s->phase_usec = now;
		s->phase = observe	     ? PHASE_DONE
			   : a->attempt == 1 ? PHASE_LOCK_SENT
					     : PHASE_LOCK_RETRY;
		a->observe = observe;
		break;
	case IDLE_ACTION_LOCKED:
		s->locked_due = false;
		break;
	case IDLE_ACTION_LOCK_FAILED:
		s->call_failed = false;
		s->phase = PHASE_DONE;
		s->terminate_due = a->decision == LOCK_FAILURE_TERMINATE;
		break;
	case IDLE_ACTION_TERMINATE:
		s->terminate_due = false;
		s->ended = true;
		s->phase = PHASE_DONE;
		a->observe = observe;
		break;
	case IDLE_ACTION_WARN:
		s->warned = true;
		a->observe = observe;
		break;
	case IDLE_ACTION_REFRESH:
		s->refresh_pending = true;
		break;
	case _IDLE_ACTION_KIND_MAX:
		break;
	}
	if (s->idle_since > 0 && a->deadline_usec > s->idle_since)
		a->idle_usec = a->deadline_usec - s->idle_since;
}

int idle_tracker_next(struct idle_tracker *t, uint64_t now_usec, struct idle_action *ret_action)
{
	struct session *best = NULL;
	struct due d, best_due = { 0 };

	for (size_t i = 0; i < t->n_sessions; i++)
		if (session_due(t, t->sessions[i], &d) && d.when <= now_usec &&
		    (!best || d.when < best_due.when)) {
			best = t->sessions[i];
			best_due = d;
		}
	if (!best)
		return 0;
	best_due.action.deadline_usec = best_due.when ? best_due.when : now_usec;
	take(t, best, &best_due.action, now_usec);
	*ret_action = best_due.action;
	return 1;
}

uint64_t idle_tracker_next_deadline(const struct idle_tracker *t)
{
	uint64_t next = UINT64_MAX;
	struct due d;

	for (size_t i = 0; i < t->n_sessions; i++)
		if (session_due(t, t->sessions[i], &d) && d.when < next)
			next = d.when;
	return next;
}

int idle_tracker_session_next(const struct idle_tracker *t,
			      const char *id,
			      enum idle_action_kind *ret_kind,
			      uint64_t *ret_when)
{
	ssize_t i = find(t, id);
	struct due d;

	if (i < 0)
		return -ENOENT;
	if (!session_due(t, t->sessions[i], &d))
		return 0;
	*ret_kind = d.action.kind;
	*ret_when = d.when;
	return 1;
}
