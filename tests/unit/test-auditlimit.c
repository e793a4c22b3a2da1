#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "auditclass.h"
#include "auditlimit.h"
#include "macro.h"

#define T0	 (UINT64_C(1000) * USEC_PER_SEC)
#define INTERVAL (10 * USEC_PER_SEC)

static struct auditclass_facts facts(enum auditclass_kind kind, uint32_t auid, bool success)
{
	return (struct auditclass_facts){
		.kind = kind,
		.auid = auid,
		.has_result = true,
		.success = success,
	};
}

/* The flood of issue 13 item 8: one person's sudo -n failures cannot use up another person's
 * budget, and a successful sudo is never dropped. */
START_TEST(test_flood_of_one_person_leaves_others_alone)
{
	_cleanup_(auditlimit_freep) struct auditlimit *l = auditlimit_new(INTERVAL, 16);
	struct auditclass_facts flood = facts(AUDITCLASS_SUDO, 1001, false);
	struct auditclass_facts other_fail = facts(AUDITCLASS_SUDO, 1002, false);
	struct auditclass_facts other_ok = facts(AUDITCLASS_SUDO, 1002, true);
	struct auditclass_facts flood_ok = facts(AUDITCLASS_SUDO, 1001, true);
	unsigned passed = 0, suppressed;

	ck_assert_ptr_nonnull(l);
	for (unsigned i = 0; i < 2000; i++)
		passed += auditlimit_ok(l, &flood, T0 + i, &suppressed);
	ck_assert_uint_eq(passed, auditlimit_burst(AUDITCLASS_SUDO));
	ck_assert(auditlimit_ok(l, &other_ok, T0 + 2000, &suppressed));
	ck_assert(auditlimit_ok(l, &other_fail, T0 + 2001, &suppressed));
	ck_assert_uint_eq(suppressed, 0);
	/* Even the flooder's own successful sudo passes. */
	ck_assert(auditlimit_ok(l, &flood_ok, T0 + 2002, &suppressed));
}
END_TEST

START_TEST(test_successes_are_exempt_failures_and_auth_are_not)
{
	static const enum auditclass_kind kinds[] = {
		AUDITCLASS_SUDO,	 AUDITCLASS_SU,
		AUDITCLASS_PKEXEC,	 AUDITCLASS_ACCOUNT_CHANGED,
		AUDITCLASS_FILE_CHANGED, AUDITCLASS_RULES_CHANGED,
		AUDITCLASS_MOUNT,	 AUDITCLASS_MODULE,
		AUDITCLASS_SETUID,
	};
	struct auditclass_facts no_result = { .kind = AUDITCLASS_FILE_CHANGED, .auid = 5 };
	struct auditclass_facts auth = facts(AUDITCLASS_AUTH_FAILED, 5, false);

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		struct auditclass_facts ok = facts(kinds[i], 5, true);
		struct auditclass_facts bad = facts(kinds[i], 5, false);

		ck_assert(auditlimit_exempt(&ok));
		ck_assert(!auditlimit_exempt(&bad));
	}
	ck_assert(auditlimit_exempt(&no_result));
	ck_assert(!auditlimit_exempt(&auth));
}
END_TEST

START_TEST(test_exempt_records_pass_any_flood)
{
	_cleanup_(auditlimit_freep) struct auditlimit *l = auditlimit_new(INTERVAL, 4);
	struct auditclass_facts ok = facts(AUDITCLASS_FILE_CHANGED, 1001, true);
	unsigned suppressed;

	for (unsigned i = 0; i < 10000; i++)
		ck_assert(auditlimit_ok(l, &ok, T0 + i, &suppressed));
}
END_TEST

START_TEST(test_suppressed_reported_once_with_next_record_or_by_kind)
{
	_cleanup_(auditlimit_freep) struct auditlimit *l = auditlimit_new(INTERVAL, 16);
	struct auditclass_facts f = facts(AUDITCLASS_AUTH_FAILED, 1001, false);
	unsigned burst = auditlimit_burst(AUDITCLASS_AUTH_FAILED), suppressed;

	for (unsigned i = 0; i < burst + 7; i++)
		(void)auditlimit_ok(l, &f, T0 + i, &suppressed);
	/* Next interval: the passing record carries the 7, the kind total no longer has them. */
	ck_assert(auditlimit_ok(l, &f, T0 + INTERVAL + 100, &suppressed));
	ck_assert_uint_eq(suppressed, 7);
	ck_assert_uint_eq(auditlimit_take_unreported(l, AUDITCLASS_AUTH_FAILED), 0);

	for (unsigned i = 0; i < burst + 3; i++)
		(void)auditlimit_ok(l, &f, T0 + INTERVAL + 200 + i, &suppressed);
	ck_assert_uint_eq(auditlimit_take_unreported(l, AUDITCLASS_AUTH_FAILED), 4);
	ck_assert_uint_eq(auditlimit_take_unreported(l, AUDITCLASS_AUTH_FAILED), 0);
	/* Reported by kind: the next passing record does not carry them again. */
	ck_assert(auditlimit_ok(l, &f, T0 + 3 * INTERVAL, &suppressed));
	ck_assert_uint_eq(suppressed, 0);
}
END_TEST

START_TEST(test_table_bounded_evicted_counts_still_reported)
{
	_cleanup_(auditlimit_freep) struct auditlimit *l = auditlimit_new(INTERVAL, 2);
	unsigned burst = auditlimit_burst(AUDITCLASS_AUTH_FAILED), suppressed;
	struct auditclass_facts f;

	/* auid 1 floods; then many others each get a bucket, evicting it. */
	f = facts(AUDITCLASS_AUTH_FAILED, 1, false);
	for (unsigned i = 0; i < burst + 5; i++)
		(void)auditlimit_ok(l, &f, T0 + i, &suppressed);
	for (uint32_t u = 2; u < 100; u++) {
		f = facts(AUDITCLASS_AUTH_FAILED, u, false);
		ck_assert(auditlimit_ok(l, &f, T0 + 1000 + u, &suppressed));
	}
	ck_assert_uint_eq(auditlimit_take_unreported(l, AUDITCLASS_AUTH_FAILED), 5);
}
END_TEST

START_TEST(test_zero_interval_disables_the_limit)
{
	_cleanup_(auditlimit_freep) struct auditlimit *l = auditlimit_new(0, 1);
	struct auditclass_facts f = facts(AUDITCLASS_AUTH_FAILED, 1, false);
	unsigned suppressed;

	for (unsigned i = 0; i < 10000; i++)
		ck_assert(auditlimit_ok(l, &f, T0, &suppressed));
}
END_TEST

static Suite *auditlimit_suite(void)
{
	Suite *s = suite_create("auditlimit");
	TCase *tc = tcase_create("limit");

	tcase_add_test(tc, test_flood_of_one_person_leaves_others_alone);
	tcase_add_test(tc, test_successes_are_exempt_failures_and_auth_are_not);
	tcase_add_test(tc, test_exempt_records_pass_any_flood);
	tcase_add_test(tc, test_suppressed_reported_once_with_next_record_or_by_kind);
	tcase_add_test(tc, test_table_bounded_evicted_counts_still_reported);
	tcase_add_test(tc, test_zero_interval_disables_the_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditlimit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
