#include <check.h>
#include <stdlib.h>

#include "cmdline.h"
#include "macro.h"

struct account_case {
	const char *exe, *command, *ops;
	const char *account, *added, *removed;
	enum cmdline_account_action action;
	bool replaced, group;
};

static const struct account_case account_cases[] = {
	/* The example: usermod -aG sudo carol says sudo. */
	{ .exe = "/usr/sbin/usermod",
	  .command = "usermod -aG sudo carol",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "sudo",
	  .removed = "" },
	{ .exe = "/usr/sbin/usermod",
	  .command = "/usr/sbin/usermod -a -G sudo,adm carol",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "sudo, adm",
	  .removed = "" },
	{ .exe = "usermod",
	  .command = "usermod --append --groups=wheel carol",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "wheel",
	  .removed = "" },
	{ .exe = "usermod",
	  .command = "usermod -G users carol",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "users",
	  .removed = "",
	  .replaced = true },
	{ .exe = "usermod",
	  .command = "usermod -rG sudo carol",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "",
	  .removed = "sudo" },
	{ .exe = "usermod",
	  .command = "usermod -L carol",
	  .action = CMDLINE_ACCOUNT_LOCKED,
	  .account = "carol",
	  .added = "",
	  .removed = "" },
	{ .exe = "usermod",
	  .command = "usermod -s /bin/sh -c 'x' carol",
	  .action = CMDLINE_ACCOUNT_CHANGED,
	  .account = "carol",
	  .added = "",
	  .removed = "" },
	/* Without its arguments, the op texts still say the groups changed. */
	{ .exe = "/usr/sbin/usermod",
	  .command = NULL,
	  .ops = "adding user to group; adding user to shadow group",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/sbin/useradd",
	  .command = "useradd -m -G sudo -s /bin/bash dave",
	  .action = CMDLINE_ACCOUNT_CREATED,
	  .account = "dave",
	  .added = "sudo",
	  .removed = "" },
	{ .exe = "/usr/sbin/useradd",
	  .command = "useradd -l -m erin",
	  .action = CMDLINE_ACCOUNT_CREATED,
	  .account = "erin",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/sbin/userdel",
	  .command = "userdel -r carol",
	  .action = CMDLINE_ACCOUNT_DELETED,
	  .account = "carol",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/sbin/adduser",
	  .command = "adduser carol sudo",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "sudo",
	  .removed = "" },
	{ .exe = "/usr/sbin/deluser",
	  .command = "deluser carol sudo",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "",
	  .removed = "sudo" },
	{ .exe = "/usr/bin/gpasswd",
	  .command = "gpasswd -a carol sudo",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "sudo",
	  .removed = "" },
	{ .exe = "/usr/bin/gpasswd",
	  .command = "gpasswd -d carol sudo",
	  .action = CMDLINE_ACCOUNT_GROUPS,
	  .account = "carol",
	  .added = "",
	  .removed = "sudo" },
	{ .exe = "/usr/bin/passwd",
	  .command = "passwd",
	  .action = CMDLINE_ACCOUNT_PASSWORD,
	  .account = "",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/bin/passwd",
	  .command = "passwd bob",
	  .action = CMDLINE_ACCOUNT_PASSWORD,
	  .account = "bob",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/bin/passwd",
	  .command = "passwd -l bob",
	  .action = CMDLINE_ACCOUNT_LOCKED,
	  .account = "bob",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/bin/passwd",
	  .command = "passwd -x 90 bob",
	  .action = CMDLINE_ACCOUNT_AGEING,
	  .account = "bob",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/sbin/chpasswd",
	  .command = NULL,
	  .ops = "PAM:chauthtok",
	  .action = CMDLINE_ACCOUNT_PASSWORD,
	  .account = "",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/bin/chage",
	  .command = "chage -M 90 carol",
	  .action = CMDLINE_ACCOUNT_AGEING,
	  .account = "carol",
	  .added = "",
	  .removed = "" },
	{ .exe = "/usr/sbin/groupadd",
	  .command = "groupadd -g 2000 staff",
	  .action = CMDLINE_GROUP_CREATED,
	  .account = "staff",
	  .added = "",
	  .removed = "",
	  .group = true },
	{ .exe = "/usr/sbin/groupdel",
	  .command = "groupdel staff",
	  .action = CMDLINE_GROUP_DELETED,
	  .account = "staff",
	  .added = "",
	  .removed = "",
	  .group = true },
	/* A command line of another program is not read as the tool's. */
	{ .exe = "/usr/sbin/usermod",
	  .command = "sh -c usermod -aG sudo carol",
	  .action = CMDLINE_ACCOUNT_CHANGED,
	  .account = "",
	  .added = "",
	  .removed = "" },
	{ .exe = "/opt/x/unknown-tool",
	  .command = "unknown-tool carol",
	  .action = CMDLINE_ACCOUNT_CHANGED,
	  .account = "",
	  .added = "",
	  .removed = "" },
};

