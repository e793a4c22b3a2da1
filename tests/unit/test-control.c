/* lib/control: the control protocol's one parser and formatter (issue 14). */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control-proto.h"
#include "dispensation.h"
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
	ck_assert_str_eq(control_verb_to_string(CONTROL_VERB_GRANT), "grant");
	ck_assert_str_eq(control_verb_to_string(CONTROL_VERB_REVOKE), "revoke");
	ck_assert_str_eq(control_verb_to_string(CONTROL_VERB_DISPENSATIONS), "dispensations");
	ck_assert_ptr_null(control_verb_to_string(_CONTROL_VERB_MAX));
}
END_TEST

#define GRANT "verb=grant\nuser=alice\nticket=HD-1\nreason=audit data\n"

START_TEST(test_control_dispensation_requests)
{
	check_request("verb=dispensations\n", 0, NULL);
	check_request("verb=dispensations\nuser=bob\n", -EINVAL, "takes no field 'user'");
	check_request("verb=revoke\nid=d-0123abcd\n", 0, NULL);
	check_request("verb=revoke\n", -EINVAL, "revoke needs a non-empty 'id'");
	check_request("verb=revoke\nid=\n", -EINVAL, "revoke needs a non-empty 'id'");
	check_request("verb=revoke\nid=d-0123ABCD\n", -EINVAL, "not a dispensation id");
	check_request("verb=revoke\nid=d-0123abc\n", -EINVAL, "not a dispensation id");
	check_request("verb=revoke\nid=../../etc\n", -EINVAL, "not a dispensation id");
	check_request("verb=revoke\nid=d-0123abcd\nuser=x\n", -EINVAL, "takes no field 'user'");

	check_request(GRANT "for=8h\n", 0, NULL);
	check_request(GRANT "until=1798133400\n", 0, NULL);
	check_request(GRANT "for=1h30m\ndevice=0951:1666\nmode=read-only\n", 0, NULL);
	check_request(GRANT "for=3d\ndevice=0951:1666:AB:CD 12\nmode=allow\n", 0, NULL);
	check_request(GRANT, -EINVAL, "exactly one of 'until'");
	check_request(GRANT "for=8h\nuntil=1798133400\n", -EINVAL, "exactly one of 'until'");
	check_request(GRANT "for=\n", -EINVAL, "'for'");
	check_request(GRANT "for=8\n", -EINVAL, "needs a unit");
	check_request(GRANT "for=0h\n", -EINVAL, "the duration is zero");
	check_request(GRANT "for=91d\n", -EINVAL, "limit of 90 days");
	check_request(GRANT "for=99999999999999999999h\n", -EINVAL, "limit of 90 days");
	check_request(GRANT "until=\n", -EINVAL, "seconds since the epoch");
	check_request(GRANT "until=0\n", -EINVAL, "seconds since the epoch");
	check_request(GRANT "until=-5\n", -EINVAL, "seconds since the epoch");
	check_request(GRANT "until=2026-12-24\n", -EINVAL, "seconds since the epoch");
	check_request(GRANT "until=253402300800\n", -EINVAL, "seconds since the epoch");
	check_request(GRANT "until=99999999999999999999999\n", -EINVAL, "seconds since the epoch");
	check_request(GRANT "for=8h\nmode=block\n", -EINVAL, "allow or read-only, not 'block'");
	check_request(GRANT "for=8h\nmode=\n", -EINVAL, "allow or read-only");
	check_request(GRANT "for=8h\ndevice=0951\n", -EINVAL, "VID:PID");
	check_request(GRANT "for=8h\ndevice=xyzw:1666\n", -EINVAL, "VID:PID");
	check_request(GRANT "for=8h\ndevice=0951:1666:\n", -EINVAL, "'0951:1666:'");
	check_request(GRANT "for=8h\ndevice=\n", -EINVAL, "VID:PID");
	check_request("verb=grant\nuser=alice\nticket=HD-1\nfor=8h\n",
		      -EINVAL,
		      "grant needs a non-empty 'reason'");
	check_request("verb=grant\nuser=alice\nreason=x\nfor=8h\n",
		      -EINVAL,
		      "grant needs a non-empty 'ticket'");
	check_request("verb=grant\nticket=HD-1\nreason=x\nfor=8h\n",
		      -EINVAL,
		      "grant needs a non-empty 'user'");
	check_request("verb=grant\nuser=alice\nticket=  \nreason=x\nfor=8h\n",
		      -EINVAL,
		      "the ticket is empty");
	check_request("verb=grant\nuser=alice\nticket=HD-1\nreason=\\t\nfor=8h\n",
		      -EINVAL,
		      "the reason is empty");
	check_request("verb=grant\nuser=alice\nticket=HD\\n1\nreason=x\nfor=8h\n",
		      -EINVAL,
		      "control characters");
	check_request("verb=grant\nuser=al ice\nticket=HD-1\nreason=x\nfor=8h\n",
		      -EINVAL,
		      "not a valid login name");
	check_request("verb=grant\nuser=-alice\nticket=HD-1\nreason=x\nfor=8h\n",
		      -EINVAL,
		      "not a valid login name");
	check_request(GRANT "for=8h\nid=d-0123abcd\n", -EINVAL, "grant takes no field 'id'");
}
END_TEST

