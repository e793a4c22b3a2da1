/*
 * daemon/log.c through its json and console targets. Unit tests link only lib/ and events.o, so
 * log.c is compiled into this test directly; the journal target is covered by
 * tests/integration/test-journal.sh against a real journald.
 */
/* NOLINTNEXTLINE(bugprone-suspicious-include): on purpose, see above */
#include "../../daemon/log.c"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strv.h"

/* Output of fd (1 or 2) while a test writes to it: redirected into a temporary file. */
struct capture {
	int fd;
	int saved;
	FILE *file;
};

static void capture_begin(struct capture *c, int fd)
{
	c->fd = fd;
	c->file = tmpfile();
	ck_assert_ptr_nonnull(c->file);
	(void)fflush(fd == 1 ? stdout : stderr);
	c->saved = dup(fd);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_ge(dup2(fileno(c->file), fd), 0);
}

/* Restores fd and returns what was written (NUL-terminated, caller frees). */
static char *capture_end(struct capture *c)
{
	char *buf;
	long size;

	(void)fflush(c->fd == 1 ? stdout : stderr);
	ck_assert_int_ge(dup2(c->saved, c->fd), 0);
	(void)close(c->saved);
	ck_assert_int_eq(fseek(c->file, 0, SEEK_END), 0);
	size = ftell(c->file);
	ck_assert_int_ge(size, 0);
	rewind(c->file);
	buf = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, c->file), (size_t)size);
	(void)fclose(c->file);
	return buf;
}

/* The lines of text (split at '\n'). */
static char **lines(const char *text)
{
	char **l = NULL;

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		ck_assert_int_eq(strv_consume(&l, strndup(p, n)), 0);
		p += n + (p[n] == '\n');
	}
	return l;
}

START_TEST(test_errno_variant_formats_percent_m_and_adds_errno)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;
	int r;

	log_set_target(LOG_TARGET_JSON);
	errno = EBUSY;
	capture_begin(&c, 1);
	r = log_error_errno(-ENOENT, "Cannot open '%s': %m", "/x");
	out = capture_end(&c);
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_str_eq(
		out,
		"{\"PRIORITY\":\"3\",\"SYSLOG_IDENTIFIER\":\"vaktd\",\"MESSAGE\":\"Cannot open "
		"'/x': No such file or directory\",\"ERRNO\":\"2\"}\n");
}
END_TEST

START_TEST(test_positive_error_is_returned_negative)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	ck_assert_int_eq(log_warning_errno(EACCES, "x"), -EACCES);
	out = capture_end(&c);
	ck_assert_ptr_nonnull(strstr(out, "\"ERRNO\":\"13\""));
}
END_TEST

START_TEST(test_event_carries_table_fields_in_order)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event(EVENT_STORAGE_BLOCKED,
		  LOG_FIELD("VAKT_DEVICE_VENDOR_ID=%s", "0951"),
		  LOG_FIELD_OPT("VAKT_USER", NULL),
		  LOG_FIELD_OPT("VAKT_SEAT", ""),
		  LOG_FIELD_OPT("VAKT_TTY", "tty1"),
		  LOG_MESSAGE("Blocked USB storage device '%s'.", "Stick"));
	out = capture_end(&c);
	ck_assert_str_eq(out,
			 "{\"PRIORITY\":\"5\",\"SYSLOG_IDENTIFIER\":\"vaktd\",\"VAKT_EVENT\":"
			 "\"storage.blocked\",\"MESSAGE_ID\":\"1d9b86fa30304a05b4f59d365161909b\","
			 "\"VAKT_DEVICE_VENDOR_ID\":\"0951\",\"VAKT_TTY\":\"tty1\",\"MESSAGE\":"
			 "\"Blocked USB storage device 'Stick'.\"}\n");
}
END_TEST

START_TEST(test_event_fields_cannot_override_table_or_be_invalid)
{
	_cleanup_free_ char *out = NULL;
	_cleanup_strv_free_ char **l = NULL;
	struct capture c;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event(EVENT_AUTH_FAILED,
		  LOG_FIELD("VAKT_EVENT=%s", "storage.allowed"),
		  LOG_FIELD("PRIORITY=%d", 7),
		  LOG_FIELD("MESSAGE_ID=%s", "00000000000000000000000000000000"),
		  LOG_FIELD("SYSLOG_IDENTIFIER=%s", "sshd"),
		  LOG_FIELD("bad name=%s", "x"),
		  LOG_FIELD("VAKT_USER=%s", "bob"));
	out = capture_end(&c);
	l = lines(out);
	ck_assert_int_eq(strv_length(l), 2);
	ck_assert_str_eq(l[0],
			 "{\"PRIORITY\":\"4\",\"SYSLOG_IDENTIFIER\":\"vaktd\",\"VAKT_EVENT\":"
			 "\"auth.failed\",\"MESSAGE_ID\":\"9ada1fdb23e449baa6c3daeaf848ed62\","
			 "\"VAKT_USER\":\"bob\",\"MESSAGE\":\"Event auth.failed.\"}");
	ck_assert_ptr_nonnull(strstr(l[1], "lacks 5 field(s)"));
}
END_TEST

