#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditasm.h"
#include "auditclass.h"
#include "auditrec.h"
#include "macro.h"

/*
 * lib/auditclass: what assembled events are, on captured records (tests/data/audit: NAME.log and
 * its golden NAME.golden) and on synthetic ones.
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
	put_num(f, "ppid", x->ppid);
	put_str(f, "comm", x->comm);
	put_str(f, "exe", x->exe);
	put_str(f, "command", x->command);
	put_str(f, "cwd", x->cwd);
	put_str(f, "target", x->target_user);
	put_num(f, "target_id", x->target_id);
	put_num(f, "target_ses", x->target_ses);
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
	if (x->auth_failures > 0)
		(void)fprintf(f, " failures=%u", x->auth_failures);
	if (x->authenticated)
		(void)fprintf(f, " authenticated");
	if (x->aborted)
		(void)fprintf(f, " aborted");
	if (x->cut)
		(void)fprintf(f, " cut");
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

/* The watch list of every replay: the default of [audit] watch, and the directory the issue 13
 * captures watch (tests/data/audit/README.md). */
static char *const watch[] = {
	"/etc/passwd",
	"/etc/shadow",
	"/etc/group",
	"/etc/gshadow",
	"/etc/sudoers",
	"/etc/sudoers.d",
	"/tmp/vakt-test-a13/watched",
	NULL,
};

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
	ck_assert_int_eq(auditclass_set_watch(c, watch), 0);
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct auditrec_id id;
		size_t body;
		int type;

		if (auditrec_parse_header(p, n, -1, &type, &id, &body) >= 0 &&
		    id.sec * USEC_PER_SEC + id.msec * USEC_PER_MSEC > now)
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
	"sudo-id",
	"sudo-wrong-then-right",
	"sudo-wrong3",
	"sudo-wrong-eof",
	"sudo-runas-hex",
	"enriched-sudo",
	"su-bob",
	"su-wrong",
	"passwd-own",
	"account",
	"config-add",
	"config-remove",
	"config-disable",
	"watch-write",
	"mount",
	"kern-module",
	/* Issue 13 */
	"site-rules-before",
	"site-rules-after",
	"rootshell-sudo-i",
	"rootshell-sudo-su",
	"loginuid-refused",
	"sudo-quote-cwd",
	"long-exe-path",
	"execve-huge-arg",
	"passwd-change",
	"passwd-abort",
	"passwd-wrong",
	"sudo-pty-wrong-ctrlc",
	"sudo-pty-wrong-eof",
	"sudo-pty-ctrlc",
	"sudo-pty-eof",
	"sudo-pty-wrong3",
	"sudo-pty-wrong-right",
	"sudo-nopass",
	"sudo-notsudoer",
	"sudo-notty",
	"sudo-notsudoer-nopass",
	"sudo-notsudoer-wrong",
	"su-pty-wrong",
	"su-pty-ctrlc",
	"su-pty-eof",
	"login-pty-wrong-ctrlc",
	"login-pty-wrong-eof",
	"login-pty-wrong2",
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

#define REC(serial, type, rest) "type=" type " msg=audit(1700000000.000:" #serial "): " rest

/* ---- Classification of synthetic events --------------------------------------------------- */

