#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "idle.h"
#include "macro.h"
#include "strv.h"

#define NAME "/etc/vakt/vakt.conf"
#define MIN  USEC_PER_MINUTE
#define SEC  USEC_PER_SEC
/* A monotonic clock far from 0, like a machine that has been up a while. */
#define T0   (100 * USEC_PER_HOUR)

/* lock_after = 10min (line 3), grace = 60s (4), on_lock_failure (5), text_sessions_after = 30min
 * (6), exempt_groups = kiosk (7). */
static struct config *load(const char *mode, const char *on_failure, const char *text_after)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	char *text;

	ck_assert_int_ge(asprintf(&text,
				  "[idle]\n"
				  "mode = %s\n"
				  "lock_after = 10min\n"
				  "grace = 60s\n"
				  "on_lock_failure = %s\n"
				  "text_sessions_after = %s\n"
				  "exempt_groups = kiosk\n",
				  mode,
				  on_failure,
				  text_after),
			 0);
	ck_assert_int_eq(config_load_string(text, strlen(text), NAME, &c, &errors), 0);
	free(text);
	return c;
}

static char *staff[] = { (char *)"alice", (char *)"staff", NULL };
static char *kiosk[] = { (char *)"bob", (char *)"kiosk", NULL };

static struct idle_session_facts desktop(const char *id, bool idle, uint64_t since, bool locked)
{
	return (struct idle_session_facts){
		.id = id,
		.user = "alice",
		.uid = 1000,
		.class = "user",
		.type = "x11",
		.state = "active",
		.idle_hint = idle,
		.idle_since_usec = since,
		.locked_hint = locked,
		.groups = staff,
	};
}

static struct idle_session_facts terminal(const char *id, uint64_t last_used)
{
	return (struct idle_session_facts){
		.id = id,
		.user = "alice",
		.uid = 1000,
		.class = "user",
		.type = "tty",
		.tty = "pts/3",
		.remote = true,
		.state = "active",
		.idle_since_usec = last_used,
		.groups = staff,
	};
}

static void feed(struct idle_tracker *t, struct idle_session_facts f, uint64_t now)
{
	ck_assert_int_eq(idle_tracker_update(t, &f, now), 0);
}

/* The next action at now: its kind, or -1 when nothing is due. */
static int next(struct idle_tracker *t, uint64_t now, struct idle_action *a)
{
	struct idle_action dummy;

	if (!a)
		a = &dummy;
	return idle_tracker_next(t, now, a) > 0 ? (int)a->kind : -1;
}

START_TEST(test_idle_graphical_locks_exactly_at_lock_after)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, desktop("c1", false, 0, false), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	feed(t, desktop("c1", true, T0 + 5 * SEC, false), T0 + 5 * SEC);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 5 * SEC + 10 * MIN);
	ck_assert_int_eq(next(t, T0 + 5 * SEC + 10 * MIN - 1, NULL), -1);
	ck_assert_int_eq(next(t, T0 + 5 * SEC + 10 * MIN, &a), IDLE_ACTION_LOCK);
	ck_assert_str_eq(a.id, "c1");
	ck_assert_uint_eq(a.attempt, 1);
	ck_assert_int_eq(a.reason, IDLE_REASON_IDLE);
	ck_assert(!a.observe);
	ck_assert_uint_eq(a.idle_usec, 10 * MIN);
	ck_assert(a.idle_since_known);
	ck_assert_str_eq(a.rule, "lock_after");
	ck_assert_str_eq(a.place->file, NAME);
	ck_assert_uint_eq(a.place->line, 3);
	ck_assert_uint_eq(a.deadline_usec, T0 + 5 * SEC + 10 * MIN);
}
END_TEST

START_TEST(test_idle_activity_before_deadline_cancels)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);

	feed(t, desktop("c1", true, T0, false), T0);
	feed(t, desktop("c1", false, 0, false), T0 + 9 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	ck_assert_int_eq(next(t, T0 + 20 * MIN, NULL), -1);
	/* IdleHint flapping: the new idle period counts from its own start. */
	feed(t, desktop("c1", true, T0 + 12 * MIN, false), T0 + 12 * MIN);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 22 * MIN);
	feed(t, desktop("c1", false, 0, false), T0 + 13 * MIN);
	feed(t, desktop("c1", true, T0 + 14 * MIN, false), T0 + 14 * MIN);
	ck_assert_int_eq(next(t, T0 + 22 * MIN, NULL), -1);
	ck_assert_int_eq(next(t, T0 + 24 * MIN, NULL), IDLE_ACTION_LOCK);
}
END_TEST

