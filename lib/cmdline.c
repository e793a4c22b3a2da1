#include "cmdline.h"

#include <stdio.h>
#include <string.h>

#include "macro.h"

/*
 * snprintf() with explicit sizes is used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#define MAX_WORDS 64
#define LINE_MAX_ 4096

struct words {
	char buf[LINE_MAX_];
	char *w[MAX_WORDS];
	size_t n;
};

/* Splits s at spaces into w->w (at most MAX_WORDS words; the rest is ignored). */
static void split(const char *s, struct words *w)
{
	char *save = NULL;

	w->n = 0;
	(void)snprintf(w->buf, sizeof(w->buf), "%s", s ? s : "");
	for (char *t = strtok_r(w->buf, " \t", &save); t && w->n < MAX_WORDS;
	     t = strtok_r(NULL, " \t", &save))
		w->w[w->n++] = t;
}

static const char *base_name(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? slash + 1 : s;
}

char *cmdline_program(const char *command, char *buf, size_t size)
{
	size_t n;

	buf[0] = '\0';
	if (!command)
		return buf;
	command += strspn(command, " \t");
	n = strcspn(command, " \t");
	(void)snprintf(buf, size, "%.*s", (int)n, command);
	(void)memmove(buf, base_name(buf), strlen(base_name(buf)) + 1);
	return buf;
}

static bool is_any(const char *s, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (streq(s, names[i]))
			return true;
	return false;
}

/* Appends the comma-separated groups of list to out (", "-joined, no duplicates). */
static void add_groups(char *out, size_t size, const char *list)
{
	char copy[CMDLINE_GROUPS_MAX], *save = NULL;

	(void)snprintf(copy, sizeof(copy), "%s", list);
	for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(out);

		if (!*g)
			continue;
		(void)snprintf(out + len, size - len, "%s%s", len ? ", " : "", g);
	}
}

static void set_name(struct cmdline_account *a, const char *name)
{
	(void)snprintf(a->account, sizeof(a->account), "%s", name);
}

/* Whether option word o (a cluster like "-aG") holds the short option c. */
static bool has_short(const char *o, char c)
{
	return o[0] == '-' && o[1] != '-' && strchr(o + 1, c);
}

/* Short options of usermod and useradd that take an argument (the next word); useradd's -l
 * takes none. */
static bool takes_arg(char c, bool creating)
{
	if (creating && c == 'l')
		return false;
	return strchr("cdefgGlpsuRPbkKZ", c) != NULL;
}

/* usermod/useradd: -G LIST with -a (added), -r (removed) or alone (replaced); the account is the
 * last word that is not an option or an option's argument. */
static void parse_usermod(const struct words *w, struct cmdline_account *a, bool creating)
{
	const char *groups = NULL;
	bool append = false, remove = false;

	for (size_t i = 1; i < w->n; i++) {
		const char *o = w->w[i];

		if (streq(o, "--append"))
			append = true;
		else if (streq(o, "--remove"))
			remove = true;
		else if (streq(o, "--lock"))
			a->action = CMDLINE_ACCOUNT_LOCKED;
		else if (streq(o, "--unlock"))
			a->action = CMDLINE_ACCOUNT_UNLOCKED;
		else if ((streq(o, "--groups") || streq(o, "-G")) && i + 1 < w->n)
			groups = w->w[++i];
		else if (strncmp(o, "--groups=", 9) == 0)
			groups = o + 9;
		else if (strncmp(o, "--", 2) == 0 && !strchr(o, '=') && i + 1 < w->n)
			i++; /* every other long option of these tools takes an argument */
		else if (o[0] == '-' && o[1] && o[1] != '-') {
			/* A cluster: flags, then at most one option taking the next word. */
			append = append || has_short(o, 'a');
			remove = remove || has_short(o, 'r');
			if (!creating && has_short(o, 'L'))
				a->action = CMDLINE_ACCOUNT_LOCKED;
			if (!creating && has_short(o, 'U'))
				a->action = CMDLINE_ACCOUNT_UNLOCKED;
			for (const char *p = o + 1; *p; p++)
				if (takes_arg(*p, creating)) {
					const char *arg =
						p[1] ? p + 1 : (i + 1 < w->n ? w->w[++i] : "");

					if (*p == 'G')
						groups = arg;
					break;
				}
		} else
			set_name(a, o);
	}
	if (!groups)
		return;
	if (remove && !creating)
		add_groups(a->groups_removed, sizeof(a->groups_removed), groups);
	else {
		add_groups(a->groups_added, sizeof(a->groups_added), groups);
		a->groups_replaced = !append && !creating;
	}
	if (!creating && a->action == CMDLINE_ACCOUNT_CHANGED)
		a->action = CMDLINE_ACCOUNT_GROUPS;
}

