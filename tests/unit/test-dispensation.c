#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devid.h"
#include "dispensation.h"
#include "macro.h"
#include "policy.h"

#define T_NOW (UINT64_C(1764900000) * USEC_PER_SEC) /* 2025-12-05T02:00:00Z */

/* A valid dispensation (borrowed strings; only serial is ever malloc'd by the tests). */
static struct dispensation valid(void)
{
	return (struct dispensation){
		.id = (char *)"d-0a1b2c3d",
		.user = (char *)"alice",
		.uid = 1000,
		.mode = STORAGE_ACTION_ALLOW,
		.not_after = T_NOW + 8 * USEC_PER_HOUR,
		.granted_at = T_NOW,
		.granted_by = (char *)"root",
		.granted_by_uid = 0,
		.ticket = (char *)"HD-4711",
		.reason = (char *)"copies the lab measurements for the audit",
	};
}

static void assert_invalid(const struct dispensation *d, uint64_t now, const char *why_part)
{
	const char *why = NULL;

	ck_assert_int_eq(dispensation_validate(d, now, true, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, why_part), "'%s' does not say '%s'", why, why_part);
}

START_TEST(test_validate)
{
	struct dispensation d = valid();
	const char *why = NULL;

	ck_assert_int_eq(dispensation_validate(&d, T_NOW + 1, true, &why), 0);

	d = valid();
	d.ticket = (char *)"  ";
	assert_invalid(&d, T_NOW, "ticket is empty");
	d = valid();
	d.ticket = NULL;
	assert_invalid(&d, T_NOW, "ticket is empty");
	d = valid();
	d.reason = (char *)"";
	assert_invalid(&d, T_NOW, "reason is empty");
	d = valid();
	d.reason = (char *)"two\nlines";
	assert_invalid(&d, T_NOW, "control characters");
	d = valid();
	assert_invalid(&d, d.not_after, "expiry is in the past");
	d = valid();
	d.not_after = d.granted_at + 91 * USEC_PER_DAY;
	assert_invalid(&d, T_NOW, "limit of 90 days");
	d = valid();
	d.not_after = d.granted_at + 90 * USEC_PER_DAY;
	ck_assert_int_eq(dispensation_validate(&d, T_NOW, true, &why), 0);
	d = valid();
	d.granted_at = 0; /* measured from now */
	d.not_after = T_NOW + 91 * USEC_PER_DAY;
	assert_invalid(&d, T_NOW, "limit of 90 days");
	d = valid();
	d.user = (char *)"al ice";
	assert_invalid(&d, T_NOW, "not a valid login name");
	d = valid();
	d.user = NULL;
	assert_invalid(&d, T_NOW, "no user");
	d = valid();
	d.granted_by = NULL;
	assert_invalid(&d, T_NOW, "administrator is not named");
	d = valid();
	d.mode = STORAGE_ACTION_BLOCK;
	assert_invalid(&d, T_NOW, "neither allow nor read-only");
	d = valid();
	d.id = (char *)"d-XYZ";
	assert_invalid(&d, T_NOW, "not \"d-\"");
	ck_assert_int_eq(dispensation_validate(&d, T_NOW, false, &why), 0);
	d = valid();
	d.not_after = 0;
	assert_invalid(&d, 0, "no expiry");
}
END_TEST

