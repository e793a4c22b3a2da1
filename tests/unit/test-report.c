#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "report.h"

#define T_NOW (UINT64_C(1764900000) * USEC_PER_SEC) /* 2025-12-05T02:00:00Z */
#define M1    "11111111111111111111111111111111"
#define M2    "22222222222222222222222222222222"

/* a and b found, a before b. */
#define assert_before(a, b)                                            \
	do {                                                           \
		const char *_a = (a), *_b = (b);                       \
		ck_assert_ptr_nonnull(_a);                             \
		ck_assert_ptr_nonnull(_b);                             \
		ck_assert_msg(_a < _b, "%s is not before %s", #a, #b); \
	} while (0)

#define F(n, v)                           \
	{                                 \
		.name = (n), .value = (v) \
	}
#define ADD(r, t, ...)                                            \
	({                                                        \
		const struct report_field _f[] = { __VA_ARGS__ }; \
		report_add((r), _f, ELEMENTSOF(_f), (t));         \
	})

START_TEST(test_report_sections_of_events)
{
	static const struct {
		const char *event, *parts;
		enum report_section want;
	} cases[] = {
		{ "privilege.sudo", NULL, REPORT_SECTION_PRIVILEGE },
		{ "privilege.su", NULL, REPORT_SECTION_PRIVILEGE },
		{ "privilege.pkexec", NULL, REPORT_SECTION_PRIVILEGE },
		{ "privilege.root_command", NULL, REPORT_SECTION_ROOT_COMMAND },
		{ "account.changed", NULL, REPORT_SECTION_ACCOUNT },
		{ "file.changed", NULL, REPORT_SECTION_FILE },
		{ "auth.failed", NULL, REPORT_SECTION_AUTH_FAILED },
		{ "auth.burst", NULL, REPORT_SECTION_AUTH_BURST },
		{ "audit.rules_changed", NULL, REPORT_SECTION_TAMPER },
		{ "audit.disabled", NULL, REPORT_SECTION_TAMPER },
		{ "audit.loginuid_changed", NULL, REPORT_SECTION_TAMPER },
		{ "audit.rules_restored", NULL, REPORT_SECTION_TAMPER },
		{ "vakt.stopped", NULL, REPORT_SECTION_ENFORCEMENT },
		{ "policy.loaded",
		  "storage=enforce idle=off audit=enforce",
		  REPORT_SECTION_ENFORCEMENT },
		{ "policy.loaded",
		  "storage=observe idle=enforce audit=enforce",
		  REPORT_SECTION_ENFORCEMENT },
		{ "policy.loaded",
		  "storage=enforce idle=enforce audit=enforce",
		  _REPORT_SECTION_NONE },
		{ "policy.loaded", NULL, _REPORT_SECTION_NONE },
		{ "vakt.started", "storage=off", _REPORT_SECTION_NONE },
		{ "storage.blocked", NULL, REPORT_SECTION_STORAGE },
		{ "input.blocked", NULL, REPORT_SECTION_STORAGE },
		{ "dispensation.expired", NULL, REPORT_SECTION_DISPENSATION },
		{ "session.terminated", NULL, REPORT_SECTION_SESSION },
		{ "audit.lost", NULL, REPORT_SECTION_LOST },
		{ "nonsense", NULL, _REPORT_SECTION_NONE },
		{ NULL, NULL, _REPORT_SECTION_NONE },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		ck_assert_msg(report_section_of(cases[i].event, cases[i].parts) == cases[i].want,
			      "%s (%s)",
			      cases[i].event,
			      cases[i].parts);
	ck_assert_str_eq(report_section_name(REPORT_SECTION_ROOT_COMMAND), "root_command");
	ck_assert_ptr_null(report_section_name(_REPORT_SECTION_MAX));
}
END_TEST

START_TEST(test_report_parse_time_accepts_relative_and_dates)
{
	uint64_t t = 0;
	const char *why = NULL;

	ck_assert_int_eq(report_parse_time("-7d", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, T_NOW - 7 * USEC_PER_DAY);
	ck_assert_int_eq(report_parse_time("-12h", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, T_NOW - 12 * USEC_PER_HOUR);
	ck_assert_int_eq(report_parse_time("-30min", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, T_NOW - 30 * USEC_PER_MINUTE);
	ck_assert_int_eq(report_parse_time("now", T_NOW, true, &t, &why), 0);
	ck_assert_uint_eq(t, T_NOW);
	/* TZ=UTC (main): a date alone starts the day, or with end_of_day ends it. */
	ck_assert_int_eq(report_parse_time("2025-12-01", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, UINT64_C(1764547200) * USEC_PER_SEC);
	ck_assert_int_eq(report_parse_time("2025-12-01", T_NOW, true, &t, &why), 0);
	ck_assert_uint_eq(t, (UINT64_C(1764547200) + 86400) * USEC_PER_SEC);
	ck_assert_int_eq(report_parse_time("2025-12-01 08:30", T_NOW, true, &t, &why), 0);
	ck_assert_uint_eq(t, UINT64_C(1764577800) * USEC_PER_SEC);
	ck_assert_int_eq(report_parse_time("2025-12-01T08:30:15Z", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, UINT64_C(1764577815) * USEC_PER_SEC);
	/* The one date parser (parse_date_time, shared with vaktctl grant --until): offsets too. */
	ck_assert_int_eq(report_parse_time("2025-12-01T09:30:15+01:00", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, UINT64_C(1764577815) * USEC_PER_SEC);
	ck_assert_int_eq(report_parse_time("today", T_NOW, false, &t, &why), 0);
	ck_assert_uint_eq(t, UINT64_C(1764892800) * USEC_PER_SEC);
}
END_TEST

START_TEST(test_report_parse_time_rejects_with_reason)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"-7",
		"7d",
		"-",
		"-7x",
		"2025-13-01",
		"2025-12-01 25:00",
		"2025-12-1",
		"2025-12-01 08:30 ",
		"-1d2",
		"2026-02-31",
		"2026-02-30 10:00",
	};
	uint64_t t = 42;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const char *why = NULL;

		ck_assert_msg(
			report_parse_time(bad[i], T_NOW, false, &t, &why) < 0, "'%s'", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_uint_eq(t, 42);
}
END_TEST

static char *render(const struct report *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(json ? report_write_json(r, f) : report_write_text(r, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static enum report_admin admins_are_alice(const char *user, void *userdata)
{
	(void)userdata;
	if (streq(user, "alice"))
		return REPORT_ADMIN_YES;
	if (streq(user, "bob"))
		return REPORT_ADMIN_NO;
	return REPORT_ADMIN_UNKNOWN;
}

/* Two machines, alice (administrator) on both, bob on one, a person known only by uid, records of
 * no person, and a dispensation for bob granted by alice. */
static struct report *fleet(void)
{
	struct report *r = report_new(T_NOW - 7 * USEC_PER_DAY, T_NOW);

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 5,
			     F("_MACHINE_ID", M1),
			     F("_HOSTNAME", "ws1"),
			     F("VAKT_EVENT", "privilege.sudo"),
			     F("VAKT_USER", "alice"),
			     F("VAKT_UID", "1000"),
			     F("VAKT_RESULT", "success"),
			     F("VAKT_POLICY_REF", "ITSP §5.1"),
			     F("MESSAGE", "alice ran id.")),
			 1);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 6,
			     F("_MACHINE_ID", M2),
			     F("_HOSTNAME", "ws2"),
			     F("VAKT_EVENT", "privilege.sudo"),
			     F("VAKT_USER", "alice"),
			     F("VAKT_UID", "1000"),
			     F("VAKT_RESULT", "failure"),
			     F("VAKT_POLICY_REF", "ITSP §5.1"),
			     F("MESSAGE", "alice was refused.")),
			 1);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 4,
			     F("_MACHINE_ID", M2),
			     F("_HOSTNAME", "ws2"),
			     F("VAKT_EVENT", "auth.failed"),
			     F("VAKT_USER", "bob"),
			     F("VAKT_UID", "1001"),
			     F("MESSAGE", "bob failed.")),
			 1);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 3,
			     F("_MACHINE_ID", M2),
			     F("_HOSTNAME", "ws2"),
			     F("VAKT_EVENT", "dispensation.granted"),
			     F("VAKT_USER", "alice"),
			     F("VAKT_UID", "1000"),
			     F("VAKT_TARGET_USER", "bob"),
			     F("VAKT_TARGET_UID", "1001"),
			     F("VAKT_POLICY_REF", "ITSP §4.2"),
			     F("MESSAGE", "alice granted bob a dispensation.")),
			 1);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 2,
			     F("_MACHINE_ID", M1),
			     F("_HOSTNAME", "ws1"),
			     F("VAKT_EVENT", "file.changed"),
			     F("VAKT_UID", "1500"),
			     F("VAKT_FILE", "/etc/shadow"),
			     F("MESSAGE", "uid 1500 wrote.")),
			 1);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 1,
			     F("_MACHINE_ID", M1),
			     F("_HOSTNAME", "ws1"),
			     F("VAKT_EVENT", "vakt.stopped"),
			     F("VAKT_PARTS", "storage=enforce"),
			     F("MESSAGE", "vaktd stopped.")),
			 1);
	/* Not in the review: a start, a policy that enforces everything, a plain log line. */
	ck_assert_int_eq(ADD(r, T_NOW - 9, F("_MACHINE_ID", M1), F("VAKT_EVENT", "vakt.started")),
			 0);
	ck_assert_int_eq(ADD(r,
			     T_NOW - 9,
			     F("_MACHINE_ID", M1),
			     F("VAKT_EVENT", "policy.loaded"),
			     F("VAKT_PARTS", "storage=enforce idle=enforce audit=enforce")),
			 0);
	ck_assert_int_eq(ADD(r, T_NOW - 9, F("_MACHINE_ID", M1), F("MESSAGE", "Reloading.")), 0);
	report_resolve_admins(r, admins_are_alice, NULL);
	return r;
}

