/* lib/control: the control protocol's one parser and formatter (issue 14). */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control-proto.h"
#include "macro.h"

static struct control_msg *parse_ok(const char *text, size_t max)
{
	struct control_msg *m = NULL;
	_cleanup_free_ char *error = NULL;
	int r = control_parse(text, strlen(text), max, &m, &error);

	ck_assert_msg(r == 0, "%s: %s", text, error ? error : "?");
	return m;
}

static void parse_bad(const char *text, size_t len, const char *want)
{
	struct control_msg *m = NULL;
	_cleanup_free_ char *error = NULL;

	ck_assert_int_eq(control_parse(text, len, 16, &m, &error), -EBADMSG);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, want), "error '%s' lacks '%s'", error, want);
}

START_TEST(test_control_roundtrip_escapes_everything)
{
	_cleanup_(control_msg_freep) struct control_msg *m = control_msg_new(), *back = NULL;
	_cleanup_free_ char *text = NULL, *error = NULL;
	size_t len = 0;

	ck_assert_int_eq(control_msg_add(m, "status", "ok"), 0);
	ck_assert_int_eq(control_msg_add(m,
					 "name",
					 "a\\b\nc\td\x01"
					 "e\x7f"
					 "f=g"),
			 0);
	ck_assert_int_eq(control_msg_add(m,
					 "utf8",
					 "Gr\xc3\xbc\xc3\x9f"
					 "e \xe2\x82\xac"),
			 0);
	ck_assert_int_eq(control_msg_add(m, "empty", NULL), 0);
	ck_assert_int_eq(control_msg_addf(m, "n", "%d", 42), 0);
	ck_assert_int_eq(control_format(m, &text, &len), 0);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_ptr_nonnull(strstr(text, "name=a\\\\b\\nc\\td\\x01e\\x7ff=g\n"));
	ck_assert_int_eq(control_parse(text, len, 16, &back, &error), 0);
	ck_assert_uint_eq(back->n, 5);
	for (size_t i = 0; i < m->n; i++) {
		ck_assert_str_eq(back->fields[i].key, m->fields[i].key);
		ck_assert_str_eq(back->fields[i].value, m->fields[i].value);
	}
}
END_TEST

