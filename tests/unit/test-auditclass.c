#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditasm.h"
#include "auditclass.h"
#include "auditrec.h"
#include "authburst.h"
#include "macro.h"

/*
 * snprintf(), memset() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/* ---- Helpers ------------------------------------------------------------------------------ */

static void put_str(FILE *f, const char *name, const char *v)
{
	if (v)
		(void)fprintf(f, " %s='%s'", name, v);
}

static void put_num(FILE *f, const char *name, uint32_t v)
{
	if (v != AUDITREC_UNSET)
		(void)fprintf(f, " %s=%" PRIu32, name, v);
}

/* One readable line per facts: the golden format. */
static void facts_print(FILE *f, const struct auditclass_facts *x)
{
	const struct event_info *ev = event_info(auditclass_kind_to_event(x->kind));

	(void)fprintf(f, "%s id=%s", ev ? ev->name : "login", x->audit_id);
	put_num(f, "auid", x->auid);
	put_num(f, "uid", x->uid);
	put_num(f, "euid", x->euid);
	put_num(f, "ses", x->ses);
	put_num(f, "pid", x->pid);
	put_str(f, "comm", x->comm);
	put_str(f, "exe", x->exe);
	put_str(f, "command", x->command);
	put_str(f, "cwd", x->cwd);
	put_str(f, "target", x->target_user);
	put_num(f, "target_id", x->target_id);
	put_str(f, "file", x->file);
	put_str(f, "terminal", x->terminal);
	put_str(f, "hostname", x->hostname);
	put_str(f, "addr", x->addr);
	put_str(f, "key", x->key);
	put_str(f, "op", x->op);
	if (x->has_result)
		(void)fprintf(f, " result=%s", x->success ? "success" : "failed");
	if (x->counts_as_failure)
		(void)fprintf(f, " counts");
	if (x->attribute_change)
		(void)fprintf(f, " attribute");
	(void)fputc('\n', f);
}

static void drain(struct auditclass *c, uint64_t now, bool all, FILE *out)
{
	struct auditclass_facts f = { 0 };

	while (auditclass_next(c, now, all, &f) > 0) {
		facts_print(out, &f);
		auditclass_facts_done(&f);
	}
}

static void pump(struct auditasm *a, struct auditclass *c, uint64_t now, bool all, FILE *out)
{
	const struct auditasm_event *ev;

	while ((ev = auditasm_next(a, now, all)))
		ck_assert_int_ge(auditclass_feed(c, ev, now), 0);
	drain(c, now, all, out);
}

/* Runs text (auditd lines) through the pipeline; the clock is each record's audit time. Returns
 * the facts lines (caller frees). */
static char *replay_text(const char *text, size_t len)
{
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	_cleanup_(auditclass_freep) struct auditclass *c = auditclass_new();
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	uint64_t now = 0;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(out);
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct auditrec_id id;
		size_t body;
		int type;

		if (auditrec_parse_header(p, n, -1, &type, &id, &body) >= 0 &&
		    id.sec * USEC_PER_SEC > now)
			now = id.sec * USEC_PER_SEC + id.msec * USEC_PER_MSEC;
		(void)auditasm_feed(a, p, n, -1, now);
		pump(a, c, now, false, out);
		p += n + 1;
	}
	pump(a, c, now, true, out);
	(void)fclose(out);
	return buf;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	(void)fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

static char *replay_fixture(const char *name)
{
	_cleanup_free_ char *text = NULL;
	char path[512];
	size_t len;

	(void)snprintf(path, sizeof(path), "%s/audit/%s.log", TEST_DATA_DIR, name);
	text = read_file(path, &len);
	ck_assert_msg(text, "cannot read %s", path);
	return replay_text(text, len);
}