START_TEST(test_setuid_by_person_not_root)
{
	static const char text[] = REC(
		20,
		"SYSCALL",
		"arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=50 auid=1001 "
		"uid=1001 gid=1001 euid=0 suid=0 fsuid=0 egid=1001 tty=pts0 ses=2 "
		"comm=\"suid-tool\" exe=\"/usr/local/bin/suid-tool\" key=\"vakt-setuid\"") "\n" REC(20,
												    "EXECVE",
												    "argc=2 a0=\"suid-tool\" a1=6120620A") "\n" REC(20,
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
			 "ses=2 pid=50 ppid=1 comm='suid-tool' exe='/usr/local/bin/suid-tool' "
			 "command='suid-tool a b?' file='/usr/local/bin/suid-tool' terminal='pts0' "
			 "key='vakt-setuid' op='execve' "
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

/* ---- Issue 13: what happened, not the rule key ------------------------------------------- */

/* The line of out that starts with prefix and contains needle, or NULL. */
static const char *find_line(const char *out, const char *prefix, const char *needle)
{
	for (const char *p = out; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) == 0 && memmem(p, n, needle, strlen(needle)))
			return p;
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

START_TEST(test_site_rules_before_or_after_same_records)
{
	static const char *const kinds[] = { "file.changed",	 "privilege.mount",
					     "privilege.setuid", "privilege.sudo",
					     "auth.failed",	 "privilege.root_command" };
	_cleanup_free_ char *before = replay_fixture("site-rules-before");
	_cleanup_free_ char *after = replay_fixture("site-rules-after");

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		ck_assert_uint_eq(count_lines(before, kinds[i]), count_lines(after, kinds[i]));
	ck_assert_uint_eq(count_lines(before, "file.changed"), 8);
	ck_assert_uint_eq(count_lines(before, "privilege.mount"), 2);
	ck_assert_uint_eq(count_lines(before, "privilege.setuid"), 1);
	/* The site's keys, not vakt's, are on these: classified all the same. */
	ck_assert_ptr_nonnull(find_line(before, "file.changed", "key='vakt-test-a13-perm_mod'"));
	ck_assert_ptr_nonnull(find_line(before, "privilege.mount", "key='vakt-test-a13-mounts'"));
}
END_TEST

START_TEST(test_refused_write_recorded_refused_read_not)
{
	_cleanup_free_ char *out = replay_fixture("site-rules-before");

	/* echo x >> /etc/shadow by alice: EACCES, attributed to her. */
	ck_assert_ptr_nonnull(
		find_line(out, "file.changed", "auid=1003 uid=1003 euid=1003 ses=236 pid=32146"));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "file='/etc/shadow' key="));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "op='openat' result=failed"));
	/* cat /etc/shadow: a refused read; chmod refused (EPERM) is an attempt. */
	ck_assert_ptr_null(strstr(out, "exe='/usr/bin/cat'"));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "result=failed attribute"));
	/* The failed umount2 (as systemd --user's) and the mount in alice's user namespace. */
	ck_assert_ptr_null(find_line(out, "privilege.mount", "euid=1003"));
}
END_TEST

START_TEST(test_root_shell_commands_once_each)
{
	_cleanup_free_ char *out = replay_fixture("rootshell-sudo-i");
	_cleanup_free_ char *su = replay_fixture("rootshell-sudo-su");

	/* 400 execs: the start-up files' 5 (id -u, pyenv's 3, mesg n), 5 typed, no bash itself. */
	ck_assert_uint_eq(count_lines(out, "privilege.root_command"), 10);
	ck_assert_ptr_nonnull(find_line(out, "privilege.root_command", "command='ls /etc'"));
	ck_assert_ptr_nonnull(find_line(
		out, "privilege.root_command", "command='systemctl --no-pager --version'"));
	ck_assert_ptr_null(
		find_line(out, "privilege.root_command", "exe='/usr/bin/bash' command='-bash'"));
	/* After the audit uid rewrite: recorded, as the kernel charges it. */
	ck_assert_ptr_nonnull(find_line(out, "audit.loginuid_changed", "auid=1003 uid=0"));
	ck_assert_ptr_nonnull(
		find_line(out, "audit.loginuid_changed", "target_id=1004 target_ses=239"));
	ck_assert_ptr_nonnull(find_line(out, "privilege.root_command", "auid=1004"));
	/* sudo su -: one sudo record, su run by root is no privilege.su, and the shell's commands.
	 */
	ck_assert_uint_eq(count_lines(su, "privilege.sudo"), 1);
	ck_assert_uint_eq(count_lines(su, "privilege.su "), 0);
	ck_assert_ptr_nonnull(find_line(su, "privilege.root_command", "command='whoami'"));
}
END_TEST

