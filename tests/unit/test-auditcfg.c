#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditasm.h"
#include "auditcfg.h"
#include "auditclass.h"
#include "macro.h"

/*
 * snprintf() with explicit sizes is used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#define T0 (UINT64_C(1000) * USEC_PER_SEC)

/* Facts as auditclass makes them for one CONFIG_CHANGE. */
static struct auditclass_facts
change(uint32_t auid, uint32_t ses, uint32_t pid, const char *op, const char *key, bool ok)
{
	struct auditclass_facts f = {
		.kind = AUDITCLASS_RULES_CHANGED,
		.auid = auid,
		.ses = ses,
		.pid = pid,
		.has_result = true,
		.success = ok,
		.target_id = AUDITREC_UNSET,
		.op = strdup(op),
		.key = key ? strdup(key) : NULL,
		.exe = strdup("/usr/sbin/auditctl"),
	};

	(void)snprintf(f.audit_id, sizeof(f.audit_id), "1000.000:%u", pid);
	return f;
}

static struct auditclass_facts set_enabled(uint32_t auid, uint32_t ses, int v, int old)
{
	struct auditclass_facts f = change(auid, ses, 77, "set", NULL, true);
	char what[64];

	(void)snprintf(what, sizeof(what), "audit_enabled=%d old=%d", v, old);
	f.command = strdup(what);
	return f;
}

static void add(struct auditcfg *c, struct auditclass_facts f, uint64_t now)
{
	(void)auditcfg_add(c, &f, now);
	auditclass_facts_done(&f);
}

/* An auditctl -D (or a script) removing rules one by one: one change, every key once. */
START_TEST(test_burst_of_one_person_is_one_change)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;

	ck_assert_ptr_nonnull(c);
	add(c, change(1001, 5, 100, "remove_rule", "vakt-module", true), T0);
	add(c, change(1001, 5, 101, "remove_rule", "vakt-mount", true), T0 + 10000);
	add(c, change(1001, 5, 102, "remove_rule", "vakt-module", true), T0 + 20000);
	add(c, change(1001, 5, 103, "remove_rule", NULL, true), T0 + 30000);
	add(c, change(1001, 5, 104, "add_rule", "other", true), T0 + 40000);
	ck_assert_int_eq(auditcfg_next(c, T0 + 40000 + AUDITCFG_QUIET_USEC - 1, false, &ch), 0);
	ck_assert_uint_eq(auditcfg_next_deadline(c), T0 + 40000 + AUDITCFG_QUIET_USEC);
	ck_assert_int_eq(auditcfg_next(c, T0 + 40000 + AUDITCFG_QUIET_USEC, false, &ch), 1);
	ck_assert_uint_eq(ch.removed, 4);
	ck_assert_uint_eq(ch.added, 1);
	ck_assert_uint_eq(ch.keyless, 1);
	ck_assert_str_eq(ch.keys, "vakt-module, vakt-mount, other");
	ck_assert_str_eq(ch.facts.audit_id, "1000.000:100");
	ck_assert_str_eq(ch.last_id, "1000.000:104");
	ck_assert(!auditcfg_change_disabled(&ch));
	auditcfg_change_done(&ch);
	ck_assert_int_eq(auditcfg_next(c, T0 + 10 * USEC_PER_SEC, true, &ch), 0);
	ck_assert_uint_eq(auditcfg_next_deadline(c), UINT64_MAX);
}
END_TEST

START_TEST(test_actors_kept_apart)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;
	unsigned n = 0;

	add(c, change(1001, 5, 100, "remove_rule", "a", true), T0);
	add(c, change(1001, 6, 101, "remove_rule", "b", true), T0 + 1); /* another session */
	add(c, change(1002, 5, 102, "remove_rule", "c", true), T0 + 2); /* another person */
	add(c, change(AUDITREC_UNSET, AUDITREC_UNSET, 300, "add_rule", "d", true), T0 + 3);
	add(c, change(AUDITREC_UNSET, AUDITREC_UNSET, 301, "add_rule", "e", true), T0 + 4);
	add(c, change(AUDITREC_UNSET, AUDITREC_UNSET, 300, "add_rule", "f", true), T0 + 5);
	while (auditcfg_next(c, T0 + USEC_PER_SEC, false, &ch) > 0) {
		n++;
		if (ch.facts.pid == 300)
			ck_assert_str_eq(ch.keys, "d, f");
		auditcfg_change_done(&ch);
	}
	ck_assert_uint_eq(n, 5);
}
END_TEST

/* A person who keeps changing things still gets a record within AUDITCFG_MAX_AGE_USEC. */
START_TEST(test_long_burst_ends_at_max_age)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;
	uint64_t t = T0;

	for (; t < T0 + AUDITCFG_MAX_AGE_USEC; t += AUDITCFG_QUIET_USEC / 2) {
		ck_assert_int_eq(auditcfg_next(c, t, false, &ch), 0);
		add(c, change(1001, 5, 100, "remove_rule", "k", true), t);
	}
	ck_assert_int_eq(auditcfg_next(c, t, false, &ch), 1);
	ck_assert_uint_ge(ch.removed, 2);
	auditcfg_change_done(&ch);
}
END_TEST

