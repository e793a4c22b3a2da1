/*
 * Attribution caches. Audit session ids are assigned once per boot and never reused, so a cached
 * answer stays true; the tables are direct-mapped (slot = id % size) and a collision simply
 * replaces the older entry.
 */

#include "audit-attribution.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logind.h"

#define N_USERS	   256
#define N_SESSIONS 1024

struct user_slot {
	bool used;
	bool found;
	uint32_t uid;
	char name[64];
};

struct session_slot {
	bool used;
	bool from_logind;
	uint32_t ses;
	char session[32];
	char seat[32];
	char tty[32];
	char remote_host[256];
	/* from login records of this audit session */
	char login_host[256];
	char login_tty[32];
};

struct attribution {
	bool live;
	struct logind *logind; /* borrowed; NULL in replay */
	struct user_slot users[N_USERS];
	struct session_slot sessions[N_SESSIONS];
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

const char *attribution_user_name(struct attribution *a, uint32_t uid)
{
	struct user_slot *s = &a->users[uid % N_USERS];
	struct passwd pw, *result = NULL;
	char buf[4096];

	if (s->used && s->uid == uid)
		return s->found ? s->name : NULL;

	s->used = true;
	s->uid = uid;
	s->found = getpwuid_r(uid, &pw, buf, sizeof(buf), &result) == 0 && result;
	if (s->found)
		copy_str(s->name, sizeof(s->name), pw.pw_name);
	return s->found ? s->name : NULL;
}

const char *attribution_tty(const char *tty)
{
	if (!tty || !*tty || streq(tty, "?") || streq(tty, "(none)") || streq(tty, "none"))
		return NULL;
	if (strncmp(tty, "/dev/", 5) == 0)
		return tty + 5;
	return tty;
}

static bool known(const char *s)
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

	if (ses == UINT32_MAX)
		return;
	s = session_slot(a, ses, true);
	/* A name the client gave is more useful than an address, unless it is just the address. */
	if (known(hostname))
		copy_str(s->login_host, sizeof(s->login_host), hostname);
	else if (known(addr))
		copy_str(s->login_host, sizeof(s->login_host), addr);
	if (attribution_tty(terminal))
		copy_str(s->login_tty, sizeof(s->login_tty), attribution_tty(terminal));
}

/* What logind's table says about audit session ses, copied into its slot: kept after the session
 * ends, for events that arrive late. */
static void from_logind(struct attribution *a, uint32_t ses)
{
	const struct logind_session *ls;
	struct session_slot *s;

	if (!a->logind)
		return;
	ls = logind_session_by_audit(a->logind, ses);
	if (!ls)
		return;
	s = session_slot(a, ses, true);
	s->from_logind = true;
	copy_str(s->session, sizeof(s->session), ls->id);
	copy_str(s->seat, sizeof(s->seat), ls->seat);
	copy_str(s->tty, sizeof(s->tty), attribution_tty(ls->tty));
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
