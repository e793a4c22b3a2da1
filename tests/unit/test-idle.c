#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "idle.h"
#include "macro.h"
#include "strv.h"

#define NAME "test.conf"
#define T0   (UINT64_C(100000) * USEC_PER_SEC) /* an arbitrary monotonic "now" */
#define SEC  USEC_PER_SEC
#define MIN  USEC_PER_MINUTE

/* Every test's config comes from this text, so that places are real: lock_after is on line 3,
 * grace 4, on_lock_failure 5, text_sessions_after 6, exempt_groups 7. */
static struct config *load(const char *mode, const char *on_failure, const char *text_after)
{
	_cleanup_strv_free_ char **errors = NULL;
	struct config *c = NULL;
	char text[512];
	int n;

	n = snprintf(text,
		     sizeof(text),
		     "[idle]\n"
		     "mode = %s\n"
		     "lock_after = 10min\n"
		     "grace = 60s\n"
		     "on_lock_failure = %s\n"
		     "text_sessions_after = %s\n"
		     "exempt_groups = lab\n",
		     mode,
		     on_failure,
		     text_after);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(config_load_string(text, (size_t)n, NAME, &c, &errors), 0);
	return c;
}

static struct config *load_default(void)
{
	return load("enforce", "terminate", "30min");
}

static struct idle_tracker *tracker(const struct config *c)
{
	struct idle_tracker *t = idle_tracker_new(c);

	ck_assert_ptr_nonnull(t);
	return t;
}

static char *staff_groups[] = { (char *)"alice", (char *)"staff", NULL };
static char *lab_groups[] = { (char *)"bob", (char *)"lab", NULL };

/* A wayland session of alice's, active on seat0. */
static struct idle_session_facts
graphical_session(const char *id, bool idle, uint64_t since, bool locked)
{
	return (struct idle_session_facts){
		.id = id,
		.user = "alice",
		.uid = 1000,
		.class = "user",
		.type = "wayland",
		.tty = "tty2",
		.state = "active",
		.active = true,
		.idle_hint = idle,
		.idle_since_usec = since,
		.locked_hint = locked,
		.groups = staff_groups,
	};
}

/* An ssh login of alice's: type tty on pts/0, last terminal access at since. */
static struct idle_session_facts text_session(const char *id, uint64_t since)
{
	return (struct idle_session_facts){
		.id = id,
		.user = "alice",
		.uid = 1000,
		.class = "user",
		.type = "tty",
		.tty = "pts/0",
		.remote = true,
		.remote_host = "192.0.2.1",
		.state = "active",
		.active = true,
		.idle_since_usec = since,
		.groups = staff_groups,
	};
}

static void update(struct idle_tracker *t, const struct idle_session_facts *f, uint64_t now)
{
	ck_assert_int_eq(idle_tracker_update(t, f, now), 0);
}

/* Asserts that the next action at now is kind (for session id) and returns it. */
static struct idle_action
next_is(struct idle_tracker *t, uint64_t now, enum idle_action_kind kind, const char *id)
{
	struct idle_action a;

	ck_assert_int_eq(idle_tracker_next(t, now, &a), 1);
	ck_assert_msg(a.kind == kind,
		      "got %s, expected %s",
		      idle_action_kind_to_string(a.kind),
		      idle_action_kind_to_string(kind));
	ck_assert_str_eq(a.session, id);
	return a;
}

static void nothing_at(struct idle_tracker *t, uint64_t now)
{
	struct idle_action a;
	int r = idle_tracker_next(t, now, &a);

	ck_assert_msg(r == 0,
		      "unexpected %s for %s at T0%+.6f s",
		      idle_action_kind_to_string(a.kind),
		      a.session,
		      ((double)now - (double)T0) / 1e6);
}

static void assert_place(const struct idle_action *a, const char *rule, const char *where)
{
	char buf[64];

	ck_assert_str_eq(a->rule, rule);
	ck_assert_str_eq(config_place_format(&a->place, buf, sizeof(buf)), where);
}

/* ---- Classification ------------------------------------------------------------------- */

START_TEST(test_idle_classify_non_person_classes_are_ignored)
{
	static const char *const classes[] = { "greeter",    "lock-screen", "background",
					       "manager",    "none",	    "background-light",
					       "user-light", NULL };
	_cleanup_(config_freep) struct config *c = load_default();
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	for (size_t i = 0; i < ELEMENTSOF(classes); i++) {
		f.class = classes[i];
		ck_assert_msg(idle_classify(c, &f) == IDLE_SESSION_IGNORED,
			      "class %s",
			      classes[i] ? classes[i] : "(null)");
	}
}
END_TEST

START_TEST(test_idle_classify_user_early_is_a_person)
{
	_cleanup_(config_freep) struct config *c = load_default();
	struct idle_session_facts f = text_session("1", T0);

	f.class = "user-early";
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_TEXT);
}
END_TEST

START_TEST(test_idle_classify_closing_session_is_ignored)
{
	_cleanup_(config_freep) struct config *c = load_default();
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	f.state = "closing";
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_IGNORED);
}
END_TEST