START_TEST(test_loginuid_rewrite_refused_recorded)
{
	_cleanup_free_ char *out = replay_fixture("loginuid-refused");

	ck_assert_uint_eq(count_lines(out, "audit.loginuid_changed"), 1);
	ck_assert_ptr_nonnull(strstr(out, "auid=1003 uid=1003 euid=1003 ses=241"));
	ck_assert_ptr_nonnull(strstr(out, "target_id=1004 result=failed"));
}
END_TEST

START_TEST(test_aborted_prompt_is_no_failed_attempt)
{
	static const char *const one_typed[] = { "sudo-pty-wrong-ctrlc", "sudo-pty-wrong-eof" };
	static const char *const none_typed[] = { "sudo-pty-ctrlc", "sudo-pty-eof", "sudo-notty" };

	for (size_t i = 0; i < ELEMENTSOF(one_typed); i++) {
		_cleanup_free_ char *out = replay_fixture(one_typed[i]);

		ck_assert_uint_eq(count_lines(out, "auth.failed"), 1);
		ck_assert_ptr_nonnull(
			find_line(out, "privilege.sudo", "failed failures=1 aborted"));
	}
	for (size_t i = 0; i < ELEMENTSOF(none_typed); i++) {
		_cleanup_free_ char *out = replay_fixture(none_typed[i]);

		ck_assert_uint_eq(count_lines(out, "auth.failed"), 0);
		ck_assert_ptr_nonnull(find_line(out, "privilege.sudo", "result=failed aborted"));
	}
}
END_TEST

START_TEST(test_typed_wrong_passwords_all_count)
{
	_cleanup_free_ char *three = replay_fixture("sudo-pty-wrong3");
	_cleanup_free_ char *right = replay_fixture("sudo-pty-wrong-right");

	/* The third is followed by sudo giving up after PAM's delay: typed, not aborted. */
	ck_assert_uint_eq(count_lines(three, "auth.failed"), 3);
	ck_assert_ptr_nonnull(find_line(three, "privilege.sudo", "result=failed failures=3"));
	ck_assert_uint_eq(count_lines(right, "auth.failed"), 1);
	ck_assert_ptr_nonnull(
		find_line(right, "privilege.sudo", "result=success failures=1 authenticated"));
}
END_TEST

START_TEST(test_sudo_refusals_once_with_reason)
{
	_cleanup_free_ char *wrong = replay_fixture("sudo-notsudoer-wrong");
	_cleanup_free_ char *policy = replay_fixture("sudo-notsudoer");
	_cleanup_free_ char *nopass = replay_fixture("sudo-notsudoer-nopass");

	/* Two identical USER_CMD records: one privilege.sudo. */
	ck_assert_uint_eq(count_lines(wrong, "privilege.sudo"), 1);
	ck_assert_uint_eq(count_lines(wrong, "auth.failed"), 3);
	/* Right password, refused by sudoers; sudo -n with its USER_ERR bad_ident. */
	ck_assert_ptr_nonnull(find_line(policy, "privilege.sudo", "result=failed authenticated"));
	ck_assert_uint_eq(count_lines(nopass, "auth.failed"), 0);
	ck_assert_uint_eq(count_lines(nopass, "privilege.sudo"), 1);
}
END_TEST

START_TEST(test_passwd_one_record)
{
	static const char *const runs[] = { "passwd-change", "passwd-abort", "passwd-wrong" };

	for (size_t i = 0; i < ELEMENTSOF(runs); i++) {
		_cleanup_free_ char *out = replay_fixture(runs[i]);

		/* No privilege.setuid for the exec, no file.changed for passwd's own rename. */
		ck_assert_ptr_null(strstr(out, "privilege.setuid"));
		ck_assert_ptr_null(strstr(out, "file.changed"));
		ck_assert_ptr_nonnull(find_line(out, "account.changed", "auid=1003 uid=1003"));
	}
}
END_TEST

