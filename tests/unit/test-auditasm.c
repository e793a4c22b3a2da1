#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditasm.h"
#include "auditrec.h"
#include "macro.h"

/*
 * lib/auditasm: records assembled into events, within bounds. snprintf() and memset() with
 * explicit sizes are used on purpose; clang-analyzer's DeprecatedOrUnsafeBufferHandling only
 * recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/* ---- Assembly ------------------------------------------------------------------------------ */

#define REC(serial, type, rest) "type=" type " msg=audit(1700000000.000:" #serial "): " rest

START_TEST(test_interleaved_events_assembled)
{
	static const char *const lines[] = {
		REC(1, "SYSCALL", "syscall=2 key=\"a\""),
		REC(2, "SYSCALL", "syscall=3"),
		REC(1, "PATH", "item=0 name=\"/x\""),
		REC(2, "EOE", ""),
		REC(1, "EOE", ""),
	};
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	const struct auditasm_event *ev;

	for (size_t i = 0; i < ELEMENTSOF(lines); i++)
		ck_assert_int_eq(auditasm_feed(a, lines[i], strlen(lines[i]), -1, 0), 0);
	ev = auditasm_next(a, 0, false);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->id.serial, 2);
	ck_assert_uint_eq(ev->n_records, 1);
	ck_assert(ev->complete);
	ev = auditasm_next(a, 0, false);
	ck_assert_uint_eq(ev->id.serial, 1);
	ck_assert_uint_eq(ev->n_records, 2);
	ck_assert_ptr_nonnull(auditasm_event_find(ev, AUDITREC_TYPE_PATH));
	ck_assert_ptr_null(auditasm_next(a, 0, false));
}
END_TEST

START_TEST(test_event_without_eoe_flushed_after_max_age)
{
	static const char line[] = REC(9, "CONFIG_CHANGE", "op=add_rule key=\"k\" res=1");
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	const struct auditasm_event *ev;

	ck_assert_int_eq(auditasm_feed(a, line, sizeof(line) - 1, -1, 1000), 0);
	ck_assert_ptr_null(auditasm_next(a, 1000 + USEC_PER_SEC, false));
	ck_assert_uint_eq(auditasm_next_deadline(a), 1000 + 2 * USEC_PER_SEC);
	ev = auditasm_next(a, 1000 + 2 * USEC_PER_SEC, false);
	ck_assert_ptr_nonnull(ev);
	ck_assert(!ev->complete);
	ck_assert_uint_eq(auditasm_next_deadline(a), UINT64_MAX);
}
END_TEST

START_TEST(test_user_record_is_whole_event)
{
	static const char line[] = REC(4, "USER_AUTH", "pid=1 msg='op=x res=failed'");
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	const struct auditasm_event *ev;

	ck_assert_int_eq(auditasm_feed(a, line, sizeof(line) - 1, -1, 0), 0);
	ev = auditasm_next(a, 0, false);
	ck_assert_ptr_nonnull(ev);
	ck_assert(ev->complete);
}
END_TEST

START_TEST(test_memory_bounded_whatever_the_input)
{
	struct auditasm_limits l = {
		.max_pending = 4, .max_records = 3, .max_event_bytes = 200, .max_record_len = 100
	};
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(&l);
	struct auditasm_stats st;
	char line[512], big[400];
	size_t returned = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* 1000 events that never end, 10 records each, some of them huge. */
	for (unsigned e = 0; e < 1000; e++)
		for (unsigned r = 0; r < 10; r++) {
			int n = snprintf(line,
					 sizeof(line),
					 "type=PATH msg=audit(1700000000.000:%u): item=%u v=%s",
					 e,
					 r,
					 r == 5 ? big : "y");
			ck_assert_int_eq(auditasm_feed(a, line, (size_t)n, -1, 0), 0);
			while (auditasm_next(a, 0, false))
				returned++;
		}
	auditasm_get_stats(a, &st);
	ck_assert_uint_eq(st.records, 10000);
	ck_assert_uint_eq(returned, 1000 - 4);
	ck_assert_uint_eq(st.incomplete, 1000 - 4);
	ck_assert_uint_eq(st.dropped_records, 7000);
	ck_assert_uint_eq(st.cut_records, 1000); /* record 5 is cut first, then dropped */
	while (auditasm_next(a, 0, true))
		returned++;
	ck_assert_uint_eq(returned, 1000);
}
END_TEST

START_TEST(test_caller_not_draining_drops_oldest_counted)
{
	struct auditasm_limits l = { .max_pending = 2 };
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(&l);
	struct auditasm_stats st;
	char line[128];

	for (unsigned e = 0; e < 10; e++) {
		int n = snprintf(line, sizeof(line), "type=USER_END msg=audit(1.000:%u): pid=1", e);

		ck_assert_int_eq(auditasm_feed(a, line, (size_t)n, -1, 0), 0);
	}
	auditasm_get_stats(a, &st);
	ck_assert_uint_eq(st.dropped_events, 8);
	ck_assert_uint_eq(auditasm_next(a, 0, false)->id.serial, 8);
}
END_TEST

