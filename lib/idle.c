#include "idle.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

/*
 * Each session is in one step; its next action and deadline are computed from the step, the facts
 * and the current config whenever asked (plan()), so a reload needs no recomputation and
 * next_deadline() is one pass over the sessions.
 */
enum step {
	STEP_WATCH,	    /* graphical: LOCK when idle long enough; text: WARN, then TERMINATE */
	STEP_LOCK_DUE,	    /* graphical: a LOCK is due at step_at (lock_all) */
	STEP_LOCK_SENT,	    /* graphical: LOCK handed out at step_at, waiting for LockedHint */
	STEP_LOCKED_DUE,    /* graphical: LockedHint seen at step_at, LOCKED is due */
	STEP_TERMINATE_DUE, /* graphical: LOCK_FAILED said terminate, TERMINATE is due */
	STEP_WARNED,	    /* text: WARN handed out at step_at, TERMINATE next */
	STEP_DONE,	    /* handled: nothing until activity (or a lock) */
};

struct session {
	char id[IDLE_SESSION_ID_MAX];
	char **groups;		     /* owned copy, NULL = unknown */
	enum idle_session_kind base; /* from the facts alone: IGNORED, GRAPHICAL or TEXT */
	enum idle_session_kind kind; /* base, or EXEMPT under the current config */

	bool idle_hint;
	bool locked_hint;
	uint64_t since_raw; /* idle_since as logind said */
	uint64_t since;	    /* the idle start used (see the header) */
	bool since_known;
	uint64_t facts_at;   /* when the facts were read */
	uint64_t not_before; /* graphical: when last seen going from locked to unlocked */

	enum step step;
	uint64_t step_at;
	uint64_t failed_at; /* LOCK_SENT: when LockSession failed; UINT64_MAX = it did not */
	unsigned attempt;
	enum idle_reason reason;
	bool refresh_pending; /* text: REFRESH handed out (or failed) at refresh_at, no answer yet
			       */
	uint64_t refresh_at;
};

struct idle_tracker {
	const struct config *config;
	enum config_mode mode; /* of the config the steps were computed under */
	struct session *sessions;
	size_t n_sessions;
	size_t n_allocated;
};

/* What a session expects next: kind at at (UINT64_MAX = nothing). For a text session behind a
 * REFRESH, goal/goal_at is the WARN or TERMINATE it stands for; otherwise the same as kind/at. */
struct plan {
	enum idle_action_kind kind;
	uint64_t at;
	enum idle_action_kind goal;
	uint64_t goal_at;
};

static const struct config_place builtin_place = { NULL, 0 };

static uint64_t add_usec(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t max_usec(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_usec(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static bool str_in(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (streq(s, *list))
			return true;
	return false;
}

/* IGNORED, GRAPHICAL or TEXT, from the facts alone (steps 1 to 3 of the header). */
static enum idle_session_kind base_kind(const struct idle_session_facts *f)
{
	static const char *const person_classes[] = { "user", "user-early", NULL };
	static const char *const graphical_types[] = { "x11", "wayland", "mir", NULL };

	if (!str_in(f->class, person_classes))
		return IDLE_SESSION_IGNORED;
	if (f->state && streq(f->state, "closing"))
		return IDLE_SESSION_IGNORED;
	if (str_in(f->type, graphical_types))
		return IDLE_SESSION_GRAPHICAL;
	if ((f->type && streq(f->type, "tty")) || (f->tty && f->tty[0] != '\0') || f->remote)
		return IDLE_SESSION_TEXT;
	return IDLE_SESSION_IGNORED;
}

/* Step 4: unknown groups (NULL) are not exempt, so that enforcement wins. */
static enum idle_session_kind
apply_exempt(const struct config *c, enum idle_session_kind base, char *const *groups)
{
	if (base == IDLE_SESSION_IGNORED || !groups)
		return base;
	STRV_FOREACH (g, groups)
		if (strv_contains(c->idle.exempt_groups, *g))
			return IDLE_SESSION_EXEMPT;
	return base;
}

enum idle_session_kind idle_classify(const struct config *c, const struct idle_session_facts *f)
{
	assert(c);
	assert(f);
	return apply_exempt(c, base_kind(f), f->groups);
}

struct idle_tracker *idle_tracker_new(const struct config *c)
{
	struct idle_tracker *t;

	assert(c);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->config = c;
	t->mode = c->idle.mode;
	return t;
}

struct idle_tracker *idle_tracker_free(struct idle_tracker *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_sessions; i++)
		strv_free(t->sessions[i].groups);
	free(t->sessions);
	free(t);
	return NULL;
}

static struct session *find(const struct idle_tracker *t, const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < t->n_sessions; i++)
		if (streq(t->sessions[i].id, id))
			return &t->sessions[i];
	return NULL;
}

/* Back to watching: a new cycle (graphical) or idle period (text). */
static void restart(struct session *s)
{
	s->step = STEP_WATCH;
	s->step_at = 0;
	s->failed_at = UINT64_MAX;
	s->attempt = 0;
	s->reason = IDLE_REASON_IDLE;
	s->refresh_pending = false;
}

void idle_tracker_set_config(struct idle_tracker *t, const struct config *c)
{
	bool mode_changed;

	assert(t);
	assert(c);
	mode_changed = c->idle.mode != t->mode;
	t->config = c;
	t->mode = c->idle.mode;
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct session *s = &t->sessions[i];
		enum idle_session_kind kind = apply_exempt(c, s->base, s->groups);

		if (mode_changed || kind != s->kind)
			restart(s);
		s->kind = kind;
	}
}