START_TEST(test_idle_lock_verified_by_locked_hint)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, NULL), IDLE_ACTION_LOCK);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 11 * MIN); /* grace */
	feed(t, desktop("c1", true, T0, true), T0 + 10 * MIN + 2 * SEC);
	ck_assert_int_eq(next(t, T0 + 10 * MIN + 2 * SEC, &a), IDLE_ACTION_LOCKED);
	ck_assert_uint_eq(a.idle_usec, 10 * MIN + 2 * SEC);
	ck_assert_int_eq(a.reason, IDLE_REASON_IDLE);
	/* Reported once, then nothing while it stays locked: the loop sleeps. */
	ck_assert_int_eq(next(t, T0 + 60 * MIN, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	/* Unlocked and used: a new idle period starts a new cycle. */
	feed(t, desktop("c1", false, 0, false), T0 + 61 * MIN);
	feed(t, desktop("c1", true, T0 + 62 * MIN, false), T0 + 62 * MIN);
	ck_assert_int_eq(next(t, T0 + 72 * MIN, NULL), IDLE_ACTION_LOCK);
}
END_TEST

START_TEST(test_idle_unlocked_session_retried_then_terminated)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, &a), IDLE_ACTION_LOCK);
	ck_assert_int_eq(next(t, T0 + 11 * MIN - 1, NULL), -1);
	ck_assert_int_eq(next(t, T0 + 11 * MIN, &a), IDLE_ACTION_LOCK);
	ck_assert_uint_eq(a.attempt, 2);
	ck_assert_str_eq(a.rule, "grace");
	ck_assert_uint_eq(a.place->line, 4);
	/* Moving the mouse does not withdraw a request the session ignored. */
	feed(t, desktop("c1", false, 0, false), T0 + 11 * MIN + SEC);
	ck_assert_int_eq(next(t, T0 + 12 * MIN, &a), IDLE_ACTION_LOCK_FAILED);
	ck_assert_int_eq(a.decision, LOCK_FAILURE_TERMINATE);
	ck_assert_str_eq(a.rule, "on_lock_failure");
	ck_assert_uint_eq(a.place->line, 5);
	ck_assert_int_eq(next(t, T0 + 12 * MIN, &a), IDLE_ACTION_TERMINATE);
	ck_assert_int_eq(a.reason, IDLE_REASON_LOCK_FAILURE);
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
}
END_TEST

START_TEST(test_idle_lock_failure_log_only_records)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "log", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, NULL), IDLE_ACTION_LOCK);
	ck_assert_int_eq(next(t, T0 + 11 * MIN, NULL), IDLE_ACTION_LOCK);
	ck_assert_int_eq(next(t, T0 + 12 * MIN, &a), IDLE_ACTION_LOCK_FAILED);
	ck_assert_int_eq(a.decision, LOCK_FAILURE_LOG);
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
}
END_TEST

START_TEST(test_idle_failed_lock_call_goes_on_at_once)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, NULL), IDLE_ACTION_LOCK);
	idle_tracker_call_failed(t, "c1", T0 + 10 * MIN);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, &a), IDLE_ACTION_LOCK);
	ck_assert_uint_eq(a.attempt, 2);
	idle_tracker_call_failed(t, "c1", T0 + 10 * MIN);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, NULL), IDLE_ACTION_LOCK_FAILED);
}
END_TEST

START_TEST(test_idle_locked_session_never_locked)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);

	feed(t, desktop("c1", true, T0, true), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	ck_assert_int_eq(next(t, T0 + 60 * MIN, NULL), -1);
}
END_TEST

START_TEST(test_idle_classes_and_exemptions)
{
	static const char *const untouched[] = {
		"greeter", "lock-screen", "background", "manager", "user-early", "",
	};
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_session_facts f;

	for (size_t i = 0; i < ELEMENTSOF(untouched); i++) {
		f = desktop("g", true, T0, false);
		f.class = untouched[i];
		ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_IGNORED);
		feed(t, f, T0);
	}
	f = desktop("k", true, T0, false);
	f.groups = kiosk;
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_EXEMPT);
	feed(t, f, T0);
	f = desktop("closing", true, T0, false);
	f.state = "closing";
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_IGNORED);
	feed(t, f, T0);
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);

	/* Unknown groups are no exemption. */
	f = desktop("u", true, T0, false);
	f.groups = NULL;
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_GRAPHICAL);
	/* Nothing to lock or warn: no display type, no terminal. */
	f.type = "unspecified";
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_IGNORED);
	f.tty = "tty2";
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_TEXT);
	f.type = "wayland";
	ck_assert_int_eq(idle_classify(c, &f), IDLE_SESSION_GRAPHICAL);
}
END_TEST

