/*
 * daemon/log.c through its json and console targets (this test links log.o, see the Makefile's
 * UNIT_OBJ_test-log); the journal target is covered by tests/integration/test-journal.sh against
 * a real journald.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ratelimit.h"
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
	struct log_event e;

	capture_begin(&c, 1);
	log_event_begin(&e, EVENT_STORAGE_BLOCKED);
	log_event_addf(&e, "VAKT_DEVICE_VENDOR_ID", "%s", "0951");
	log_event_add(&e, "VAKT_USER", NULL);
	log_event_add(&e, "VAKT_SEAT", "");
	log_event_add(&e, "VAKT_TTY", "tty1");
	log_event_message(&e, "Blocked USB storage device '%s'.", "Stick");
	log_event_end(&e);
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
	struct log_event e;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event_begin(&e, EVENT_AUTH_FAILED);
	log_event_addf(&e, "VAKT_EVENT", "%s", "storage.allowed");
	log_event_addf(&e, "PRIORITY", "%d", 7);
	log_event_addf(&e, "MESSAGE_ID", "%s", "00000000000000000000000000000000");
	log_event_addf(&e, "SYSLOG_IDENTIFIER", "%s", "sshd");
	log_event_addf(&e, "bad name", "%s", "x");
	log_event_addf(&e, "VAKT_USER", "%s", "bob");
	log_event_end(&e);
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

/* A helper adds the fields several records share; a later value replaces an earlier one. */
static void add_person(struct log_event *e, const char *user)
{
	log_event_add(e, "VAKT_USER", user);
}

START_TEST(test_event_shared_fields_and_replacement)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;
	struct log_event e;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event_begin(&e, EVENT_PRIVILEGE_SUDO);
	add_person(&e, "bob");
	add_person(&e, "alice");
	log_event_end(&e);
	out = capture_end(&c);
	ck_assert_ptr_nonnull(strstr(out, "\"VAKT_USER\":\"alice\""));
	ck_assert_ptr_null(strstr(out, "bob"));
	ck_assert_ptr_nonnull(strstr(out, "\"VAKT_EVENT\":\"privilege.sudo\""));
}
END_TEST

START_TEST(test_event_long_values_are_kept_whole)
{
	_cleanup_free_ char *out = NULL, *big = NULL;
	struct capture c;
	struct log_event e;

	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event_begin(&e, EVENT_FILE_CHANGED);
	log_event_message(&e, "Changed '%s'.", big);
	log_event_end(&e);
	out = capture_end(&c);
	ck_assert_ptr_nonnull(strstr(out, big));
}
END_TEST

START_TEST(test_event_discard_writes_nothing)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;
	struct log_event e;

	log_set_target(LOG_TARGET_JSON);
	capture_begin(&c, 1);
	log_event_begin(&e, EVENT_PRIVILEGE_SUDO);
	log_event_add(&e, "VAKT_USER", "alice");
	log_event_discard(&e);
	out = capture_end(&c);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_max_level_drops_records_above_it)
{
	_cleanup_free_ char *out = NULL;
	struct capture c;
	struct log_event e;

	log_set_target(LOG_TARGET_JSON);
	log_set_max_level(LOG_NOTICE);
	capture_begin(&c, 1);
	log_info("dropped");
	log_debug("dropped");
	log_event_begin(&e, EVENT_POLICY_LOADED); /* LOG_INFO */
	log_event_add(&e, "VAKT_PARTS", "x");
	log_event_end(&e);
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
	struct log_event e;

	log_set_target(LOG_TARGET_CONSOLE);
	capture_begin(&c, 2);
	log_event_begin(&e, EVENT_POLICY_INVALID);
	log_event_add(&e, "VAKT_CONFIG_ERRORS", "a.conf:1: x\na.conf:2: y");
	log_event_message(&e, "The new policy has %d problems.", 2);
	log_event_end(&e);
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
	tcase_add_test(tc, test_event_shared_fields_and_replacement);
	tcase_add_test(tc, test_event_long_values_are_kept_whole);
	tcase_add_test(tc, test_event_discard_writes_nothing);
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