START_TEST(test_long_program_path_write_kept)
{
	_cleanup_free_ char *out = replay_fixture("long-exe-path");

	ck_assert_uint_eq(count_lines(out, "file.changed"), 1);
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "file='/etc/shadow'"));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "key='vakt-test-a13-watch'"));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "result=success cut"));
}
END_TEST

START_TEST(test_execve_arguments_reassembled)
{
	static const char text[] = REC(
		60,
		"SYSCALL",
		"arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=61 auid=1001 uid=1001 "
		"euid=0 ses=2 comm=\"t\" exe=\"/opt/t\"") "\n" REC(60,
								   "EXECVE",
								   "argc=3 a0=\"t\" a1_len=12 "
								   "a1[0]=616263") "\n" REC(60,
											    "EXECVE",
											    " a1[1]=\"def\" "
											    "a1[2]=206768") "\n" REC(60,
														     "EXECVE",
														     " a2=\"z\"") "\n" REC(60,
																	   "EOE",
																	   "") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_ptr_nonnull(strstr(out, "command='t abcdef gh z'"));
}
END_TEST

START_TEST(test_watched_paths_resolved)
{
	static const char text[] =
		/* Relative to the working directory, with "..": /etc/shadow. */
		REC(70,
		    "SYSCALL",
		    "arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=241 ppid=1 "
		    "pid=71 auid=1001 uid=0 euid=0 ses=2 key=(null)") "\n" REC(70,
									       "CWD",
									       "cwd=\"/etc/ssh\"") "\n" REC(70,
													    "PATH",
													    "item=0 name=\"../shadow\" nametype=NORMAL") "\n" REC(70,
																				  "EOE",
																				  "") "\n"
		/* Relative to a directory descriptor: unknown, not matched without vakt's key. */
		REC(72,
		    "SYSCALL",
		    "arch=c000003e syscall=257 success=yes exit=3 a0=5 a1=1 a2=241 ppid=1 pid=73 "
		    "auid=1001 uid=0 euid=0 ses=2 key=(null)") "\n" REC(72,
									"CWD",
									"cwd=\"/etc\"") "\n" REC(72,
												 "PATH",
												 "item=0 name=\"shadow\" nametype=NORMAL") "\n" REC(72,
																		    "EOE",
																		    "") "\n"
		/* A created file in a watched directory, found through its parent's name. */
		REC(74,
		    "SYSCALL",
		    "arch=c000003e syscall=83 success=yes exit=0 ppid=1 pid=75 auid=1001 uid=0 euid=0 "
		    "ses=2 key=(null)") "\n" REC(74,
						 "PATH",
						 "item=0 name=\"/etc/sudoers.d/\" nametype=PARENT") "\n" REC(74,
													     "PATH",
													     "item=1 name=\"/etc/sudoers.d/x\" nametype=CREATE") "\n" REC(74,
																					  "EOE",
																					  "") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_uint_eq(count_lines(out, "file.changed"), 2);
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "pid=71 ppid=1"));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "file='/etc/shadow'"));
	ck_assert_ptr_nonnull(find_line(out, "file.changed", "file='/etc/sudoers.d/x' op='mkdir'"));
}
END_TEST