static int grant_at(const char *text, uint64_t now, struct dispensation *d, char **error)
{
	_cleanup_(control_msg_freep) struct control_msg *m = parse_ok(text, 16);

	return control_grant_request(m, now, d, error);
}

START_TEST(test_control_grant_request)
{
	const uint64_t now = UINT64_C(1798000000) * USEC_PER_SEC;
	struct dispensation d = { 0 };
	_cleanup_free_ char *error = NULL;

	ck_assert_int_eq(
		grant_at(GRANT "for=8h\ndevice=0951:1666:S1\nmode=read-only\n", now, &d, &error),
		0);
	ck_assert_ptr_null(error);
	ck_assert_str_eq(d.user, "alice");
	ck_assert_str_eq(d.ticket, "HD-1");
	ck_assert_str_eq(d.reason, "audit data");
	ck_assert(d.device);
	ck_assert_str_eq(d.vendor, "0951");
	ck_assert_str_eq(d.product, "1666");
	ck_assert_str_eq(d.serial, "S1");
	ck_assert_int_eq(d.mode, STORAGE_ACTION_READ_ONLY);
	ck_assert_uint_eq(d.not_after, now + 8 * USEC_PER_HOUR);
	/* the caller's to fill */
	ck_assert_ptr_null(d.granted_by);
	ck_assert_uint_eq(d.granted_at, 0);
	dispensation_done(&d);

	ck_assert_int_eq(grant_at(GRANT "until=1798003600\n", now, &d, &error), 0);
	ck_assert(!d.device);
	ck_assert_int_eq(d.mode, STORAGE_ACTION_ALLOW);
	ck_assert_uint_eq(d.not_after, UINT64_C(1798003600) * USEC_PER_SEC);
	dispensation_done(&d);

	/* the time is checked against now */
	ck_assert_int_eq(grant_at(GRANT "until=1797999999\n", now, &d, &error), -EINVAL);
	ck_assert_str_eq(error, "grant: the expiry is in the past");
	free(error);
	error = NULL;
	ck_assert_int_eq(grant_at(GRANT "until=1798000000\n", now, &d, &error), -EINVAL);
	ck_assert_str_eq(error, "grant: the expiry is in the past");
	free(error);
	error = NULL;
	ck_assert_int_eq(grant_at(GRANT "until=1805776001\n", now, &d, &error), -EINVAL);
	ck_assert_str_eq(error, "grant: it would last longer than the limit of 90 days");
	free(error);
	error = NULL;
	ck_assert_int_eq(grant_at(GRANT "until=1805776000\n", now, &d, &error), 0);
	dispensation_done(&d);
	ck_assert_int_eq(grant_at(GRANT "for=90d\n", now, &d, &error), 0);
	dispensation_done(&d);
	ck_assert_ptr_null(d.user);
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
	tcase_add_test(tc, test_control_dispensation_requests);
	tcase_add_test(tc, test_control_grant_request);
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