START_TEST(test_report_groups_by_machine_and_person)
{
	_cleanup_(report_freep) struct report *r = fleet();
	_cleanup_free_ char *json = render(r, true);

	ck_assert_uint_eq(report_n_seen(r), 8);
	ck_assert_uint_eq(report_n_records(r), 6);
	/* Machines by hostname with their counts. */
	ck_assert_ptr_nonnull(
		strstr(json, "\"machines\":[{\"machine_id\":\"" M1 "\",\"hostname\":\"ws1\","));
	ck_assert_ptr_nonnull(strstr(json,
				     "\"hostname\":\"ws2\",\"policy_digest\":null,\"parts\":null,"
				     "\"records\":3,\"counts\":{\"privilege\":1,"));
	/* Who was on each machine, administrators first. */
	ck_assert_ptr_nonnull(
		strstr(json, "\"lost\":0},\"failed\":0,\"persons\":[\"alice\",\"uid 1500\"]}"));
	ck_assert_ptr_nonnull(
		strstr(json, "\"lost\":0},\"failed\":2,\"persons\":[\"alice\",\"bob\"]}"));
	/* alice (administrator) first, on both machines, one refused sudo; then bob, then uid 1500.
	 */
	ck_assert_ptr_nonnull(strstr(
		json,
		"\"persons\":[{\"user\":\"alice\",\"uid\":\"1000\",\"administrator\":\"yes\","
		"\"machines\":[\"" M1 "\",\"" M2 "\"],\"records_in_review\":2,"
		"\"counts\":{\"privilege\":2,"));
	ck_assert_ptr_nonnull(strstr(json, "\"lost\":0},\"failed\":1,\"records\":[{\"time\":"));
	assert_before(strstr(json, "{\"user\":\"alice\""), strstr(json, "{\"user\":\"bob\""));
	assert_before(strstr(json, "{\"user\":\"bob\""),
		      strstr(json, "{\"user\":null,\"uid\":\"1500\""));
	ck_assert_ptr_nonnull(
		strstr(json, "{\"user\":null,\"uid\":\"1500\",\"administrator\":\"unknown\""));
	/* The dispensation is bob's, the administrator who granted it in its fields. */
	ck_assert_ptr_nonnull(strstr(json,
				     "\"user\":\"bob\",\"uid\":\"1001\",\"administrator\":\"no\","
				     "\"machines\":[\"" M2 "\"],\"records_in_review\":2"));
	ck_assert_ptr_nonnull(
		strstr(json, "\"section\":\"dispensation\",\"event\":\"dispensation.granted\""));
	ck_assert_ptr_nonnull(strstr(
		json,
		"\"VAKT_USER\":\"alice\",\"VAKT_UID\":\"1000\",\"VAKT_TARGET_USER\":\"bob\""));
	/* A record of no person. */
	ck_assert_ptr_nonnull(
		strstr(json, "\"machine_records\":[{\"time\":\"2025-12-05T01:59:59Z\""));
	ck_assert_ptr_nonnull(strstr(json, "\"event\":\"vakt.stopped\""));
	/* The clauses per section. */
	ck_assert_ptr_nonnull(
		strstr(json, "{\"name\":\"privilege\",\"title\":\"Privileged commands "));
	ck_assert_ptr_nonnull(strstr(json, "\"policy_references\":[\"ITSP §5.1\"]}"));
	ck_assert_ptr_nonnull(strstr(json,
				     "{\"name\":\"dispensation\",\"title\":\"Dispensations\","
				     "\"policy_references\":[\"ITSP §4.2\"]}"));
	ck_assert_ptr_nonnull(strstr(json,
				     "\"counts\":{\"privilege\":2,\"root_command\":0,\"account\":0,"
				     "\"file\":1,\"auth_failed\":1,\"auth_burst\":0,\"tamper\":0,"
				     "\"enforcement\":1,\"storage\":0,\"dispensation\":1,"
				     "\"session\":0,\"lost\":0},\"failed\":2,\"sections\""));
}
END_TEST

