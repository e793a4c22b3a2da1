#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "events.h"
#include "macro.h"

/* The event list of SPEC.md ("Journal records"), copied verbatim. */
static const char *const spec_events[] = {
	"storage.blocked",	"storage.allowed",	"storage.read_only",	"storage.removed",
	"session.locked",	"session.lock_failed",	"session.terminated",	"privilege.sudo",
	"privilege.su",		"privilege.pkexec",	"auth.failed",		"auth.burst",
	"account.changed",	"file.changed",		"audit.rules_changed",	"audit.lost",
	"dispensation.granted", "dispensation.revoked", "dispensation.expired", "policy.loaded",
	"policy.invalid",
};

/* Added beyond SPEC.md: issue 5 (mount, module loads, setuid runs), issue 16 (keyboards). */
static const char *const extra_events[] = {
	"privilege.mount",
	"privilege.module",
	"privilege.setuid",
	"input.blocked",	  /* issue 16: new keyboards at a locked seat */
	"privilege.root_command", /* issue 13: commands in a person's root shell */
	"audit.loginuid_changed",
	/* issue 13: what vaktd restored, auditing switched off, enforcement ended */
	"audit.rules_restored",
	"audit.disabled",
	"vakt.stopped",
	"vakt.started", /* issue 17: start in the journal */
};

static bool is_message_id(const char *s)
{
	if (!s || strlen(s) != 32)
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

START_TEST(test_every_event_has_a_row)
{
	const struct event_info *e = event_info((enum event_id)_i);

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(e->name);
	ck_assert_msg(is_message_id(e->message_id), "%s: bad MESSAGE_ID", e->name);
	ck_assert_int_ge(e->priority, LOG_ERR);
	ck_assert_int_le(e->priority, LOG_INFO);
}
END_TEST

START_TEST(test_message_ids_and_names_are_unique)
{
	for (int i = 0; i < _EVENT_MAX; i++)
		for (int j = i + 1; j < _EVENT_MAX; j++) {
			ck_assert_str_ne(event_info(i)->message_id, event_info(j)->message_id);
			ck_assert_str_ne(event_info(i)->name, event_info(j)->name);
		}
}
END_TEST

START_TEST(test_event_from_name_round_trips)
{
	ck_assert_int_eq(event_from_name(event_info((enum event_id)_i)->name), _i);
}
END_TEST

START_TEST(test_event_from_name_rejects_unknown)
{
	ck_assert_int_eq(event_from_name("storage"), -ENOENT);
	ck_assert_int_eq(event_from_name("storage.blocked "), -ENOENT);
	ck_assert_int_eq(event_from_name(""), -ENOENT);
	ck_assert_int_eq(event_from_name(NULL), -ENOENT);
	ck_assert_ptr_null(event_info(_EVENT_MAX));
}
END_TEST

START_TEST(test_spec_events_are_all_present)
{
	ck_assert_int_eq(_EVENT_MAX, ELEMENTSOF(spec_events) + ELEMENTSOF(extra_events));
	for (size_t i = 0; i < ELEMENTSOF(spec_events); i++)
		ck_assert_msg(event_from_name(spec_events[i]) >= 0, "%s missing", spec_events[i]);
	for (size_t i = 0; i < ELEMENTSOF(extra_events); i++)
		ck_assert_msg(event_from_name(extra_events[i]) >= 0, "%s missing", extra_events[i]);
}
END_TEST

START_TEST(test_priorities_follow_style)
{
	ck_assert_int_eq(event_info(EVENT_STORAGE_BLOCKED)->priority, LOG_NOTICE);
	ck_assert_int_eq(event_info(EVENT_SESSION_LOCK_FAILED)->priority, LOG_ERR);
	ck_assert_int_eq(event_info(EVENT_AUTH_FAILED)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_AUTH_BURST)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_AUDIT_RULES_CHANGED)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_AUDIT_LOST)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_POLICY_INVALID)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_POLICY_LOADED)->priority, LOG_INFO);
	ck_assert_int_eq(event_info(EVENT_PRIVILEGE_SUDO)->priority, LOG_NOTICE);
	ck_assert_int_eq(event_info(EVENT_INPUT_BLOCKED)->priority, LOG_NOTICE);
	/* Auditing switched off and enforcement ended are degraded states, never routine. */
	ck_assert_int_eq(event_info(EVENT_AUDIT_DISABLED)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_VAKT_STOPPED)->priority, LOG_WARNING);
	ck_assert_int_eq(event_info(EVENT_AUDIT_RULES_RESTORED)->priority, LOG_NOTICE);
}
END_TEST

/* Every MESSAGE_ID has exactly one "-- ID" entry in systemd/vakt.catalog. */
/* Each event carries the policy_reference of the section that configures it (VAKT_POLICY_REF). */
START_TEST(test_event_part_follows_the_section)
{
	const char *name = event_info((enum event_id)_i)->name;
	enum event_part want = EVENT_PART_AUDIT;

	if (!strncmp(name, "storage.", 8) || !strncmp(name, "dispensation.", 13) ||
	    !strncmp(name, "input.", 6))
		want = EVENT_PART_STORAGE;
	else if (!strncmp(name, "session.", 8))
		want = EVENT_PART_IDLE;
	else if (!strncmp(name, "policy.", 7) || !strncmp(name, "vakt.", 5))
		want = EVENT_PART_VAKT;
	ck_assert_msg(event_part((enum event_id)_i) == want, "%s: wrong part", name);
	ck_assert_int_eq(event_part(_EVENT_INVALID), EVENT_PART_VAKT);
}
END_TEST

START_TEST(test_catalog_explains_every_message_id)
{
	_cleanup_fclose_ FILE *f = fopen(SOURCE_DIR "/systemd/vakt.catalog", "re");
	int seen[_EVENT_MAX] = { 0 };
	char line[512];

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "-- ", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (int i = 0; i < _EVENT_MAX; i++)
			if (streq(line + 3, event_info(i)->message_id))
				seen[i]++;
	}
	for (int i = 0; i < _EVENT_MAX; i++)
		ck_assert_msg(seen[i] == 1, "%s: %d catalog entries", event_info(i)->name, seen[i]);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_every_event_has_a_row, 0, _EVENT_MAX);
	tcase_add_test(tc, test_message_ids_and_names_are_unique);
	tcase_add_test(tc, test_priorities_follow_style);
	tcase_add_test(tc, test_spec_events_are_all_present);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_loop_test(tc, test_event_from_name_round_trips, 0, _EVENT_MAX);
	tcase_add_test(tc, test_event_from_name_rejects_unknown);
	tcase_add_loop_test(tc, test_event_part_follows_the_section, 0, _EVENT_MAX);
	suite_add_tcase(s, tc);

	tc = tcase_create("catalog");
	tcase_add_test(tc, test_catalog_explains_every_message_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