/*
 * The idle start to use for new facts. A known one (0 < raw <= now) is used as given. An unknown
 * or future one is replaced by now, except that a replacement made earlier is kept while the same
 * value keeps coming for the same idle period: otherwise every update would push the deadline.
 */
static void
set_since(struct session *s, bool existed, const struct idle_session_facts *f, uint64_t now)
{
	uint64_t raw = f->idle_since_usec;
	bool same_period = existed && !s->since_known && s->since_raw == raw &&
			   (s->base == IDLE_SESSION_TEXT || s->idle_hint);

	if (raw != 0 && raw <= now) {
		s->since = raw;
		s->since_known = true;
	} else if (!same_period) {
		s->since = now;
		s->since_known = false;
	}
	s->since_raw = raw;
}

/* Graphical step changes on new facts (s still holds the old ones); see the header. */
static void graphical_facts(struct session *s, const struct idle_session_facts *f, uint64_t now)
{
	bool waiting = s->step == STEP_LOCK_DUE || s->step == STEP_LOCK_SENT;
	bool activity = !f->idle_hint || f->idle_since_usec != s->since_raw;

	if (s->locked_hint && !f->locked_hint)
		s->not_before = now;

	/* LOCKED and TERMINATE record what already happened or was decided (LOCK_FAILED said
	 * terminate): they are handed out whatever facts arrive first. */
	if (s->step == STEP_LOCKED_DUE || s->step == STEP_TERMINATE_DUE)
		return;
	if (f->locked_hint) {
		if (s->step == STEP_LOCK_SENT) {
			s->step = STEP_LOCKED_DUE;
			s->step_at = now;
		} else
			restart(s); /* locked by someone else, or after a failure: not reported */
		return;
	}
	/* A SLEEP cycle ends only in a lock: whoever is active after resume is who it is for. */
	if (waiting && s->reason == IDLE_REASON_SLEEP)
		return;
	if (activity)
		restart(s);
}

int idle_tracker_update(struct idle_tracker *t, const struct idle_session_facts *f, uint64_t now)
{
	_cleanup_strv_free_ char **groups = NULL;
	struct idle_session_facts stable;
	enum idle_session_kind base, kind;
	struct session *s;
	bool existed;

	assert(t);
	assert(f);
	if (!f->id || f->id[0] == '\0' || strlen(f->id) >= IDLE_SESSION_ID_MAX)
		return -EINVAL;
	if (f->groups) {
		groups = strv_copy(f->groups);
		if (!groups)
			return -ENOMEM;
	}

	s = find(t, f->id);
	existed = s != NULL;
	/* The same idle start, read again with a different rounding: keep the one known. */
	if (existed && s->since_raw != 0 && f->idle_since_usec != 0 &&
	    (f->idle_since_usec > s->since_raw
		     ? f->idle_since_usec - s->since_raw
		     : s->since_raw - f->idle_since_usec) < IDLE_SINCE_JITTER_USEC) {
		stable = *f;
		stable.idle_since_usec = s->since_raw;
		f = &stable;
	}
	if (!s) {
		if (t->n_sessions == t->n_allocated) {
			size_t n = t->n_allocated ? t->n_allocated * 2 : 16;
			struct session *a = reallocarray(t->sessions, n, sizeof(*a));

			if (!a)
				return -ENOMEM;
			t->sessions = a;
			t->n_allocated = n;
		}
		s = &t->sessions[t->n_sessions++];
		*s = (struct session){ .base = IDLE_SESSION_IGNORED };
		memcpy(s->id, f->id, strlen(f->id) + 1);
	}

	base = base_kind(f);
	kind = apply_exempt(t->config, base, groups);
	/* New, reclassified, or a text session's new idle period: start afresh. */
	if (!existed || kind != s->kind ||
	    (kind == IDLE_SESSION_TEXT && f->idle_since_usec != s->since_raw))
		restart(s);
	else if (kind == IDLE_SESSION_GRAPHICAL)
		graphical_facts(s, f, now);
	s->base = base;
	s->kind = kind;

	set_since(s, existed, f, now);
	s->idle_hint = f->idle_hint;
	s->locked_hint = f->locked_hint;
	s->facts_at = now;
	s->refresh_pending = false;
	strv_free(s->groups);
	s->groups = TAKE_PTR(groups);
	return 0;
}