static size_t count_lines(const char *s, const char *prefix)
{
	size_t n = 0;

	for (const char *p = s; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* ---- Golden files -------------------------------------------------------------------------- */

static const char *const fixtures[] = {
	"sudo-id",	  "sudo-wrong-then-right",
	"sudo-wrong3",	  "sudo-wrong-eof",
	"sudo-runas-hex", "enriched-sudo",
	"su-bob",	  "su-wrong",
	"passwd-own",	  "account",
	"config-add",	  "config-remove",
	"config-disable", "watch-write",
	"mount",	  "kern-module",
};

START_TEST(test_fixture_matches_golden)
{
	_cleanup_free_ char *got = replay_fixture(fixtures[_i]);
	_cleanup_free_ char *want = NULL;
	char path[512];
	size_t len;

	(void)snprintf(path, sizeof(path), "%s/audit/%s.golden", TEST_DATA_DIR, fixtures[_i]);
	if (getenv("VAKT_UPDATE_GOLDEN")) {
		_cleanup_fclose_ FILE *f = fopen(path, "we");

		ck_assert_ptr_nonnull(f);
		(void)fputs(got, f);
	}
	want = read_file(path, &len);
	ck_assert_msg(want, "missing %s", path);
	ck_assert_str_eq(got, want);
}
END_TEST

/* ---- Classification claims on real records -------------------------------------------------- */

START_TEST(test_sudo_attributed_to_person_with_run_as_user)
{
	_cleanup_free_ char *out = replay_fixture("sudo-runas-hex");

	ck_assert_uint_eq(count_lines(out, "privilege.sudo"), 1);
	ck_assert_ptr_nonnull(
		strstr(out, "privilege.sudo id=1795438734.595:44 auid=1001 uid=1001"));
	ck_assert_ptr_nonnull(strstr(out, "command='/bin/echo hello world two  spaces'"));
	ck_assert_ptr_nonnull(strstr(out, "cwd='/tmp' target='vakt-test-bob'"));
	ck_assert_ptr_nonnull(strstr(out, "result=success"));
}
END_TEST

START_TEST(test_sudo_wrong_password_counted_once_per_attempt)
{
	_cleanup_free_ char *out = replay_fixture("sudo-wrong3");

	/* Three USER_AUTH failures, then USER_CMD res=failed: three failures, one sudo record. */
	ck_assert_uint_eq(count_lines(out, "auth.failed"), 3);
	ck_assert_uint_eq(count_lines(out, "privilege.sudo"), 1);
	ck_assert_ptr_nonnull(strstr(out, "privilege.sudo id=1795438733.531:38"));
	ck_assert_ptr_null(strstr(strstr(out, "privilege.sudo"), "counts"));
}
END_TEST

START_TEST(test_su_reports_target_user)
{
	_cleanup_free_ char *ok = replay_fixture("su-bob");
	_cleanup_free_ char *bad = replay_fixture("su-wrong");

	ck_assert_uint_eq(count_lines(ok, "privilege.su "), 1);
	ck_assert_ptr_nonnull(strstr(ok, "target='vakt-test-bob'"));
	ck_assert_uint_eq(count_lines(bad, "privilege.su "), 0);
	ck_assert_uint_eq(count_lines(bad, "auth.failed"), 1);
}
END_TEST

START_TEST(test_useradd_records_merged_per_process)
{
	_cleanup_free_ char *out = replay_fixture("account");

	/* useradd, usermod, chpasswd, chage, groupadd, userdel, groupdel: one each. */
	ck_assert_uint_eq(count_lines(out, "account.changed"), 7);
	ck_assert_ptr_nonnull(
		strstr(out, "command='adding group; adding user; adding home directory'"));
}
END_TEST

START_TEST(test_watched_write_and_chmod)
{
	_cleanup_free_ char *out = replay_fixture("watch-write");

	ck_assert_uint_eq(count_lines(out, "file.changed"), 3);
	ck_assert_ptr_nonnull(strstr(out, "file='/tmp/vakt-watch-test'"));
	ck_assert_ptr_nonnull(strstr(out, "op='fchmodat' result=failed attribute"));
}
END_TEST

START_TEST(test_rule_removal_attributed)
{
	_cleanup_free_ char *out = replay_fixture("config-remove");
	_cleanup_free_ char *dis = replay_fixture("config-disable");

	ck_assert_uint_eq(count_lines(out, "audit.rules_changed"), 4);
	ck_assert_ptr_nonnull(strstr(out, "auid=1001"));
	ck_assert_ptr_nonnull(strstr(out, "key='vakt-test-watch' op='remove_rule'"));
	ck_assert_ptr_nonnull(strstr(dis, "command='audit_enabled=0 old=1'"));
}
END_TEST

START_TEST(test_enriched_same_as_raw)
{
	_cleanup_free_ char *raw = replay_fixture("sudo-runas-hex");
	_cleanup_free_ char *enriched = replay_fixture("enriched-sudo");

	ck_assert_str_eq(raw, enriched);
}
END_TEST

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

/* ---- Classification of synthetic events --------------------------------------------------- */

START_TEST(test_setuid_by_person_not_root)
{
	static const char text[] = REC(
		20,
		"SYSCALL",
		"arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=50 auid=1001 "
		"uid=1001 gid=1001 euid=0 suid=0 fsuid=0 egid=1001 tty=pts0 ses=2 "
		"comm=\"chfn\" exe=\"/usr/bin/chfn\" key=\"vakt-setuid\"") "\n" REC(20,
										    "EXECVE",
										    "argc=2 a0=\"chfn\" a1=6120620A") "\n" REC(20,
															       "EOE",
															       "") "\n" REC(21,
																	    "SYSCALL",
																	    "arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=51 auid=0 "
																	    "uid=0 gid=0 euid=0 egid=0 comm=\"id\" exe=\"/usr/bin/id\" key=\"vakt-setuid\"") "\n" REC(21,
																												      "EOE",
																												      "") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_str_eq(out,
			 "privilege.setuid id=1700000000.000:20 auid=1001 uid=1001 euid=0 "
			 "ses=2 pid=50 comm='chfn' exe='/usr/bin/chfn' command='chfn a b?' "
			 "file='/usr/bin/chfn' terminal='pts0' key='vakt-setuid' op='execve' "
			 "result=success\n");
}
END_TEST

START_TEST(test_sshd_login_failure_after_auth_failure_counted_once)
{
	static const char text[] = REC(
		30,
		"USER_AUTH",
		"pid=70 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication "
		"acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=10.0.0.9 addr=10.0.0.9 "
		"terminal=ssh res=failed'") "\n" REC(31,
						     "USER_LOGIN",
						     "pid=70 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"bob\" "
						     "exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.9 terminal=ssh "
						     "res=failed'") "\n" REC(32,
									     "USER_LOGIN",
									     "pid=71 uid=0 auid=1002 ses=9 msg='op=login id=1002 "
									     "exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.8 terminal=/dev/pts/1 "
									     "res=success'") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_uint_eq(count_lines(out, "auth.failed"), 1);
	ck_assert_uint_eq(count_lines(out, "login"), 1);
	ck_assert_ptr_nonnull(
		strstr(out, "login id=1700000000.000:32 auid=1002 uid=0 ses=9 pid=71"));
	ck_assert_ptr_nonnull(strstr(out, "addr='10.0.0.8'"));
}
END_TEST

START_TEST(test_sudo_without_run_as_records_released_after_hold)
{
	static const char line[] = REC(40,
				       "USER_CMD",
				       "pid=5 uid=1001 auid=1001 ses=1 msg='cwd=\"/\" "
				       "cmd=\"id\" exe=\"/usr/bin/sudo\" terminal=? "
				       "res=success'");
	_cleanup_(auditasm_freep) struct auditasm *a = auditasm_new(NULL);
	_cleanup_(auditclass_freep) struct auditclass *c = auditclass_new();
	struct auditclass_facts f = { 0 };

	ck_assert_int_eq(auditasm_feed(a, line, sizeof(line) - 1, -1, 0), 0);
	ck_assert_int_eq(auditclass_feed(c, auditasm_next(a, 0, false), 0), 0);
	ck_assert_int_eq(auditclass_next(c, USEC_PER_SEC / 2, false, &f), 0);
	ck_assert_uint_eq(auditclass_next_deadline(c), USEC_PER_SEC);
	ck_assert_int_eq(auditclass_next(c, USEC_PER_SEC, false, &f), 1);
	ck_assert_int_eq(f.kind, AUDITCLASS_SUDO);
	ck_assert_ptr_null(f.target_user);
	ck_assert_str_eq(f.command, "id");
	auditclass_facts_done(&f);
}
END_TEST

START_TEST(test_key_roles)
{
	static const char
		text[] =
			REC(
				50,
				"SYSCALL",
				"arch=c000003e syscall=257 success=yes pid=1 auid=1 uid=0 euid=0 "
				"key=76616B742D7761746368016F74686572") "\n" REC(50, "PATH", "item=0 name=\"/etc\" nametype=PARENT") "\n" REC(50, "PATH", "item=1 name=\"shadow+\" nametype=CREATE") "\n" REC(50, "CWD", "cwd=\"/etc\"") "\n" REC(50, "EOE", "") "\n" REC(51,
																																	  "SYSCALL",
																																	  "arch=c000003e syscall=257 success=yes pid=1 auid=1 uid=0 euid=0 "
																																	  "key=\"vakt-watchers\"") "\n" REC(51,
																																					    "EOE",
																																					    "") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	/* Two keys (vakt-watch and other) joined by 0x01; "vakt-watchers" is another role. */
	ck_assert_uint_eq(count_lines(out, "file.changed"), 1);
	ck_assert_ptr_nonnull(strstr(out, "file='/etc/shadow+'"));
}
END_TEST

/* ---- Bursts -------------------------------------------------------------------------------- */

START_TEST(test_burst_once_per_burst)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;
	uint64_t t = 1000 * USEC_PER_SEC;
	unsigned n = 0, fired = 0;

	ck_assert_int_eq(authburst_new(3, 60 * USEC_PER_SEC, 8, &b), 0);
	/* 10 failures 1 s apart: one burst on the third. */
	for (unsigned i = 0; i < 10; i++) {
		int r = authburst_add(b, "alice", t + i * USEC_PER_SEC, &n);

		ck_assert_int_ge(r, 0);
		if (r > 0) {
			fired++;
			ck_assert_uint_eq(i, 2);
			ck_assert_uint_eq(n, 3);
		}
	}
	ck_assert_uint_eq(fired, 1);
	/* Another account is counted apart. */
	ck_assert_int_eq(authburst_add(b, "bob", t + 10 * USEC_PER_SEC, NULL), 0);
	/* After a quiet window, three more failures are a new burst. */
	t += 200 * USEC_PER_SEC;
	ck_assert_int_eq(authburst_add(b, "alice", t, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "alice", t + 1, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "alice", t + 2, NULL), 1);
}
END_TEST

START_TEST(test_burst_needs_count_within_window)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;

	ck_assert_int_eq(authburst_new(3, 10, 8, &b), 0);
	/* Failures 6 apart: never 3 within 10. */
	for (uint64_t t = 0; t < 100; t += 6)
		ck_assert_int_eq(authburst_add(b, "a", t, NULL), 0);
	/* Exactly at the window edge counts. */
	ck_assert_int_eq(authburst_add(b, "a", 200, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "a", 205, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "a", 210, NULL), 1);
}
END_TEST