START_TEST(test_idle_classify_by_type_tty_and_remote)
{
	static const struct {
		const char *type;
		const char *tty;
		bool remote;
		enum idle_session_kind want;
	} cases[] = {
		{ "x11", NULL, false, IDLE_SESSION_GRAPHICAL },
		{ "wayland", "", false, IDLE_SESSION_GRAPHICAL },
		{ "mir", NULL, false, IDLE_SESSION_GRAPHICAL },
		{ "x11", NULL, true, IDLE_SESSION_GRAPHICAL }, /* xrdp */
		{ "tty", "tty3", false, IDLE_SESSION_TEXT },
		{ "tty", "pts/0", true, IDLE_SESSION_TEXT }, /* ssh with a pty */
		{ "tty", NULL, false, IDLE_SESSION_TEXT },
		{ "unspecified", "pts/4", false, IDLE_SESSION_TEXT },
		{ "unspecified", NULL, true, IDLE_SESSION_TEXT }, /* ssh host command */
		{ "unspecified", NULL, false, IDLE_SESSION_IGNORED },
		{ "unspecified", "", false, IDLE_SESSION_IGNORED },
		{ NULL, NULL, false, IDLE_SESSION_IGNORED },
	};
	_cleanup_(config_freep) struct config *c = load_default();

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct idle_session_facts f = graphical_session("1", true, T0, false);

		f.type = cases[i].type;
		f.tty = cases[i].tty;
		f.remote = cases[i].remote;
		ck_assert_msg(idle_classify(c, &f) == cases[i].want,
			      "case %zu: %s, expected %s",
			      i,
			      idle_session_kind_to_string(idle_classify(c, &f)),
			      idle_session_kind_to_string(cases[i].want));
	}
}
END_TEST

START_TEST(test_idle_exempt_user_is_never_acted_on)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts g = graphical_session("1", true, T0, false);
	struct idle_session_facts x = text_session("2", T0);

	g.groups = lab_groups;
	x.groups = lab_groups;
	ck_assert_int_eq(idle_classify(c, &g), IDLE_SESSION_EXEMPT);
	ck_assert_int_eq(idle_classify(c, &x), IDLE_SESSION_EXEMPT);
	update(t, &g, T0);
	update(t, &x, T0);
	ck_assert_uint_eq(idle_tracker_lock_all(t, T0), 0);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
}
END_TEST

START_TEST(test_idle_unknown_groups_are_not_exempt)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	f.groups = NULL;
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_GRAPHICAL);
	update(t, &f, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");

	/* Once the groups are known to be exempt, the session is left alone. */
	f.groups = lab_groups;
	update(t, &f, T0 + 10 * MIN + SEC);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

/* ---- Graphical sessions ----------------------------------------------------------------- */

START_TEST(test_idle_graphical_locks_at_lock_after)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("7", true, T0, false);
	struct idle_action a;

	update(t, &f, T0 + 2 * SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 10 * MIN);
	nothing_at(t, T0 + 10 * MIN - 1);

	a = next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "7");
	ck_assert_uint_eq(a.attempt, 1);
	ck_assert_int_eq(a.reason, IDLE_REASON_IDLE);
	ck_assert_uint_eq(a.idle_usec, 10 * MIN);
	ck_assert(a.idle_since_known);
	ck_assert(!a.observe);
	ck_assert_uint_eq(a.deadline_usec, T0 + 10 * MIN);
	assert_place(&a, "lock_after", NAME ":3");
	nothing_at(t, T0 + 10 * MIN);
}
END_TEST

START_TEST(test_idle_graphical_late_call_reports_lateness)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("7", true, T0, false);
	struct idle_action a;

	update(t, &f, T0);
	a = next_is(t, T0 + 10 * MIN + 250 * USEC_PER_MSEC, IDLE_ACTION_LOCK, "7");
	ck_assert_uint_eq(a.deadline_usec, T0 + 10 * MIN);
	ck_assert_uint_eq(a.idle_usec, 10 * MIN + 250 * USEC_PER_MSEC);
}
END_TEST

START_TEST(test_idle_graphical_activity_before_deadline_cancels)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	update(t, &f, T0);
	f = graphical_session("1", false, 0, false);
	update(t, &f, T0 + 9 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_graphical_idle_hint_flapping_restarts_from_new_idle_since)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	update(t, &f, T0);
	f = graphical_session("1", false, 0, false);
	update(t, &f, T0 + 5 * MIN);
	f = graphical_session("1", true, T0 + 6 * MIN, false);
	update(t, &f, T0 + 6 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 16 * MIN);
	nothing_at(t, T0 + 16 * MIN - 1);
	next_is(t, T0 + 16 * MIN, IDLE_ACTION_LOCK, "1");
}
END_TEST

START_TEST(test_idle_graphical_new_idle_since_without_false_restarts)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	/* The hint went false and true again between two reads: only idle_since tells. */
	update(t, &f, T0);
	f.idle_since_usec = T0 + 4 * MIN;
	update(t, &f, T0 + 4 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 14 * MIN);
}
END_TEST