START_TEST(test_report_text_lists_admins_first_with_clauses)
{
	_cleanup_(report_freep) struct report *r = fleet();
	_cleanup_free_ char *text = NULL;
	static char *const groups[] = { (char *)"sudo", NULL };

	ck_assert_int_eq(report_set_admin_groups(r, groups, "/etc/vakt/vakt.conf", "collector"), 0);
	ck_assert_int_eq(report_set_source(r, "directory /var/log/journal/remote"), 0);
	text = render(r, false);
	ck_assert_ptr_nonnull(strstr(text,
				     "Source: directory /var/log/journal/remote; 8 vakt record(s) "
				     "read, 6 in the review, 2 machine(s), 3 person(s)."));
	ck_assert_ptr_nonnull(strstr(text,
				     "members of admin_groups (sudo; from /etc/vakt/vakt.conf), "
				     "as the NSS of collector resolves them"));
	ck_assert_ptr_nonnull(strstr(text,
				     "\nalice (uid 1000), administrator, on ws1, ws2\n"
				     "  Privileged commands (sudo, su, pkexec, mount, modules, "
				     "setuid) (ITSP §5.1)\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nbob (uid 1001), not an administrator, on ws2\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nuid 1500, administrator: unknown here, on ws1\n"));
	ck_assert_ptr_nonnull(strstr(text, "  Dispensations (ITSP §4.2)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  alice, bob\n"));
	ck_assert_ptr_nonnull(strstr(text, "  alice, uid 1500\n"));
	ck_assert_ptr_nonnull(strstr(text, "Records of no person"));
	assert_before(strstr(text, "\nalice (uid"), strstr(text, "\nbob (uid"));
	/* alice's records by time: the refused one on ws2 came first. */
	assert_before(strstr(text, "alice was refused."), strstr(text, "alice ran id."));
	ck_assert_ptr_nonnull(
		strstr(text, "2025-12-05 01:59:59  ws2      privilege.sudo  alice was refused."));
}
END_TEST

