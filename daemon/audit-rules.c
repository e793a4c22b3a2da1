/*
 * Loading the vakt-* audit rules through libaudit. The rules are built with libaudit's own field
 * parsers (the ones auditctl uses), so "auid>=1000", "auid!=unset" and "uid!=euid" mean exactly
 * what they mean in 50-vakt.rules.
 */

#include "audit-rules.h"

#include <errno.h>
#include <libaudit.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "strv.h"

/* Keep identical to the non-watch rules of conf/audit/50-vakt.rules (test-audit-rules.sh). */
const char *const auditrules_static[] = {
	"-w /etc/audit -p wa -k vakt-audit-config",
	"-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k vakt-module",
	"-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -k vakt-module",
	"-a always,exit -F arch=b64 -S mount,umount2 -F auid!=unset -k vakt-mount",
	"-a always,exit -F arch=b32 -S mount,umount,umount2 -F auid!=unset -k vakt-mount",
	"-a always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -F auid>=1000 -F auid!=unset "
	"-k vakt-setuid",
	"-a always,exit -F arch=b32 -S execve -C uid!=euid -F euid=0 -F auid>=1000 -F auid!=unset "
	"-k vakt-setuid",
	"-a always,exit -F arch=b64 -S execve -F euid=0 -F auid>=1000 -F auid!=unset "
	"-k vakt-rootcmd",
	"-a always,exit -F arch=b32 -S execve -F euid=0 -F auid>=1000 -F auid!=unset "
	"-k vakt-rootcmd",
	NULL,
};

#define WATCH_KEY "vakt-watch"

static void audit_rule_free_datap(struct audit_rule_data **p)
{
	if (*p)
		audit_rule_free_data(*p);
}

/* libaudit returns -1 with errno, or its own negative codes: turn both into -errno. */
static int libaudit_error(int rc)
{
	if (rc >= 0)
		return rc;
	return errno > 0 ? -errno : -EINVAL;
}

static int add_rule(int fd, struct audit_rule_data *rule, int flags, int action)
{
	int rc;

	errno = 0;
	rc = audit_add_rule_data(fd, rule, flags, action);
	if (rc >= 0)
		return 1;
	rc = libaudit_error(rc);
	return rc == -EEXIST ? 0 : rc;
}

static int parse_perms(const char *s)
{
	int perms = 0;

	for (; *s; s++)
		switch (*s) {
		case 'r':
			perms |= AUDIT_PERM_READ;
			break;
		case 'w':
			perms |= AUDIT_PERM_WRITE;
			break;
		case 'x':
			perms |= AUDIT_PERM_EXEC;
			break;
		case 'a':
			perms |= AUDIT_PERM_ATTR;
			break;
		default:
			return -EINVAL;
		}
	return perms;
}

/* "-w PATH -p PERMS -k KEY": a directory gets a tree watch, anything else a file watch. */
static int add_watch(int fd, const char *path, int perms, const char *key)
{
	_cleanup_(audit_rule_free_datap) struct audit_rule_data *rule = NULL;
	_cleanup_free_ char *pair = NULL;
	struct stat st;
	int type;

	type = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? AUDIT_DIR : AUDIT_WATCH;
	rule = audit_rule_create_data();
	if (!rule)
		return -ENOMEM;
	if (audit_add_watch_dir(type, &rule, path) < 0 || audit_update_watch_perms(rule, perms) < 0)
		return -EINVAL;
	if (asprintf(&pair, "key=%s", key) < 0)
		return -ENOMEM;
	if (audit_rule_fieldpair_data(&rule, pair, AUDIT_FILTER_EXIT) < 0)
		return -EINVAL;
	return add_rule(fd, rule, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
}

/* Applies one option of an "-a always,exit" line to rule. */
static int apply_option(struct audit_rule_data **rule, const char *opt, const char *arg)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (streq(opt, "-F") || streq(opt, "-k")) {
		_cleanup_free_ char *pair = NULL;

		if (asprintf(&pair, "%s%s", streq(opt, "-k") ? "key=" : "", arg) < 0)
			return -ENOMEM;
		return audit_rule_fieldpair_data(rule, pair, AUDIT_FILTER_EXIT) < 0 ? -EINVAL : 0;
	}
	if (streq(opt, "-C"))
		return audit_rule_interfield_comp_data(rule, arg, AUDIT_FILTER_EXIT) < 0 ? -EINVAL
											 : 0;
	if (!streq(opt, "-S"))
		return -EINVAL;
	copy = strdup(arg);
	if (!copy)
		return -ENOMEM;
	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save))
		if (audit_rule_syscallbyname_data(*rule, s) < 0)
			return -EINVAL;
	return 0;
}

