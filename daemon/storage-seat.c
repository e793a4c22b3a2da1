#include "storage-seat.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "log.h"
#include "strv.h"

#define LOGIN1_SERVICE	"org.freedesktop.login1"
#define LOGIN1_PATH	"/org/freedesktop/login1"
#define LOGIN1_MANAGER	"org.freedesktop.login1.Manager"
#define LOGIN1_SEAT	"org.freedesktop.login1.Seat"
#define LOGIN1_SESSION	"org.freedesktop.login1.Session"
#define PROPERTIES	"org.freedesktop.DBus.Properties"
#define SEAT_MAX_GROUPS 1024
/* A lost or missing bus is tried again this often in the background. */
#define SEAT_RETRY_USEC (5 * USEC_PER_SEC)
/* Any seat's ActiveSession changed (logind emits it with the new value). */
#define SEAT_MATCH                                                              \
	"type='signal',sender='" LOGIN1_SERVICE "',interface='" PROPERTIES "'," \
	"member='PropertiesChanged',path_namespace='" LOGIN1_PATH "/seat',arg0='" LOGIN1_SEAT "'"

struct seat_bus {
	sd_bus *bus;
	sd_event *event;	/* borrowed; NULL: no signals, no retry timer */
	sd_event_source *retry; /* pending reconnect */
	sd_event_source *exit;	/* closes the bus before sd-bus's own exit handler flushes it */
	seat_changed_fn changed;
	void *userdata;
	uint64_t quiet_until; /* CLOCK_MONOTONIC: after a timeout, no bus calls before this */
	bool failing;	      /* the last lookup could not ask logind (logged once) */
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

static bool streq_null(const char *a, const char *b)
{
	return a == b || (a && b && streq(a, b));
}

bool seat_person_same_session(const struct seat_person *a, const struct seat_person *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || (streq_null(a->session, b->session) && streq_null(a->user, b->user));
}

struct seat_bus *seat_bus_free(struct seat_bus *b)
{
	if (!b)
		return NULL;
	b->retry = sd_event_source_disable_unref(b->retry);
	b->exit = sd_event_source_disable_unref(b->exit);
	/* No flush: a stopped bus daemon must not hold up vaktd's exit. */
	b->bus = sd_bus_close_unref(b->bus);
	free(b);
	return NULL;
}

static int seat_bus_connect(struct seat_bus *b);

static int on_retry(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct seat_bus *b = userdata;

	(void)source;
	(void)usec;
	b->retry = sd_event_source_unref(b->retry);
	/* Whatever changed while the bus was away is looked at again. */
	if (seat_bus_connect(b) >= 0 && b->changed)
		b->changed(b->userdata);
	return 0;
}

static void schedule_retry(struct seat_bus *b)
{
	int r;

	if (!b->event || b->retry)
		return;
	r = sd_event_add_time_relative(
		b->event, &b->retry, CLOCK_MONOTONIC, SEAT_RETRY_USEC, 0, on_retry, b);
	if (r < 0)
		log_warning_errno(r, "Cannot schedule a reconnect to the system bus, ignoring: %m");
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct seat_bus *b = userdata;

	(void)error;
	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") > 0)
		schedule_retry(b);
	return 0;
}

static int on_seat_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct seat_bus *b = userdata;

	(void)m;
	(void)error;
	if (b->changed)
		b->changed(b->userdata);
	return 0;
}

static int system_bus_address(const char **ret)
{
	const char *e = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");

	*ret = e && e[0] ? e : "unix:path=/run/dbus/system_bus_socket";
	return 0;
}

/*
 * Whether the bus at address is certainly absent: a single "unix:path=" socket that does not
 * exist. One access() instead of creating, configuring and connecting a socket on every USB
 * decision while there is no bus. Anything else is left to sd_bus_start() to find out.
 */