START_TEST(test_report_same_hostname_is_told_apart)
{
	_cleanup_(report_freep) struct report *r = report_new(0, T_NOW);
	_cleanup_free_ char *text = NULL;

	ck_assert_int_eq(ADD(r,
			     1,
			     F("_MACHINE_ID", M1),
			     F("_HOSTNAME", "localhost"),
			     F("VAKT_EVENT", "auth.burst"),
			     F("VAKT_USER", "eve")),
			 1);
	ck_assert_int_eq(ADD(r,
			     2,
			     F("_MACHINE_ID", M2),
			     F("_HOSTNAME", "localhost"),
			     F("VAKT_EVENT", "auth.burst"),
			     F("VAKT_USER", "eve")),
			 1);
	ck_assert_int_eq(ADD(r, 3, F("VAKT_EVENT", "audit.lost"), F("VAKT_LOST", "3")), 1);
	text = render(r, false);
	ck_assert_ptr_nonnull(strstr(text,
				     "\neve, administrator: unknown here, on "
				     "localhost/11111111, localhost/22222222\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  unknown machine     (none)  "));
	ck_assert_ptr_nonnull(strstr(text, "  Lost audit records\n"));
}
END_TEST

START_TEST(test_report_empty_says_so)
{
	_cleanup_(report_freep) struct report *r = report_new(0, T_NOW);
	_cleanup_free_ char *text = render(r, false), *json = render(r, true);

	ck_assert_ptr_nonnull(strstr(text, "No vakt record in this time."));
	ck_assert_ptr_nonnull(strstr(json, "\"records_read\":0,\"records_in_review\":0,"));
	ck_assert_ptr_nonnull(
		strstr(json, "\"machines\":[],\"persons\":[],\"machine_records\":[]}\n"));
}
END_TEST