START_TEST(test_parse_duration)
{
	static const struct {
		const char *s;
		uint64_t usec;
	} good[] = {
		{ "30m", 30 * USEC_PER_MINUTE },   { "8h", 8 * USEC_PER_HOUR },
		{ "2d", 2 * USEC_PER_DAY },	   { "1w", 7 * USEC_PER_DAY },
		{ "1h30m", 90 * USEC_PER_MINUTE }, { "3s", 3 * USEC_PER_SEC },
		{ "90d", 90 * USEC_PER_DAY },
	};
	static const char *const bad[] = { "", "30", "m", "1y", "-1h", "1 h", "0m", "1h-", "h1" };
	const char *why;
	uint64_t u;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		ck_assert_int_eq(dispensation_parse_duration(good[i].s, &u, &why), 0);
		ck_assert_uint_eq(u, good[i].usec);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		why = NULL;
		ck_assert_msg(dispensation_parse_duration(bad[i], &u, &why) == -EINVAL,
			      "'%s' accepted",
			      bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(dispensation_parse_duration("91d", &u, &why), -ERANGE);
	ck_assert_str_eq(why, "the duration is longer than the limit of 90 days");
	ck_assert_int_eq(dispensation_parse_duration("99999999999999999999w", &u, &why), -ERANGE);
	ck_assert_int_eq(dispensation_parse_duration(NULL, &u, &why), -EINVAL);
}
END_TEST

START_TEST(test_parse_until)
{
	const char *why;
	uint64_t u;

	ck_assert_int_eq(setenv("TZ", "UTC", 1), 0);
	tzset();
	/* a date alone: until the end of that day */
	ck_assert_int_eq(dispensation_parse_until("2026-12-24", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798156800) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-24T17:30", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798133400) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-24 17:30:15", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798133415) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-31", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798761600) * USEC_PER_SEC); /* 2027-01-01T00:00Z */

	/* local time */
	ck_assert_int_eq(setenv("TZ", "Europe/Berlin", 1), 0);
	tzset();
	ck_assert_int_eq(dispensation_parse_until("2026-12-24T17:30", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798129800) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-24T17:30Z", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798133400) * USEC_PER_SEC);
	/* ISO 8601 offsets from UTC: the local zone does not matter */
	ck_assert_int_eq(dispensation_parse_until("2026-12-24T17:30+01:00", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798129800) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-24T17:30:15-0530", &u, &why), 0);
	ck_assert_uint_eq(u, (UINT64_C(1798133415) + 19800) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-24 17:30+02", &u, &why), 0);
	ck_assert_uint_eq(u, UINT64_C(1798126200) * USEC_PER_SEC);
	ck_assert_int_eq(dispensation_parse_until("2026-12-24T17:30+24:00", &u, &why), -EINVAL);
	ck_assert_str_eq(why, "the offset from UTC is out of range");

	static const char *const bad[] = {
		"2026-12-24+01:00",
		"2026-12-24T17:30+1",
		"2026-12-24T17:30+01:",
		"2026-12-24T17:30+01:00Z",
		"2026-12-24T17:30Z+01:00",
		"1970-01-01T00:30+01:00",
		"",
		"tomorrow",
		"24.12.2026",
		"2026-12-24T25:00",
		"2026-13-01",
		"2026-02-30",
		"2026-02-30T10:00",
		"2026-12-24T17",
		"2026-12-24T17:30:",
		"2026-12-24x",
		"1969-12-31",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		why = NULL;
		ck_assert_msg(dispensation_parse_until(bad[i], &u, &why) == -EINVAL,
			      "'%s' accepted",
			      bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(dispensation_parse_until("tomorrow", &u, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "YYYY-MM-DD"));
	ck_assert_int_eq(dispensation_parse_until("2026-02-29", &u, &why), -EINVAL);
	ck_assert_str_eq(why, "that day does not exist");
}
END_TEST

START_TEST(test_parse_device)
{
	struct dispensation d = valid();
	const char *why;
	char buf[64];

	ck_assert_int_eq(dispensation_parse_device("0781:5581", &d, &why), 0);
	ck_assert(d.device);
	ck_assert_str_eq(d.vendor, "0781");
	ck_assert_str_eq(d.product, "5581");
	ck_assert_ptr_null(d.serial);
	ck_assert_int_eq(dispensation_parse_device("ABCD:Ef01:4C53:0001 x", &d, &why), 0);
	ck_assert_str_eq(d.vendor, "abcd");
	ck_assert_str_eq(d.product, "ef01");
	ck_assert_str_eq(d.serial, "4C53:0001 x");
	ck_assert_str_eq(dispensation_device_format(&d, buf, sizeof(buf)), "abcd:ef01:4C53:0001 x");

	static const char *const bad[] = {
		"",	     "0781",	  "0781:",	"0781:558",   "0781:55811",
		"078g:5581", "0781-5581", "0781:5581:", ":0781:5581", "0781:5581:a\tb",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		why = NULL;
		ck_assert_msg(dispensation_parse_device(bad[i], &d, &why) == -EINVAL,
			      "'%s' accepted",
			      bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(dispensation_parse_device("0781", &d, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "VID:PID"));
	/* a failed parse leaves the device as it was */
	ck_assert_str_eq(d.vendor, "abcd");
	free(d.serial);

	d = valid();
	ck_assert_str_eq(dispensation_device_format(&d, buf, sizeof(buf)), "any device");
}
END_TEST

START_TEST(test_matching)
{
	static char *groups[] = { (char *)"alice", NULL };
	struct policy_person alice = {
		.user = "alice", .uid = 1000, .groups = groups, .present = true
	};
	struct policy_person p;
	struct dispensation d = valid();
	struct devid id = { .vendor = "0781", .product = "5581", .serial = (char *)"S1" };
	const char *why;

	ck_assert(dispensation_applies(&d, &id, &alice, T_NOW));
	ck_assert(!dispensation_applies(&d, &id, &alice, d.not_after));
	ck_assert(!dispensation_applies(&d, &id, NULL, T_NOW));
	p = alice;
	p.locked = true;
	ck_assert(!dispensation_matches_person(&d, &p));
	p = alice;
	p.present = false;
	ck_assert(!dispensation_matches_person(&d, &p));
	p = alice;
	p.unknown = true;
	ck_assert(!dispensation_matches_person(&d, &p));
	p = alice;
	p.uid = 1001;
	ck_assert(!dispensation_matches_person(&d, &p));
	p = alice;
	p.user = "bob";
	ck_assert(!dispensation_matches_person(&d, &p));

	ck_assert_int_eq(dispensation_parse_device("0781:5581", &d, &why), 0);
	ck_assert(dispensation_matches_device(&d, &id));
	ck_assert_int_eq(dispensation_parse_device("0781:5581:S1", &d, &why), 0);
	ck_assert(dispensation_matches_device(&d, &id));
	ck_assert_int_eq(dispensation_parse_device("0781:5581:s1", &d, &why), 0);
	ck_assert(!dispensation_matches_device(&d, &id)); /* serials compare exactly */
	id.serial = NULL;
	ck_assert(!dispensation_matches_device(&d, &id));
	ck_assert_int_eq(dispensation_parse_device("0781:5582", &d, &why), 0);
	ck_assert(!dispensation_matches_device(&d, &id));
	free(d.serial);
}
END_TEST

START_TEST(test_list_order_and_best)
{
	static char *groups[] = { (char *)"alice", NULL };
	struct policy_person alice = {
		.user = "alice", .uid = 1000, .groups = groups, .present = true
	};
	struct dispensation_list l = { 0 };
	struct dispensation d = valid();
	struct devid id = { .vendor = "0781", .product = "5581" };

	d.id = (char *)"d-00000003";
	d.not_after = T_NOW + 3 * USEC_PER_HOUR;
	d.mode = STORAGE_ACTION_READ_ONLY;
	ck_assert_int_eq(dispensation_list_add(&l, &d), 0);
	d.id = (char *)"d-00000001";
	d.not_after = T_NOW + 1 * USEC_PER_HOUR;
	d.mode = STORAGE_ACTION_ALLOW;
	ck_assert_int_eq(dispensation_list_add(&l, &d), 0);
	d.id = (char *)"d-00000002";
	d.not_after = T_NOW + 2 * USEC_PER_HOUR;
	ck_assert_int_eq(dispensation_list_add(&l, &d), 0);
	ck_assert_int_eq(dispensation_list_add(&l, &d), -EEXIST);

	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].id, "d-00000001");
	ck_assert_str_eq(l.items[1].id, "d-00000002");
	ck_assert_str_eq(l.items[2].id, "d-00000003");
	ck_assert_int_eq(dispensation_list_find(&l, "d-00000002"), 1);
	ck_assert_int_eq(dispensation_list_find(&l, "d-00000009"), -ENOENT);

	/* most permissive, then the one that lasts longest */
	ck_assert_str_eq(dispensation_list_best(&l, &id, &alice, T_NOW)->id, "d-00000002");
	ck_assert_str_eq(dispensation_list_best(&l, &id, &alice, T_NOW + 2 * USEC_PER_HOUR)->id,
			 "d-00000003");
	ck_assert_ptr_null(dispensation_list_best(&l, &id, &alice, T_NOW + 3 * USEC_PER_HOUR));
	ck_assert_ptr_null(dispensation_list_best(NULL, &id, &alice, T_NOW));

	dispensation_list_remove(&l, 1);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[1].id, "d-00000003");
	dispensation_list_done(&l);
	dispensation_list_done(NULL);
}
END_TEST

/* Parses text; returns the list, the number of faults, and the faults' lines and reasons joined
 * into lines_out ("3 why|7 why|"). */
static size_t parse(const char *text, struct dispensation_list *l, char *out, size_t n)
{
	struct dispensation_fault *faults = NULL;
	size_t n_faults = 0, w = 0;

	ck_assert_int_eq(dispensation_list_parse(text, strlen(text), l, &faults, &n_faults), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n_faults && w < n; i++)
		w += (size_t)snprintf(out + w, n - w, "%u %s|", faults[i].line, faults[i].why);
	free(faults);
	return n_faults;
}

START_TEST(test_file_round_trip)
{
	struct dispensation_list l = { 0 }, back = { 0 };
	struct dispensation d = valid();
	_cleanup_free_ char *text = NULL, *again = NULL;
	const char *why;
	char faults[512];

	ck_assert_int_eq(dispensation_list_add(&l, &d), 0);
	d.id = (char *)"d-ffffffff";
	d.mode = STORAGE_ACTION_READ_ONLY;
	d.uid = 1001;
	d.user = (char *)"bob";
	d.granted_by = (char *)"helpdesk";
	d.granted_by_uid = 1500;
	d.reason = (char *)"needs a=b and # in the reason";
	ck_assert_int_eq(dispensation_parse_device("0781:5581:SER:IAL=1", &d, &why), 0);
	ck_assert_int_eq(dispensation_list_add(&l, &d), 0);
	free(d.serial);

	ck_assert_int_eq(dispensation_list_format(&l, &text), 0);
	ck_assert_uint_eq(parse(text, &back, faults, sizeof(faults)), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_int_eq(dispensation_list_format(&back, &again), 0);
	ck_assert_str_eq(text, again);
	ck_assert_str_eq(back.items[1].serial, "SER:IAL=1");
	ck_assert_str_eq(back.items[1].reason, "needs a=b and # in the reason");
	ck_assert_int_eq(back.items[1].granted_by_uid, 1500);
	ck_assert_int_eq(back.items[1].mode, STORAGE_ACTION_READ_ONLY);
	ck_assert(!back.items[0].device);
	dispensation_list_done(&l);
	dispensation_list_done(&back);
}
END_TEST

#define ENTRY(id, extra)                                                                \
	"id=" id "\nuser=alice\nuid=1000\nmode=allow\nnot_after=1764928800000000\n"     \
	"granted_at=1764900000000000\ngranted_by=root\ngranted_by_uid=0\nticket=HD-1\n" \
	"reason=because\n" extra

START_TEST(test_file_faults_keep_valid_entries)
{
	struct dispensation_list l = { 0 };
	char faults[1024];

	/* lines: 1 format, 2 blank, 3-12 good entry, 13 blank, 14.. the faulty one */
	ck_assert_uint_eq(
		parse("format=1\n\n" ENTRY("d-00000001", "") "\n" ENTRY(
			      "d-00000002", "mode=read-only\n") "\n" ENTRY("d-00000003", ""),
		      &l,
		      faults,
		      sizeof(faults)),
		1);
	ck_assert_str_eq(faults, "24 the key appears twice in the entry|");
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].id, "d-00000001");
	ck_assert_str_eq(l.items[1].id, "d-00000003");
	dispensation_list_done(&l);

	ck_assert_uint_eq(parse("user=alice\n" ENTRY("d-00000001", "bogus\nsize=3\n"),
				&l,
				faults,
				sizeof(faults)),
			  2);
	ck_assert_str_eq(faults, "1 a key before the first id= line|12 the line is not key=value|");
	ck_assert_uint_eq(l.n, 0);

	ck_assert_uint_eq(parse("format=2\nid=d-1\nuser=alice\n", &l, faults, sizeof(faults)), 2);
	ck_assert_ptr_nonnull(strstr(faults, "1 unknown format"));
	ck_assert_ptr_nonnull(strstr(faults, "2 the id is not"));

	ck_assert_uint_eq(parse("id=d-00000001\nuid=x\n", &l, faults, sizeof(faults)), 1);
	ck_assert_str_eq(faults, "2 uid is not a number|");
	ck_assert_uint_eq(
		parse(ENTRY("d-00000001", "") ENTRY("d-00000001", ""), &l, faults, sizeof(faults)),
		1);
	ck_assert_str_eq(faults, "11 the id appears twice; the first is kept|");
	ck_assert_uint_eq(l.n, 1);
	dispensation_list_done(&l);

	/* a NUL byte, an entry without granted_at */
	{
		static const char text[] = "id=d-00000001\nuser=al\0ice\n";
		struct dispensation_fault *f = NULL;
		size_t n = 0;

		ck_assert_int_eq(dispensation_list_parse(text, sizeof(text) - 1, &l, &f, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(f[0].line, 2);
		ck_assert_str_eq(f[0].why, "the line has a NUL byte");
		free(f);
	}
	ck_assert_uint_eq(parse("id=d-00000001\nuser=alice\nuid=1000\nmode=allow\n"
				"not_after=5\ngranted_by=root\nticket=t\nreason=r\n",
				&l,
				faults,
				sizeof(faults)),
			  1);
	ck_assert_str_eq(faults, "1 the entry lacks granted_at or granted_by_uid|");
	ck_assert_uint_eq(parse("", &l, faults, sizeof(faults)), 0);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

static Suite *dispensation_suite(void)
{
	Suite *s = suite_create("dispensation");
	TCase *tc = tcase_create("dispensation");

	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_parse_until);
	tcase_add_test(tc, test_parse_device);
	tcase_add_test(tc, test_matching);
	tcase_add_test(tc, test_list_order_and_best);
	tcase_add_test(tc, test_file_round_trip);
	tcase_add_test(tc, test_file_faults_keep_valid_entries);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dispensation_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