START_TEST(test_idle_graphical_locked_hint_gives_locked_once)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 11 * MIN);

	f.locked_hint = true;
	update(t, &f, T0 + 10 * MIN + 3 * SEC);
	a = next_is(t, T0 + 10 * MIN + 3 * SEC, IDLE_ACTION_LOCKED, "1");
	ck_assert_uint_eq(a.attempt, 1);
	ck_assert_int_eq(a.reason, IDLE_REASON_IDLE);
	assert_place(&a, "lock_after", NAME ":3");

	update(t, &f, T0 + 10 * MIN + 4 * SEC);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
}
END_TEST

START_TEST(test_idle_graphical_verified_lock_is_reported_even_if_unlocked_first)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	update(t, &f, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	f.locked_hint = true;
	update(t, &f, T0 + 10 * MIN + SEC);
	f = graphical_session("1", false, 0, false);
	update(t, &f, T0 + 10 * MIN + 2 * SEC);
	next_is(t, T0 + 10 * MIN + 2 * SEC, IDLE_ACTION_LOCKED, "1");
	nothing_at(t, T0 + 10 * MIN + 2 * SEC);
}
END_TEST

START_TEST(test_idle_graphical_lock_retried_once_then_failure_terminates)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	uint64_t lock = T0 + 10 * MIN;
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, lock, IDLE_ACTION_LOCK, "1");
	nothing_at(t, lock + 60 * SEC - 1);

	a = next_is(t, lock + 60 * SEC, IDLE_ACTION_LOCK, "1");
	ck_assert_uint_eq(a.attempt, 2);
	ck_assert_int_eq(a.reason, IDLE_REASON_IDLE);
	assert_place(&a, "grace", NAME ":4");
	nothing_at(t, lock + 120 * SEC - 1);

	a = next_is(t, lock + 120 * SEC, IDLE_ACTION_LOCK_FAILED, "1");
	ck_assert_uint_eq(a.attempt, 2);
	ck_assert_int_eq(a.decision, LOCK_FAILURE_TERMINATE);
	assert_place(&a, "on_lock_failure", NAME ":5");

	/* Facts arriving in between do not separate the decision from its action. */
	f = graphical_session("1", false, 0, false);
	update(t, &f, lock + 120 * SEC);
	a = next_is(t, lock + 120 * SEC, IDLE_ACTION_TERMINATE, "1");
	ck_assert_int_eq(a.reason, IDLE_REASON_LOCK_FAILURE);
	assert_place(&a, "on_lock_failure", NAME ":5");
	nothing_at(t, lock + 120 * SEC);
}
END_TEST

START_TEST(test_idle_graphical_lock_failure_with_log_does_not_terminate)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "log", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	uint64_t lock = T0 + 10 * MIN;
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, lock, IDLE_ACTION_LOCK, "1");
	next_is(t, lock + 60 * SEC, IDLE_ACTION_LOCK, "1");
	a = next_is(t, lock + 120 * SEC, IDLE_ACTION_LOCK_FAILED, "1");
	ck_assert_int_eq(a.decision, LOCK_FAILURE_LOG);
	nothing_at(t, lock + 120 * SEC);

	/* Left alone while it stays idle, even with new reads... */
	update(t, &f, lock + 5 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, lock + 24 * USEC_PER_HOUR);

	/* ...until it is active again: then a new cycle. */
	f = graphical_session("1", false, 0, false);
	update(t, &f, lock + 30 * MIN);
	f = graphical_session("1", true, lock + 31 * MIN, false);
	update(t, &f, lock + 31 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), lock + 41 * MIN);
}
END_TEST

START_TEST(test_idle_graphical_call_failed_skips_the_grace_wait)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	uint64_t lock = T0 + 10 * MIN;
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, lock, IDLE_ACTION_LOCK, "1");
	idle_tracker_call_failed(t, "1", lock + 5 * USEC_PER_MSEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), lock + 5 * USEC_PER_MSEC);
	a = next_is(t, lock + 5 * USEC_PER_MSEC, IDLE_ACTION_LOCK, "1");
	ck_assert_uint_eq(a.attempt, 2);

	/* The retry gets its own full grace, unless it fails too. */
	ck_assert_uint_eq(idle_tracker_next_deadline(t), lock + 5 * USEC_PER_MSEC + 60 * SEC);
	idle_tracker_call_failed(t, "1", lock + 10 * USEC_PER_MSEC);
	next_is(t, lock + 10 * USEC_PER_MSEC, IDLE_ACTION_LOCK_FAILED, "1");
	next_is(t, lock + 10 * USEC_PER_MSEC, IDLE_ACTION_TERMINATE, "1");

	/* A failure report for a session not waiting for a lock changes nothing. */
	idle_tracker_call_failed(t, "1", lock + SEC);
	idle_tracker_call_failed(t, "no-such-session", lock + SEC);
	nothing_at(t, lock + 24 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_graphical_already_locked_session_is_never_locked)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, true);

	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
	update(t, &f, T0 + 24 * USEC_PER_HOUR);
	nothing_at(t, T0 + 48 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_graphical_activity_while_waiting_for_lock_cancels)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);

	update(t, &f, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	f = graphical_session("1", false, 0, false);
	update(t, &f, T0 + 10 * MIN + 20 * SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_graphical_unknown_or_future_idle_since_counts_from_first_seen)
{
	static const uint64_t sinces[] = { 0, T0 + USEC_PER_HOUR };
	_cleanup_(config_freep) struct config *c = load_default();

	for (size_t i = 0; i < ELEMENTSOF(sinces); i++) {
		_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
		struct idle_session_facts f = graphical_session("1", true, sinces[i], false);
		struct idle_action a;

		update(t, &f, T0);
		/* Later reads with the same value do not push the deadline. */
		update(t, &f, T0 + 5 * MIN);
		ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 10 * MIN);
		a = next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
		ck_assert(!a.idle_since_known);
		ck_assert_uint_eq(a.idle_usec, 10 * MIN);
	}
}
END_TEST