void idle_tracker_remove(struct idle_tracker *t, const char *id)
{
	struct session *s;
	size_t i;

	assert(t);
	s = find(t, id);
	if (!s)
		return;
	i = (size_t)(s - t->sessions);
	strv_free(s->groups);
	/* Keep the order: it breaks ties between equal deadlines. */
	memmove(s, s + 1, (t->n_sessions - i - 1) * sizeof(*s));
	t->n_sessions--;
}

void idle_tracker_call_failed(struct idle_tracker *t, const char *id, uint64_t now)
{
	struct session *s;

	assert(t);
	s = find(t, id);
	if (!s)
		return;
	if (s->step == STEP_LOCK_SENT)
		s->failed_at = now;
	else if (s->refresh_pending)
		s->refresh_at = now;
}

unsigned idle_tracker_lock_all(struct idle_tracker *t, uint64_t now)
{
	unsigned n = 0;

	assert(t);
	if (t->config->idle.mode == CONFIG_MODE_OFF)
		return 0;
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct session *s = &t->sessions[i];

		if (s->kind != IDLE_SESSION_GRAPHICAL || s->locked_hint ||
		    s->step == STEP_TERMINATE_DUE)
			continue;
		restart(s);
		s->step = STEP_LOCK_DUE;
		s->step_at = now;
		s->attempt = 1;
		s->reason = IDLE_REASON_SLEEP;
		n++;
	}
	return n;
}

static void plan_set(struct plan *p, enum idle_action_kind kind, uint64_t at)
{
	*p = (struct plan){ .kind = kind, .at = at, .goal = kind, .goal_at = at };
}

/* Since when the session counts as idle: for a graphical session the later of its idle start
 * and its last unlock. */
static uint64_t idle_start(const struct session *s)
{
	return s->kind == IDLE_SESSION_GRAPHICAL ? max_usec(s->since, s->not_before) : s->since;
}

static void plan_graphical(const struct idle_tracker *t, const struct session *s, struct plan *p)
{
	const struct config *c = t->config;

	switch (s->step) {
	case STEP_WATCH:
		if (s->idle_hint && !s->locked_hint)
			plan_set(p,
				 IDLE_ACTION_LOCK,
				 add_usec(idle_start(s), c->idle.lock_after_usec));
		break;
	case STEP_LOCK_DUE:
		plan_set(p, IDLE_ACTION_LOCK, s->step_at);
		break;
	case STEP_LOCK_SENT:
		plan_set(p,
			 s->attempt < 2 ? IDLE_ACTION_LOCK : IDLE_ACTION_LOCK_FAILED,
			 min_usec(add_usec(s->step_at, c->idle.grace_usec), s->failed_at));
		break;
	case STEP_LOCKED_DUE:
		plan_set(p, IDLE_ACTION_LOCKED, s->step_at);
		break;
	case STEP_TERMINATE_DUE:
		plan_set(p, IDLE_ACTION_TERMINATE, s->step_at);
		break;
	case STEP_WARNED:
	case STEP_DONE:
		break;
	}
}

/* A text session's warning lead before termination. */
static uint64_t warn_lead(uint64_t after)
{
	return after > IDLE_WARN_BEFORE_USEC ? IDLE_WARN_BEFORE_USEC : after - after / 2;
}