int auditrules_add_line(int fd, const char *line)
{
	_cleanup_(audit_rule_free_datap) struct audit_rule_data *rule = NULL;
	_cleanup_free_ char *copy = NULL;
	char *tok[32], *save = NULL;
	size_t n = 0;

	copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	for (char *s = strtok_r(copy, " \t", &save); s; s = strtok_r(NULL, " \t", &save)) {
		if (n >= ELEMENTSOF(tok))
			return -EINVAL;
		tok[n++] = s;
	}
	if (n == 6 && streq(tok[0], "-w") && streq(tok[2], "-p") && streq(tok[4], "-k")) {
		int perms = parse_perms(tok[3]);

		return perms <= 0 ? -EINVAL : add_watch(fd, tok[1], perms, tok[5]);
	}
	if (n < 2 || n % 2 != 0 || !streq(tok[0], "-a") || !streq(tok[1], "always,exit"))
		return -EINVAL;

	rule = audit_rule_create_data();
	if (!rule)
		return -ENOMEM;
	for (size_t i = 2; i < n; i += 2) {
		int r = apply_option(&rule, tok[i], tok[i + 1]);

		if (r < 0)
			return r;
	}
	return add_rule(fd, rule, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
}

struct tally {
	unsigned added, ok;
	int first_error;
	char **added_rules;
};

static void count_result(int r, const char *what, struct tally *t)
{
	if (r >= 0)
		t->ok++;
	if (r > 0) {
		t->added++;
		/* Listed by the caller in one record; a rule lost here only shortens the list. */
		(void)strv_extend(&t->added_rules, what);
	} else if (r < 0) {
		log_warning_errno(r, "Cannot load audit rule '%s', ignoring: %m", what);
		if (t->first_error == 0)
			t->first_error = r;
	}
}

int auditrules_ensure(int fd, const struct config *c, char ***ret_added)
{
	struct tally t = {};

	/* libaudit prints its own complaints on stderr unless told not to. */
	set_aumessage_mode(MSG_QUIET, DBG_NO);

	for (size_t i = 0; auditrules_static[i]; i++)
		count_result(
			auditrules_add_line(fd, auditrules_static[i]), auditrules_static[i], &t);
	STRV_FOREACH (p, c->audit.watch) {
		_cleanup_free_ char *line = NULL;

		if (asprintf(&line, "-w %s -p wa -k " WATCH_KEY, *p) < 0)
			line = NULL;
		count_result(add_watch(fd, *p, AUDIT_PERM_WRITE | AUDIT_PERM_ATTR, WATCH_KEY),
			     line ? line : *p,
			     &t);
	}
	/* Nothing could be checked at all (e.g. no CAP_AUDIT_CONTROL): the caller reports it. */
	if (t.ok == 0 && t.first_error < 0) {
		strv_free(t.added_rules);
		return t.first_error;
	}
	if (ret_added)
		*ret_added = t.added_rules;
	else
		strv_free(t.added_rules);
	return (int)t.added;
}

bool auditrules_key_is_ours(const char *key)
{
	return key && strncmp(key, "vakt-", 5) == 0 && strncmp(key, "vakt-test-", 10) != 0;
}