START_TEST(test_idle_graphical_unlock_starts_a_new_cycle_from_the_unlock)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	uint64_t unlock = T0 + 30 * MIN;

	update(t, &f, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	f.locked_hint = true;
	update(t, &f, T0 + 10 * MIN + SEC);
	next_is(t, T0 + 10 * MIN + SEC, IDLE_ACTION_LOCKED, "1");

	/* A desktop that keeps IdleHint (and its old IdleSinceHint) across the unlock is not
	 * locked again at once: the unlock counts as activity. */
	f.locked_hint = false;
	update(t, &f, unlock);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), unlock + 10 * MIN);
	nothing_at(t, unlock + 10 * MIN - 1);
	next_is(t, unlock + 10 * MIN, IDLE_ACTION_LOCK, "1");
}
END_TEST

START_TEST(test_idle_graphical_set_config_shorter_lock_after_moves_deadline)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(config_freep) struct config *shorter = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	static const char text[] = "[idle]\n"
				   "\n"
				   "lock_after = 5min\n";
	struct idle_action a;

	ck_assert_int_eq(config_load_string(text, strlen(text), "new.conf", &shorter, &errors), 0);
	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 10 * MIN);
	idle_tracker_set_config(t, shorter);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 5 * MIN);
	a = next_is(t, T0 + 5 * MIN, IDLE_ACTION_LOCK, "1");
	assert_place(&a, "lock_after", "new.conf:3");

	/* A session idle for longer than the new lock_after is due at once. */
	idle_tracker_remove(t, "1");
	f = graphical_session("2", true, T0, false);
	idle_tracker_set_config(t, c);
	update(t, &f, T0 + 7 * MIN);
	nothing_at(t, T0 + 7 * MIN);
	idle_tracker_set_config(t, shorter);
	next_is(t, T0 + 7 * MIN, IDLE_ACTION_LOCK, "2");
}
END_TEST

/* ---- Text sessions ---------------------------------------------------------------------- */

START_TEST(test_idle_text_refresh_at_warn_time_with_stale_facts)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t warn = T0 + 29 * MIN;
	struct idle_action a;

	update(t, &f, T0 + 10 * SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), warn);
	nothing_at(t, warn - 1);
	a = next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
	ck_assert(!a.observe);
	ck_assert_uint_eq(a.deadline_usec, warn);
	assert_place(&a, "text_sessions_after", NAME ":6");
	nothing_at(t, warn);

	/* Facts read 1 us before the deadline are stale too. */
	update(t, &f, warn - 1);
	next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
}
END_TEST

START_TEST(test_idle_text_warns_after_fresh_facts)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t warn = T0 + 29 * MIN;
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, warn + 2 * USEC_PER_MSEC);
	a = next_is(t, warn + 2 * USEC_PER_MSEC, IDLE_ACTION_WARN, "c3");
	ck_assert_int_eq(a.reason, IDLE_REASON_TEXT_IDLE);
	ck_assert_uint_eq(a.idle_usec, 29 * MIN + 2 * USEC_PER_MSEC);
	ck_assert_uint_eq(a.deadline_usec, warn);
	assert_place(&a, "text_sessions_after", NAME ":6");

	/* Once per idle period. */
	update(t, &f, warn + 10 * SEC);
	nothing_at(t, warn + 10 * SEC);
}
END_TEST

START_TEST(test_idle_text_activity_moves_the_deadline)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t warn = T0 + 29 * MIN;

	update(t, &f, T0);
	next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
	f.idle_since_usec = T0 + 20 * MIN; /* someone typed */
	update(t, &f, warn);
	nothing_at(t, warn);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 49 * MIN);

	/* Activity after the warning starts a new idle period with its own warning. */
	next_is(t, T0 + 49 * MIN, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, T0 + 49 * MIN);
	next_is(t, T0 + 49 * MIN, IDLE_ACTION_WARN, "c3");
	f.idle_since_usec = T0 + 49 * MIN + 30 * SEC;
	update(t, &f, T0 + 50 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 78 * MIN + 30 * SEC);
	next_is(t, T0 + 78 * MIN + 30 * SEC, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, T0 + 78 * MIN + 30 * SEC);
	next_is(t, T0 + 78 * MIN + 30 * SEC, IDLE_ACTION_WARN, "c3");
}
END_TEST