/* gpasswd -a USER GROUP, -d USER GROUP, -M LIST GROUP; the group is the last word. */
static void parse_gpasswd(const struct words *w, struct cmdline_account *a)
{
	const char *user = NULL, *group = NULL;
	bool add = false;

	for (size_t i = 1; i < w->n; i++) {
		const char *o = w->w[i];

		if ((streq(o, "-a") || streq(o, "--add")) && i + 1 < w->n) {
			add = true;
			user = w->w[++i];
		} else if ((streq(o, "-d") || streq(o, "--delete")) && i + 1 < w->n) {
			add = false;
			user = w->w[++i];
		} else if (o[0] == '-' && i + 1 < w->n && strchr("MAQ", o[1]) && o[1] && !o[2])
			i++;
		else if (o[0] != '-')
			group = o;
	}
	if (!group || !user) {
		if (group)
			set_name(a, group);
		a->is_group = true;
		a->action = CMDLINE_GROUP_CHANGED;
		return;
	}
	set_name(a, user);
	a->action = CMDLINE_ACCOUNT_GROUPS;
	add_groups(add ? a->groups_added : a->groups_removed, CMDLINE_GROUPS_MAX, group);
}

/* passwd [-l|-u|-d|-e|-n N|-x N|-w N|-i N|-S] [USER] */
static void parse_passwd(const struct words *w, struct cmdline_account *a)
{
	for (size_t i = 1; i < w->n; i++) {
		const char *o = w->w[i];

		if (o[0] != '-') {
			set_name(a, o);
			continue;
		}
		if (has_short(o, 'l') || streq(o, "--lock"))
			a->action = CMDLINE_ACCOUNT_LOCKED;
		else if (has_short(o, 'u') || streq(o, "--unlock"))
			a->action = CMDLINE_ACCOUNT_UNLOCKED;
		else if (strchr("nxwie", o[1]) && o[1] && !o[2]) {
			a->action = CMDLINE_ACCOUNT_AGEING;
			if (o[1] != 'e' && i + 1 < w->n)
				i++;
		}
	}
}

/* The last word that is not an option: the account of chage, chsh, chfn, userdel, groupadd, ...
 * (options taking an argument are skipped when they are given as "-X ARG" from opts). */
static void last_name(const struct words *w, const char *opts, struct cmdline_account *a)
{
	for (size_t i = 1; i < w->n; i++) {
		const char *o = w->w[i];

		if (o[0] == '-') {
			bool short_arg = o[1] && !o[2] && strchr(opts, o[1]);
			bool long_arg = strncmp(o, "--", 2) == 0 && !strchr(o, '=') && *opts;

			if ((short_arg || long_arg) && i + 1 < w->n)
				i++;
			continue;
		}
		set_name(a, o);
	}
}

void cmdline_account(const char *exe,
		     const char *command,
		     const char *ops,
		     struct cmdline_account *ret)
{
	static const char *const creators[] = { "useradd", "adduser", "newusers", NULL };
	static const char *const deleters[] = { "userdel", "deluser", NULL };
	static const char *const passwords[] = { "passwd", "chpasswd", NULL };
	struct words w;
	char tool[CMDLINE_NAME_MAX], prog[CMDLINE_NAME_MAX];
	bool argv_known;

