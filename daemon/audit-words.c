/*
 * The sentences of the audit part's records. Each says who did what to what, where, and whether
 * it worked, in words: the kernel's names (umount2, finit_module, op=remove_rule) stay in the
 * fields. User-controlled strings are quoted '...'.
 */

#include "audit-words.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auditcfg.h"
#include "auditclass.h"
#include "cmdline.h"
#include "macro.h"

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "?";
}

static const char *base_name(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	return slash ? slash + 1 : s;
}

/* The program of f by its base name ("usermod"), else its comm. */
static const char *program(const struct auditclass_facts *f)
{
	return or_unknown(f->exe ? base_name(f->exe) : f->comm);
}

static const char *plural(unsigned n)
{
	return n == 1 ? "" : "s";
}

static void privilege_sentence(const struct auditclass_facts *f,
			       const struct auditwords *w,
			       char *buf,
			       size_t n)
{
	bool ok = !f->has_result || f->success;
	const char *tool = f->kind == AUDITCLASS_SUDO ? "sudo" : "pkexec";
	const char *cmd = or_unknown(f->command ? f->command : f->exe);
	char as[96] = "";

	if (f->target_user)
		(void)snprintf(as, sizeof(as), " as '%s'", f->target_user);
	if (ok)
		(void)snprintf(buf, n, "%s ran '%s'%s with %s%s.", w->who, cmd, as, tool, w->where);
	else if (f->auth_failures > 0)
		(void)snprintf(
			buf,
			n,
			"%s was refused running '%s'%s with %s%s after %u wrong password%s%s.",
			w->who,
			cmd,
			as,
			tool,
			w->where,
			f->auth_failures,
			plural(f->auth_failures),
			f->aborted ? " and an aborted password prompt" : "");
	else if (f->aborted)
		(void)snprintf(
			buf,
			n,
			"%s did not run '%s'%s with %s%s: the password prompt was aborted, no "
			"password was typed.",
			w->who,
			cmd,
			as,
			tool,
			w->where);
	else if (f->kind == AUDITCLASS_SUDO && f->authenticated)
		(void)snprintf(buf,
			       n,
			       "%s was refused running '%s'%s with sudo%s after a right password; "
			       "the audit record does not say why (the sudoers rules, or a command "
			       "that does not exist).",
			       w->who,
			       cmd,
			       as,
			       w->where);
	else if (f->kind == AUDITCLASS_SUDO)
		(void)snprintf(buf,
			       n,
			       "%s was refused running '%s'%s with sudo%s, with no wrong password; "
			       "the audit record does not say why (the sudoers rules, a password "
			       "that was needed but not given, or a command that does not exist).",
			       w->who,
			       cmd,
			       as,
			       w->where);
	else
		(void)snprintf(buf,
			       n,
			       "%s was refused running '%s'%s with %s%s.",
			       w->who,
			       cmd,
			       as,
			       tool,
			       w->where);
}

static void
auth_sentence(const struct auditclass_facts *f, const struct auditwords *w, char *buf, size_t n)
{
	char as[96] = "";

	if (f->target_user)
		(void)snprintf(as, sizeof(as), " as '%s'", f->target_user);
	if (w->person)
		(void)snprintf(buf,
			       n,
			       "%s failed to authenticate%s in '%s'%s.",
			       w->who,
			       as,
			       program(f),
			       w->where);
	else
		(void)snprintf(buf,
			       n,
			       "Authentication%s failed in '%s'%s (%s).",
			       as,
			       program(f),
			       w->where,
			       w->who);
}

/* "group 'sudo'" or "groups 'sudo, adm'". */
static void groups_phrase(const char *groups, char *buf, size_t n)
{
	(void)snprintf(buf, n, "group%s '%s'", strchr(groups, ',') ? "s" : "", groups);
}