START_TEST(test_idle_text_terminates_at_text_sessions_after)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t warn = T0 + 29 * MIN, end = T0 + 30 * MIN;
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, warn);
	next_is(t, warn, IDLE_ACTION_WARN, "c3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), end);
	nothing_at(t, end - 1);
	next_is(t, end, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, end);
	a = next_is(t, end, IDLE_ACTION_TERMINATE, "c3");
	ck_assert_int_eq(a.reason, IDLE_REASON_TEXT_IDLE);
	ck_assert_uint_eq(a.idle_usec, 30 * MIN);
	ck_assert(!a.observe);
	assert_place(&a, "text_sessions_after", NAME ":6");

	/* Once. */
	update(t, &f, end + SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, end + 24 * USEC_PER_HOUR);
}
END_TEST

/* logind 252 maps a terminal's atime to IdleSinceHintMonotonic at every read: the value moves by
 * a microsecond from read to read (tests/system saw it). That is the same idle start: one warning,
 * the end on time. */
START_TEST(test_idle_text_jittering_idle_start_is_one_period)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t warn = T0 + 29 * MIN, end = T0 + 30 * MIN;
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
	f.idle_since_usec = T0 + 1;
	update(t, &f, warn);
	next_is(t, warn, IDLE_ACTION_WARN, "c3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), end);
	next_is(t, end, IDLE_ACTION_REFRESH, "c3");
	f.idle_since_usec = T0 - 1;
	update(t, &f, end);
	a = next_is(t, end, IDLE_ACTION_TERMINATE, "c3");
	ck_assert_uint_eq(a.idle_usec, 30 * MIN);
	/* Real use a second or more later is a new idle period. */
	f.idle_since_usec = end + IDLE_SINCE_JITTER_USEC;
	update(t, &f, end + 2 * IDLE_SINCE_JITTER_USEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), end + IDLE_SINCE_JITTER_USEC + 29 * MIN);
}
END_TEST

START_TEST(test_idle_text_zero_means_never)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "0");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);

	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 365 * USEC_PER_DAY);
}
END_TEST

START_TEST(test_idle_text_unknown_idle_since_never_acts)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", 0);

	f.idle_hint = true;
	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_text_does_not_need_idle_hint)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);

	ck_assert(!f.idle_hint);
	update(t, &f, T0 + 29 * MIN);
	next_is(t, T0 + 29 * MIN, IDLE_ACTION_WARN, "c3");
}
END_TEST

START_TEST(test_idle_text_unanswered_refresh_is_repeated_after_10s)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t warn = T0 + 29 * MIN;

	update(t, &f, T0);
	next_is(t, warn, IDLE_ACTION_REFRESH, "c3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), warn + 10 * SEC);
	nothing_at(t, warn + 10 * SEC - 1);
	next_is(t, warn + 10 * SEC, IDLE_ACTION_REFRESH, "c3");

	/* A failed re-read restarts the 10 s from the failure. */
	idle_tracker_call_failed(t, "c3", warn + 12 * SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), warn + 22 * SEC);
	nothing_at(t, warn + 22 * SEC - 1);
	next_is(t, warn + 22 * SEC, IDLE_ACTION_REFRESH, "c3");

	update(t, &f, warn + 23 * SEC);
	next_is(t, warn + 23 * SEC, IDLE_ACTION_WARN, "c3");
}
END_TEST

START_TEST(test_idle_text_late_warning_keeps_its_lead)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	uint64_t seen = T0 + 2 * USEC_PER_HOUR; /* first seen long after terminate_at */

	update(t, &f, seen);
	next_is(t, seen, IDLE_ACTION_WARN, "c3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), seen + 60 * SEC);
	nothing_at(t, seen + 60 * SEC - 1);
	next_is(t, seen + 60 * SEC, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, seen + 60 * SEC);
	next_is(t, seen + 60 * SEC, IDLE_ACTION_TERMINATE, "c3");
}
END_TEST

START_TEST(test_idle_text_short_threshold_warns_at_half)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "40s");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);

	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 20 * SEC);
	next_is(t, T0 + 20 * SEC, IDLE_ACTION_REFRESH, "c3");
	update(t, &f, T0 + 20 * SEC);
	next_is(t, T0 + 20 * SEC, IDLE_ACTION_WARN, "c3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 40 * SEC);
}
END_TEST

/* ---- Modes ------------------------------------------------------------------------------ */

