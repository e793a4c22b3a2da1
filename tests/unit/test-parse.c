#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "parse.h"
#include "strv.h"

static const struct {
	const char *text;
	int r;
	bool value;
} bools[] = {
	{ "yes", 0, true },	 { "true", 0, true },	 { "on", 0, true },
	{ "1", 0, true },	 { "no", 0, false },	 { "false", 0, false },
	{ "off", 0, false },	 { "0", 0, false },	 { "Yes", -EINVAL, false },
	{ "y", -EINVAL, false }, { "", -EINVAL, false }, { "2", -EINVAL, false },
};

static const struct {
	const char *text;
	uint64_t usec;
} good_durations[] = {
	{ "0", 0 },
	{ "90", 90 * USEC_PER_SEC },
	{ "90s", 90 * USEC_PER_SEC },
	{ "10min", 10 * USEC_PER_MINUTE },
	{ "2h", 2 * USEC_PER_HOUR },
	{ "1d", USEC_PER_DAY },
	{ "0s", 0 },
	{ "1h 30min", USEC_PER_HOUR + 30 * USEC_PER_MINUTE },
	{ "1h30min", USEC_PER_HOUR + 30 * USEC_PER_MINUTE },
	{ "1d 2h 3min 4s",
	  USEC_PER_DAY + 2 * USEC_PER_HOUR + 3 * USEC_PER_MINUTE + 4 * USEC_PER_SEC },
	{ "  5s  ", 5 * USEC_PER_SEC },
	{ "213503982d", 213503982 * USEC_PER_DAY },
};

START_TEST(test_duration_accepts_units_and_combinations)
{
	const char *why = NULL;
	uint64_t usec = 1;

	ck_assert_msg(parse_duration(good_durations[_i].text, &usec, &why) == 0,
		      "'%s' rejected",
		      good_durations[_i].text);
	ck_assert_uint_eq(usec, good_durations[_i].usec);
}
END_TEST

static const char *const bad_durations[] = {
	"",    "   ",	  "abc", "10 parsecs", "5m",	"-5s",	"+5s", "1.5h", "s",
	"min", "10min 5", "5 5", "1h x",       "10sec", "10 s", "1H",  "0x10",
};

START_TEST(test_duration_rejects_malformed_text)
{
	const char *why = NULL;
	uint64_t usec = 42;

	ck_assert_msg(parse_duration(bad_durations[_i], &usec, &why) == -EINVAL,
		      "'%s' accepted",
		      bad_durations[_i]);
	ck_assert_str_eq(why, "expected a duration such as 90s, 10min, 2h or 1d");
	ck_assert_uint_eq(usec, 42);
}
END_TEST

static const char *const huge_durations[] = {
	"18446744073709551616", "18446744073709551615",	 "213503983d",
	"5124095577h",		"213503982d 213503982d", "99999999999999999999999999min",
};

START_TEST(test_duration_overflow_is_erange)
{
	const char *why = NULL;
	uint64_t usec = 42;

	ck_assert_msg(parse_duration(huge_durations[_i], &usec, &why) == -ERANGE,
		      "'%s' not ERANGE",
		      huge_durations[_i]);
	ck_assert_str_eq(why, "duration too long");
	ck_assert_uint_eq(usec, 42);
}
END_TEST

START_TEST(test_list_splits_on_commas_and_trims_items)
{
	_cleanup_strv_free_ char **l = NULL;
	const char *why = NULL;

	ck_assert_int_eq(parse_list(" a , b,c\t,  d d ", &l, &why), 0);
	ck_assert_uint_eq(strv_length(l), 4);
	ck_assert_str_eq(l[0], "a");
	ck_assert_str_eq(l[1], "b");
	ck_assert_str_eq(l[2], "c");
	ck_assert_str_eq(l[3], "d d");
}
END_TEST