/* What an account tool did, as a verb phrase with its object. */
static void account_phrase(const struct auditwords *w, char *buf, size_t n, const char *ops)
{
	const struct cmdline_account *a = w->account;
	char name[96], groups[CMDLINE_GROUPS_MAX + 16];
	bool group = a && a->is_group;

	if (w->account_name && w->account_id_only)
		(void)snprintf(name,
			       sizeof(name),
			       "the %s with id %s",
			       group ? "group" : "account",
			       w->account_name);
	else if (w->account_name)
		(void)snprintf(name,
			       sizeof(name),
			       "%s '%s'",
			       group ? "group" : "account",
			       w->account_name);
	else
		(void)snprintf(name, sizeof(name), "%s", group ? "a group" : "an account");
	switch (a ? a->action : CMDLINE_ACCOUNT_CHANGED) {
	case CMDLINE_ACCOUNT_CREATED:
		if (*a->groups_added) {
			groups_phrase(a->groups_added, groups, sizeof(groups));
			(void)snprintf(buf, n, "created %s in %s", name, groups);
		} else
			(void)snprintf(buf, n, "created %s", name);
		break;
	case CMDLINE_ACCOUNT_DELETED:
	case CMDLINE_GROUP_DELETED:
		(void)snprintf(buf, n, "deleted %s", name);
		break;
	case CMDLINE_ACCOUNT_PASSWORD:
		if (w->own_account)
			(void)snprintf(buf, n, "changed their own password");
		else
			(void)snprintf(buf, n, "changed the password of %s", name);
		break;
	case CMDLINE_ACCOUNT_LOCKED:
		(void)snprintf(buf, n, "locked %s", name);
		break;
	case CMDLINE_ACCOUNT_UNLOCKED:
		(void)snprintf(buf, n, "unlocked %s", name);
		break;
	case CMDLINE_ACCOUNT_AGEING:
		(void)snprintf(buf, n, "changed the password ageing of %s", name);
		break;
	case CMDLINE_ACCOUNT_GROUPS:
		if (*a->groups_added) {
			groups_phrase(a->groups_added, groups, sizeof(groups));
			(void)snprintf(buf,
				       n,
				       a->groups_replaced ? "set the groups of %s to %s"
							  : "added %s to %s",
				       name,
				       groups);
		} else if (*a->groups_removed) {
			groups_phrase(a->groups_removed, groups, sizeof(groups));
			(void)snprintf(buf, n, "removed %s from %s", name, groups);
		} else
			(void)snprintf(buf,
				       n,
				       "changed the groups of %s (the records do not say which)",
				       name);
		break;
	case CMDLINE_ACCOUNT_SHELL:
		(void)snprintf(buf, n, "changed the login shell of %s", name);
		break;
	case CMDLINE_ACCOUNT_DETAILS:
		(void)snprintf(buf, n, "changed the personal details of %s", name);
		break;
	case CMDLINE_GROUP_CREATED:
		(void)snprintf(buf, n, "created %s", name);
		break;
	case CMDLINE_GROUP_CHANGED:
	case CMDLINE_ACCOUNT_CHANGED:
	default:
		if (ops)
			(void)snprintf(buf, n, "changed %s (%s)", name, ops);
		else
			(void)snprintf(buf, n, "changed %s", name);
		break;
	}
}

static void
account_sentence(const struct auditclass_facts *f, const struct auditwords *w, char *buf, size_t n)
{
	char what[512];

	account_phrase(w, what, sizeof(what), f->command ? f->command : f->op);
	if (!f->has_result || f->success)
		(void)snprintf(buf, n, "%s %s with '%s'%s.", w->who, what, program(f), w->where);
	else
		(void)snprintf(buf,
			       n,
			       "%s failed with '%s'%s trying this: %s.",
			       w->who,
			       program(f),
			       w->where,
			       what);
}

/* mount -> "mount", umount2 -> "unmount"; NULL when op is neither. */
static const char *mount_verb(const char *op)
{
	static const char *const mounts[] = { "mount", "fsmount", "move_mount", "mount_setattr" };
	static const char *const umounts[] = { "umount", "umount2" };

	for (size_t i = 0; op && i < ELEMENTSOF(mounts); i++)
		if (streq(op, mounts[i]))
			return "mount";
	for (size_t i = 0; op && i < ELEMENTSOF(umounts); i++)
		if (streq(op, umounts[i]))
			return "unmount";
	return NULL;
}

static void
mount_sentence(const struct auditclass_facts *f, const struct auditwords *w, char *buf, size_t n)
{
	const char *verb = mount_verb(f->op);
	char what[4200];

	if (f->file)
		(void)snprintf(what, sizeof(what), "'%s'", f->file);
	else
		(void)snprintf(what, sizeof(what), "a file system");
	if (!f->has_result || f->success)
		(void)snprintf(buf,
			       n,
			       "%s %s %s with '%s'%s.",
			       w->who,
			       verb ? (streq(verb, "mount") ? "mounted" : "unmounted")
				    : "mounted or unmounted",
			       what,
			       program(f),
			       w->where);
	else
		(void)snprintf(buf,
			       n,
			       "%s tried to %s %s with '%s'%s, which failed.",
			       w->who,
			       verb ? verb : "mount or unmount",
			       what,
			       program(f),
			       w->where);
}

static void
module_sentence(const struct auditclass_facts *f, const struct auditwords *w, char *buf, size_t n)
{
	bool removing = f->op && streq(f->op, "delete_module");
	bool ok = !f->has_result || f->success;
	char what[600];

	if (f->file)
		(void)snprintf(what, sizeof(what), "kernel module '%s'", f->file);
	else
		(void)snprintf(what, sizeof(what), "a kernel module");
	if (ok)
		(void)snprintf(buf,
			       n,
			       "%s %s %s with '%s'%s.",
			       w->who,
			       removing ? "removed" : "loaded",
			       what,
			       program(f),
			       w->where);
	else
		(void)snprintf(buf,
			       n,
			       "%s tried to %s %s with '%s'%s, which failed.",
			       w->who,
			       removing ? "remove" : "load",
			       what,
			       program(f),
			       w->where);
}

