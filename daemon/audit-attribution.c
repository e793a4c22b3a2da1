/*
 * Attribution caches. Audit session ids are assigned once per boot and never reused, so a cached
 * answer stays true; the tables are direct-mapped (slot = id % size) and a collision simply
 * replaces the older entry. Commands are a small ring, looked up by audit time (10 seconds).
 */

#include "audit-attribution.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "logind.h"

#define N_USERS		 256
#define N_SESSIONS	 1024
#define N_COMMANDS	 32
/* How long a command is remembered, in audit time. */
#define COMMAND_TTL_USEC (10 * USEC_PER_SEC)

struct user_slot {
	bool used;
	bool found;
	uint32_t uid;
	char name[64];
};

/* A command line seen in the stream, for records of the same process or session that lack it. */
struct command_slot {
	uint32_t pid, ses;
	uint64_t usec; /* audit time */
	char command[512];
};

struct session_slot {
	bool used;
	bool from_logind;
	uint32_t ses;
	char session[32];
	char seat[32];
	char tty[ATTRIBUTION_TTY_MAX];
	char remote_host[256];
	/* from login records of this audit session */
	char login_host[256];
	char login_tty[ATTRIBUTION_TTY_MAX];
};

struct attribution {
	bool live;
	struct logind *logind; /* borrowed; NULL in replay */
	struct user_slot users[N_USERS];
	struct user_slot groups[N_USERS];
	struct user_slot log_users[N_USERS]; /* replay: names the log itself gave (AUID=, UID=) */
	struct user_slot log_ids[N_USERS];   /* replay: names of id= fields the log gave (ID=) */
	struct session_slot sessions[N_SESSIONS];
	struct command_slot commands[N_COMMANDS];
	size_t commands_next;
	char found[512]; /* attribution_command()'s answer */
};

struct attribution *attribution_new(bool live, struct logind *logind)
{
	struct attribution *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->live = live;
	a->logind = logind;
	return a;
}

struct attribution *attribution_free(struct attribution *a)
{
	if (!a)
		return NULL;
	free(a);
	return NULL;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	(void)snprintf(dst, size, "%s", src ? src : "");
}

/* NSS: the user (or group) name of id on this machine, cached. */
static const char *nss_name(struct user_slot *table, uint32_t id, bool group)
{
	struct user_slot *s = &table[id % N_USERS];
	char buf[4096];

	if (s->used && s->uid == id)
		return s->found ? s->name : NULL;

	s->used = true;
	s->uid = id;
	if (group) {
		struct group gr, *result = NULL;

		s->found = getgrgid_r(id, &gr, buf, sizeof(buf), &result) == 0 && result;
		if (s->found)
			copy_str(s->name, sizeof(s->name), gr.gr_name);
	} else {
		struct passwd pw, *result = NULL;

		s->found = getpwuid_r(id, &pw, buf, sizeof(buf), &result) == 0 && result;
		if (s->found)
			copy_str(s->name, sizeof(s->name), pw.pw_name);
	}
	return s->found ? s->name : NULL;
}

static const char *learned(const struct user_slot *table, uint32_t id)
{
	const struct user_slot *s = &table[id % N_USERS];

	return s->used && s->found && s->uid == id ? s->name : NULL;
}

static void learn(struct user_slot *table, uint32_t id, const char *name)
{
	struct user_slot *s = &table[id % N_USERS];

	if (id == UINT32_MAX || !name || !*name || streq(name, "unset") || streq(name, "?"))
		return;
	*s = (struct user_slot){ .used = true, .found = true, .uid = id };
	copy_str(s->name, sizeof(s->name), name);
}

void attribution_learn_user(struct attribution *a, uint32_t uid, const char *name)
{
	learn(a->log_users, uid, name);
}

void attribution_learn_id(struct attribution *a, uint32_t id, const char *name)
{
	learn(a->log_ids, id, name);
}

const char *attribution_user_name(struct attribution *a, uint32_t uid, bool *ret_guessed)
{
	const char *name = a->live ? NULL : learned(a->log_users, uid);

	*ret_guessed = false;
	if (name)
		return name;
	name = nss_name(a->users, uid, false);
	/* Replaying another machine's log, this machine's name for the uid may be someone else. */
	*ret_guessed = name && !a->live;
	return name;
}

const char *
attribution_account_name(struct attribution *a, uint32_t id, bool group, bool *ret_guessed)
{
	const char *name = a->live ? NULL : learned(a->log_ids, id);

	*ret_guessed = false;
	if (name)
		return name;
	name = nss_name(group ? a->groups : a->users, id, group);
	*ret_guessed = name && !a->live;
	return name;
}

const char *attribution_tty(const char *tty, char buf[static ATTRIBUTION_TTY_MAX])
{
	if (!tty || !*tty || streq(tty, "?") || streq(tty, "(none)") || streq(tty, "none"))
		return NULL;
	if (strncmp(tty, "/dev/", 5) == 0)
		tty += 5;
	/* SYSCALL records name a pseudo terminal "pts0", PAM and logind "pts/0": one form. */
	if (strncmp(tty, "pts", 3) == 0 && isdigit((unsigned char)tty[3]))
		(void)snprintf(buf, ATTRIBUTION_TTY_MAX, "pts/%s", tty + 3);
	else
		(void)snprintf(buf, ATTRIBUTION_TTY_MAX, "%s", tty);
	return buf;
}

void attribution_remember_command(
	struct attribution *a, uint32_t pid, uint32_t ses, uint64_t usec, const char *command)
{
	struct command_slot *s;