START_TEST(test_unprivileged_mount_and_user_manager_quiet)
{
	static const char text[] =
		/* systemd --user at login: umount2 refused. */
		REC(80,
		    "SYSCALL",
		    "arch=c000003e syscall=166 success=no exit=-1 a0=1 a1=0 ppid=1 pid=81 auid=1001 "
		    "uid=1001 euid=1001 ses=3 comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" "
		    "key=\"vakt-mount\"") "\n" REC(80, "EOE", "") "\n"
		/* A setuid mount program refused by the kernel: an attempt with root's rights. */
		REC(82,
		    "SYSCALL",
		    "arch=c000003e syscall=165 success=no exit=-16 ppid=1 pid=83 auid=1001 uid=1001 "
		    "euid=0 ses=3 comm=\"mount\" exe=\"/usr/bin/mount\" key=\"mounts\"") "\n" REC(82,
												  "EOE",
												  "") "\n"
		/* A service mounting: no person. */
		REC(84,
		    "SYSCALL",
		    "arch=c000003e syscall=165 success=yes exit=0 ppid=1 pid=85 auid=4294967295 "
		    "uid=0 euid=0 ses=4294967295 comm=\"udisksd\" exe=\"/usr/libexec/udisks2/udisksd\" "
		    "key=(null)") "\n" REC(84, "EOE", "") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_uint_eq(count_lines(out, "privilege.mount"), 1);
	ck_assert_ptr_nonnull(find_line(out, "privilege.mount", "pid=83"));
	ck_assert_ptr_nonnull(find_line(out, "privilege.mount", "op='mount' result=failed"));
}
END_TEST

START_TEST(test_gpasswd_group_change_is_account_change)
{
	static const char text[] = REC(
		90,
		"USER_ACCT",
		"pid=91 uid=0 auid=1001 ses=3 msg='op=user bob added by root to group sudo "
		"acct=\"sudo\" exe=\"/usr/bin/gpasswd\" hostname=? addr=? terminal=? res=success'") "\n" REC(91,
													     "USER_ACCT",
													     "pid=92 uid=1001 auid=1001 ses=3 msg='op=PAM:accounting acct=\"bob\" "
													     "exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=? res=success'") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_uint_eq(count_lines(out, "account.changed"), 1);
	ck_assert_ptr_nonnull(strstr(out, "command='user bob added by root to group sudo'"));
}
END_TEST

START_TEST(test_set_watch_rejects_relative_path)
{
	_cleanup_(auditclass_freep) struct auditclass *c = auditclass_new();
	char *const bad[] = { (char[]){ "/etc/x" }, (char[]){ "etc/y" }, NULL };

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(auditclass_set_watch(c, bad), -EINVAL);
	ck_assert_int_eq(auditclass_set_watch(c, NULL), 0);
}
END_TEST

/* A record's own op= gives way to the syscall's name (it leaked before: make sanitize). */
START_TEST(test_syscall_name_replaces_record_op)
{
	static const char text[] = REC(
		95,
		"SYSCALL",
		"arch=c000003e syscall=165 success=yes exit=0 ppid=1 pid=96 auid=1001 uid=0 euid=0 "
		"ses=3 op=forged key=(null)") "\n" REC(95, "EOE", "") "\n";
	_cleanup_free_ char *out = replay_text(text, sizeof(text) - 1);

	ck_assert_ptr_nonnull(strstr(out, "op='mount' result=success"));
}
END_TEST

static Suite *auditclass_suite(void)
{
	Suite *s = suite_create("auditclass");
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

	tc = tcase_create("what happened");
	tcase_add_test(tc, test_site_rules_before_or_after_same_records);
	tcase_add_test(tc, test_refused_write_recorded_refused_read_not);
	tcase_add_test(tc, test_root_shell_commands_once_each);
	tcase_add_test(tc, test_loginuid_rewrite_refused_recorded);
	tcase_add_test(tc, test_aborted_prompt_is_no_failed_attempt);
	tcase_add_test(tc, test_typed_wrong_passwords_all_count);
	tcase_add_test(tc, test_sudo_refusals_once_with_reason);
	tcase_add_test(tc, test_passwd_one_record);
	tcase_add_test(tc, test_long_program_path_write_kept);
	tcase_add_test(tc, test_execve_arguments_reassembled);
	tcase_add_test(tc, test_watched_paths_resolved);
	tcase_add_test(tc, test_unprivileged_mount_and_user_manager_quiet);
	tcase_add_test(tc, test_gpasswd_group_change_is_account_change);
	tcase_add_test(tc, test_set_watch_rejects_relative_path);
	tcase_add_test(tc, test_syscall_name_replaces_record_op);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditclass_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