static void plan_text(const struct idle_tracker *t, const struct session *s, struct plan *p)
{
	uint64_t after = t->config->idle.text_sessions_after_usec;
	uint64_t terminate_at = add_usec(s->since, after);

	/* 0 = never; unknown idle start (no TTY): nothing to predict; beyond the clock: never. */
	if (after == 0 || s->since_raw == 0 || terminate_at == UINT64_MAX)
		return;
	if (s->step == STEP_WATCH && t->config->idle.mode == CONFIG_MODE_OBSERVE)
		plan_set(p, IDLE_ACTION_TERMINATE, terminate_at);
	else if (s->step == STEP_WATCH)
		plan_set(p, IDLE_ACTION_WARN, terminate_at - warn_lead(after));
	else if (s->step == STEP_WARNED)
		plan_set(p,
			 IDLE_ACTION_TERMINATE,
			 max_usec(terminate_at, add_usec(s->step_at, warn_lead(after))));
	else
		return;

	/* Facts read before the deadline may be stale: logind's idle time of a text session is
	 * computed when asked. Ask again, and again every IDLE_REFRESH_RETRY_USEC without answer.
	 */
	if (s->facts_at < p->goal_at) {
		p->kind = IDLE_ACTION_REFRESH;
		if (s->refresh_pending)
			p->at = max_usec(p->goal_at,
					 add_usec(s->refresh_at, IDLE_REFRESH_RETRY_USEC));
	}
}

/* What session s expects next under t's config. */
static void plan(const struct idle_tracker *t, const struct session *s, struct plan *p)
{
	plan_set(p, IDLE_ACTION_LOCK, UINT64_MAX);
	if (t->config->idle.mode == CONFIG_MODE_OFF)
		return;
	if (s->kind == IDLE_SESSION_GRAPHICAL)
		plan_graphical(t, s, p);
	else if (s->kind == IDLE_SESSION_TEXT)
		plan_text(t, s, p);
}

uint64_t idle_tracker_next_deadline(const struct idle_tracker *t)
{
	uint64_t next = UINT64_MAX;

	assert(t);
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct plan p;

		plan(t, &t->sessions[i], &p);
		next = min_usec(next, p.at);
	}
	return next;
}

int idle_tracker_session_next(const struct idle_tracker *t,
			      const char *id,
			      enum idle_action_kind *ret_kind,
			      uint64_t *ret_when)
{
	const struct session *s;
	struct plan p;

	assert(t);
	s = find(t, id);
	if (!s)
		return -ENOENT;
	plan(t, s, &p);
	if (p.goal_at == UINT64_MAX)
		return 0;
	if (ret_kind)
		*ret_kind = p.goal;
	if (ret_when)
		*ret_when = p.goal_at;
	return 1;
}

/* The action's rule and place: the config key behind it. */
static void set_rule(const struct config *c, const char *rule, struct idle_action *a)
{
	a->rule = rule;
	if (streq(rule, "lock_after"))
		a->place = c->idle.lock_after_place;
	else if (streq(rule, "grace"))
		a->place = c->idle.grace_place;
	else if (streq(rule, "on_lock_failure"))
		a->place = c->idle.on_lock_failure_place;
	else if (streq(rule, "text_sessions_after"))
		a->place = c->idle.text_sessions_after_place;
	else
		a->place = builtin_place;
}