/* Whose actions a process is charged to from now on: the audit uid it got. */
static void
loginuid_sentence(const struct auditclass_facts *f, const struct auditwords *w, char *buf, size_t n)
{
	char to[128];

	if (w->target_name)
		(void)snprintf(
			to, sizeof(to), "%s (uid %" PRIu32 ")", w->target_name, f->target_id);
	else
		(void)snprintf(to, sizeof(to), "uid %" PRIu32, f->target_id);
	if (!f->has_result || f->success)
		(void)snprintf(buf,
			       n,
			       "%s changed the audit user of process %" PRIu32
			       " to %s%s: its actions are charged to that user from now on.",
			       w->who,
			       f->pid,
			       to,
			       w->where);
	else
		(void)snprintf(buf,
			       n,
			       "%s tried to change the audit user of process %" PRIu32
			       " to %s%s, and was refused.",
			       w->who,
			       f->pid,
			       to,
			       w->where);
}

void auditwords_facts(const struct auditclass_facts *f,
		      const struct auditwords *w,
		      char *buf,
		      size_t n)
{
	bool ok = !f->has_result || f->success;

	switch (f->kind) {
	case AUDITCLASS_SUDO:
	case AUDITCLASS_PKEXEC:
		privilege_sentence(f, w, buf, n);
		break;
	case AUDITCLASS_SU:
		(void)snprintf(buf,
			       n,
			       ok ? "%s switched to user '%s' with su%s."
				  : "%s failed to switch to user '%s' with su%s.",
			       w->who,
			       or_unknown(f->target_user),
			       w->where);
		break;
	case AUDITCLASS_AUTH_FAILED:
		auth_sentence(f, w, buf, n);
		break;
	case AUDITCLASS_ACCOUNT_CHANGED:
		account_sentence(f, w, buf, n);
		break;
	case AUDITCLASS_FILE_CHANGED:
		if (ok)
			(void)snprintf(buf,
				       n,
				       "%s changed the %s of '%s' with '%s'%s.",
				       w->who,
				       f->attribute_change ? "attributes" : "contents",
				       or_unknown(f->file),
				       program(f),
				       w->where);
		else
			(void)snprintf(buf,
				       n,
				       "%s tried to change '%s' with '%s'%s and was refused.",
				       w->who,
				       or_unknown(f->file),
				       program(f),
				       w->where);
		break;
	case AUDITCLASS_MOUNT:
		mount_sentence(f, w, buf, n);
		break;
	case AUDITCLASS_MODULE:
		module_sentence(f, w, buf, n);
		break;
	case AUDITCLASS_SETUID:
		(void)snprintf(buf,
			       n,
			       "%s ran setuid program '%s'%s.",
			       w->who,
			       or_unknown(f->file ? f->file : f->exe),
			       w->where);
		break;
	case AUDITCLASS_ROOT_COMMAND:
		(void)snprintf(buf,
			       n,
			       "%s ran '%s' in a root shell%s.",
			       w->who,
			       or_unknown(f->command ? f->command : f->exe),
			       w->where);
		break;
	case AUDITCLASS_LOGINUID_CHANGED:
		loginuid_sentence(f, w, buf, n);
		break;
	default:
		(void)snprintf(
			buf, n, "%s did something the audit records report%s.", w->who, w->where);
		break;
	}
}

/* Appends "s" to buf, joined to what is there by ", " (or " and " when last). */
static void clause(char *buf, size_t n, bool last, const char *s)
{
	size_t len = strlen(buf);

	(void)snprintf(buf + len, n - len, "%s%s", len == 0 ? "" : last ? " and " : ", ", s);
}