START_TEST(test_report_json_escapes_values)
{
	_cleanup_(report_freep) struct report *r = report_new(0, T_NOW);
	_cleanup_free_ char *json = NULL;

	ck_assert_int_eq(ADD(r,
			     1,
			     F("_MACHINE_ID", M1),
			     F("VAKT_EVENT", "privilege.root_command"),
			     F("VAKT_USER", "mallory"),
			     F("VAKT_COMMAND", "echo \"x\"\n\\ \x01"),
			     F("MESSAGE", "ran \"x\"")),
			 1);
	json = render(r, true);
	ck_assert_ptr_nonnull(strstr(json, "\"VAKT_COMMAND\":\"echo \\\"x\\\"\\n\\\\ \\u0001\""));
	ck_assert_ptr_nonnull(strstr(json, "\"message\":\"ran \\\"x\\\"\""));
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("sections");
	tcase_add_test(tc, test_report_sections_of_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_test(tc, test_report_parse_time_accepts_relative_and_dates);
	tcase_add_test(tc, test_report_parse_time_rejects_with_reason);
	suite_add_tcase(s, tc);
	tc = tcase_create("aggregate");
	tcase_add_test(tc, test_report_groups_by_machine_and_person);
	tcase_add_test(tc, test_report_text_lists_admins_first_with_clauses);
	tcase_add_test(tc, test_report_same_hostname_is_told_apart);
	tcase_add_test(tc, test_report_empty_says_so);
	tcase_add_test(tc, test_report_json_escapes_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	(void)setenv("TZ", "UTC", 1);
	tzset();
	sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