START_TEST(test_account_tool_command_lines)
{
	const struct account_case *c = &account_cases[_i];
	struct cmdline_account a;

	cmdline_account(c->exe, c->command, c->ops, &a);
	ck_assert_msg(a.action == c->action,
		      "%s: action %d, expected %d",
		      c->command,
		      a.action,
		      c->action);
	ck_assert_str_eq(a.account, c->account);
	ck_assert_str_eq(a.groups_added, c->added);
	ck_assert_str_eq(a.groups_removed, c->removed);
	ck_assert(a.groups_replaced == c->replaced);
	ck_assert(a.is_group == c->group);
}
END_TEST

START_TEST(test_find_simple_command_in_shell_line)
{
	char buf[256];

	ck_assert_str_eq(cmdline_find("sh -c useradd -m x; usermod -aG sudo x; echo x:y | chpasswd",
				      "usermod",
				      buf,
				      sizeof(buf)),
			 "usermod -aG sudo x");
	ck_assert_str_eq(
		cmdline_find(
			"bash -c 'id && /usr/sbin/usermod -aG adm x'", "usermod", buf, sizeof(buf)),
		"/usr/sbin/usermod -aG adm x");
	ck_assert_str_eq(cmdline_find("usermod -aG sudo carol", "usermod", buf, sizeof(buf)),
			 "usermod -aG sudo carol");
	ck_assert_ptr_null(cmdline_find("echo usermod", "usermod", buf, sizeof(buf)));
	ck_assert_ptr_null(cmdline_find(NULL, "usermod", buf, sizeof(buf)));
}
END_TEST

struct stop_case {
	const char *command;
	enum cmdline_stop stop;
};

static const struct stop_case stop_cases[] = {
	{ "systemctl stop vaktd", CMDLINE_STOP_UNIT },
	{ "/usr/bin/systemctl stop vaktd.service", CMDLINE_STOP_UNIT },
	{ "systemctl restart vaktd", CMDLINE_STOP_UNIT },
	{ "systemctl kill -s KILL vaktd", CMDLINE_STOP_UNIT },
	{ "systemctl disable --now vaktd", CMDLINE_STOP_UNIT },
	{ "systemctl mask --now vaktd.service", CMDLINE_STOP_UNIT },
	{ "systemctl disable vaktd", CMDLINE_STOP_NONE },
	{ "systemctl status vaktd", CMDLINE_STOP_NONE },
	{ "systemctl stop cron", CMDLINE_STOP_NONE },
	{ "systemctl reboot", CMDLINE_STOP_SYSTEM },
	{ "shutdown -h now", CMDLINE_STOP_SYSTEM },
	{ "service vaktd stop", CMDLINE_STOP_UNIT },
	{ "killall vaktd", CMDLINE_STOP_UNIT },
	{ "kill -TERM 4242", CMDLINE_STOP_UNIT },
	{ "kill 4243", CMDLINE_STOP_NONE },
	{ "vi /etc/vakt/vakt.conf", CMDLINE_STOP_NONE },
};

START_TEST(test_commands_that_stop_the_unit)
{
	const struct stop_case *c = &stop_cases[_i];

	ck_assert_msg(
		cmdline_stops_unit(c->command, "vaktd.service", 4242) == c->stop, "%s", c->command);
	/* The unit may be given with or without .service. */
	ck_assert(cmdline_stops_unit(c->command, "vaktd", 4242) == c->stop);
}
END_TEST

START_TEST(test_program_base_name)
{
	char buf[64];

	ck_assert_str_eq(cmdline_program("/usr/sbin/usermod -aG x y", buf, sizeof(buf)), "usermod");
	ck_assert_str_eq(cmdline_program("  id", buf, sizeof(buf)), "id");
	ck_assert_str_eq(cmdline_program("", buf, sizeof(buf)), "");
	ck_assert_str_eq(cmdline_program(NULL, buf, sizeof(buf)), "");
}
END_TEST

static Suite *cmdline_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("cmdline");

	tcase_add_loop_test(tc, test_account_tool_command_lines, 0, (int)ELEMENTSOF(account_cases));
	tcase_add_test(tc, test_find_simple_command_in_shell_line);
	tcase_add_loop_test(tc, test_commands_that_stop_the_unit, 0, (int)ELEMENTSOF(stop_cases));
	tcase_add_test(tc, test_program_base_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cmdline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