	*ret = (struct cmdline_account){ .action = CMDLINE_ACCOUNT_CHANGED };
	(void)snprintf(tool, sizeof(tool), "%s", base_name(exe ? exe : ""));
	split(command, &w);
	argv_known = w.n > 0 && streq(cmdline_program(command, prog, sizeof(prog)), tool);
	if (!argv_known)
		w.n = 0;

	if (is_any(tool, creators)) {
		ret->action = CMDLINE_ACCOUNT_CREATED;
		/* adduser USER GROUP adds an existing user to a group (Debian). */
		if (streq(tool, "adduser") && w.n == 3 && w.w[1][0] != '-' && w.w[2][0] != '-') {
			ret->action = CMDLINE_ACCOUNT_GROUPS;
			set_name(ret, w.w[1]);
			add_groups(ret->groups_added, sizeof(ret->groups_added), w.w[2]);
		} else if (streq(tool, "useradd"))
			parse_usermod(&w, ret, true);
		else
			last_name(&w, "", ret);
	} else if (is_any(tool, deleters)) {
		ret->action = CMDLINE_ACCOUNT_DELETED;
		if (streq(tool, "deluser") && w.n == 3 && w.w[1][0] != '-' && w.w[2][0] != '-') {
			ret->action = CMDLINE_ACCOUNT_GROUPS;
			set_name(ret, w.w[1]);
			add_groups(ret->groups_removed, sizeof(ret->groups_removed), w.w[2]);
		} else
			last_name(&w, "", ret);
	} else if (streq(tool, "usermod"))
		parse_usermod(&w, ret, false);
	else if (is_any(tool, passwords)) {
		ret->action = CMDLINE_ACCOUNT_PASSWORD;
		if (streq(tool, "passwd"))
			parse_passwd(&w, ret);
	} else if (streq(tool, "chage")) {
		ret->action = CMDLINE_ACCOUNT_AGEING;
		last_name(&w, "dEIimMW", ret);
	} else if (streq(tool, "chsh")) {
		ret->action = CMDLINE_ACCOUNT_SHELL;
		last_name(&w, "sR", ret);
	} else if (streq(tool, "chfn")) {
		ret->action = CMDLINE_ACCOUNT_DETAILS;
		last_name(&w, "fhorwR", ret);
	} else if (streq(tool, "gpasswd"))
		parse_gpasswd(&w, ret);
	else if (streq(tool, "groupadd") || streq(tool, "addgroup")) {
		ret->is_group = true;
		ret->action = CMDLINE_GROUP_CREATED;
		last_name(&w, "gKpR", ret);
	} else if (streq(tool, "groupdel") || streq(tool, "delgroup")) {
		ret->is_group = true;
		ret->action = CMDLINE_GROUP_DELETED;
		last_name(&w, "R", ret);
	} else if (streq(tool, "groupmod") || streq(tool, "groupmems")) {
		ret->is_group = true;
		ret->action = CMDLINE_GROUP_CHANGED;
		last_name(&w, "gnpRag", ret);
	}
	/* shadow's usermod names no group in its records ("adding user to group"): at least say
	 * that the groups changed. */
	if (ret->action == CMDLINE_ACCOUNT_CHANGED && ops &&
	    (strstr(ops, "to group") || strstr(ops, "from group")))
		ret->action = CMDLINE_ACCOUNT_GROUPS;
}

