#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "authburst.h"
#include "macro.h"

/*
 * lib/authburst: failed authentications counted into bursts. snprintf() with explicit sizes is
 * used on purpose; clang-analyzer's DeprecatedOrUnsafeBufferHandling only recommends the Annex K
 * *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/* ---- Bursts -------------------------------------------------------------------------------- */

START_TEST(test_burst_once_per_burst)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;
	uint64_t t = 1000 * USEC_PER_SEC;
	unsigned n = 0, fired = 0;

	ck_assert_int_eq(authburst_new(3, 60 * USEC_PER_SEC, 8, &b), 0);
	/* 10 failures 1 s apart: one burst on the third. */
	for (unsigned i = 0; i < 10; i++) {
		int r = authburst_add(b, "alice", t + i * USEC_PER_SEC, &n);

		ck_assert_int_ge(r, 0);
		if (r > 0) {
			fired++;
			ck_assert_uint_eq(i, 2);
			ck_assert_uint_eq(n, 3);
		}
	}
	ck_assert_uint_eq(fired, 1);
	/* Another account is counted apart. */
	ck_assert_int_eq(authburst_add(b, "bob", t + 10 * USEC_PER_SEC, NULL), 0);
	/* After a quiet window, three more failures are a new burst. */
	t += 200 * USEC_PER_SEC;
	ck_assert_int_eq(authburst_add(b, "alice", t, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "alice", t + 1, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "alice", t + 2, NULL), 1);
}
END_TEST

START_TEST(test_burst_needs_count_within_window)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;

	ck_assert_int_eq(authburst_new(3, 10, 8, &b), 0);
	/* Failures 6 apart: never 3 within 10. */
	for (uint64_t t = 0; t < 100; t += 6)
		ck_assert_int_eq(authburst_add(b, "a", t, NULL), 0);
	/* Exactly at the window edge counts. */
	ck_assert_int_eq(authburst_add(b, "a", 200, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "a", 205, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "a", 210, NULL), 1);
}
END_TEST

START_TEST(test_burst_count_one_each_quiet_window)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;

	ck_assert_int_eq(authburst_new(1, 10, 8, &b), 0);
	ck_assert_int_eq(authburst_add(b, "a", 0, NULL), 1);
	ck_assert_int_eq(authburst_add(b, "a", 5, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "a", 100, NULL), 1);
}
END_TEST

START_TEST(test_burst_tracked_accounts_bounded)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;
	char name[32];

	ck_assert_int_eq(authburst_new(2, 1000, 4, &b), 0);
	ck_assert_int_eq(authburst_new(0, 1000, 4, &(struct authburst *){ NULL }), -EINVAL);
	for (unsigned i = 0; i < 100; i++) {
		(void)snprintf(name, sizeof(name), "user%u", i);
		ck_assert_int_eq(authburst_add(b, name, i, NULL), 0);
	}
	ck_assert_uint_eq(authburst_evicted(b), 96);
	/* The newest account is still there. */
	ck_assert_int_eq(authburst_add(b, "user99", 120, NULL), 1);
}
END_TEST

static Suite *authburst_suite(void)
{
	Suite *s = suite_create("authburst");
	TCase *tc;

	tc = tcase_create("burst");
	tcase_add_test(tc, test_burst_once_per_burst);
	tcase_add_test(tc, test_burst_needs_count_within_window);
	tcase_add_test(tc, test_burst_count_one_each_quiet_window);
	tcase_add_test(tc, test_burst_tracked_accounts_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(authburst_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