START_TEST(test_control_invalid_utf8_becomes_replacement)
{
	_cleanup_(control_msg_freep) struct control_msg *m = control_msg_new(), *back = NULL;
	_cleanup_free_ char *text = NULL, *error = NULL;
	size_t len = 0;

	/* a lone continuation byte, a truncated sequence, an overlong NUL, a surrogate */
	ck_assert_int_eq(control_msg_add(m,
					 "x",
					 "a\x80"
					 "b\xc3"
					 "c\xc0\x80"
					 "d\xed\xa0\x80"),
			 0);
	ck_assert_int_eq(control_format(m, &text, &len), 0);
	ck_assert_int_eq(control_parse(text, len, 16, &back, &error), 0);
	ck_assert_str_eq(back->fields[0].value,
			 "a\xef\xbf\xbd"
			 "b\xef\xbf\xbd"
			 "c\xef\xbf\xbd\xef\xbf\xbd"
			 "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(test_control_bad_messages_are_refused_with_a_reason)
{
	parse_bad("verb=status", 11, "line 1: the last line does not end with a newline");
	parse_bad("verb\n", 5, "expected KEY=VALUE");
	parse_bad("=x\n", 3, "the key is not");
	parse_bad("Verb=x\n", 7, "the key is not");
	parse_bad("1verb=x\n", 8, "the key is not");
	parse_bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x\n", 36, "the key is not");
	parse_bad("a=b\nc=\\q\n", 9, "line 2: unknown escape");
	parse_bad("a=\\\n", 4, "a backslash ends the value");
	parse_bad("a=\\x4\n", 6, "two lowercase hex digits");
	parse_bad("a=\\x41\n", 7, "only write a control character");
	parse_bad("a=\\x00\n", 7, "only write a control character");
	parse_bad("a=\x01\n", 4, "raw control character");
	parse_bad("a=b\x00"
		  "c\n",
		  6,
		  "raw control character");
	parse_bad("a=\xff\n", 4, "not valid UTF-8");
	parse_bad("a=\xc0\xaf\n", 5, "not valid UTF-8");
}
END_TEST

START_TEST(test_control_limits)
{
	_cleanup_(control_msg_freep) struct control_msg *m = control_msg_new(), *ok = NULL;
	_cleanup_free_ char *big = malloc(CONTROL_VALUE_MAX + 8), *error = NULL;
	struct control_msg *none = NULL;

	/* too many fields */
	ck_assert_int_eq(control_parse("a=1\nb=2\nc=3\n", 12, 2, &none, &error), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(error, "line 3: too many fields"));
	/* a value too long is refused by the parser, cut by the builder (at a character) */
	ck_assert_ptr_nonnull(big);
	big[0] = 'a';
	big[1] = '=';
	memset(big + 2, 'x', CONTROL_VALUE_MAX + 1);
	big[CONTROL_VALUE_MAX + 3] = '\n';
	parse_bad(big, CONTROL_VALUE_MAX + 4, "too long");
	memset(big, 'y', CONTROL_VALUE_MAX - 1);
	memcpy(big + CONTROL_VALUE_MAX - 1, "\xc3\xbc", 3);
	ck_assert_int_eq(control_msg_add(m, "v", big), 0);
	ck_assert_uint_eq(strlen(m->fields[0].value), CONTROL_VALUE_MAX - 1);
	ck_assert_int_eq(control_msg_add(m, "Bad", "x"), -EINVAL);
	ck_assert_int_eq(control_msg_add(m, "", "x"), -EINVAL);
	ok = parse_ok("", 0);
	ck_assert_uint_eq(ok->n, 0);
}
END_TEST

START_TEST(test_control_records)
{
	_cleanup_(control_msg_freep) struct control_msg *m =
		parse_ok("status=ok\nn=2\nrecord=part\nname=storage\nrecord=part\nname=idle\n"
			 "record=controller\nname=usb1\n",
			 64);
	size_t pos = 0, b, e;
	const char *names[3];
	int n = 0;

	ck_assert_str_eq(control_msg_get(m, "status"), "ok");
	ck_assert_str_eq(control_msg_get(m, "name"), "storage");
	while (control_msg_next_record(m, &pos, &b, &e)) {
		ck_assert_str_eq(m->fields[b].key, "record");
		names[n++] = control_msg_find(m, b, e, "name");
	}
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(names[0], "storage");
	ck_assert_str_eq(names[1], "idle");
	ck_assert_str_eq(names[2], "usb1");
	ck_assert_ptr_null(control_msg_find(m, 0, 2, "name"));
}
END_TEST

static void check_request(const char *text, int want, const char *error_part)
{
	_cleanup_(control_msg_freep) struct control_msg *m = parse_ok(text, 16);
	_cleanup_free_ char *error = NULL;
	enum control_verb v;
	int r = control_request_check(m, &v, &error);

	ck_assert_msg(r == want, "%s: %d, %s", text, r, error ? error : "");
	if (error_part)
		ck_assert_msg(error && strstr(error, error_part), "%s: %s", text, error);
}

START_TEST(test_control_requests)
{
	check_request("verb=status\n", 0, NULL);
	check_request("verb=devices\n", 0, NULL);
	check_request("verb=sessions\n", 0, NULL);
	check_request("verb=explain\ndevice=1-2\n", 0, NULL);
	check_request("verb=explain\ndevice=1-2\nuser=alice\n", 0, NULL);
	check_request("verb=rule\ndevice=0951:1666\n", 0, NULL);
	check_request("", -EINVAL, "a request starts with verb=");
	check_request("device=1-2\nverb=explain\n", -EINVAL, "a request starts with verb=");
	check_request("verb=shutdown\n", -EINVAL, "unknown verb");
	check_request("verb=status\nuser=x\n", -EINVAL, "status takes no field 'user'");
	check_request("verb=rule\ndevice=1\nuser=x\n", -EINVAL, "rule takes no field 'user'");
	check_request("verb=explain\n", -EINVAL, "explain needs a non-empty 'device'");
	check_request("verb=explain\ndevice=\n", -EINVAL, "needs a non-empty 'device'");
	check_request("verb=explain\ndevice=a\ndevice=b\n", -EINVAL, "field 'device' given twice");
	ck_assert_str_eq(control_verb_to_string(CONTROL_VERB_RULE), "rule");
	ck_assert_ptr_null(control_verb_to_string(_CONTROL_VERB_MAX));
}
END_TEST

START_TEST(test_control_error_reply)
{
	_cleanup_(control_msg_freep) struct control_msg *m =
		control_error_reply(CONTROL_CODE_DENIED, "no %s", "way");

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(control_msg_get(m, "status"), "error");
	ck_assert_str_eq(control_msg_get(m, "code"), "denied");
	ck_assert_str_eq(control_msg_get(m, "error"), "no way");
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, test_control_roundtrip_escapes_everything);
	tcase_add_test(tc, test_control_invalid_utf8_becomes_replacement);
	tcase_add_test(tc, test_control_bad_messages_are_refused_with_a_reason);
	tcase_add_test(tc, test_control_limits);
	tcase_add_test(tc, test_control_records);
	tcase_add_test(tc, test_control_requests);
	tcase_add_test(tc, test_control_error_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