const char *cmdline_find(const char *command, const char *program, char *buf, size_t size)
{
	char copy[LINE_MAX_], prog[CMDLINE_NAME_MAX];
	char *p;

	if (!command || !program)
		return NULL;
	(void)snprintf(copy, sizeof(copy), "%s", command);
	/* Separators and quotes become spaces, ';' ends a simple command. */
	for (p = copy; *p; p++)
		if (*p == '&' || *p == '|' || *p == '\n' || *p == '(' || *p == ')')
			*p = ';';
		else if (*p == '\'' || *p == '"')
			*p = ' ';
	for (char *save = NULL, *part = strtok_r(copy, ";", &save); part;
	     part = strtok_r(NULL, ";", &save)) {
		part += strspn(part, " \t");
		/* "sh -c CMD", "sudo CMD", "env CMD": look at CMD. */
		for (;;) {
			(void)cmdline_program(part, prog, sizeof(prog));
			if (streq(prog, "sh") || streq(prog, "bash") || streq(prog, "dash")) {
				part += strcspn(part, " \t");
				part += strspn(part, " \t");
				if (strncmp(part, "-c", 2) == 0)
					part += 2;
			} else if (streq(prog, "sudo") || streq(prog, "env") || streq(prog, "exec"))
				part += strcspn(part, " \t");
			else
				break;
			part += strspn(part, " \t");
		}
		if (streq(cmdline_program(part, prog, sizeof(prog)), program)) {
			size_t len = strlen(part);

			while (len > 0 && (part[len - 1] == ' ' || part[len - 1] == '\t'))
				len--;
			(void)snprintf(buf, size, "%.*s", (int)len, part);
			return buf;
		}
	}
	return NULL;
}

enum cmdline_stop cmdline_stops_unit(const char *command, const char *unit, unsigned pid)
{
	static const char *const stop_verbs[] = {
		"stop",
		"restart",
		"kill",
		"try-restart",
		"reload-or-restart",
		"try-reload-or-restart",
		"force-reload",
		NULL,
	};
	static const char *const now_verbs[] = { "disable", "mask", NULL };
	static const char *const system_verbs[] = { "poweroff", "reboot",    "halt",	"kexec",
						    "rescue",	"emergency", "isolate", NULL };
	static const char *const shutdown[] = { "shutdown", "poweroff", "reboot", "halt", NULL };
	char base[CMDLINE_NAME_MAX], svc[CMDLINE_NAME_MAX + 8], prog[CMDLINE_NAME_MAX], pid_s[16];
	const char *verb = NULL, *dot;
	bool named = false, now = false;
	struct words w;

	if (!command || !unit)
		return CMDLINE_STOP_NONE;
	/* "vaktd" and "vaktd.service" name the same unit. */
	dot = strstr(unit, ".service");
	(void)snprintf(
		base, sizeof(base), "%.*s", (int)(dot ? (size_t)(dot - unit) : strlen(unit)), unit);
	(void)snprintf(svc, sizeof(svc), "%s.service", base);
	(void)snprintf(pid_s, sizeof(pid_s), "%u", pid);
	split(command, &w);
	(void)cmdline_program(command, prog, sizeof(prog));
	if (is_any(prog, shutdown))
		return CMDLINE_STOP_SYSTEM;
	for (size_t i = 1; i < w.n; i++) {
		const char *a = w.w[i];

		if (streq(a, base) || streq(a, svc))
			named = true;
		else if (streq(a, "--now"))
			now = true;
		else if (!verb && a[0] != '-')
			verb = a;
	}
	if (streq(prog, "systemctl")) {
		if (verb && is_any(verb, system_verbs))
			return CMDLINE_STOP_SYSTEM;
		if (named && verb && (is_any(verb, stop_verbs) || (now && is_any(verb, now_verbs))))
			return CMDLINE_STOP_UNIT;
		return CMDLINE_STOP_NONE;
	}
	/* service vaktd stop; /etc/init.d/vaktd stop */
	if (streq(prog, "service") && w.n >= 3 && (streq(w.w[1], base) || streq(w.w[1], svc)))
		return is_any(w.w[2], stop_verbs) ? CMDLINE_STOP_UNIT : CMDLINE_STOP_NONE;
	if (streq(prog, base) && strstr(w.w[0], "init.d/") && w.n >= 2)
		return is_any(w.w[1], stop_verbs) ? CMDLINE_STOP_UNIT : CMDLINE_STOP_NONE;
	if ((streq(prog, "killall") || streq(prog, "pkill")) && named)
		return CMDLINE_STOP_UNIT;
	if (streq(prog, "kill") && pid > 0)
		for (size_t i = 1; i < w.n; i++)
			if (streq(w.w[i], pid_s))
				return CMDLINE_STOP_UNIT;
	return CMDLINE_STOP_NONE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