START_TEST(test_idle_text_session_refreshes_then_warns_then_ends)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, terminal("c3", T0), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 29 * MIN);
	/* logind sends nothing for a terminal: at the predicted moment, read it again first. */
	ck_assert_int_eq(next(t, T0 + 29 * MIN, &a), IDLE_ACTION_REFRESH);
	ck_assert_int_eq(next(t, T0 + 29 * MIN, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX); /* waiting for the answer */
	feed(t, terminal("c3", T0), T0 + 29 * MIN + 10);
	ck_assert_int_eq(next(t, T0 + 29 * MIN + 10, &a), IDLE_ACTION_WARN);
	ck_assert_str_eq(a.rule, "text_sessions_after");
	ck_assert_uint_eq(a.place->line, 6);
	ck_assert_int_eq(a.reason, IDLE_REASON_TEXT_IDLE);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 30 * MIN);
	ck_assert_int_eq(next(t, T0 + 30 * MIN, NULL), IDLE_ACTION_REFRESH);
	feed(t, terminal("c3", T0), T0 + 30 * MIN + 10);
	ck_assert_int_eq(next(t, T0 + 30 * MIN + 10, &a), IDLE_ACTION_TERMINATE);
	ck_assert_uint_eq(a.idle_usec, 30 * MIN);
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
}
END_TEST

START_TEST(test_idle_text_session_used_again_moves_the_deadline)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);

	feed(t, terminal("c3", T0), T0);
	ck_assert_int_eq(next(t, T0 + 29 * MIN, NULL), IDLE_ACTION_REFRESH);
	/* Typed into it at T0 + 20 min: no warning, the next check follows that. */
	feed(t, terminal("c3", T0 + 20 * MIN), T0 + 29 * MIN + 10);
	ck_assert_int_eq(next(t, T0 + 29 * MIN + 10, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 49 * MIN);
	/* A refresh that got no answer is tried again later, not in a loop. */
	ck_assert_int_eq(next(t, T0 + 49 * MIN, NULL), IDLE_ACTION_REFRESH);
	idle_tracker_call_failed(t, "c3", T0 + 49 * MIN);
	ck_assert_int_eq(next(t, T0 + 49 * MIN, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 49 * MIN + IDLE_RETRY_USEC);
}
END_TEST

START_TEST(test_idle_text_sessions_never_with_zero_or_unknown)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "0");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	_cleanup_(config_freep) struct config *c2 = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t2 = idle_tracker_new(c2);

	feed(t, terminal("c3", T0), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	feed(t2, terminal("c3", 0), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t2), UINT64_MAX);
}
END_TEST

START_TEST(test_idle_short_text_timeout_warns_half_way)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "40s");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);

	feed(t, terminal("c3", T0), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 20 * SEC);
}
END_TEST

START_TEST(test_idle_observe_mode_acts_once_without_escalation)
{
	_cleanup_(config_freep) struct config *c = load("observe", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_action a;

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, &a), IDLE_ACTION_LOCK);
	ck_assert(a.observe);
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	feed(t, terminal("c3", T0), T0 + 30 * MIN);
	ck_assert_int_eq(next(t, T0 + 30 * MIN, &a), IDLE_ACTION_WARN);
	ck_assert(a.observe);
	ck_assert_int_eq(next(t, T0 + 30 * MIN, &a), IDLE_ACTION_TERMINATE);
	ck_assert(a.observe);
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
}
END_TEST

START_TEST(test_idle_lock_all_before_sleep)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_session_facts k = desktop("k", false, 0, false);
	struct idle_action a;

	k.groups = kiosk;
	feed(t, desktop("busy", false, 0, false), T0);
	feed(t, desktop("locked", true, T0, true), T0);
	feed(t, k, T0);
	feed(t, terminal("c3", T0), T0);
	ck_assert_int_eq(idle_tracker_lock_all(t, T0 + SEC), 1);
	ck_assert_int_eq(next(t, T0 + SEC, &a), IDLE_ACTION_LOCK);
	ck_assert_str_eq(a.id, "busy");
	ck_assert_int_eq(a.reason, IDLE_REASON_SLEEP);
	ck_assert_int_eq(next(t, T0 + SEC, NULL), -1);
	feed(t, desktop("busy", false, 0, true), T0 + 2 * SEC);
	ck_assert_int_eq(next(t, T0 + 2 * SEC, &a), IDLE_ACTION_LOCKED);
	ck_assert_int_eq(a.reason, IDLE_REASON_SLEEP);
}
END_TEST