START_TEST(test_idle_observe_locks_once_then_nothing)
{
	_cleanup_(config_freep) struct config *c = load("observe", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	struct idle_action a;

	update(t, &f, T0);
	a = next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	ck_assert(a.observe);
	assert_place(&a, "lock_after", NAME ":3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	update(t, &f, T0 + 20 * MIN);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);

	/* Activity, then idle again: a new observed cycle. */
	f = graphical_session("1", false, 0, false);
	update(t, &f, T0 + 25 * USEC_PER_HOUR);
	f = graphical_session("1", true, T0 + 25 * USEC_PER_HOUR, false);
	update(t, &f, T0 + 25 * USEC_PER_HOUR);
	a = next_is(t, T0 + 25 * USEC_PER_HOUR + 10 * MIN, IDLE_ACTION_LOCK, "1");
	ck_assert(a.observe);
}
END_TEST

START_TEST(test_idle_observe_text_terminates_without_warning)
{
	_cleanup_(config_freep) struct config *c = load("observe", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = text_session("c3", T0);
	struct idle_action a;

	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 30 * MIN);
	a = next_is(t, T0 + 30 * MIN, IDLE_ACTION_REFRESH, "c3");
	ck_assert(!a.observe);
	update(t, &f, T0 + 30 * MIN);
	a = next_is(t, T0 + 30 * MIN, IDLE_ACTION_TERMINATE, "c3");
	ck_assert(a.observe);
	update(t, &f, T0 + 31 * MIN);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_mode_off_does_nothing)
{
	_cleanup_(config_freep) struct config *c = load("off", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts g = graphical_session("1", true, T0, false);
	struct idle_session_facts x = text_session("c3", T0);

	update(t, &g, T0);
	update(t, &x, T0);
	ck_assert_uint_eq(idle_tracker_lock_all(t, T0), 0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

START_TEST(test_idle_mode_change_restarts_sessions)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(config_freep) struct config *observe = load("observe", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", true, T0, false);
	struct idle_action a;

	update(t, &f, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	idle_tracker_set_config(t, observe);
	/* No grace wait, retry or failure in observe mode: the session is watched afresh. */
	a = next_is(t, T0 + 10 * MIN + SEC, IDLE_ACTION_LOCK, "1");
	ck_assert(a.observe);
	ck_assert_uint_eq(a.attempt, 1);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

/* ---- Sleep ------------------------------------------------------------------------------ */

START_TEST(test_idle_lock_all_locks_unlocked_graphical_sessions_before_sleep)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts active = graphical_session("1", false, 0, false);
	struct idle_session_facts locked = graphical_session("2", true, T0, true);
	struct idle_session_facts exempt = graphical_session("3", false, 0, false);
	struct idle_session_facts ssh = text_session("4", T0);
	struct idle_session_facts greeter = graphical_session("5", false, 0, false);
	uint64_t sleep = T0 + MIN;
	struct idle_action a;

	exempt.groups = lab_groups;
	greeter.class = "greeter";
	update(t, &active, T0);
	update(t, &locked, T0);
	update(t, &exempt, T0);
	update(t, &ssh, T0);
	update(t, &greeter, T0);

	ck_assert_uint_eq(idle_tracker_lock_all(t, sleep), 1);
	a = next_is(t, sleep, IDLE_ACTION_LOCK, "1");
	ck_assert_int_eq(a.reason, IDLE_REASON_SLEEP);
	ck_assert_uint_eq(a.attempt, 1);
	ck_assert_uint_eq(a.idle_usec, 0);
	assert_place(&a, "sleep", "built-in default");
	nothing_at(t, sleep);

	/* The person stays active until the lid closes: that does not end the verification. */
	update(t, &active, sleep + SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), sleep + 60 * SEC);
	active.locked_hint = true;
	update(t, &active, sleep + 2 * SEC);
	a = next_is(t, sleep + 2 * SEC, IDLE_ACTION_LOCKED, "1");
	ck_assert_int_eq(a.reason, IDLE_REASON_SLEEP);
	assert_place(&a, "sleep", "built-in default");
}
END_TEST

START_TEST(test_idle_lock_all_unverified_sleep_lock_retries_and_fails)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", false, 0, false);
	struct idle_action a;

	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_lock_all(t, T0), 1);
	next_is(t, T0, IDLE_ACTION_LOCK, "1");
	update(t, &f, T0 + 30 * SEC);
	a = next_is(t, T0 + 60 * SEC, IDLE_ACTION_LOCK, "1");
	ck_assert_uint_eq(a.attempt, 2);
	ck_assert_int_eq(a.reason, IDLE_REASON_SLEEP);
	next_is(t, T0 + 120 * SEC, IDLE_ACTION_LOCK_FAILED, "1");
	next_is(t, T0 + 120 * SEC, IDLE_ACTION_TERMINATE, "1");
}
END_TEST

START_TEST(test_idle_lock_all_in_observe_mode_is_observed)
{
	_cleanup_(config_freep) struct config *c = load("observe", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session("1", false, 0, false);
	struct idle_action a;

	update(t, &f, T0);
	ck_assert_uint_eq(idle_tracker_lock_all(t, T0), 1);
	a = next_is(t, T0, IDLE_ACTION_LOCK, "1");
	ck_assert(a.observe);
	ck_assert_int_eq(a.reason, IDLE_REASON_SLEEP);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
}
END_TEST

/* ---- Sessions and deadlines ------------------------------------------------------------- */

START_TEST(test_idle_remove_mid_timer_leaves_no_deadline)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts g = graphical_session("1", true, T0, false);
	struct idle_session_facts x = text_session("c3", T0);

	update(t, &g, T0);
	update(t, &x, T0);
	next_is(t, T0 + 10 * MIN, IDLE_ACTION_LOCK, "1");
	idle_tracker_remove(t, "1");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 29 * MIN);
	idle_tracker_remove(t, "c3");
	idle_tracker_remove(t, "c3");
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, T0 + 24 * USEC_PER_HOUR);
	ck_assert_int_eq(idle_tracker_session_next(t, "1", NULL, NULL), -ENOENT);
}
END_TEST

START_TEST(test_idle_next_deadline_is_max_when_nothing_is_due)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts active = graphical_session("1", false, 0, false);
	struct idle_session_facts greeter = graphical_session("2", true, T0, false);

	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	greeter.class = "greeter";
	update(t, &active, T0);
	update(t, &greeter, T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	nothing_at(t, UINT64_MAX - 1);
}
END_TEST

START_TEST(test_idle_earliest_deadline_comes_first)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts a = graphical_session("a", true, T0 + MIN, false);
	struct idle_session_facts b = graphical_session("b", true, T0, false);

	update(t, &a, T0 + MIN);
	update(t, &b, T0 + MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 10 * MIN);
	next_is(t, T0 + 20 * MIN, IDLE_ACTION_LOCK, "b");
	next_is(t, T0 + 20 * MIN, IDLE_ACTION_LOCK, "a");
	nothing_at(t, T0 + 20 * MIN);
}
END_TEST

