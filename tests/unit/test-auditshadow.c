#include <check.h>
#include <errno.h>
#include <libaudit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditshadow.h"
#include "macro.h"

/*
 * lib/auditshadow: which vakt rules the rules around them shadow. The rules are built with
 * libaudit's own parsers (those auditctl uses), in auditctl's syntax; no kernel is involved.
 */

/* libaudit accepts key= only after a system call, watch or exe was added, which it tracks in these
 * globals of its own; auditctl sets them as it parses. So does rule(). */
extern int _audit_syscalladded;

static void rule_freep(struct audit_rule_data **p)
{
	if (*p)
		audit_rule_free_data(*p);
}

/* A rule from "-a ACTION,LIST [-F f=v | -C a!=b | -S name | -k key]..." (-S all when none). */
static struct audit_rule_data *rule(const char *spec)
{
	_cleanup_free_ char *copy = strdup(spec);
	struct audit_rule_data *r = audit_rule_create_data();
	char *tok[32] = { 0 }, *save = NULL;
	size_t n = 0;
	bool syscall = false;
	int list;

	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_nonnull(r);
	for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save))
		tok[n++] = s;
	ck_assert(n >= 2 && streq(tok[0], "-a"));
	list = strstr(tok[1], "exclude") ? AUDIT_FILTER_EXCLUDE
	       : strstr(tok[1], "user")	 ? AUDIT_FILTER_USER
					 : AUDIT_FILTER_EXIT;
	r->flags = (uint32_t)list;
	r->action = strstr(tok[1], "never") ? AUDIT_NEVER : AUDIT_ALWAYS;
	for (size_t i = 2; i + 1 < n; i += 2) {
		char pair[256];

		if (streq(tok[i], "-S")) {
			char *save2 = NULL;

			for (char *sc = strtok_r(tok[i + 1], ",", &save2); sc;
			     sc = strtok_r(NULL, ",", &save2))
				ck_assert_int_eq(audit_rule_syscallbyname_data(r, sc), 0);
			syscall = true;
			_audit_syscalladded = 1;
		} else if (streq(tok[i], "-C"))
			ck_assert_int_eq(audit_rule_interfield_comp_data(&r, tok[i + 1], list), 0);
		else {
			(void)snprintf(pair,
				       sizeof(pair),
				       "%s%s",
				       streq(tok[i], "-k") ? "key=" : "",
				       tok[i + 1]);
			ck_assert_msg(audit_rule_fieldpair_data(&r, pair, list) == 0, "%s", pair);
		}
	}
	if (!syscall && list == AUDIT_FILTER_EXIT)
		ck_assert_int_eq(audit_rule_syscallbyname_data(r, "all"), 0);
	_audit_syscalladded = 0;
	return r;
}

/* Runs auditshadow_find() on the specs (NULL-terminated) with prefix "vakt-"; returns the number
 * of findings, the first in *ret. */
static size_t find(const char *const *specs, struct auditshadow_result *ret)
{
	struct audit_rule_data *rules[16] = { 0 };
	size_t n = 0, found;

	for (; specs[n]; n++)
		rules[n] = rule(specs[n]);
	*ret = (struct auditshadow_result){ 0 };
	found = auditshadow_find((const struct audit_rule_data *const *)rules, n, "vakt-", ret, 1);
	for (size_t i = 0; i < n; i++)
		rule_freep(&rules[i]);
	return found;
}

#define VAKT_SETUID                                                                                 \
	"-a always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -F auid>=1000 -F auid!=unset " \
	"-k vakt-setuid"
#define VAKT_ROOTCMD \
	"-a always,exit -F arch=b64 -S execve -F euid=0 -F auid>=1000 -F auid!=unset -k vakt-rootcmd"

