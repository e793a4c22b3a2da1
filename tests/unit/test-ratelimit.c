#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "ratelimit.h"

#define T0 (UINT64_C(1000) * USEC_PER_SEC)

START_TEST(test_burst_passes_then_suppresses)
{
	struct ratelimit rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 3);
	unsigned suppressed = 99;

	for (int i = 0; i < 3; i++) {
		ck_assert(ratelimit_ok(&rl, T0 + (uint64_t)i, &suppressed));
		ck_assert_uint_eq(suppressed, 0);
	}
	ck_assert(!ratelimit_ok(&rl, T0 + 5, &suppressed));
	ck_assert(!ratelimit_ok(&rl, T0 + 9 * USEC_PER_SEC, &suppressed));
	ck_assert_uint_eq(suppressed, 0);
}
END_TEST

START_TEST(test_next_interval_reports_suppressed_once)
{
	struct ratelimit rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 2);
	unsigned suppressed;

	ck_assert(ratelimit_ok(&rl, T0, &suppressed));
	ck_assert(ratelimit_ok(&rl, T0 + 1, &suppressed));
	for (int i = 0; i < 5; i++)
		ck_assert(!ratelimit_ok(&rl, T0 + 2, &suppressed));

	ck_assert(ratelimit_ok(&rl, T0 + 10 * USEC_PER_SEC, &suppressed));
	ck_assert_uint_eq(suppressed, 5);
	ck_assert(ratelimit_ok(&rl, T0 + 10 * USEC_PER_SEC + 1, &suppressed));
	ck_assert_uint_eq(suppressed, 0);
	ck_assert(!ratelimit_ok(&rl, T0 + 10 * USEC_PER_SEC + 2, &suppressed));
}
END_TEST

START_TEST(test_suppressed_count_spans_quiet_intervals)
{
	struct ratelimit rl = RATELIMIT_INIT(USEC_PER_SEC, 1);
	unsigned suppressed;

	ck_assert(ratelimit_ok(&rl, T0, &suppressed));
	ck_assert(!ratelimit_ok(&rl, T0 + 1, &suppressed));
	ck_assert(ratelimit_ok(&rl, T0 + USEC_PER_HOUR, &suppressed));
	ck_assert_uint_eq(suppressed, 1);
}
END_TEST

START_TEST(test_zero_interval_or_burst_disables_limit)
{
	struct ratelimit off1 = RATELIMIT_INIT(0, 1);
	struct ratelimit off2 = RATELIMIT_INIT(USEC_PER_SEC, 0);
	unsigned suppressed;

	for (int i = 0; i < 100; i++) {
		ck_assert(ratelimit_ok(&off1, T0, &suppressed));
		ck_assert(ratelimit_ok(&off2, T0, &suppressed));
	}
}
END_TEST

START_TEST(test_clock_going_backwards_starts_new_interval)
{
	struct ratelimit rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 1);
	unsigned suppressed;

	ck_assert(ratelimit_ok(&rl, T0, &suppressed));
	ck_assert(!ratelimit_ok(&rl, T0 + 1, &suppressed));
	ck_assert(ratelimit_ok(&rl, T0 - USEC_PER_SEC, &suppressed));
	ck_assert_uint_eq(suppressed, 1);
}
END_TEST

START_TEST(test_time_zero_is_a_valid_start)
{
	struct ratelimit rl = RATELIMIT_INIT(10, 1);
	unsigned suppressed;

	ck_assert(ratelimit_ok(&rl, 0, &suppressed));
	ck_assert(!ratelimit_ok(&rl, 0, &suppressed));
	ck_assert(!ratelimit_ok(&rl, 5, &suppressed));
	ck_assert(ratelimit_ok(&rl, 11, &suppressed));
	ck_assert_uint_eq(suppressed, 2);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc;

	tc = tcase_create("limit");
	tcase_add_test(tc, test_burst_passes_then_suppresses);
	tcase_add_test(tc, test_zero_interval_or_burst_disables_limit);
	tcase_add_test(tc, test_clock_going_backwards_starts_new_interval);
	tcase_add_test(tc, test_time_zero_is_a_valid_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_test(tc, test_next_interval_reports_suppressed_once);
	tcase_add_test(tc, test_suppressed_count_spans_quiet_intervals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