START_TEST(test_burst_count_one_each_quiet_window)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;

	ck_assert_int_eq(authburst_new(1, 10, 8, &b), 0);
	ck_assert_int_eq(authburst_add(b, "a", 0, NULL), 1);
	ck_assert_int_eq(authburst_add(b, "a", 5, NULL), 0);
	ck_assert_int_eq(authburst_add(b, "a", 100, NULL), 1);
}
END_TEST

START_TEST(test_burst_tracked_accounts_bounded)
{
	_cleanup_(authburst_freep) struct authburst *b = NULL;
	char name[32];

	ck_assert_int_eq(authburst_new(2, 1000, 4, &b), 0);
	ck_assert_int_eq(authburst_new(0, 1000, 4, &(struct authburst *){ NULL }), -EINVAL);
	for (unsigned i = 0; i < 100; i++) {
		(void)snprintf(name, sizeof(name), "user%u", i);
		ck_assert_int_eq(authburst_add(b, name, i, NULL), 0);
	}
	ck_assert_uint_eq(authburst_evicted(b), 96);
	/* The newest account is still there. */
	ck_assert_int_eq(authburst_add(b, "user99", 120, NULL), 1);
}
END_TEST

static Suite *auditrec_suite(void)
{
	Suite *s = suite_create("auditrec");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_loop_test(tc, test_fixture_matches_golden, 0, (int)ELEMENTSOF(fixtures));
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_test(tc, test_sudo_attributed_to_person_with_run_as_user);
	tcase_add_test(tc, test_sudo_wrong_password_counted_once_per_attempt);
	tcase_add_test(tc, test_su_reports_target_user);
	tcase_add_test(tc, test_useradd_records_merged_per_process);
	tcase_add_test(tc, test_watched_write_and_chmod);
	tcase_add_test(tc, test_rule_removal_attributed);
	tcase_add_test(tc, test_enriched_same_as_raw);
	tcase_add_test(tc, test_setuid_by_person_not_root);
	tcase_add_test(tc, test_sshd_login_failure_after_auth_failure_counted_once);
	tcase_add_test(tc, test_sudo_without_run_as_records_released_after_hold);
	tcase_add_test(tc, test_key_roles);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_auditd_line);
	tcase_add_test(tc, test_parse_netlink_payload);
	tcase_add_test(tc, test_parse_node_prefix_and_unknown_type);
	tcase_add_loop_test(tc, test_parse_rejects_malformed_header, 0, (int)ELEMENTSOF(malformed));
	tcase_add_test(tc, test_parse_odd_values);
	tcase_add_test(tc, test_hex_decoding_replaces_nul_and_control);
	tcase_add_test(tc, test_parse_field_limit);
	tcase_add_test(tc, test_type_names_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("assemble");
	tcase_add_test(tc, test_interleaved_events_assembled);
	tcase_add_test(tc, test_event_without_eoe_flushed_after_max_age);
	tcase_add_test(tc, test_user_record_is_whole_event);
	tcase_add_test(tc, test_memory_bounded_whatever_the_input);
	tcase_add_test(tc, test_caller_not_draining_drops_oldest_counted);
	tcase_add_test(tc, test_malformed_records_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("burst");
	tcase_add_test(tc, test_burst_once_per_burst);
	tcase_add_test(tc, test_burst_needs_count_within_window);
	tcase_add_test(tc, test_burst_count_one_each_quiet_window);
	tcase_add_test(tc, test_burst_tracked_accounts_bounded);
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