START_TEST(test_idle_session_next_reports_the_planned_action)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts g = graphical_session("1", true, T0, false);
	struct idle_session_facts x = text_session("c3", T0);
	struct idle_session_facts active = graphical_session("2", false, 0, false);
	enum idle_action_kind kind;
	uint64_t when;

	update(t, &g, T0);
	update(t, &x, T0);
	update(t, &active, T0);
	ck_assert_int_eq(idle_tracker_session_next(t, "1", &kind, &when), 1);
	ck_assert_int_eq(kind, IDLE_ACTION_LOCK);
	ck_assert_uint_eq(when, T0 + 10 * MIN);
	/* A text session shows the WARN its REFRESH stands for. */
	ck_assert_int_eq(idle_tracker_session_next(t, "c3", &kind, &when), 1);
	ck_assert_int_eq(kind, IDLE_ACTION_WARN);
	ck_assert_uint_eq(when, T0 + 29 * MIN);
	ck_assert_int_eq(idle_tracker_session_next(t, "2", &kind, &when), 0);
	ck_assert_int_eq(idle_tracker_session_next(t, "9", &kind, &when), -ENOENT);
}
END_TEST

START_TEST(test_idle_update_rejects_bad_session_ids)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	struct idle_session_facts f = graphical_session(NULL, true, T0, false);
	char long_id[IDLE_SESSION_ID_MAX + 1];

	ck_assert_int_eq(idle_tracker_update(t, &f, T0), -EINVAL);
	f.id = "";
	ck_assert_int_eq(idle_tracker_update(t, &f, T0), -EINVAL);
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	f.id = long_id;
	ck_assert_int_eq(idle_tracker_update(t, &f, T0), -EINVAL);
	long_id[IDLE_SESSION_ID_MAX - 1] = '\0';
	ck_assert_int_eq(idle_tracker_update(t, &f, T0), 0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 10 * MIN);
}
END_TEST

START_TEST(test_idle_many_sessions_are_tracked)
{
	_cleanup_(config_freep) struct config *c = load_default();
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = tracker(c);
	char id[16];
	struct idle_action a;
	unsigned n = 0;

	for (unsigned i = 0; i < 300; i++) {
		struct idle_session_facts f;

		(void)snprintf(id, sizeof(id), "%u", i);
		f = graphical_session(id, true, T0 + i, false);
		update(t, &f, T0 + 300);
	}
	for (unsigned i = 0; i < 300; i += 2) {
		(void)snprintf(id, sizeof(id), "%u", i);
		idle_tracker_remove(t, id);
	}
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 1 + 10 * MIN);
	while (idle_tracker_next(t, T0 + 11 * MIN, &a) > 0) {
		(void)snprintf(id, sizeof(id), "%u", 2 * n + 1);
		ck_assert_str_eq(a.session, id);
		n++;
	}
	ck_assert_uint_eq(n, 150);
}
END_TEST

START_TEST(test_idle_names_and_free_null)
{
	ck_assert_str_eq(idle_action_kind_to_string(IDLE_ACTION_LOCK_FAILED), "lock-failed");
	ck_assert_str_eq(idle_action_kind_to_string(IDLE_ACTION_REFRESH), "refresh");
	ck_assert_ptr_null(idle_action_kind_to_string(_IDLE_ACTION_KIND_MAX));
	ck_assert_str_eq(idle_reason_to_string(IDLE_REASON_LOCK_FAILURE), "lock-failure");
	ck_assert_ptr_null(idle_reason_to_string(_IDLE_REASON_MAX));
	ck_assert_str_eq(idle_session_kind_to_string(IDLE_SESSION_EXEMPT), "exempt");
	ck_assert_ptr_null(idle_session_kind_to_string(_IDLE_SESSION_KIND_MAX));
	ck_assert_ptr_null(idle_tracker_free(NULL));
}
END_TEST

