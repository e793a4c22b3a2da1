#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "notice.h"

START_TEST(test_blocked_names_device_policy_and_contact)
{
	struct notice n = { 0 };
	struct notice_input in = { .kind = NOTICE_STORAGE_BLOCKED,
				   .device = "DataTraveler 3.0",
				   .policy_reference = "IT security policy \xc2\xa7"
						       "4.2",
				   .contact = "the help desk, ext. 4242" };

	ck_assert_int_eq(notice_format(&in, &n), 0);
	ck_assert_str_eq(n.summary, "USB storage device blocked");
	ck_assert_str_eq(
		n.body,
		"USB storage device 'DataTraveler 3.0' was blocked, as the security policy "
		"requires (IT security policy \xc2\xa7"
		"4.2). To ask for a dispensation, contact "
		"the help desk, ext. 4242.");
	ck_assert_str_eq(
		n.line,
		"\r\n\a*** vakt: USB storage device 'DataTraveler 3.0' was blocked, as the "
		"security policy requires (IT security policy \xc2\xa7"
		"4.2). To ask for a "
		"dispensation, contact the help desk, ext. 4242. ***\r\n");
	notice_done(&n);
}
END_TEST

START_TEST(test_defaults_without_reference_or_contact)
{
	struct notice n = { 0 };
	struct notice_input in = { .kind = NOTICE_STORAGE_READ_ONLY };

	ck_assert_int_eq(notice_format(&in, &n), 0);
	ck_assert_str_eq(
		n.body,
		"USB storage device 'unnamed' can be read but not written, as the security "
		"policy requires. To ask for a dispensation, contact your IT help desk.");
	notice_done(&n);
}
END_TEST

START_TEST(test_idle_kinds_ask_no_dispensation)
{
	struct notice n = { 0 };
	struct notice_input in = { .kind = NOTICE_SESSION_LOCKED, .device = "ignored" };

	ck_assert_int_eq(notice_format(&in, &n), 0);
	ck_assert_str_eq(n.summary, "Your session was locked");
	ck_assert_str_eq(n.body,
			 "Your session was locked because it was left unattended, as the security "
			 "policy requires. Questions: contact your IT help desk.");
	notice_done(&n);
	in.kind = NOTICE_SESSION_TERMINATE;
	ck_assert_int_eq(notice_format(&in, &n), 0);
	ck_assert_str_eq(n.summary, "Your session will be ended");
	ck_assert_ptr_nonnull(strstr(n.body, "could not be locked: it will be ended"));
	notice_done(&n);
}
END_TEST

/* A device names itself: its name must not reach a terminal as an escape sequence, nor a desktop
 * as markup. */
START_TEST(test_device_name_cannot_inject_escapes_or_markup)
{
	struct notice n = { 0 };
	struct notice_input in = { .kind = NOTICE_STORAGE_BLOCKED,
				   .device = "\x1b]0;owned\a<b>x</b>&\r\n" };

	ck_assert_int_eq(notice_format(&in, &n), 0);
	ck_assert_ptr_null(strchr(n.body, '\x1b'));
	ck_assert_ptr_null(strchr(n.body, '<'));
	ck_assert_ptr_nonnull(strstr(n.body,
				     "'?]0;owned?&lt;b&gt;x&lt;/b&gt;&amp;?"
				     "?'"));
	ck_assert_ptr_nonnull(strstr(n.line,
				     "'?]0;owned?<b>x</b>&?"
				     "?'"));
	/* The only control characters in the line are vakt's own frame. */
	for (const char *c = n.line + 3; c < n.line + strlen(n.line) - 2; c++)
		ck_assert(*c >= 0x20 && *c <= 0x7e);
	notice_done(&n);
}
END_TEST

/* Well-formed UTF-8 is kept (names are not only English); C1 controls (a terminal may read
 * U+009B as CSI), bidirectional overrides and broken sequences are not. */
START_TEST(test_utf8_kept_controls_and_garbage_replaced)
{
	char buf[64];

	ck_assert_str_eq(notice_printable("Brukerst\xc3\xb8tte \xe2\x82\xac", buf, sizeof(buf)),
			 "Brukerst\xc3\xb8tte \xe2\x82\xac");
	ck_assert_str_eq(notice_printable("a\xc2\x9b"
					  "31mb",
					  buf,
					  sizeof(buf)),
			 "a??31mb");
	/* U+202E (right-to-left override), built at run time: clang-tidy rightly refuses it in a
	 * literal. */
	const char rlo[] = { 'x', (char)0xe2, (char)0x80, (char)0xae, 'y', '\0' };

	ck_assert_str_eq(notice_printable(rlo, buf, sizeof(buf)), "x???y");
	ck_assert_str_eq(notice_printable("\xff\xc3(\xe0\x80\x80", buf, sizeof(buf)),
			 "??"
			 "(???");
	/* Cut on a character boundary: never half of a character before the "...". */
	ck_assert_str_eq(notice_printable("ab\xc3\xb8\xc3\xb8\xc3\xb8", buf, 8), "ab\xc3\xb8...");
	ck_assert_str_eq(notice_printable(NULL, buf, sizeof(buf)), "");
}
END_TEST

START_TEST(test_long_names_are_cut)
{
	char name[300], buf[NOTICE_FIELD_MAX + 1];

	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	notice_printable(name, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), NOTICE_FIELD_MAX);
	ck_assert_str_eq(buf + NOTICE_FIELD_MAX - 3, "...");
	notice_printable("short", buf, sizeof(buf));
	ck_assert_str_eq(buf, "short");
}
END_TEST

START_TEST(test_kind_out_of_range_is_refused)
{
	struct notice n = { 0 };
	struct notice_input in = { .kind = _NOTICE_KIND_MAX };

	ck_assert_int_eq(notice_format(&in, &n), -EINVAL);
	ck_assert_ptr_null(n.body);
}
END_TEST

START_TEST(test_tty_names)
{
	static const char *const good[] = { "pts/3", "tty2", "hvc0", "ttyS0", "tty_x-1" };
	static const char *const bad[] = { "",	      "/dev/pts/3", "../sda", "pts/../../sda",
					   "pts/3 x", "tty;1",	    "tty\n" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		ck_assert_msg(notice_tty_name_ok(good[i]), "%s", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ck_assert_msg(!notice_tty_name_ok(bad[i]), "%s", bad[i]);
	ck_assert(!notice_tty_name_ok(NULL));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notice");
	TCase *tc = tcase_create("notice");

	tcase_add_test(tc, test_blocked_names_device_policy_and_contact);
	tcase_add_test(tc, test_defaults_without_reference_or_contact);
	tcase_add_test(tc, test_idle_kinds_ask_no_dispensation);
	tcase_add_test(tc, test_device_name_cannot_inject_escapes_or_markup);
	tcase_add_test(tc, test_utf8_kept_controls_and_garbage_replaced);
	tcase_add_test(tc, test_long_names_are_cut);
	tcase_add_test(tc, test_kind_out_of_range_is_refused);
	tcase_add_test(tc, test_tty_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