void auditwords_change(const struct auditcfg_change *ch,
		       const struct auditwords *w,
		       char *buf,
		       size_t n)
{
	const char *parts[4] = {};
	char rules_added[64], rules_removed[64], settings[64], keys[AUDITCFG_KEYS_MAX + 64] = "";
	char what[512] = "";
	size_t k = 0;

	if (ch->enabled == 0)
		parts[k++] = "switched off kernel auditing";
	else if (ch->enabled == 2)
		parts[k++] = "locked the audit configuration until the next boot";
	else if (ch->enabled == 1 && ch->enabled_old == 0)
		parts[k++] = "switched kernel auditing on";
	if (ch->removed > 0) {
		(void)snprintf(rules_removed,
			       sizeof(rules_removed),
			       "removed %u audit rule%s",
			       ch->removed,
			       plural(ch->removed));
		parts[k++] = rules_removed;
	}
	if (ch->added > 0) {
		(void)snprintf(rules_added,
			       sizeof(rules_added),
			       "added %u audit rule%s",
			       ch->added,
			       plural(ch->added));
		parts[k++] = rules_added;
	}
	if (ch->settings > 0 && k < ELEMENTSOF(parts)) {
		(void)snprintf(settings,
			       sizeof(settings),
			       "changed %u audit setting%s",
			       ch->settings,
			       plural(ch->settings));
		parts[k++] = settings;
	}
	for (size_t i = 0; i < k; i++)
		clause(what, sizeof(what), i == k - 1, parts[i]);
	if (*ch->keys && ch->keyless > 0)
		(void)snprintf(
			keys, sizeof(keys), " (keys %s; %u without a key)", ch->keys, ch->keyless);
	else if (*ch->keys)
		(void)snprintf(keys,
			       sizeof(keys),
			       " (key%s %s)",
			       strchr(ch->keys, ',') ? "s" : "",
			       ch->keys);
	else if (ch->keyless > 0)
		(void)snprintf(keys, sizeof(keys), " (without a key)");

	if (k == 0)
		(void)snprintf(buf,
			       n,
			       "%s tried to change the audit configuration%s with '%s'%s, and the "
			       "kernel refused.",
			       w->who,
			       keys,
			       program(&ch->facts),
			       w->where);
	else
		(void)snprintf(buf,
			       n,
			       "%s %s%s with '%s'%s%s%s",
			       w->who,
			       what,
			       keys,
			       program(&ch->facts),
			       w->where,
			       ch->refused > 0 ? " (some changes were refused)" : "",
			       auditcfg_change_disabled(ch)
				       ? ": nothing is recorded until it is switched on again."
				       : ".");
}

struct auditwords_clock *auditwords_clock_set(struct auditwords_clock *c, uint64_t usec)
{
	time_t sec = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (c->set && c->sec == (uint64_t)sec)
		return c;
	c->set = true;
	c->sec = (uint64_t)sec;
	if (!gmtime_r(&sec, &tm)) {
		(void)snprintf(c->iso, sizeof(c->iso), "?");
		(void)snprintf(c->search, sizeof(c->search), "?");
		(void)snprintf(c->readable, sizeof(c->readable), "?");
		return c;
	}
	if (strftime(c->iso, sizeof(c->iso), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		(void)snprintf(c->iso, sizeof(c->iso), "?");
	if (strftime(c->readable, sizeof(c->readable), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void)snprintf(c->readable, sizeof(c->readable), "?");
	/* Two digits of the year are what %x gives in the C locale: strptime() reads them back. */
	(void)snprintf(c->search,
		       sizeof(c->search),
		       "%02d/%02d/%02d %02d:%02d:%02d",
		       tm.tm_mon + 1,
		       tm.tm_mday,
		       tm.tm_year % 100,
		       tm.tm_hour,
		       tm.tm_min,
		       tm.tm_sec);
	return c;
}

char *auditwords_time(const struct auditwords_clock *c,
		      uint64_t usec,
		      char buf[static AUDITWORDS_TIME_MAX])
{
	(void)snprintf(buf,
		       AUDITWORDS_TIME_MAX,
		       "%s.%03uZ",
		       c->iso,
		       (unsigned)(usec % USEC_PER_SEC / USEC_PER_MSEC));
	return buf;
}

char *auditwords_search_event(const struct auditwords_clock *c,
			      const char *audit_id,
			      char buf[static AUDITWORDS_SEARCH_MAX])
{
	const char *colon = audit_id ? strchr(audit_id, ':') : NULL;

	buf[0] = '\0';
	if (colon)
		(void)snprintf(buf,
			       AUDITWORDS_SEARCH_MAX,
			       "LC_ALL=C TZ=UTC ausearch -a %s -ts %s -te %s",
			       colon + 1,
			       c->search,
			       c->search);
	return buf;
}

char *auditwords_search_changes(uint64_t first_usec,
				uint64_t last_usec,
				uint32_t auid,
				uint32_t pid,
				char buf[static AUDITWORDS_SEARCH_MAX])
{
	struct auditwords_clock c1 = {}, c2 = {};
	char who[40] = "";

	(void)auditwords_clock_set(&c1, first_usec);
	(void)auditwords_clock_set(&c2, last_usec);
	if (auid != UINT32_MAX)
		(void)snprintf(who, sizeof(who), " -ul %" PRIu32, auid);
	else if (pid != UINT32_MAX)
		(void)snprintf(who, sizeof(who), " -p %" PRIu32, pid);
	(void)snprintf(buf,
		       AUDITWORDS_SEARCH_MAX,
		       "LC_ALL=C TZ=UTC ausearch -m CONFIG_CHANGE -ts %s -te %s%s",
		       c1.search,
		       c2.search,
		       who);
	return buf;
}