START_TEST(test_malformed_records_counted)
{
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	struct auditasm_stats st;

	ck_assert_int_eq(auditasm_feed(a, "garbage", 7, -1, 0), -EINVAL);
	ck_assert_int_eq(auditasm_feed(a, "\0type=EOE msg=audit(1.0:1): ", 28, -1, 0), -EINVAL);
	auditasm_get_stats(a, &st);
	ck_assert_uint_eq(st.malformed, 2);
}
END_TEST

/* A record past max_record_len (a 4 KB program path, hex-encoded) keeps the fields after its long
 * value (key=), and the event says it was cut. */
START_TEST(test_long_record_keeps_key_and_is_counted)
{
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	const struct auditasm_event *ev;
	struct auditasm_stats st;
	static char line[12000];
	size_t n = 0;

	n += (size_t)snprintf(line + n,
			      sizeof(line) - n,
			      "type=SYSCALL msg=audit(1.000:7): arch=c000003e syscall=257 "
			      "success=yes exit=3 auid=1003 exe=");
	for (int i = 0; i < 4100; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "2F");
	n += (size_t)snprintf(line + n, sizeof(line) - n, " key=\"vakt-watch\"");
	ck_assert_uint_gt(n, 8192);
	ck_assert_int_eq(auditasm_feed(a, line, n, -1, 0), 0);
	ck_assert_int_eq(auditasm_feed(a, "type=EOE msg=audit(1.000:7): ", 29, -1, 0), 0);
	ev = auditasm_next(a, 0, false);
	ck_assert_ptr_nonnull(ev);
	ck_assert(ev->cut);
	ck_assert(!ev->truncated);
	ck_assert(auditrec_field_eq(auditrec_find(&ev->records[0], "key"), "vakt-watch"));
	ck_assert(auditrec_field_eq(auditrec_find(&ev->records[0], "success"), "yes"));
	ck_assert_uint_le(ev->records[0].len, 8192);
	auditasm_get_stats(a, &st);
	ck_assert_uint_eq(st.cut_records, 1);
}
END_TEST

/* An exec with huge arguments fills the event with EXECVE records: past half the event's budget
 * they are dropped, and the CWD and PATH records after them are kept. */
START_TEST(test_execve_records_leave_room_for_path)
{
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	const struct auditasm_event *ev;
	static char line[8000];
	int n;

	n = snprintf(line, sizeof(line), "type=SYSCALL msg=audit(2.000:9): syscall=59 success=yes");
	ck_assert_int_eq(auditasm_feed(a, line, (size_t)n, -1, 0), 0);
	for (int i = 0; i < 20; i++) {
		n = snprintf(line, sizeof(line), "type=EXECVE msg=audit(2.000:9): a1[%d]=", i);
		while (n < 7500)
			line[n++] = 'A';
		ck_assert_int_eq(auditasm_feed(a, line, (size_t)n, -1, 0), 0);
	}
	n = snprintf(line, sizeof(line), "type=CWD msg=audit(2.000:9): cwd=\"/root\"");
	ck_assert_int_eq(auditasm_feed(a, line, (size_t)n, -1, 0), 0);
	n = snprintf(line, sizeof(line), "type=PATH msg=audit(2.000:9): item=0 name=\"/x\"");
	ck_assert_int_eq(auditasm_feed(a, line, (size_t)n, -1, 0), 0);
	ck_assert_int_eq(auditasm_feed(a, "type=EOE msg=audit(2.000:9): ", 29, -1, 0), 0);
	ev = auditasm_next(a, 0, false);
	ck_assert_ptr_nonnull(ev);
	ck_assert(ev->truncated);
	ck_assert_ptr_nonnull(auditasm_event_find(ev, AUDITREC_TYPE_CWD));
	ck_assert_ptr_nonnull(auditasm_event_find(ev, AUDITREC_TYPE_PATH));
	ck_assert_uint_ge(ev->n_records, 5);
}
END_TEST

static Suite *auditasm_suite(void)
{
	Suite *s = suite_create("auditasm");
	TCase *tc;

	tc = tcase_create("assemble");
	tcase_add_test(tc, test_interleaved_events_assembled);
	tcase_add_test(tc, test_event_without_eoe_flushed_after_max_age);
	tcase_add_test(tc, test_user_record_is_whole_event);
	tcase_add_test(tc, test_memory_bounded_whatever_the_input);
	tcase_add_test(tc, test_caller_not_draining_drops_oldest_counted);
	tcase_add_test(tc, test_malformed_records_counted);
	tcase_add_test(tc, test_long_record_keeps_key_and_is_counted);
	tcase_add_test(tc, test_execve_records_leave_room_for_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditasm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