static bool bus_socket_missing(const char *address)
{
	static const char prefix[] = "unix:path=";
	const char *path;

	if (strncmp(address, prefix, sizeof(prefix) - 1) != 0)
		return false;
	path = address + sizeof(prefix) - 1;
	if (!path[0] || strpbrk(path, ",;%"))
		return false; /* more keys, more addresses, or escapes */
	return access(path, F_OK) < 0 && errno == ENOENT;
}

/* (Re)connects without waiting: the connection completes in the event loop or in
 * bus_wait_ready(). The method call timeout is set before the start, so Hello is bounded too. */
static int seat_bus_connect(struct seat_bus *b)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
	const char *address;
	int r;

	if (b->bus && sd_bus_is_open(b->bus) > 0)
		return 0;
	b->bus = sd_bus_close_unref(b->bus);
	(void)system_bus_address(&address);
	if (bus_socket_missing(address)) {
		/* What connect() would say. */
		schedule_retry(b);
		return -ENOENT;
	}
	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	(void)sd_bus_set_description(bus, "vakt-seat");
	r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_set_method_call_timeout(bus, SEAT_LOOKUP_TIMEOUT_USEC);
	if (r >= 0)
		r = sd_bus_add_filter(bus, NULL, on_message, b);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0 && b->event)
		r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0 && b->event)
		r = sd_bus_add_match_async(bus, NULL, SEAT_MATCH, on_seat_changed, NULL, b);
	if (r < 0) {
		schedule_retry(b);
		return r;
	}
	b->bus = TAKE_PTR(bus);
	return 0;
}

/*
 * sd_bus_attach_event() adds an exit handler that flushes the bus, and sd_bus_flush() first waits
 * for the connection to finish authenticating: with a stopped bus daemon vaktd would not exit.
 * This handler runs before it (higher priority) and closes the connection without flushing.
 */
static int on_event_exit(sd_event_source *source, void *userdata)
{
	struct seat_bus *b = userdata;

	(void)source;
	b->retry = sd_event_source_disable_unref(b->retry);
	b->bus = sd_bus_close_unref(b->bus);
	return 0;
}

struct seat_bus *seat_bus_new(sd_event *event, seat_changed_fn changed, void *userdata)
{
	struct seat_bus *b = calloc(1, sizeof(struct seat_bus));

	if (!b)
		return NULL;
	b->event = event;
	b->changed = changed;
	b->userdata = userdata;
	if (event) {
		int r = sd_event_add_exit(event, &b->exit, on_event_exit, b);

		if (r >= 0)
			r = sd_event_source_set_priority(b->exit, SD_EVENT_PRIORITY_IMPORTANT);
		if (r < 0) {
			sd_event_source_unref(b->exit);
			free(b);
			return NULL;
		}
	}
	/* Early, so that signals are subscribed to before the first decision. A failure is
	 * retried (schedule_retry()) and reported by the first lookup that needs the bus. */
	(void)seat_bus_connect(b);
	return b;
}

/* One method call to logind that returns by deadline at the latest. */
static int call(sd_bus *bus,
		uint64_t deadline,
		sd_bus_message *m,
		sd_bus_error *error,
		sd_bus_message **ret_reply)
{
	uint64_t n = monotonic_usec();

	if (n >= deadline)
		return -ETIMEDOUT;
	return sd_bus_call(bus, m, deadline - n, error, ret_reply);
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

static int read_session(sd_bus *bus, uint64_t deadline, const char *path, struct seat_person *p)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, LOGIN1_SERVICE, path, PROPERTIES, "GetAll");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "s", LOGIN1_SESSION);
	if (r < 0)
		return r;
	r = call(bus, deadline, m, &error, &reply);
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