START_TEST(test_cis_user_emulation_wholly_shadows_setuid)
{
	static const char *const specs[] = {
		"-a always,exit -F arch=b64 -S execve -C euid!=uid -F auid!=unset -k user_emulation",
		VAKT_SETUID,
		NULL,
	};
	struct auditshadow_result r;

	ck_assert_uint_eq(find(specs, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_WHOLLY);
	ck_assert_uint_eq(r.rule, 1);
	ck_assert_uint_eq(r.by, 0);
	ck_assert_str_eq(auditshadow_kind_to_string(r.kind), "wholly");
}
END_TEST

START_TEST(test_order_and_scope_decide)
{
	static const char *const after[] = { VAKT_ROOTCMD,
					     "-a always,exit -F arch=b64 -S execve -k exec",
					     NULL };
	static const char *const narrower[] = {
		"-a always,exit -F arch=b64 -S execve -F auid=1003 -k x", VAKT_ROOTCMD, NULL
	};
	static const char *const other_arch[] = { "-a always,exit -F arch=b32 -S execve -k exec32",
						  VAKT_ROOTCMD,
						  NULL };
	static const char *const other_users[] = {
		"-a always,exit -F arch=b64 -S execve -F auid<1000 -k system", VAKT_ROOTCMD, NULL
	};
	static const char *const broader[] = {
		"-a always,exit -F arch=b64 -S execve,execveat -F auid>=500 -k exec",
		VAKT_ROOTCMD,
		NULL
	};
	struct auditshadow_result r;

	ck_assert_uint_eq(find(after, &r), 0); /* loaded after: vakt's comes first */
	ck_assert_uint_eq(find(narrower, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_PARTLY);
	ck_assert_uint_eq(find(other_arch, &r), 0);
	ck_assert_uint_eq(find(other_users, &r), 0);
	ck_assert_uint_eq(find(broader, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_WHOLLY);
}
END_TEST

START_TEST(test_never_rule_suppresses)
{
	static const char *const specs[] = {
		"-a never,exit -F arch=b64 -S execve -F exe=/usr/bin/foo", VAKT_SETUID, NULL
	};
	struct auditshadow_result r;

	ck_assert_uint_eq(find(specs, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_SUPPRESSED);
}
END_TEST

/* Rules on a watched file: any other keyed one may win, in whatever order loaded; the kernel's
 * inode rules also replace the key an exit list rule gave. */
START_TEST(test_inode_rules_shadow_whatever_the_order)
{
	static const char *const same_file[] = {
		"-a always,exit -F path=/etc/shadow -F perm=wa -k vakt-watch",
		"-a always,exit -F path=/etc/shadow -F perm=wa -k identity",
		NULL,
	};
	static const char *const reads[] = {
		"-a always,exit -F path=/etc/shadow -F perm=wa -k vakt-watch",
		"-a always,exit -F path=/etc/shadow -F perm=r -k reads",
		"-a always,exit -F path=/etc/passwd -F perm=wa -k identity",
		NULL,
	};
	static const char *const over_exec[] = {
		VAKT_SETUID,
		"-a always,exit -F path=/usr/bin/passwd -F perm=x -F auid>=1000 -k privileged",
		NULL,
	};
	static const char *const keyless[] = {
		VAKT_SETUID,
		"-a always,exit -F path=/usr/bin/passwd -F perm=x",
		NULL,
	};
	struct auditshadow_result r;

	ck_assert_uint_eq(find(same_file, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_WHOLLY);
	ck_assert_uint_eq(r.by, 1);
	ck_assert_uint_eq(find(reads, &r), 0);
	ck_assert_uint_eq(find(over_exec, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_PARTLY);
	ck_assert_uint_eq(find(keyless, &r), 0);
}
END_TEST

START_TEST(test_directory_covers_below)
{
	static const char *const specs[] = {
		"-a always,exit -F dir=/etc -F perm=wa -k etc",
		"-a always,exit -F dir=/etc/audit -F perm=wa -k vakt-audit-config",
		NULL,
	};
	static const char *const elsewhere[] = {
		"-a always,exit -F dir=/var/log -F perm=wa -k logs",
		"-a always,exit -F dir=/etc/audit -F perm=wa -k vakt-audit-config",
		NULL,
	};
	struct auditshadow_result r;

	ck_assert_uint_eq(find(specs, &r), 1);
	ck_assert_int_eq(r.kind, AUDITSHADOW_WHOLLY);
	ck_assert_uint_eq(find(elsewhere, &r), 0);
}
END_TEST

START_TEST(test_excluded_record_types)
{
	struct audit_rule_data *rules[3] = {
		rule("-a always,exclude -F msgtype=CWD"),
		rule("-a always,exclude -F msgtype=USER_CMD"),
		rule("-a never,user -F auid=1003"),
	};
	const struct audit_rule_data *const *list = (const struct audit_rule_data *const *)rules;

	ck_assert_int_eq(auditshadow_excluded(list, 3, 1123), 1);
	ck_assert_int_eq(auditshadow_excluded(list, 1, 1123), -ENOENT);
	ck_assert_int_eq(auditshadow_excluded(list + 2, 1, 1100), 0);
	ck_assert_int_eq(auditshadow_excluded(list + 2, 1, 1300), -ENOENT);
	for (size_t i = 0; i < ELEMENTSOF(rules); i++)
		rule_freep(&rules[i]);
}
END_TEST

static Suite *auditshadow_suite(void)
{
	Suite *s = suite_create("auditshadow");
	TCase *tc;

	tc = tcase_create("shadow");
	tcase_add_test(tc, test_cis_user_emulation_wholly_shadows_setuid);
	tcase_add_test(tc, test_order_and_scope_decide);
	tcase_add_test(tc, test_never_rule_suppresses);
	tcase_add_test(tc, test_inode_rules_shadow_whatever_the_order);
	tcase_add_test(tc, test_directory_covers_below);
	tcase_add_test(tc, test_excluded_record_types);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditshadow_suite());
	int failed;

	set_aumessage_mode(MSG_QUIET, DBG_NO);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