START_TEST(test_enabled_flag)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;

	add(c, set_enabled(1001, 5, 0, 1), T0);
	ck_assert_int_eq(auditcfg_next(c, T0, true, &ch), 1);
	ck_assert_int_eq(ch.enabled, 0);
	ck_assert_int_eq(ch.enabled_old, 1);
	ck_assert(auditcfg_change_disabled(&ch));
	auditcfg_change_done(&ch);

	/* Off and on again in one burst: not "disabled"; the first old value stays. */
	add(c, set_enabled(1001, 5, 0, 1), T0);
	add(c, set_enabled(1001, 5, 1, 0), T0 + 1);
	ck_assert_int_eq(auditcfg_next(c, T0, true, &ch), 1);
	ck_assert_int_eq(ch.enabled, 1);
	ck_assert_int_eq(ch.enabled_old, 1);
	ck_assert(!auditcfg_change_disabled(&ch));
	auditcfg_change_done(&ch);
}
END_TEST

/* A refused CONFIG_CHANGE changed nothing (the rule existed, or did not): alone it is no change;
 * beside applied ones it is counted. */
START_TEST(test_refused_changes_counted_not_applied)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;

	add(c, change(1001, 5, 100, "add_rule", "k", false), T0);
	add(c, change(1001, 5, 101, "remove_rule", "k", false), T0 + 1);
	ck_assert_int_eq(auditcfg_next(c, T0, true, &ch), 0);
	ck_assert_uint_eq(auditcfg_noops(c), 1);

	add(c, change(1001, 5, 100, "remove_rule", "k", false), T0);
	add(c, change(1001, 5, 101, "remove_rule", "j", true), T0 + 1);
	ck_assert_int_eq(auditcfg_next(c, T0, true, &ch), 1);
	ck_assert_uint_eq(ch.refused, 1);
	ck_assert_uint_eq(ch.removed, 1);
	ck_assert(ch.facts.success);
	auditcfg_change_done(&ch);
}
END_TEST

START_TEST(test_memory_bounded)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;
	unsigned n = 0;

	for (uint32_t u = 0; u < 1000; u++)
		add(c, change(u, 1, u, "add_rule", "k", true), T0 + u);
	while (auditcfg_next(c, T0 + 2000, true, &ch) > 0) {
		n++;
		auditcfg_change_done(&ch);
	}
	ck_assert_uint_le(n, (uintmax_t)2 * AUDITCFG_MAX_OPEN);
	ck_assert_uint_eq(n + auditcfg_dropped(c), 1000);
}
END_TEST

/* Many keys: the list is cut with "..." and stays within its buffer. */
START_TEST(test_key_list_bounded)
{
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	struct auditcfg_change ch;
	char key[64];

	for (int i = 0; i < 200; i++) {
		(void)snprintf(key, sizeof(key), "some-long-key-name-%d", i);
		add(c, change(1001, 5, 100, "remove_rule", key, true), T0);
	}
	ck_assert_int_eq(auditcfg_next(c, T0, true, &ch), 1);
	ck_assert_uint_eq(ch.removed, 200);
	ck_assert_uint_lt(strlen(ch.keys), sizeof(ch.keys));
	ck_assert_str_eq(ch.keys + strlen(ch.keys) - 3, "...");
	auditcfg_change_done(&ch);
}
END_TEST

/* The captured records of a person removing four rules in four auditctl runs: one change. */
START_TEST(test_captured_removal_is_one_change)
{
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	_cleanup_(auditclass_freep) struct auditclass *cls = auditclass_new();
	_cleanup_(auditcfg_freep) struct auditcfg *c = auditcfg_new();
	_cleanup_fclose_ FILE *f = fopen(TEST_DATA_DIR "/audit/config-remove.log", "re");
	const struct auditasm_event *ev;
	struct auditclass_facts facts = { 0 };
	struct auditcfg_change ch;
	char line[8192];
	unsigned n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		(void)auditasm_feed(a, line, strlen(line), -1, T0);
	while ((ev = auditasm_next(a, T0, true)))
		ck_assert_int_ge(auditclass_feed(cls, ev, T0), 0);
	while (auditclass_next(cls, T0, true, &facts) > 0) {
		(void)auditcfg_add(c, &facts, facts.time_usec);
		auditclass_facts_done(&facts);
	}
	while (auditcfg_next(c, UINT64_MAX / 2, false, &ch) > 0) {
		n++;
		ck_assert_uint_eq(ch.removed, 4);
		ck_assert_uint_eq(ch.facts.auid, 1001);
		ck_assert_str_eq(ch.keys,
				 "vakt-test-watch, vakt-test-setuid, vakt-test-mount, "
				 "vakt-test-module");
		auditcfg_change_done(&ch);
	}
	ck_assert_uint_eq(n, 1);
}
END_TEST

static Suite *auditcfg_suite(void)
{
	Suite *s = suite_create("auditcfg");
	TCase *tc = tcase_create("coalesce");

	tcase_add_test(tc, test_burst_of_one_person_is_one_change);
	tcase_add_test(tc, test_actors_kept_apart);
	tcase_add_test(tc, test_long_burst_ends_at_max_age);
	tcase_add_test(tc, test_enabled_flag);
	tcase_add_test(tc, test_refused_changes_counted_not_applied);
	tcase_add_test(tc, test_memory_bounded);
	tcase_add_test(tc, test_key_list_bounded);
	tcase_add_test(tc, test_captured_removal_is_one_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditcfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