/* Object path of seat's object; -ENXIO when logind knows no such seat. */
static int seat_path(sd_bus *bus, uint64_t deadline, const char *seat, char **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *path;
	int r;

	r = sd_bus_message_new_method_call(
		bus, &m, LOGIN1_SERVICE, LOGIN1_PATH, LOGIN1_MANAGER, "GetSeat");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "s", seat);
	if (r < 0)
		return r;
	r = call(bus, deadline, m, &error, &reply);
	if (r < 0)
		return sd_bus_error_has_name(&error, "org.freedesktop.login1.NoSuchSeat") ? -ENXIO
											  : r;
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	*ret = strdup(path);
	return *ret ? 0 : -ENOMEM;
}

/* Object path of the active session of seat, "" when none. */
static int active_session_path(sd_bus *bus, uint64_t deadline, const char *seat, char **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = NULL;
	const char *id, *session;
	int r;

	r = seat_path(bus, deadline, seat, &path);
	if (r == -ENXIO) {
		/* No such seat (yet): nobody is at it. */
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_call(bus, &m, LOGIN1_SERVICE, path, PROPERTIES, "Get");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "ss", LOGIN1_SEAT, "ActiveSession");
	if (r < 0)
		return r;
	r = call(bus, deadline, m, &error, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "v", "(so)", &id, &session);
	if (r < 0)
		return r;
	*ret = strdup(id[0] ? session : "");
	return *ret ? 0 : -ENOMEM;
}

/* The session at seat into *p (present set when there is one). Returns 0, or -errno with
 * *ret_why. */
static int lookup(struct seat_bus *b, struct seat_person *p, const char **ret_why)
{
	uint64_t deadline = monotonic_usec() + SEAT_LOOKUP_TIMEOUT_USEC;
	_cleanup_free_ char *path = NULL;
	const struct passwd *pw;
	int r;

	r = seat_bus_connect(b);
	if (r >= 0)
		r = bus_wait_ready(b->bus, deadline);
	if (r < 0) {
		*ret_why = "cannot connect to the system bus";
		return r;
	}
	r = active_session_path(b->bus, deadline, p->seat, &path);
	if (r < 0) {
		*ret_why = "cannot ask logind for the seat's active session";
		return r;
	}
	if (path[0] == '\0')
		return 0;
	r = read_session(b->bus, deadline, path, p);
	if (r >= 0 && !p->user)
		r = -EBADMSG;
	if (r < 0) {
		*ret_why = "cannot read the active session from logind";
		return r;
	}
	p->present = true;

	/* Groups decide read-write or read-only: from NSS, as the login would have them. */
	pw = getpwnam(p->user);
	if (pw && pw->pw_uid == p->uid)
		(void)user_groups(p->user, pw->pw_gid, &p->groups);
	return 0;
}

void seat_bus_lookup(struct seat_bus *b,
		     const char *seat_id,
		     struct seat_person *ret,
		     const char **reterr_why)
{
	struct seat_person p = { 0 };
	const char *why = NULL;
	int r = 0;

	p.seat = strdup(seat_id && seat_id[0] ? seat_id : "seat0");
	if (!p.seat)
		why = "out of memory";
	else if (monotonic_usec() < b->quiet_until)
		why = "logind did not answer in time a moment ago";
	else
		r = lookup(b, &p, &why);

	if (r < 0) {
		if (r == -ETIMEDOUT)
			/* Don't make every device of a hub wait for a hung logind. */
			b->quiet_until = monotonic_usec() + SEAT_BACKOFF_USEC;
		if (!b->failing)
			log_warning_errno(r,
					  "Cannot tell who is at the seat (%s): %m; USB storage is "
					  "decided as if nobody were there until logind answers.",
					  why);
		b->failing = true;
	} else if (!why && b->failing) {
		log_info("logind answers again; USB storage decisions see the person at the seat.");
		b->failing = false;
	}
	if (r < 0 || !p.present) {
		char *seat = TAKE_PTR(p.seat);

		seat_person_done(&p);
		p.seat = seat;
	}
	*ret = p;
	if (reterr_why)
		*reterr_why = why;
}
