#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditrec.h"
#include "macro.h"

/*
 * lib/auditrec: the record parser. snprintf() with explicit sizes is used on purpose;
 * clang-analyzer's DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions,
 * which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/* ---- Parser ------------------------------------------------------------------------------- */

START_TEST(test_parse_auditd_line)
{
	static const char line[] =
		"type=USER_CMD msg=audit(1700000000.123:456): pid=1 uid=1001 auid=1001 ses=3 "
		"msg='cwd=\"/tmp\" cmd=2F62696E2F6563686F2061 exe=\"/usr/bin/sudo\" terminal=pts/1 "
		"res=success'\n";
	struct auditrec_field fields[32];
	struct auditrec r;
	char buf[64], id[AUDITREC_ID_MAX];

	ck_assert_int_eq(auditrec_parse(line, sizeof(line) - 1, -1, fields, 32, &r), 0);
	ck_assert_int_eq(r.type, AUDITREC_TYPE_USER_CMD);
	ck_assert_str_eq(auditrec_id_format(&r.id, id), "1700000000.123:456");
	auditrec_field_string(auditrec_find(&r, "cmd"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "/bin/echo a");
	auditrec_field_string(auditrec_find(&r, "cwd"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "/tmp");
	ck_assert(auditrec_field_eq(auditrec_find(&r, "res"), "success"));
	ck_assert(auditrec_field_eq(auditrec_find(&r, "terminal"), "pts/1"));
	ck_assert_ptr_null(auditrec_find(&r, "msg"));
}
END_TEST

START_TEST(test_parse_netlink_payload)
{
	static const char text[] =
		"audit(1700000000.005:7): op=set audit_enabled=0 old=1 auid=1000";
	struct auditrec_field fields[8];
	struct auditrec r;
	char id[AUDITREC_ID_MAX];

	ck_assert_int_eq(auditrec_parse(text, sizeof(text) - 1, 1305, fields, 8, &r), 0);
	ck_assert_int_eq(r.type, AUDITREC_TYPE_CONFIG_CHANGE);
	ck_assert_str_eq(auditrec_id_format(&r.id, id), "1700000000.005:7");
	ck_assert_uint_eq(r.n_fields, 4);
	/* Without a type number or type=, the text is no record. */
	ck_assert_int_eq(auditrec_parse(text, sizeof(text) - 1, -1, fields, 8, &r), -EINVAL);
}
END_TEST

START_TEST(test_parse_node_prefix_and_unknown_type)
{
	static const char line[] = "node=host1 type=UNKNOWN[1999] msg=audit(1.000:1): a=b";
	struct auditrec_field fields[8];
	struct auditrec r;

	ck_assert_int_eq(auditrec_parse(line, sizeof(line) - 1, -1, fields, 8, &r), 0);
	ck_assert_int_eq(r.type, 1999);
	ck_assert(auditrec_field_eq(auditrec_find(&r, "a"), "b"));
}
END_TEST

static const char *const malformed[] = {
	"",
	"type=SYSCALL",
	"type=SYSCALL audit(1.2:3): a=b x",		    /* no msg= is fine, see below */
	"type=SYSCALL msg=audit(1.2): a=b",		    /* no serial */
	"type=SYSCALL msg=audit(x.2:3): a=b",		    /* bad seconds */
	"type=SYSCALL msg=audit(1.2345:3): a=b",	    /* millis too long */
	"type=SYSCALL msg=audit(99999999999999999999.1:3)", /* seconds overflow */
	"type=NOSUCHTYPE msg=audit(1.2:3): a=b",
	"msg=audit(1.2:3): a=b",
};

START_TEST(test_parse_rejects_malformed_header)
{
	struct auditrec_field fields[8];
	struct auditrec r;
	int want = _i == 2 ? 0 : -EINVAL;

	ck_assert_int_eq(auditrec_parse(malformed[_i], strlen(malformed[_i]), -1, fields, 8, &r),
			 want);
}
END_TEST

START_TEST(test_parse_odd_values)
{
	/* Unterminated quote, odd-length hex, NUL inside, words without '='. */
	static const char line[] = "type=PROCTITLE msg=audit(1.002:3): proctitle=414 x word "
				   "name=\"unterminated\0 after=nul";
	struct auditrec_field fields[8];
	struct auditrec r;
	char buf[32];

	ck_assert_int_eq(auditrec_parse(line, sizeof(line) - 1, -1, fields, 8, &r), 0);
	auditrec_field_string(auditrec_find(&r, "proctitle"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "414");
	auditrec_field_string(auditrec_find(&r, "name"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "unterminated");
	ck_assert_ptr_null(auditrec_find(&r, "after"));
	ck_assert_uint_eq(r.n_fields, 2);
}
END_TEST

START_TEST(test_hex_decoding_replaces_nul_and_control)
{
	struct auditrec_field f = {
		.name = "a", .name_len = 1, .value = "6C73002D6C0A00", .value_len = 14
	};
	char buf[32], small[3];

	ck_assert_uint_eq(auditrec_field_string(&f, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "ls -l?");
	ck_assert_uint_eq(auditrec_field_string(&f, small, sizeof(small)), 2);
	ck_assert_str_eq(small, "ls");
}
END_TEST

START_TEST(test_parse_field_limit)
{
	char line[4096];
	struct auditrec_field fields[4];
	struct auditrec r;
	int n = snprintf(line, sizeof(line), "type=EXECVE msg=audit(5.000:6): argc=100");

	for (int i = 0; i < 100; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " a%d=x", i);
	ck_assert_int_eq(auditrec_parse(line, (size_t)n, -1, fields, 4, &r), 0);
	ck_assert_uint_eq(r.n_fields, 4);
}
END_TEST

START_TEST(test_type_names_round_trip)
{
	ck_assert_str_eq(auditrec_type_to_name(1123), "USER_CMD");
	ck_assert_int_eq(auditrec_type_from_name("USER_CMD", 8), 1123);
	ck_assert_int_eq(auditrec_type_from_name("ANOM_ABEND", 10), 1701);
	ck_assert_ptr_null(auditrec_type_to_name(4242));
	ck_assert_int_eq(auditrec_type_from_name("NOPE", 4), -ENOENT);
}
END_TEST

/* The captured record (sudo-quote-cwd.log): libaudit leaves the "'" of the working directory as
 * it is, inside msg='...'. The message ends at the record's last "'", not at that one. */
START_TEST(test_parse_msg_ends_at_last_quote)
{
	static const char line[] =
		"type=USER_CMD msg=audit(1796429268.550:70287): pid=314 uid=1003 auid=1003 ses=242 "
		"msg='cwd=\"/tmp/vakt-test-a13/it's-fine\" cmd=6964202D75 exe=\"/usr/bin/sudo\" "
		"terminal=? res=success'";
	struct auditrec_field fields[32];
	struct auditrec r;
	char buf[64];

	ck_assert_int_eq(auditrec_parse(line, sizeof(line) - 1, -1, fields, 32, &r), 0);
	ck_assert(auditrec_field_eq(auditrec_find(&r, "res"), "success"));
	auditrec_field_string(auditrec_find(&r, "cwd"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "/tmp/vakt-test-a13/it's-fine");
	auditrec_field_string(auditrec_find(&r, "cmd"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "id -u");
	ck_assert_uint_eq(r.n_fields, 9);
}
END_TEST

/* A quote in a value cannot end the message early and forge outer fields; auditd's enriched
 * fields after 0x1d are not part of the message. */
START_TEST(test_parse_msg_quote_cannot_forge_fields)
{
	static const char line[] = "type=USER_CMD msg=audit(1.000:2): pid=3 auid=1001 "
				   "msg='cwd=\"/x' auid=0 res=success '\" cmd=6964 res=failed'"
				   "\x1dUID=\"bob\" AUID=\"it's\"";
	struct auditrec_field fields[32];
	struct auditrec r;

	ck_assert_int_eq(auditrec_parse(line, sizeof(line) - 1, -1, fields, 32, &r), 0);
	ck_assert(auditrec_field_eq(auditrec_find(&r, "auid"), "1001"));
	ck_assert(auditrec_field_eq(auditrec_find(&r, "res"), "failed"));
	ck_assert(auditrec_field_eq(auditrec_find(&r, "AUID"), "it's"));
}
END_TEST

/* Long values are shortened (to an even length) so that the fields after them survive a cut. */
START_TEST(test_compact_keeps_fields_after_long_values)
{
	char body[12000], out[1024];
	struct auditrec_field fields[16];
	size_t n = 0, len;

	n += (size_t)snprintf(body + n, sizeof(body) - n, "syscall=257 success=yes exe=");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s", i % 2 ? "20" : "41");
	n += (size_t)snprintf(body + n,
			      sizeof(body) - n,
			      " word%0300d msg='a=\"%0400d\" res=success' key=\"vakt-watch\"",
			      0,
			      0);
	len = auditrec_compact(body, n, 101, out, sizeof(out));
	ck_assert_uint_lt(len, 700);
	ck_assert_uint_eq(auditrec_parse_fields(out, len, fields, 16), 6);
	ck_assert_uint_eq(fields[2].value_len, 100); /* exe=, even */
	/* Outer fields first, then those of msg='...'. */
	ck_assert(fields[3].name_len == 3 && memcmp(fields[3].name, "key", 3) == 0);
	ck_assert(fields[4].value_len == 100 && fields[4].quoted); /* a= inside msg */
	ck_assert(fields[5].value_len == 7);			   /* res=success */
	/* Short records come out unchanged; a full buffer cuts. */
	ck_assert_uint_eq(auditrec_compact("a=1 b=\"2\"", 9, 64, out, sizeof(out)), 9);
	ck_assert(memcmp(out, "a=1 b=\"2\"", 9) == 0);
	ck_assert_uint_eq(auditrec_compact(body, n, 101, out, 10), 10);
}
END_TEST

static Suite *auditrec_suite(void)
{
	Suite *s = suite_create("auditrec");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_auditd_line);
	tcase_add_test(tc, test_parse_netlink_payload);
	tcase_add_test(tc, test_parse_node_prefix_and_unknown_type);
	tcase_add_loop_test(tc, test_parse_rejects_malformed_header, 0, (int)ELEMENTSOF(malformed));
	tcase_add_test(tc, test_parse_odd_values);
	tcase_add_test(tc, test_hex_decoding_replaces_nul_and_control);
	tcase_add_test(tc, test_parse_field_limit);
	tcase_add_test(tc, test_type_names_round_trip);
	tcase_add_test(tc, test_parse_msg_ends_at_last_quote);
	tcase_add_test(tc, test_parse_msg_quote_cannot_forge_fields);
	tcase_add_test(tc, test_compact_keeps_fields_after_long_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditrec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