START_TEST(test_event_strv_does_not_free_fields)
{
	_cleanup_free_ char *out = NULL;
	char user[] = "VAKT_USER=alice";
	char *const fields[] = { user, NULL };
	struct capture c;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event_strv(EVENT_PRIVILEGE_SUDO, fields);
	out = capture_end(&c);
	ck_assert_str_eq(user, "VAKT_USER=alice");
	ck_assert_ptr_nonnull(strstr(out, "\"VAKT_USER\":\"alice\""));
	ck_assert_ptr_nonnull(strstr(out, "\"VAKT_EVENT\":\"privilege.sudo\""));
}
END_TEST

START_TEST(test_max_level_drops_records_above_it)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;

	log_set_target(LOG_TARGET_JSON);
	log_set_max_level(LOG_NOTICE);
	capture_begin(&c, 1);
	log_info("dropped");
	log_debug("dropped");
	log_event(EVENT_POLICY_LOADED, LOG_FIELD("VAKT_PARTS=%s", "x")); /* LOG_INFO */
	log_notice("kept");
	out = capture_end(&c);
	ck_assert_str_eq(
		out, "{\"PRIORITY\":\"5\",\"SYSLOG_IDENTIFIER\":\"vaktd\",\"MESSAGE\":\"kept\"}\n");
}
END_TEST

START_TEST(test_console_lists_the_same_fields_on_stderr)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;

	log_set_target(LOG_TARGET_CONSOLE);
	capture_begin(&c, 2);
	log_event(EVENT_POLICY_INVALID,
		  LOG_FIELD("VAKT_CONFIG_ERRORS=%s", "a.conf:1: x\na.conf:2: y"),
		  LOG_MESSAGE("The new policy has %d problems.", 2));
	out = capture_end(&c);
	ck_assert_str_eq(out,
			 "The new policy has 2 problems. [PRIORITY=4 SYSLOG_IDENTIFIER=vaktd "
			 "VAKT_EVENT=policy.invalid MESSAGE_ID=88e48adea53f4f5ca97d646459a43578 "
			 "VAKT_CONFIG_ERRORS=\"a.conf:1: x\\na.conf:2: y\"]\n");
}
END_TEST

START_TEST(test_target_names_round_trip)
{
	ck_assert_int_eq(log_target_from_string("journal"), LOG_TARGET_JOURNAL);
	ck_assert_int_eq(log_target_from_string("console"), LOG_TARGET_CONSOLE);
	ck_assert_int_eq(log_target_from_string("json"), LOG_TARGET_JSON);
	ck_assert_int_eq(log_target_from_string("syslog"), -EINVAL);
	ck_assert_int_eq(log_target_from_string(NULL), -EINVAL);
}
END_TEST

START_TEST(test_ratelimit_reports_suppressed_records)
{
	struct ratelimit rl = RATELIMIT_INIT(USEC_PER_HOUR, 2);
	_cleanup_free_ char *out = NULL;
	struct capture c;
	int passed = 0;

	log_set_target(LOG_TARGET_JSON);
	for (int i = 0; i < 5; i++)
		passed += log_ratelimit_ok(&rl, "failed logins");
	ck_assert_int_eq(passed, 2);
	/* Pretend the interval is over: the next one passes and reports the three. */
	rl.begin_usec -= USEC_PER_HOUR;
	capture_begin(&c, 1);
	ck_assert(log_ratelimit_ok(&rl, "failed logins"));
	out = capture_end(&c);
	ck_assert_ptr_nonnull(strstr(out, "Suppressed 3 records about failed logins"));
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("plain");
	tcase_add_test(tc, test_errno_variant_formats_percent_m_and_adds_errno);
	tcase_add_test(tc, test_positive_error_is_returned_negative);
	tcase_add_test(tc, test_max_level_drops_records_above_it);
	tcase_add_test(tc, test_target_names_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("event");
	tcase_add_test(tc, test_event_carries_table_fields_in_order);
	tcase_add_test(tc, test_event_fields_cannot_override_table_or_be_invalid);
	tcase_add_test(tc, test_event_strv_does_not_free_fields);
	tcase_add_test(tc, test_console_lists_the_same_fields_on_stderr);
	suite_add_tcase(s, tc);

	tc = tcase_create("ratelimit");
	tcase_add_test(tc, test_ratelimit_reports_suppressed_records);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
