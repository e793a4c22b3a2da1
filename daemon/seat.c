#include "seat.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "strv.h"

#define LOGIN1_SERVICE	      "org.freedesktop.login1"
#define LOGIN1_PATH	      "/org/freedesktop/login1"
#define LOGIN1_MANAGER	      "org.freedesktop.login1.Manager"
#define LOGIN1_SEAT	      "org.freedesktop.login1.Seat"
#define LOGIN1_SESSION	      "org.freedesktop.login1.Session"
/* A device decision waits at most this long for logind; then the seat counts as empty. */
#define SEAT_BUS_TIMEOUT_USEC (500 * USEC_PER_MSEC)
#define SEAT_MAX_GROUPS	      1024

struct seat_bus {
	sd_bus *bus;
};

void seat_person_done(struct seat_person *p)
{
	if (!p)
		return;
	free(p->user);
	free(p->session);
	free(p->seat);
	free(p->tty);
	free(p->remote_host);
	strv_free(p->groups);
	*p = (struct seat_person){ 0 };
}

struct seat_bus *seat_bus_new(void)
{
	return calloc(1, sizeof(struct seat_bus));
}

struct seat_bus *seat_bus_free(struct seat_bus *b)
{
	if (!b)
		return NULL;
	sd_bus_flush_close_unref(b->bus);
	free(b);
	return NULL;
}

static int seat_bus_connect(struct seat_bus *b)
{
	int r;

	if (b->bus && sd_bus_is_open(b->bus) > 0)
		return 0;
	b->bus = sd_bus_flush_close_unref(b->bus);
	r = sd_bus_open_system(&b->bus);
	if (r < 0)
		return r;
	(void)sd_bus_set_method_call_timeout(b->bus, SEAT_BUS_TIMEOUT_USEC);
	return 0;
}

/* Group names of user (primary gid first). Returns 0 and *ret, or -errno. */
static int user_groups(const char *user, gid_t gid, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ gid_t *gids = NULL;
	int n = SEAT_MAX_GROUPS;

	gids = calloc((size_t)n, sizeof(gid_t));
	if (!gids)
		return -ENOMEM;
	if (getgrouplist(user, gid, gids, &n) < 0)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		const struct group *g = getgrgid(gids[i]);
		int r;

		if (!g || !g->gr_name || strv_contains(names, g->gr_name))
			continue;
		r = strv_extend(&names, g->gr_name);
		if (r < 0)
			return r;
	}
	if (!names) {
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(names);
	return 0;
}

static int dup_string(sd_bus_message *reply, char **dst)
{
	const char *s;
	int r;

	r = sd_bus_message_read(reply, "v", "s", &s);
	if (r < 0)
		return r;
	free(*dst);
	*dst = s[0] ? strdup(s) : NULL;
	return s[0] && !*dst ? -ENOMEM : 0;
}

/* One property of Session.GetAll: the ones vakt records; skips the rest. */
static int read_session_property(sd_bus_message *reply, const char *name, struct seat_person *p)
{
	int b = 0, r;

	if (streq(name, "Name"))
		return dup_string(reply, &p->user);
	if (streq(name, "Id"))
		return dup_string(reply, &p->session);
	if (streq(name, "TTY"))
		return dup_string(reply, &p->tty);
	if (streq(name, "RemoteHost"))
		return dup_string(reply, &p->remote_host);
	if (streq(name, "User")) {
		uint32_t uid;
		const char *path;

		r = sd_bus_message_read(reply, "v", "(uo)", &uid, &path);
		if (r >= 0)
			p->uid = (uid_t)uid;
		return r;
	}
	if (streq(name, "LockedHint") || streq(name, "Remote")) {
		r = sd_bus_message_read(reply, "v", "b", &b);
		if (r < 0)
			return r;
		if (streq(name, "LockedHint"))
			p->locked = b;
		else
			p->remote = b;
		return 0;
	}
	return sd_bus_message_skip(reply, "v");
}

static int read_session(sd_bus *bus, const char *path, struct seat_person *p)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(bus,
			       LOGIN1_SERVICE,
			       path,
			       "org.freedesktop.DBus.Properties",
			       "GetAll",
			       &error,
			       &reply,
			       "s",
			       LOGIN1_SESSION);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	for (;;) {
		const char *name;

		r = sd_bus_message_enter_container(reply, 'e', "sv");
		if (r < 0)
			return r;
		if (r == 0)
			break;
		r = sd_bus_message_read(reply, "s", &name);
		if (r < 0)
			return r;
		r = read_session_property(reply, name, p);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	return sd_bus_message_exit_container(reply);
}

/* Object path of the active session of seat, "" when none. */
static int active_session_path(sd_bus *bus, const char *seat, char **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *seat_path = NULL;
	const char *path, *id;
	int r;

	r = sd_bus_call_method(bus,
			       LOGIN1_SERVICE,
			       LOGIN1_PATH,
			       LOGIN1_MANAGER,
			       "GetSeat",
			       &error,
			       &reply,
			       "s",
			       seat);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	seat_path = strdup(path);
	if (!seat_path)
		return -ENOMEM;
	reply = sd_bus_message_unref(reply);

	r = sd_bus_get_property(bus,
				LOGIN1_SERVICE,
				seat_path,
				LOGIN1_SEAT,
				"ActiveSession",
				&error,
				&reply,
				"(so)");
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "(so)", &id, &path);
	if (r < 0)
		return r;
	*ret = strdup(id[0] ? path : "");
	return *ret ? 0 : -ENOMEM;
}

void seat_bus_lookup(struct seat_bus *b,
		     const char *seat_id,
		     struct seat_person *ret,
		     const char **reterr_why)
{
	struct seat_person p = { 0 };
	_cleanup_free_ char *path = NULL;
	const char *why = NULL;
	const struct passwd *pw;
	int r;

	p.seat = strdup(seat_id && seat_id[0] ? seat_id : "seat0");
	r = seat_bus_connect(b);
	if (r < 0) {
		why = "cannot connect to the system bus";
		goto nobody;
	}
	r = active_session_path(b->bus, p.seat, &path);
	if (r < 0) {
		why = "cannot ask logind for the seat's active session";
		/* A broken connection is reopened next time. */
		if (sd_bus_is_open(b->bus) <= 0)
			b->bus = sd_bus_flush_close_unref(b->bus);
		goto nobody;
	}
	if (path[0] == '\0')
		goto nobody;
	r = read_session(b->bus, path, &p);
	if (r < 0 || !p.user) {
		why = "cannot read the active session from logind";
		goto nobody;
	}
	p.present = true;

	/* Groups decide read-write or read-only: from NSS, as the login would have them. */
	pw = getpwnam(p.user);
	if (pw && pw->pw_uid == p.uid)
		(void)user_groups(p.user, pw->pw_gid, &p.groups);
	*ret = p;
	if (reterr_why)
		*reterr_why = NULL;
	return;

nobody : {
	char *seat = TAKE_PTR(p.seat);

	seat_person_done(&p);
	p.seat = seat;
}
	*ret = p;
	if (reterr_why)
		*reterr_why = why;
}