/* Hands out a graphical session's planned action and moves it to its next step. */
static void
emit_graphical(const struct idle_tracker *t, struct session *s, uint64_t now, struct idle_action *a)
{
	const struct config *c = t->config;
	bool observe = c->idle.mode == CONFIG_MODE_OBSERVE;
	const char *cycle_rule;

	if (s->step == STEP_WATCH) {
		s->attempt = 1;
		s->reason = IDLE_REASON_IDLE;
	}
	cycle_rule = s->reason == IDLE_REASON_SLEEP ? "sleep" : "lock_after";
	a->attempt = s->attempt;
	a->reason = s->reason;

	switch (s->step) {
	case STEP_WATCH:
	case STEP_LOCK_DUE:
		set_rule(c, cycle_rule, a);
		a->observe = observe;
		/* Observe: the LOCK is only recorded, so there is nothing to wait for. */
		s->step = observe ? STEP_DONE : STEP_LOCK_SENT;
		break;
	case STEP_LOCK_SENT:
		if (s->attempt < 2) {
			set_rule(c, "grace", a);
			a->attempt = ++s->attempt;
			break; /* stays LOCK_SENT, from now */
		}
		set_rule(c, "on_lock_failure", a);
		a->decision = c->idle.on_lock_failure;
		s->step = a->decision == LOCK_FAILURE_TERMINATE ? STEP_TERMINATE_DUE : STEP_DONE;
		break;
	case STEP_LOCKED_DUE:
		set_rule(c, cycle_rule, a);
		s->step = STEP_WATCH; /* locked: nothing is due until unlocked and idle again */
		break;
	case STEP_TERMINATE_DUE:
		set_rule(c, "on_lock_failure", a);
		a->attempt = 0;
		a->reason = IDLE_REASON_LOCK_FAILURE;
		s->step = STEP_DONE;
		break;
	case STEP_WARNED:
	case STEP_DONE:
		assert(!"nothing is planned in these steps");
		break;
	}
	s->step_at = now;
	s->failed_at = UINT64_MAX;
}

/* Hands out a text session's planned action and moves it to its next step. */
static void
emit_text(const struct idle_tracker *t, struct session *s, uint64_t now, struct idle_action *a)
{
	set_rule(t->config, "text_sessions_after", a);
	a->reason = IDLE_REASON_TEXT_IDLE;
	if (a->kind == IDLE_ACTION_REFRESH) {
		s->refresh_pending = true;
		s->refresh_at = now;
		return;
	}
	a->observe = t->config->idle.mode == CONFIG_MODE_OBSERVE;
	s->step = a->kind == IDLE_ACTION_WARN ? STEP_WARNED : STEP_DONE;
	s->step_at = now;
}

int idle_tracker_next(struct idle_tracker *t, uint64_t now, struct idle_action *ret)
{
	struct session *best = NULL;
	struct plan best_plan = { .at = UINT64_MAX };
	struct idle_action a;

	assert(t);
	assert(ret);
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct plan p;

		plan(t, &t->sessions[i], &p);
		if (p.at <= now && (!best || p.at < best_plan.at)) {
			best = &t->sessions[i];
			best_plan = p;
		}
	}
	if (!best)
		return 0;

	a = (struct idle_action){
		.kind = best_plan.kind,
		.deadline_usec = best_plan.at,
		.idle_since_known = best->since_known,
	};
	memcpy(a.session, best->id, sizeof(a.session));
	if (best->kind == IDLE_SESSION_TEXT || best->idle_hint)
		a.idle_usec = now > idle_start(best) ? now - idle_start(best) : 0;

	if (best->kind == IDLE_SESSION_GRAPHICAL)
		emit_graphical(t, best, now, &a);
	else
		emit_text(t, best, now, &a);
	*ret = a;
	return 1;
}

static const char *const action_kind_names[] = {
	[IDLE_ACTION_LOCK] = "lock",
	[IDLE_ACTION_LOCKED] = "locked",
	[IDLE_ACTION_LOCK_FAILED] = "lock-failed",
	[IDLE_ACTION_TERMINATE] = "terminate",
	[IDLE_ACTION_WARN] = "warn",
	[IDLE_ACTION_REFRESH] = "refresh",
};

static const char *const reason_names[] = {
	[IDLE_REASON_IDLE] = "idle",
	[IDLE_REASON_SLEEP] = "sleep",
	[IDLE_REASON_LOCK_FAILURE] = "lock-failure",
	[IDLE_REASON_TEXT_IDLE] = "text-idle",
};

static const char *const session_kind_names[] = {
	[IDLE_SESSION_IGNORED] = "ignored",
	[IDLE_SESSION_EXEMPT] = "exempt",
	[IDLE_SESSION_GRAPHICAL] = "graphical",
	[IDLE_SESSION_TEXT] = "text",
};

const char *idle_action_kind_to_string(enum idle_action_kind k)
{
	return (size_t)k < ELEMENTSOF(action_kind_names) ? action_kind_names[k] : NULL;
}

const char *idle_reason_to_string(enum idle_reason r)
{
	return (size_t)r < ELEMENTSOF(reason_names) ? reason_names[r] : NULL;
}

const char *idle_session_kind_to_string(enum idle_session_kind k)
{
	return (size_t)k < ELEMENTSOF(session_kind_names) ? session_kind_names[k] : NULL;
}