START_TEST(test_list_empty_text_is_empty_list)
{
	_cleanup_strv_free_ char **l = NULL, **m = NULL;
	const char *why = NULL;

	ck_assert_int_eq(parse_list("", &l, &why), 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(strv_length(l), 0);
	ck_assert_int_eq(parse_list("  \t ", &m, &why), 0);
	ck_assert_uint_eq(strv_length(m), 0);
}
END_TEST

static const char *const bad_lists[] = { "a,,b", "a,", ",a", "a, ,b", "," };

START_TEST(test_list_rejects_empty_items)
{
	char **l = NULL;
	const char *why = NULL;

	ck_assert_int_eq(parse_list(bad_lists[_i], &l, &why), -EINVAL);
	ck_assert_ptr_null(l);
	ck_assert_str_eq(why, "expected a comma-separated list without empty items");
}
END_TEST

START_TEST(test_enum_matches_exactly_and_case_sensitively)
{
	static const char *const names[] = { "enforce", "observe", "off" };
	const char *why = NULL;
	int v = -1;

	ck_assert_int_eq(parse_enum("observe", names, 3, &v, &why), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(parse_enum("off", names, 3, &v, &why), 0);
	ck_assert_int_eq(v, 2);
	v = -1;
	ck_assert_int_eq(parse_enum("Enforce", names, 3, &v, &why), -EINVAL);
	ck_assert_int_eq(parse_enum("enforce ", names, 3, &v, &why), -EINVAL);
	ck_assert_int_eq(parse_enum("", names, 3, &v, &why), -EINVAL);
	ck_assert_int_eq(v, -1);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(test_bool_accepts_yes_no_true_false_on_off_1_0)
{
	const char *why = NULL;
	bool v = !bools[_i].value;

	ck_assert_int_eq(parse_bool(bools[_i].text, &v, &why), bools[_i].r);
	if (bools[_i].r == 0)
		ck_assert(v == bools[_i].value);
	else
		ck_assert_str_eq(why, "expected yes or no");
}
END_TEST

START_TEST(test_rate_parses_count_and_window)
{
	const char *why = NULL;
	unsigned n = 0;
	uint64_t usec = 0;

	ck_assert_int_eq(parse_rate("5/5min", &n, &usec, &why), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(usec, 5 * USEC_PER_MINUTE);
	ck_assert_int_eq(parse_rate(" 10 / 1h 30min ", &n, &usec, &why), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_uint_eq(usec, USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
	ck_assert_int_eq(parse_rate("1/30", &n, &usec, &why), 0);
	ck_assert_uint_eq(usec, 30 * USEC_PER_SEC);
}
END_TEST

static const char *const bad_rates[] = {
	"",	"5",	  "5/",		 "/5min",   "0/5min",	"5/0",
	"5/0s", "x/5min", "5/5 parsecs", "-1/5min", "5/5min/2",
};

START_TEST(test_rate_rejects_zero_and_malformed)
{
	const char *why = NULL;
	unsigned n = 7;
	uint64_t usec = 7;

	ck_assert_msg(parse_rate(bad_rates[_i], &n, &usec, &why) == -EINVAL,
		      "'%s' accepted",
		      bad_rates[_i]);
	ck_assert_str_eq(why,
			 "expected COUNT/DURATION such as 5/5min, with COUNT and DURATION greater "
			 "than 0");
	ck_assert_uint_eq(n, 7);
	ck_assert_uint_eq(usec, 7);
}
END_TEST

START_TEST(test_rate_overflow_is_erange)
{
	const char *why = NULL;
	unsigned n;
	uint64_t usec;

	ck_assert_int_eq(parse_rate("99999999999/1s", &n, &usec, &why), -ERANGE);
	ck_assert_str_eq(why, "count too large");
	ck_assert_int_eq(parse_rate("5/213503983d", &n, &usec, &why), -ERANGE);
	ck_assert_str_eq(why, "duration too long");
}
END_TEST

START_TEST(test_uint_checks_range)
{
	const char *why = NULL;
	unsigned v = 0;

	ck_assert_int_eq(parse_uint("5", 1, 10, &v, &why), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(parse_uint("10", 1, 10, &v, &why), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse_uint("0", 1, 10, &v, &why), -ERANGE);
	ck_assert_str_eq(why, "number out of range");
	ck_assert_int_eq(parse_uint("11", 1, 10, &v, &why), -ERANGE);
	ck_assert_int_eq(parse_uint("4294967296", 0, 4294967295U, &v, &why), -ERANGE);
	ck_assert_int_eq(parse_uint("", 0, 10, &v, &why), -EINVAL);
	ck_assert_str_eq(why, "expected a whole number");
	ck_assert_int_eq(parse_uint("-1", 0, 10, &v, &why), -EINVAL);
	ck_assert_int_eq(parse_uint("1x", 0, 10, &v, &why), -EINVAL);
	ck_assert_int_eq(parse_uint(" 1", 0, 10, &v, &why), -EINVAL);
	ck_assert_uint_eq(v, 10);
}
END_TEST

START_TEST(test_duration_format_largest_units_first)
{
	static const struct {
		uint64_t usec;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ 999999, "0" },
		{ 45 * USEC_PER_SEC, "45s" },
		{ 10 * USEC_PER_MINUTE, "10min" },
		{ 5 * USEC_PER_MINUTE + 1500000, "5min 1s" },
		{ 90 * USEC_PER_MINUTE, "1h 30min" },
		{ USEC_PER_DAY + USEC_PER_SEC, "1d 1s" },
	};
	char buf[64], small[4];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint64_t back = 0;
		const char *why = NULL;

		ck_assert_str_eq(parse_duration_format(cases[i].usec, buf, sizeof(buf)),
				 cases[i].text);
		/* What it writes, vakt.conf reads back (whole seconds). */
		ck_assert_int_eq(parse_duration(buf, &back, &why), 0);
		ck_assert_uint_eq(back, cases[i].usec / USEC_PER_SEC * USEC_PER_SEC);
	}
	ck_assert_str_eq(parse_duration_format(90 * USEC_PER_MINUTE, small, sizeof(small)), "1h");
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

#define ADD(fn)                 \
	tc = tcase_create(#fn); \
	tcase_add_test(tc, fn); \
	suite_add_tcase(s, tc)
#define ADD_TABLE(fn, table)                                    \
	tc = tcase_create(#fn);                                 \
	tcase_add_loop_test(tc, fn, 0, (int)ELEMENTSOF(table)); \
	suite_add_tcase(s, tc)

	ADD_TABLE(test_duration_accepts_units_and_combinations, good_durations);
	ADD_TABLE(test_duration_rejects_malformed_text, bad_durations);
	ADD_TABLE(test_duration_overflow_is_erange, huge_durations);
	ADD(test_duration_format_largest_units_first);
	ADD(test_list_splits_on_commas_and_trims_items);
	ADD(test_list_empty_text_is_empty_list);
	ADD_TABLE(test_list_rejects_empty_items, bad_lists);
	ADD(test_enum_matches_exactly_and_case_sensitively);
	ADD_TABLE(test_bool_accepts_yes_no_true_false_on_off_1_0, bools);
	ADD(test_rate_parses_count_and_window);
	ADD_TABLE(test_rate_rejects_zero_and_malformed, bad_rates);
	ADD(test_rate_overflow_is_erange);
	ADD(test_uint_checks_range);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