	if (!command || !*command || pid == UINT32_MAX)
		return;
	s = &a->commands[a->commands_next];
	a->commands_next = (a->commands_next + 1) % N_COMMANDS;
	*s = (struct command_slot){ .pid = pid, .ses = ses, .usec = usec };
	copy_str(s->command, sizeof(s->command), command);
}

const char *attribution_command(
	struct attribution *a, uint32_t pid, uint32_t ses, const char *program, uint64_t usec)
{
	const struct command_slot *best = NULL;
	char found[sizeof(a->found)];

	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command_slot *s = &a->commands[i];

		/* strstr() first: most remembered commands do not mention the program at all. */
		if (!*s->command || s->usec + COMMAND_TTL_USEC < usec ||
		    !strstr(s->command, program) ||
		    !cmdline_find(s->command, program, found, sizeof(found)))
			continue;
		/* The process itself first; else the newest in its audit session (sudo runs the
		 * tool in a child process). */
		if (s->pid == pid) {
			best = s;
			break;
		}
		if (ses != UINT32_MAX && s->ses == ses && (!best || s->usec > best->usec))
			best = s;
	}
	if (!best)
		return NULL;
	return cmdline_find(best->command, program, a->found, sizeof(a->found));
}

bool attribution_known(const char *s)
{
	return s && *s && !streq(s, "?") && !streq(s, "(none)");
}

static struct session_slot *session_slot(struct attribution *a, uint32_t ses, bool create)
{
	struct session_slot *s = &a->sessions[ses % N_SESSIONS];

	if (s->used && s->ses == ses)
		return s;
	if (!create)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->ses = ses;
	return s;
}

void attribution_remember_login(struct attribution *a,
				uint32_t ses,
				const char *hostname,
				const char *addr,
				const char *terminal)
{
	struct session_slot *s;
	char tty[ATTRIBUTION_TTY_MAX];

	if (ses == UINT32_MAX)
		return;
	s = session_slot(a, ses, true);
	/* Remote only with an address: hostname= alone may be this machine's own name. A name the
	 * client gave is more useful than the address. */
	if (attribution_known(addr))
		copy_str(s->login_host,
			 sizeof(s->login_host),
			 attribution_known(hostname) ? hostname : addr);
	if (attribution_tty(terminal, tty))
		copy_str(s->login_tty, sizeof(s->login_tty), tty);
}

/* What logind's table says about audit session ses, copied into its slot: kept after the session
 * ends, for events that arrive late. */
static void from_logind(struct attribution *a, uint32_t ses)
{
	const struct logind_session *ls;
	struct session_slot *s;
	char tty[ATTRIBUTION_TTY_MAX];

	if (!a->logind)
		return;
	ls = logind_session_by_audit(a->logind, ses);
	if (!ls)
		return;
	s = session_slot(a, ses, true);
	s->from_logind = true;
	copy_str(s->session, sizeof(s->session), ls->id);
	copy_str(s->seat, sizeof(s->seat), ls->seat);
	copy_str(s->tty, sizeof(s->tty), attribution_tty(ls->tty, tty));
	copy_str(s->remote_host, sizeof(s->remote_host), ls->remote_host);
}

void attribution_place(struct attribution *a, uint32_t ses, struct attribution_place *ret_place)
{
	struct session_slot *s;

	*ret_place = (struct attribution_place){};
	if (ses == UINT32_MAX)
		return;
	s = session_slot(a, ses, false);
	if (!s || !s->from_logind) {
		from_logind(a, ses);
		s = session_slot(a, ses, false);
	}
	if (!s)
		return;
	if (s->from_logind) {
		ret_place->session = s->session;
		ret_place->seat = *s->seat ? s->seat : NULL;
		ret_place->tty = *s->tty ? s->tty : NULL;
		ret_place->remote_host = *s->remote_host ? s->remote_host : NULL;
	}
	if (!ret_place->tty && *s->login_tty)
		ret_place->tty = s->login_tty;
	if (!ret_place->remote_host && *s->login_host)
		ret_place->remote_host = s->login_host;
}

/* The unit in a cgroup path: the deepest component naming a unit other than a slice. */
static int unit_from_cgroup_path(const char *path, char **ret_unit)
{
	static const char *const suffixes[] = {
		".service", ".scope", ".socket", ".mount", ".swap"
	};
	const char *best = NULL;
	size_t best_len = 0;

	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/\n");

		for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
			size_t k = strlen(suffixes[i]);

			if (n > k && strncmp(p + n - k, suffixes[i], k) == 0) {
				best = p;
				best_len = n;
			}
		}
		p += n;
		if (*p != '/')
			break;
		p++;
	}
	if (!best)
		return -ENOENT;
	*ret_unit = strndup(best, best_len);
	return *ret_unit ? 0 : -ENOMEM;
}

int attribution_unit(struct attribution *a, pid_t pid, char **ret_unit)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[1024];

	if (!a->live || pid <= 0)
		return -ENOENT;
	(void)snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		/* cgroup v2: "0::/system.slice/cron.service"; v1: name=systemd hierarchy. */
		const char *p = strstr(line, "::/");

		if (!p) {
			p = strstr(line, ":name=systemd:/");
			if (!p)
				continue;
			p = strchr(p + 1, ':');
		}
		p = strchr(p, '/');
		if (p && unit_from_cgroup_path(p + 1, ret_unit) == 0)
			return 0;
	}
	return -ENOENT;
}
