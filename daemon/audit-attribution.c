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

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "log.h"

#define N_USERS		   256
#define N_SESSIONS	   1024
#define BUS_RETRY_USEC	   (60 * USEC_PER_SEC)
#define LOGIND_RETRY_USEC  (10 * USEC_PER_SEC)
#define SESSION_RETRY_USEC USEC_PER_SEC
#define BUS_TIMEOUT_USEC   (300 * USEC_PER_MSEC)

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
	uint64_t asked_usec; /* when logind last did not know this session, 0 = never */
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
	sd_bus *bus;
	uint64_t bus_failed_usec;    /* when opening the bus last failed, 0 = never */
	uint64_t logind_failed_usec; /* when logind last failed to answer, 0 = never */
	struct user_slot users[N_USERS];
	struct session_slot sessions[N_SESSIONS];
};

struct attribution *attribution_new(bool live)
{
	struct attribution *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->live = live;
	return a;
}

struct attribution *attribution_free(struct attribution *a)
{
	if (!a)
		return NULL;
	/* No flush: nothing we send must arrive, and flushing waits for a stuck bus. */
	sd_bus_close_unref(a->bus);
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

/* Reads one logind Session's properties (GetAll reply) into the slot of its audit session. */
static int read_session(struct attribution *a, sd_bus_message *m)
{
	const char *id = NULL, *tty = NULL, *remote = NULL, *seat = NULL;
	uint32_t audit = 0;
	struct session_slot *s;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *name;

		r = sd_bus_message_read(m, "s", &name);
		if (r < 0)
			return r;
		if (streq(name, "Id"))
			r = sd_bus_message_read(m, "v", "s", &id);
		else if (streq(name, "TTY"))
			r = sd_bus_message_read(m, "v", "s", &tty);
		else if (streq(name, "RemoteHost"))
			r = sd_bus_message_read(m, "v", "s", &remote);
		else if (streq(name, "Audit"))
			r = sd_bus_message_read(m, "v", "u", &audit);
		else if (streq(name, "Seat"))
			r = sd_bus_message_read(m, "v", "(so)", &seat, NULL);
		else
			r = sd_bus_message_skip(m, "v");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (audit == 0 || audit == UINT32_MAX || !id)
		return 0;

	s = session_slot(a, audit, true);
	s->from_logind = true;
	copy_str(s->session, sizeof(s->session), id);
	copy_str(s->seat, sizeof(s->seat), seat);
	copy_str(s->tty, sizeof(s->tty), attribution_tty(tty));
	copy_str(s->remote_host, sizeof(s->remote_host), remote);
	return 1;
}

static int open_bus(struct attribution *a, uint64_t now_usec)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (a->bus)
		return 0;
	if (a->bus_failed_usec != 0 && now_usec - a->bus_failed_usec < BUS_RETRY_USEC)
		return -ENOTCONN;
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = bus_wait_ready(bus, monotonic_usec() + BUS_TIMEOUT_USEC);
	if (r < 0) {
		a->bus_failed_usec = now_usec ? now_usec : 1;
		log_debug_errno(r, "Cannot connect to the system bus, sessions unknown: %m");
		return r;
	}
	(void)sd_bus_set_method_call_timeout(bus, BUS_TIMEOUT_USEC);
	a->bus = TAKE_PTR(bus);
	return 0;
}

/* Whether logind session id is cached already (its properties never change what we use). */
static bool logind_session_known(const struct attribution *a, const char *id)
{
	for (size_t i = 0; i < N_SESSIONS; i++)
		if (a->sessions[i].from_logind && streq(a->sessions[i].session, id))
			return true;
	return false;
}

/* Logs a failed call and forgets a connection that closed. Returns r. */
static int call_failed(struct attribution *a, int r, sd_bus_error *error, const char *what)
{
	if (sd_bus_error_is_set(error))
		log_debug("Cannot %s: %s", what, error->message ? error->message : error->name);
	else
		log_debug_errno(r, "Cannot %s: %m", what);
	sd_bus_error_free(error);
	if (sd_bus_is_open(a->bus) <= 0)
		a->bus = sd_bus_close_unref(a->bus);
	return r;
}

/* Asks logind for its sessions and caches those not cached yet that have an audit session id.
 * Returns 0, or -errno when logind did not answer. */
static int refresh_logind(struct attribution *a, uint64_t now_usec)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *list = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *id, *path;
	int r;

	r = open_bus(a, now_usec);
	if (r < 0)
		return r;
	r = sd_bus_call_method(a->bus,
			       "org.freedesktop.login1",
			       "/org/freedesktop/login1",
			       "org.freedesktop.login1.Manager",
			       "ListSessions",
			       &error,
			       &list,
			       NULL);
	if (r < 0)
		return call_failed(a, r, &error, "list logind sessions");
	r = sd_bus_message_enter_container(list, 'a', "(susso)");
	while (r >= 0 && sd_bus_message_read(list, "(susso)", &id, NULL, NULL, NULL, &path) > 0) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *props = NULL;

		if (logind_session_known(a, id))
			continue;
		r = sd_bus_call_method(a->bus,
				       "org.freedesktop.login1",
				       path,
				       "org.freedesktop.DBus.Properties",
				       "GetAll",
				       &error,
				       &props,
				       "s",
				       "org.freedesktop.login1.Session");
		if (r < 0) {
			/* A session may end between the list and the question; a stuck logind
			 * would make every further question wait as long. */
			(void)call_failed(a, r, &error, "read a logind session");
			if (r == -ETIMEDOUT || !a->bus)
				return r;
		} else if (read_session(a, props) < 0)
			log_debug("Cannot parse the properties of logind session '%s'.", path);
		r = 0;
	}
	return 0;
}

/* Whether to ask logind about audit session ses (cached in s, or NULL). Each unknown audit
 * session is asked about when it is first seen, so that a session that logged in a moment ago is
 * found; then at most every SESSION_RETRY_USEC. A logind that failed to answer is left alone
 * for LOGIND_RETRY_USEC. */
static bool should_ask(const struct attribution *a, const struct session_slot *s, uint64_t now)
{
	if (!a->live || (s && s->from_logind))
		return false;
	if (a->logind_failed_usec != 0 && now - a->logind_failed_usec < LOGIND_RETRY_USEC)
		return false;
	return !s || s->asked_usec == 0 || now - s->asked_usec >= SESSION_RETRY_USEC;
}

void attribution_place(struct attribution *a,
		       uint32_t ses,
		       uint64_t now_usec,
		       struct attribution_place *ret_place)
{
	uint64_t stamp = now_usec ? now_usec : 1;
	struct session_slot *s;

	*ret_place = (struct attribution_place){};
	if (ses == UINT32_MAX)
		return;
	s = session_slot(a, ses, false);
	if (should_ask(a, s, now_usec)) {
		if (refresh_logind(a, now_usec) < 0)
			a->logind_failed_usec = stamp;
		s = session_slot(a, ses, true);
		if (!s->from_logind)
			s->asked_usec = stamp;
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
