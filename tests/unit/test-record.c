#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "record.h"
#include "strv.h"

/* Renders r with fn into a new string. */
static char *render(const struct record *r, int (*fn)(const struct record *, FILE *))
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fn(r, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static char *render_json(const struct record *r)
{
	return render(r, record_write_json);
}

static char *render_console(const struct record *r)
{
	return render(r, record_write_console);
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid (independent of lib/record.c). */
static size_t utf8_valid_len(const unsigned char *s)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void utf8_put(FILE *out, uint32_t cp)
{
	if (cp < 0x80)
		(void)fputc((int)cp, out);
	else if (cp < 0x800) {
		(void)fputc((int)(0xc0 | (cp >> 6)), out);
		(void)fputc((int)(0x80 | (cp & 0x3f)), out);
	} else {
		(void)fputc((int)(0xe0 | (cp >> 12)), out);
		(void)fputc((int)(0x80 | ((cp >> 6) & 0x3f)), out);
		(void)fputc((int)(0x80 | (cp & 0x3f)), out);
	}
}

/* Value of the n hex digits at s, or -1 when one of them is not a hex digit. */
static long hex_value(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		const char *d = s[i] ? strchr("0123456789abcdef", s[i] | 0x20) : NULL;

		if (!d)
			return -1;
		v = v * 16 + (d - "0123456789abcdef");
	}
	return v;
}

/* Strict parser for one JSON string at *p; returns the decoded value or NULL if invalid. */
static char *json_parse_string(const char **p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	const unsigned char *s = (const unsigned char *)*p;
	bool ok = false;

	if (*s++ != '"')
		goto done;
	for (;;) {
		if (*s == '"') {
			s++;
			ok = true;
			break;
		}
		if (*s < 0x20)
			break;
		if (*s == '\\') {
			const char *esc = s[1] ? strchr("\"\\/bfnrt", s[1]) : NULL;

			if (s[1] == 'u') {
				long cp = hex_value((const char *)s + 2, 4);

				if (cp < 0 || (cp >= 0xd800 && cp <= 0xdfff))
					break;
				utf8_put(out, (uint32_t)cp);
				s += 6;
				continue;
			}
			if (!esc)
				break;
			(void)fputc("\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"], out);
			s += 2;
			continue;
		}
		size_t len = utf8_valid_len(s);
		if (len == 0)
			break;
		(void)fwrite(s, 1, len, out);
		s += len;
	}
done:
	(void)fclose(out);
	if (!ok) {
		free(buf);
		return NULL;
	}
	*p = (const char *)s;
	return buf;
}

/* Parses one JSON object of string values plus "\n" into "NAME=value" strings, in order. Fails
 * the test on anything that is not valid JSON of that shape. */
static char **json_parse_record(const char *text)
{
	char **fields = NULL;
	const char *p = text;

	ck_assert_int_eq(*p++, '{');
	while (*p != '}') {
		_cleanup_free_ char *name = NULL;
		_cleanup_free_ char *value = NULL;
		char *field;

		if (fields)
			ck_assert_int_eq(*p++, ',');
		name = json_parse_string(&p);
		ck_assert_msg(name, "invalid JSON name in %s", text);
		ck_assert_int_eq(*p++, ':');
		value = json_parse_string(&p);
		ck_assert_msg(value, "invalid JSON value in %s", text);
		ck_assert_int_ge(asprintf(&field, "%s=%s", name, value), 0);
		ck_assert_int_eq(strv_consume(&fields, field), 0);
	}
	ck_assert_str_eq(p, "}\n");
	return fields;
}