static Suite *idle_suite(void)
{
	Suite *s = suite_create("idle");
	TCase *tc;

	tc = tcase_create("classify");
	tcase_add_test(tc, test_idle_classify_non_person_classes_are_ignored);
	tcase_add_test(tc, test_idle_classify_user_early_is_a_person);
	tcase_add_test(tc, test_idle_classify_closing_session_is_ignored);
	tcase_add_test(tc, test_idle_classify_by_type_tty_and_remote);
	suite_add_tcase(s, tc);

	tc = tcase_create("exempt");
	tcase_add_test(tc, test_idle_exempt_user_is_never_acted_on);
	tcase_add_test(tc, test_idle_unknown_groups_are_not_exempt);
	suite_add_tcase(s, tc);

	tc = tcase_create("graphical-lock");
	tcase_add_test(tc, test_idle_graphical_locks_at_lock_after);
	tcase_add_test(tc, test_idle_graphical_late_call_reports_lateness);
	tcase_add_test(tc, test_idle_graphical_already_locked_session_is_never_locked);
	tcase_add_test(tc, test_idle_graphical_unknown_or_future_idle_since_counts_from_first_seen);
	suite_add_tcase(s, tc);

	tc = tcase_create("graphical-activity");
	tcase_add_test(tc, test_idle_graphical_activity_before_deadline_cancels);
	tcase_add_test(tc, test_idle_graphical_idle_hint_flapping_restarts_from_new_idle_since);
	tcase_add_test(tc, test_idle_graphical_new_idle_since_without_false_restarts);
	tcase_add_test(tc, test_idle_graphical_activity_while_waiting_for_lock_cancels);
	tcase_add_test(tc, test_idle_graphical_unlock_starts_a_new_cycle_from_the_unlock);
	suite_add_tcase(s, tc);

	tc = tcase_create("graphical-verify");
	tcase_add_test(tc, test_idle_graphical_locked_hint_gives_locked_once);
	tcase_add_test(tc, test_idle_graphical_verified_lock_is_reported_even_if_unlocked_first);
	tcase_add_test(tc, test_idle_graphical_lock_retried_once_then_failure_terminates);
	tcase_add_test(tc, test_idle_graphical_lock_failure_with_log_does_not_terminate);
	tcase_add_test(tc, test_idle_graphical_call_failed_skips_the_grace_wait);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_test(tc, test_idle_graphical_set_config_shorter_lock_after_moves_deadline);
	tcase_add_test(tc, test_idle_mode_change_restarts_sessions);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_idle_text_refresh_at_warn_time_with_stale_facts);
	tcase_add_test(tc, test_idle_text_warns_after_fresh_facts);
	tcase_add_test(tc, test_idle_text_activity_moves_the_deadline);
	tcase_add_test(tc, test_idle_text_terminates_at_text_sessions_after);
	tcase_add_test(tc, test_idle_text_jittering_idle_start_is_one_period);
	tcase_add_test(tc, test_idle_text_zero_means_never);
	tcase_add_test(tc, test_idle_text_unknown_idle_since_never_acts);
	tcase_add_test(tc, test_idle_text_does_not_need_idle_hint);
	tcase_add_test(tc, test_idle_text_unanswered_refresh_is_repeated_after_10s);
	tcase_add_test(tc, test_idle_text_late_warning_keeps_its_lead);
	tcase_add_test(tc, test_idle_text_short_threshold_warns_at_half);
	suite_add_tcase(s, tc);

	tc = tcase_create("mode");
	tcase_add_test(tc, test_idle_observe_locks_once_then_nothing);
	tcase_add_test(tc, test_idle_observe_text_terminates_without_warning);
	tcase_add_test(tc, test_idle_mode_off_does_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("sleep");
	tcase_add_test(tc, test_idle_lock_all_locks_unlocked_graphical_sessions_before_sleep);
	tcase_add_test(tc, test_idle_lock_all_unverified_sleep_lock_retries_and_fails);
	tcase_add_test(tc, test_idle_lock_all_in_observe_mode_is_observed);
	suite_add_tcase(s, tc);

	tc = tcase_create("sessions");
	tcase_add_test(tc, test_idle_remove_mid_timer_leaves_no_deadline);
	tcase_add_test(tc, test_idle_next_deadline_is_max_when_nothing_is_due);
	tcase_add_test(tc, test_idle_earliest_deadline_comes_first);
	tcase_add_test(tc, test_idle_session_next_reports_the_planned_action);
	tcase_add_test(tc, test_idle_update_rejects_bad_session_ids);
	tcase_add_test(tc, test_idle_many_sessions_are_tracked);
	tcase_add_test(tc, test_idle_names_and_free_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(idle_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