START_TEST(test_idle_removed_mid_timer_leaves_nothing_pending)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	enum idle_action_kind k;
	uint64_t when;

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_int_eq(next(t, T0 + 10 * MIN, NULL), IDLE_ACTION_LOCK);
	ck_assert_int_eq(idle_tracker_session_next(t, "c1", &k, &when), 1);
	ck_assert_int_eq(k, IDLE_ACTION_LOCK);
	ck_assert_uint_eq(when, T0 + 11 * MIN);
	idle_tracker_remove(t, "c1");
	ck_assert_int_eq(idle_tracker_session_next(t, "c1", &k, &when), -ENOENT);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
	idle_tracker_call_failed(t, "c1", T0); /* a late answer for a gone session */
	ck_assert_int_eq(next(t, T0 + 99 * MIN, NULL), -1);
}
END_TEST

START_TEST(test_idle_reload_moves_deadlines_and_exemptions)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(config_freep) struct config *c2 = NULL, *c3 = NULL;
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	_cleanup_strv_free_ char **errors = NULL;
	static const char text[] = "[idle]\nlock_after = 5min\nexempt_groups = staff\n";

	feed(t, desktop("c1", true, T0, false), T0);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 10 * MIN);
	ck_assert_int_eq(config_load_string(text, sizeof(text) - 1, NAME, &c2, &errors), 0);
	c2->idle.exempt_groups = strv_free(c2->idle.exempt_groups);
	idle_tracker_set_config(t, c2);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), T0 + 5 * MIN);
	ck_assert_int_eq(config_load_string(text, sizeof(text) - 1, NAME, &c3, &errors), 0);
	idle_tracker_set_config(t, c3);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX); /* alice is staff */
}
END_TEST

START_TEST(test_idle_bad_ids_refused)
{
	_cleanup_(config_freep) struct config *c = load("enforce", "terminate", "30min");
	_cleanup_(idle_tracker_freep) struct idle_tracker *t = idle_tracker_new(c);
	struct idle_session_facts f = desktop(NULL, true, T0, false);
	char long_id[IDLE_ID_MAX + 1];

	ck_assert_int_eq(idle_tracker_update(t, &f, T0), -EINVAL);
	memset(long_id, 'x', IDLE_ID_MAX);
	long_id[IDLE_ID_MAX] = '\0';
	f.id = long_id;
	ck_assert_int_eq(idle_tracker_update(t, &f, T0), -EINVAL);
	ck_assert_uint_eq(idle_tracker_next_deadline(t), UINT64_MAX);
}
END_TEST

START_TEST(test_idle_names)
{
	ck_assert_str_eq(idle_action_kind_to_string(IDLE_ACTION_LOCK_FAILED), "lock-failed");
	ck_assert_str_eq(idle_session_kind_to_string(IDLE_SESSION_TEXT), "text");
	ck_assert_str_eq(idle_reason_to_string(IDLE_REASON_SLEEP), "sleep");
	ck_assert_ptr_null(idle_action_kind_to_string(_IDLE_ACTION_KIND_MAX));
}
END_TEST

static Suite *idle_suite(void)
{
	Suite *s = suite_create("idle");
	TCase *tc;

	tc = tcase_create("graphical");
	tcase_add_test(tc, test_idle_graphical_locks_exactly_at_lock_after);
	tcase_add_test(tc, test_idle_activity_before_deadline_cancels);
	tcase_add_test(tc, test_idle_lock_verified_by_locked_hint);
	tcase_add_test(tc, test_idle_unlocked_session_retried_then_terminated);
	tcase_add_test(tc, test_idle_lock_failure_log_only_records);
	tcase_add_test(tc, test_idle_failed_lock_call_goes_on_at_once);
	tcase_add_test(tc, test_idle_locked_session_never_locked);
	tcase_add_test(tc, test_idle_lock_all_before_sleep);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_idle_text_session_refreshes_then_warns_then_ends);
	tcase_add_test(tc, test_idle_text_session_used_again_moves_the_deadline);
	tcase_add_test(tc, test_idle_text_sessions_never_with_zero_or_unknown);
	tcase_add_test(tc, test_idle_short_text_timeout_warns_half_way);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_idle_classes_and_exemptions);
	tcase_add_test(tc, test_idle_observe_mode_acts_once_without_escalation);
	tcase_add_test(tc, test_idle_removed_mid_timer_leaves_nothing_pending);
	tcase_add_test(tc, test_idle_reload_moves_deadlines_and_exemptions);
	tcase_add_test(tc, test_idle_bad_ids_refused);
	tcase_add_test(tc, test_idle_names);
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