/* Parses the bracketed part of a console line into "NAME=value" strings, undoing the quoting. */
static char **console_parse_fields(const char *line)
{
	char **fields = NULL;
	const char *p = strchr(line, '[');

	ck_assert_ptr_nonnull(p);
	p++;
	while (*p != ']') {
		char *buf = NULL;
		size_t size = 0;
		FILE *out = open_memstream(&buf, &size);

		while (*p != '=')
			(void)fputc(*p++, out);
		(void)fputc(*p++, out);
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p != '\\') {
					(void)fputc(*p, out);
					continue;
				}
				p++;
				if (*p == 'n')
					(void)fputc('\n', out);
				else if (*p == 't')
					(void)fputc('\t', out);
				else if (*p == 'r')
					(void)fputc('\r', out);
				else if (*p == 'x') {
					long byte = hex_value(p + 1, 2);

					ck_assert_int_ge(byte, 0);
					(void)fputc((int)byte, out);
					p += 2;
				} else
					(void)fputc(*p, out);
			}
			p++;
		} else
			while (*p != ' ' && *p != ']')
				(void)fputc(*p++, out);
		(void)fclose(out);
		ck_assert_int_eq(strv_consume(&fields, buf), 0);
		if (*p == ' ')
			p++;
	}
	ck_assert_str_eq(p, "]\n");
	return fields;
}

START_TEST(test_json_escapes_quotes_backslash_newline)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ char *json = NULL;

	ck_assert_int_eq(record_add(r, "MESSAGE", "He said \"hi\"\\\nbye\ttab\rcr"), 0);
	json = render_json(r);
	ck_assert_str_eq(
		json,
		"{\"PRIORITY\":\"5\",\"MESSAGE\":\"He said \\\"hi\\\"\\\\\\nbye\\ttab\\rcr\"}\n");
}
END_TEST

START_TEST(test_json_escapes_control_chars)
{
	_cleanup_(record_freep) struct record *r = record_new(6);
	_cleanup_free_ char *json = NULL;

	ck_assert_int_eq(record_add(r, "VAKT_FILE", "a\x01-\x1b[31m\x7f-\x1f"), 0);
	json = render_json(r);
	ck_assert_str_eq(
		json,
		"{\"PRIORITY\":\"6\",\"VAKT_FILE\":\"a\\u0001-\\u001b[31m\\u007f-\\u001f\"}\n");
}
END_TEST

/* { value, its JSON rendering } */
static const char *const utf8_cases[][2] = {
	{ "caf\xc3\xa9", "caf\xc3\xa9" }, /* valid 2-byte passes raw */
	{ "\xe2\x82\xac\xf0\x9f\x94\x92", "\xe2\x82\xac\xf0\x9f\x94\x92" }, /* 3 and 4 bytes */
	{ "a\xff!", "a\\ufffd!" },					    /* never valid */
	{ "a\xc3", "a\\ufffd" },				/* truncated at the end */
	{ "\xc3(", "\\ufffd(" },				/* bad continuation */
	{ "\xc0\xaf", "\\ufffd\\ufffd" },			/* overlong '/' */
	{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd" },		/* overlong 3-byte */
	{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" },		/* UTF-16 surrogate */
	{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* above U+10FFFF */
	{ "\x80x", "\\ufffdx" },				/* lone continuation byte */
};

START_TEST(test_json_invalid_utf8_is_replaced)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ char *json = NULL;
	_cleanup_free_ char *expected = NULL;
	_cleanup_strv_free_ char **parsed = NULL;

	ck_assert_int_eq(record_add(r, "VAKT_FILE", utf8_cases[_i][0]), 0);
	json = render_json(r);
	ck_assert_int_ge(asprintf(&expected,
				  "{\"PRIORITY\":\"5\",\"VAKT_FILE\":\"%s\"}\n",
				  utf8_cases[_i][1]),
			 0);
	ck_assert_str_eq(json, expected);
	parsed = json_parse_record(json);
	ck_assert_int_eq(strv_length(parsed), 2);
}
END_TEST

START_TEST(test_json_random_bytes_always_valid)
{
	unsigned seed = 42;

	for (int round = 0; round < 2000; round++) {
		_cleanup_(record_freep) struct record *r = record_new(5);
		_cleanup_free_ char *json = NULL;
		_cleanup_free_ char *console = NULL;
		_cleanup_strv_free_ char **parsed = NULL;
		char value[24];
		size_t n = (size_t)(rand_r(&seed) % (sizeof(value) - 1));

		for (size_t i = 0; i < n; i++)
			value[i] = (char)(1 + rand_r(&seed) % 255);
		value[n] = '\0';
		ck_assert_int_eq(record_add(r, "MESSAGE", value), 0);
		ck_assert_int_eq(record_add(r, "VAKT_FILE", value), 0);
		json = render_json(r);
		parsed = json_parse_record(json);
		ck_assert_int_eq(strv_length(parsed), 3);
		console = render_console(r);
		ck_assert_ptr_eq(strchr(console, '\n'), console + strlen(console) - 1);
		ck_assert_ptr_null(strchr(console, '\x1b'));
	}
}
END_TEST

START_TEST(test_json_field_order_is_insertion_order_priority_first)
{
	_cleanup_(record_freep) struct record *r = record_new(4);
	_cleanup_free_ char *json = NULL;

	ck_assert_int_eq(record_add(r, "SYSLOG_IDENTIFIER", "vaktd"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_EVENT", "auth.burst"), 0);
	ck_assert_int_eq(record_add(r, "MESSAGE", "Many."), 0);
	ck_assert_int_eq(record_add(r, "VAKT_USER", "bob"), 0);
	json = render_json(r);
	ck_assert_str_eq(json,
			 "{\"PRIORITY\":\"4\",\"SYSLOG_IDENTIFIER\":\"vaktd\",\"VAKT_EVENT\":"
			 "\"auth.burst\",\"MESSAGE\":\"Many.\",\"VAKT_USER\":\"bob\"}\n");
}
END_TEST

START_TEST(test_console_plain_values_are_not_quoted)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ char *line = NULL;

	ck_assert_int_eq(record_add(r, "VAKT_EVENT", "storage.blocked"), 0);
	ck_assert_int_eq(record_add(r, "MESSAGE", "Blocked USB storage device 'Stick'."), 0);
	ck_assert_int_eq(record_add(r, "VAKT_DEVICE_VENDOR_ID", "0951"), 0);
	line = render_console(r);
	ck_assert_str_eq(
		line,
		"Blocked USB storage device 'Stick'. [PRIORITY=5 VAKT_EVENT=storage.blocked "
		"VAKT_DEVICE_VENDOR_ID=0951]\n");
}
END_TEST

START_TEST(test_console_quotes_and_escapes_values)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ char *line = NULL;

	ck_assert_int_eq(record_add(r, "MESSAGE", "two\nlines\x1b[2J \\ end"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_RULE", "approved stick /etc/vakt/vakt.conf:12"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_FILE", "say \"x\"\\y"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_COMMAND", "a]b"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_TTY", ""), 0);
	ck_assert_int_eq(record_add(r, "VAKT_USER", "it's"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_SEAT", "\xff\xc2\x85\x7f\t"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_DEVICE_NAME", "Tr\xc3\xb8mso"), 0);
	line = render_console(r);
	ck_assert_str_eq(line,
			 "two\\nlines\\x1b[2J \\\\ end [PRIORITY=5 "
			 "VAKT_RULE=\"approved stick /etc/vakt/vakt.conf:12\" "
			 "VAKT_FILE=\"say \\\"x\\\"\\\\y\" VAKT_COMMAND=\"a]b\" VAKT_TTY=\"\" "
			 "VAKT_USER=\"it's\" VAKT_SEAT=\"\\xff\\xc2\\x85\\x7f\\t\" "
			 "VAKT_DEVICE_NAME=Tr\xc3\xb8mso]\n");
}
END_TEST

START_TEST(test_console_without_message_lists_fields)
{
	_cleanup_(record_freep) struct record *r = record_new(7);
	_cleanup_free_ char *line = NULL;

	ck_assert_int_eq(record_add(r, "VAKT_UID", "1000"), 0);
	line = render_console(r);
	ck_assert_str_eq(line, "[PRIORITY=7 VAKT_UID=1000]\n");
}
END_TEST

START_TEST(test_iovec_holds_name_value_pairs)
{
	_cleanup_(record_freep) struct record *r = record_new(3);
	_cleanup_free_ struct iovec *iov = NULL;

	ck_assert_int_eq(record_add(r, "MESSAGE", "multi\nline"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_EVENT", "policy.invalid"), 0);
	ck_assert_int_eq(record_to_iovec(r, &iov), 3);
	ck_assert_int_eq(iov[0].iov_len, strlen("PRIORITY=3"));
	ck_assert_mem_eq(iov[0].iov_base, "PRIORITY=3", iov[0].iov_len);
	ck_assert_int_eq(iov[1].iov_len, strlen("MESSAGE=multi\nline"));
	ck_assert_mem_eq(iov[1].iov_base, "MESSAGE=multi\nline", iov[1].iov_len);
	ck_assert_int_eq(iov[2].iov_len, strlen("VAKT_EVENT=policy.invalid"));
	ck_assert_mem_eq(iov[2].iov_base, "VAKT_EVENT=policy.invalid", iov[2].iov_len);
}
END_TEST

static const char *const invalid_names[] = {
	"",	      "_PID",
	"1ABC",	      "lower",
	"VAKT-USER",  "VAKT USER",
	"VAKT.USER",  "VAKT=X",
	"\xc3\x85SE", "A2345678901234567890123456789012345678901234567890123456789012345", /* 65 */
};

START_TEST(test_invalid_field_names_are_rejected)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ char *assignment = NULL;

	ck_assert(!record_field_name_valid(invalid_names[_i]));
	ck_assert_int_eq(record_add(r, invalid_names[_i], "x"), -EINVAL);
	/* With '=' in the name the assignment splits there instead: no invalid name then. */
	if (!strchr(invalid_names[_i], '=')) {
		ck_assert_int_ge(asprintf(&assignment, "%s=x", invalid_names[_i]), 0);
		ck_assert_int_eq(record_add_assignment(r, assignment), -EINVAL);
	}
	ck_assert_int_eq(record_n_fields(r), 1);
}
END_TEST

START_TEST(test_valid_field_names_are_accepted)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	const char *const names[] = {
		"A",
		"VAKT_USER",
		"X_1",
		"A234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		ck_assert(record_field_name_valid(names[i]));
		ck_assert_int_eq(record_add(r, names[i], "v"), 0);
	}
	ck_assert_int_eq(record_n_fields(r), 1 + ELEMENTSOF(names));
}
END_TEST

START_TEST(test_duplicate_name_is_replaced_in_place)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ char *json = NULL;

	ck_assert_int_eq(record_add(r, "VAKT_USER", "alice"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_UID", "1000"), 0);
	ck_assert_int_eq(record_add_assignment(r, "VAKT_USER=bob"), 0);
	ck_assert_int_eq(record_n_fields(r), 3);
	ck_assert_str_eq(record_get(r, "VAKT_USER"), "bob");
	json = render_json(r);
	ck_assert_str_eq(json,
			 "{\"PRIORITY\":\"5\",\"VAKT_USER\":\"bob\",\"VAKT_UID\":\"1000\"}\n");
}
END_TEST

START_TEST(test_priority_field_is_validated_and_replaceable)
{
	_cleanup_(record_freep) struct record *r = record_new(6);

	ck_assert_ptr_null(record_new(8));
	ck_assert_ptr_null(record_new(-1));
	ck_assert_int_eq(record_priority(r), 6);
	ck_assert_str_eq(record_get(r, "PRIORITY"), "6");
	ck_assert_int_eq(record_add(r, "PRIORITY", "9"), -EINVAL);
	ck_assert_int_eq(record_add(r, "PRIORITY", "33"), -EINVAL);
	ck_assert_int_eq(record_add(r, "PRIORITY", "2"), 0);
	ck_assert_int_eq(record_priority(r), 2);
	ck_assert_str_eq(record_get(r, "PRIORITY"), "2");
	ck_assert_int_eq(record_n_fields(r), 1);
}
END_TEST

START_TEST(test_assignment_splits_at_first_equals)
{
	_cleanup_(record_freep) struct record *r = record_new(5);

	ck_assert_int_eq(record_add_assignment(r, "VAKT_COMMAND=env A=1 id"), 0);
	ck_assert_str_eq(record_get(r, "VAKT_COMMAND"), "env A=1 id");
	ck_assert_int_eq(record_add_assignment(r, "VAKT_TTY="), 0);
	ck_assert_str_eq(record_get(r, "VAKT_TTY"), "");
	ck_assert_int_eq(record_add_assignment(r, "NOEQUALS"), -EINVAL);
	ck_assert_ptr_null(record_get(r, "VAKT"));
	ck_assert_ptr_null(record_get(r, "NOEQUALS"));
}
END_TEST

START_TEST(test_renderings_carry_identical_fields)
{
	_cleanup_(record_freep) struct record *r = record_new(5);
	_cleanup_free_ struct iovec *iov = NULL;
	_cleanup_free_ char *json = NULL;
	_cleanup_free_ char *console = NULL;
	_cleanup_strv_free_ char **from_json = NULL;
	_cleanup_strv_free_ char **from_console = NULL;
	_cleanup_strv_free_ char **from_iovec = NULL;
	int n;

	ck_assert_int_eq(record_add(r, "SYSLOG_IDENTIFIER", "vaktd"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_EVENT", "privilege.sudo"), 0);
	ck_assert_int_eq(record_add(r, "MESSAGE", "User 'bob' ran a command as root."), 0);
	ck_assert_int_eq(record_add(r, "VAKT_COMMAND", "/bin/sh -c \"echo x\ty\"\n"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_FILE", "C:\\path ] \xc3\xa6\xc3\xb8\xc3\xa5"), 0);
	ck_assert_int_eq(record_add(r, "VAKT_TTY", ""), 0);

	n = record_to_iovec(r, &iov);
	ck_assert_int_eq(n, 7);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(
			strv_consume(&from_iovec, strndup(iov[i].iov_base, iov[i].iov_len)), 0);

	json = render_json(r);
	from_json = json_parse_record(json);
	console = render_console(r);
	from_console = console_parse_fields(console);

	ck_assert_int_eq(strv_length(from_json), 7);
	ck_assert_int_eq(strv_length(from_console), 6); /* MESSAGE leads the line instead */
	for (size_t i = 0, j = 0; from_iovec && from_iovec[i]; i++) {
		ck_assert_str_eq(from_json[i], from_iovec[i]);
		if (strncmp(from_iovec[i], "MESSAGE=", 8) == 0) {
			ck_assert(strncmp(console, from_iovec[i] + 8, strlen(from_iovec[i] + 8)) ==
				  0);
			continue;
		}
		ck_assert_str_eq(from_console[j++], from_iovec[i]);
	}
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc;

	tc = tcase_create("json");
	tcase_add_test(tc, test_json_escapes_quotes_backslash_newline);
	tcase_add_test(tc, test_json_escapes_control_chars);
	tcase_add_loop_test(tc, test_json_invalid_utf8_is_replaced, 0, ELEMENTSOF(utf8_cases));
	tcase_add_test(tc, test_json_random_bytes_always_valid);
	tcase_add_test(tc, test_json_field_order_is_insertion_order_priority_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("console");
	tcase_add_test(tc, test_console_plain_values_are_not_quoted);
	tcase_add_test(tc, test_console_quotes_and_escapes_values);
	tcase_add_test(tc, test_console_without_message_lists_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_test(tc, test_iovec_holds_name_value_pairs);
	tcase_add_loop_test(
		tc, test_invalid_field_names_are_rejected, 0, ELEMENTSOF(invalid_names));
	tcase_add_test(tc, test_valid_field_names_are_accepted);
	tcase_add_test(tc, test_duplicate_name_is_replaced_in_place);
	tcase_add_test(tc, test_priority_field_is_validated_and_replaceable);
	tcase_add_test(tc, test_assignment_splits_at_first_equals);
	tcase_add_test(tc, test_renderings_carry_identical_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
