/*
 * The logind client's connection: one sd-bus connection, the resync, the signals that keep the
 * table current and the asynchronous calls. The table itself is in logind-table.c, the states
 * (DOWN, WAITING, SYNCING, READY) are described in logind-internal.h.
 *
 * Every change of owner and every loss goes through forget(): it bumps the generation, cancels
 * the table's own calls and clears the table, so an answer meant for an older table is never
 * applied (the generation check on each answer is the second line of that defence). Parts' own
 * calls are not cancelled: each gets its answer (or an error) exactly once.
 *
 * Ordering: the bus delivers one sender's messages in the order it sent them, and logind's
 * replies and signals come from one connection. So an answer or signal that arrives later
 * describes a later state, and the table applies everything in arrival order. This is also why
 * one GetAll in flight for a session serves a later invalidation: if its answer had been
 * computed before the change, it would have arrived before the change's signal. The same holds
 * for the bus's GetNameOwner answer and NameOwnerChanged.
 */

#include "logind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "logind-internal.h"

#define BUS_SERVICE	"org.freedesktop.DBus"
#define BUS_PATH	"/org/freedesktop/DBus"
#define LOCAL_INTERFACE "org.freedesktop.DBus.Local"
#define PROPERTIES	"org.freedesktop.DBus.Properties"
#define LOGIN1_SERVICE	"org.freedesktop.login1"
#define LOGIN1_PATH	"/org/freedesktop/login1"
#define LOGIN1_MANAGER	"org.freedesktop.login1.Manager"
#define LOGIN1_SESSION	"org.freedesktop.login1.Session"
#define LOGIN1_SEAT	"org.freedesktop.login1.Seat"

#define LOGIN1_SIGNAL(member)                                          \
	"type='signal',sender='" LOGIN1_SERVICE "',path='" LOGIN1_PATH \
	"',interface='" LOGIN1_MANAGER "',member='" member "'"
#define LOGIN1_CHANGED(kind, iface)                                        \
	"type='signal',sender='" LOGIN1_SERVICE "',interface='" PROPERTIES \
	"',member='PropertiesChanged',path_namespace='" LOGIN1_PATH "/" kind "',arg0='" iface "'"

/* Installed asynchronously; sd-bus closes the connection when one cannot be installed (the
 * default install callback), and the reconnect starts over. */
static const char *const matches[] = {
	"type='signal',sender='" BUS_SERVICE "',path='" BUS_PATH "',interface='" BUS_SERVICE
	"',member='NameOwnerChanged',arg0='" LOGIN1_SERVICE "'",
	LOGIN1_SIGNAL("SessionNew"),
	LOGIN1_SIGNAL("SessionRemoved"),
	LOGIN1_SIGNAL("SeatNew"),
	LOGIN1_SIGNAL("SeatRemoved"),
	LOGIN1_SIGNAL("PrepareForSleep"),
	LOGIN1_CHANGED("session", LOGIN1_SESSION),
	LOGIN1_CHANGED("seat", LOGIN1_SEAT),
};

static void *mfree(void *p)
{
	free(p);
	return NULL;
}

static const char *strna(const char *s)
{
	return s ? s : "n/a";
}

enum call_kind {
	CALL_OWNER,	    /* GetNameOwner(login1) */
	CALL_LIST_SESSIONS, /* the table's own calls, cancelled by forget() */
	CALL_LIST_SEATS,
	CALL_SESSION, /* GetAll of a session */
	CALL_SEAT,    /* GetAll of a seat */
	CALL_REFRESH, /* the public calls, answered even across forget() */
	CALL_METHOD,
	CALL_INHIBIT,
};

struct logind_call {
	struct logind *l;
	sd_bus_slot *slot;
	enum call_kind kind;
	uint64_t generation; /* l->generation when sent */
	bool sync;	     /* one of the answers the resync of that generation waits for */
	char *id;	     /* CALL_SESSION, CALL_SEAT, CALL_REFRESH: the object's id */
	logind_reply_fn reply;
	logind_inhibit_fn inhibit;
	void *userdata;
	struct logind_call *prev, *next;
};

/* ---- calls ----------------------------------------------------------------------------- */

/* The table's own calls: cancelled whenever the table is cleared. */
static bool call_is_table(const struct logind_call *c)
{
	return c->kind == CALL_LIST_SESSIONS || c->kind == CALL_LIST_SEATS ||
	       c->kind == CALL_SESSION || c->kind == CALL_SEAT;
}

/* The calls parts made: always answered, unless cancelled or at exit. */
static bool call_is_public(const struct logind_call *c)
{
	return c->kind == CALL_REFRESH || c->kind == CALL_METHOD || c->kind == CALL_INHIBIT;
}

static struct logind_call *call_free(struct logind_call *c)
{
	if (!c)
		return NULL;
	/* Cancels the reply callback if it has not run. */
	sd_bus_slot_unref(c->slot);
	free(c->id);
	free(c);
	return NULL;
}

static struct logind_call *call_new(struct logind *l, enum call_kind kind, const char *id)
{
	struct logind_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->l = l;
	c->kind = kind;
	c->generation = l->generation;
	c->sync = call_is_table(c) && l->state == LOGIND_SYNCING;
	if (id) {
		c->id = strdup(id);
		if (!c->id)
			return call_free(c);
	}
	return c;
}

static void call_unlink(struct logind *l, struct logind_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

/*
 * Sends member(types...) to path and interface of logind (of the bus for CALL_OWNER); c
 * (consumed: freed on failure, NULL means OOM) is answered in on_reply() within
 * LOGIND_CALL_TIMEOUT_USEC.
 */
static int call_send(struct logind *l,
		     struct logind_call *c,
		     const char *path,
		     const char *interface,
		     const char *member,
		     const char *types,
		     ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	if (!c)
		return -ENOMEM;
	r = sd_bus_message_new_method_call(l->bus,
					   &m,
					   c->kind == CALL_OWNER ? BUS_SERVICE : LOGIN1_SERVICE,
					   path,
					   interface,
					   member);
	if (r >= 0 && types) {
		va_list ap;

		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call_async(l->bus, &c->slot, m, on_reply, c, LOGIND_CALL_TIMEOUT_USEC);
	if (r < 0) {
		call_free(c);
		return r;
	}
	c->next = l->calls;
	if (l->calls)
		l->calls->prev = c;
	l->calls = c;
	if (c->sync)
		l->sync_pending++;
	return 0;
}

/* Frees the calls that match (no callback). */
static void calls_cancel(struct logind *l, bool (*match)(const struct logind_call *c))
{
	struct logind_call *next;

	for (struct logind_call *c = l->calls; c; c = next) {
		next = c->next;
		if (match(c)) {
			call_unlink(l, c);
			call_free(c);
		}
	}
}

static bool call_any(const struct logind_call *c)
{
	(void)c;
	return true;
}

static bool call_is_private(const struct logind_call *c)
{
	return !call_is_public(c);
}

/* Hands error to c's callback; c is unlinked already, the caller frees it. */
static void call_answer(struct logind_call *c, int error, const sd_bus_error *e)
{
	if (c->kind == CALL_INHIBIT && c->inhibit)
		c->inhibit(error, e, -1, c->userdata);
	else if (c->kind != CALL_INHIBIT && c->reply)
		c->reply(error, e, c->userdata);
}

/* Answers every public call with error (a connection we dropped ourselves gives none). */
static void calls_fail_public(struct logind *l, int error)
{
	for (;;) {
		struct logind_call *c = l->calls;

		while (c && !call_is_public(c))
			c = c->next;
		if (!c)
			return;
		call_unlink(l, c);
		call_answer(c, error, NULL);
		call_free(c);
	}
}

/* -errno of an error reply. */
static int reply_errno(sd_bus_message *m)
{
	int e = sd_bus_message_get_errno(m);

	return e > 0 ? -e : -EIO;
}

/* Whether an error reply to GetAll says that the object does not exist (any more), as opposed
 * to logind not answering or refusing (then the table cannot be trusted). The mock answers
 * UnknownMethod for a removed object, sd-bus UnknownObject. */
static bool reply_is_gone(sd_bus_message *m)
{
	static const char *const gone[] = {
		SD_BUS_ERROR_UNKNOWN_OBJECT,	     SD_BUS_ERROR_UNKNOWN_INTERFACE,
		SD_BUS_ERROR_UNKNOWN_METHOD,	     "org.freedesktop.login1.NoSuchSession",
		"org.freedesktop.login1.NoSuchSeat",
	};

	for (size_t i = 0; i < ELEMENTSOF(gone); i++)
		if (sd_bus_message_is_method_error(m, gone[i]) > 0)
			return true;
	return false;
}

/* ---- state ----------------------------------------------------------------------------- */

static void report_up(struct logind *l)
{
	if (l->reported > 0)
		return;
	l->reported = 1;
	log_info("logind answers: %zu sessions on %zu seats.",
		 logind_table_count(l, LOGIND_KIND_SESSION),
		 logind_table_count(l, LOGIND_KIND_SEAT));
}

/* Logs once per transition why the table is unknown; the retries that follow log at debug. */
static void report_down(struct logind *l, int error, const char *why)
{
	int level = l->reported < 0 ? LOG_DEBUG : LOG_INFO;

	l->reported = -1;
	if (error < 0)
		log_full_errno(
			level, error, "Cannot reach logind (%s: %m); sessions are unknown.", why);
	else
		log_full(level, "Cannot reach logind (%s); sessions are unknown.", why);
}

/* Clears the table and cancels its calls; parts hear LOGIND_UNKNOWN if they saw it known. */
static void forget(struct logind *l, enum logind_state state)
{
	bool was_ready = l->state == LOGIND_READY;

	l->generation++;
	l->sync_pending = 0;
	l->resync = sd_event_source_disable_unref(l->resync);
	calls_cancel(l, call_is_table);
	logind_table_clear(l);
	l->state = state;
	if (was_ready)
		logind_notify(l, LOGIND_UNKNOWN, NULL);
}

static int on_resync(sd_event_source *source, uint64_t usec, void *userdata);
static void start_sync(struct logind *l);

/* The resync could not complete (logind did not answer, or out of memory): unknown, and again
 * later, backing off while it keeps failing. */
void logind_sync_failed(struct logind *l, int error, const char *why)
{
	int r;

	forget(l, LOGIND_WAITING);
	report_down(l, error, why);
	l->resync_delay = l->resync_delay ? l->resync_delay * 2 : LOGIND_RECONNECT_USEC;
	if (l->resync_delay > LOGIND_RESYNC_MAX_USEC)
		l->resync_delay = LOGIND_RESYNC_MAX_USEC;
	r = sd_event_add_time_relative(
		l->event, &l->resync, CLOCK_MONOTONIC, l->resync_delay, 0, on_resync, l);
	if (r < 0)
		log_warning_errno(r, "Cannot schedule asking logind again, ignoring: %m");
}

static int on_resync(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct logind *l = userdata;

	(void)source;
	(void)usec;
	l->resync = sd_event_source_unref(l->resync);
	if (l->state == LOGIND_WAITING && l->owner)
		start_sync(l);
	return 0;
}

/* One more answer of the resync arrived; the last one makes the table known. */
static void sync_answered(struct logind *l)
{
	if (l->sync_pending > 0)
		l->sync_pending--;
	if (l->sync_pending > 0 || l->state != LOGIND_SYNCING)
		return;
	l->state = LOGIND_READY;
	l->resync_delay = 0;
	report_up(l);
	logind_notify(l, LOGIND_KNOWN, NULL);
}

/* Asks logind for e's properties, unless a GetAll is in flight already (its answer will be
 * current: see the top of the file). */
int logind_entry_load(struct logind *l, enum logind_kind k, struct logind_entry *e)
{
	struct logind_call *c;
	int r;

	if (e->loading)
		return 0;
	c = call_new(l, k == LOGIND_KIND_SESSION ? CALL_SESSION : CALL_SEAT, e->session.id);
	r = call_send(l, c, e->session.path, PROPERTIES, "GetAll", "s", logind_kind_interface(k));
	if (r >= 0)
		e->loading = c;
	return r;
}

static void start_sync(struct logind *l)
{
	int r;

	forget(l, LOGIND_SYNCING);
	r = call_send(l,
		      call_new(l, CALL_LIST_SESSIONS, NULL),
		      LOGIN1_PATH,
		      LOGIN1_MANAGER,
		      "ListSessions",
		      NULL);
	if (r >= 0)
		r = call_send(l,
			      call_new(l, CALL_LIST_SEATS, NULL),
			      LOGIN1_PATH,
			      LOGIN1_MANAGER,
			      "ListSeats",
			      NULL);
	if (r < 0)
		logind_sync_failed(l, r, "cannot ask logind for its sessions");
}

static void schedule_reconnect(struct logind *l);

/* The connection is gone or useless: unknown, and connect again later. */
static void bus_lost(struct logind *l, int error, const char *why)
{
	l->deadline = sd_event_source_disable_unref(l->deadline);
	l->owner = mfree(l->owner);
	forget(l, LOGIND_DOWN);
	calls_cancel(l, call_is_private);
	calls_fail_public(l, -ECONNRESET);
	/* No flush: a stuck bus daemon must not block the loop. */
	l->bus = sd_bus_close_unref(l->bus);
	report_down(l, error, why);
	schedule_reconnect(l);
}

/* owner: the unique name owning org.freedesktop.login1, "" when none. */
static void set_owner(struct logind *l, const char *owner)
{
	/* The bus answers: the connection is up. */
	l->deadline = sd_event_source_disable_unref(l->deadline);
	if (streq(l->owner ? l->owner : "", owner))
		return;
	/* Any other owner is another logind: nothing known about the old one holds. */
	l->owner = mfree(l->owner);
	forget(l, LOGIND_WAITING);
	l->resync_delay = 0;
	if (!owner[0]) {
		report_down(l, 0, "org.freedesktop.login1 has no owner");
		return;
	}
	l->owner = strdup(owner);
	if (!l->owner) {
		bus_lost(l, -ENOMEM, "out of memory");
		return;
	}
	log_debug("org.freedesktop.login1 is owned by %s, reading its sessions.", owner);
	start_sync(l);
}

/* ---- answers --------------------------------------------------------------------------- */

static void on_owner_reply(struct logind *l, sd_bus_message *m)
{
	const char *owner = "";

	if (sd_bus_message_is_method_error(m, NULL) &&
	    !sd_bus_message_is_method_error(m, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
		bus_lost(l, reply_errno(m), "the system bus did not answer GetNameOwner");
		return;
	}
	if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &owner) < 0) {
		bus_lost(l, -EBADMSG, "cannot read the owner of org.freedesktop.login1");
		return;
	}
	set_owner(l, owner);
}

/* ListSessions a(susso) or ListSeats a(so): each object into the table, and its GetAll. */
static void on_list_reply(struct logind *l, enum logind_kind k, sd_bus_message *m)
{
	const char *id, *path, *list = k == LOGIND_KIND_SESSION ? "(susso)" : "(so)";
	int r;

	if (sd_bus_message_is_method_error(m, NULL)) {
		logind_sync_failed(l, reply_errno(m), "logind did not list its objects");
		return;
	}
	r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, list);
	for (;;) {
		struct logind_entry *e;

		if (r < 0)
			break;
		if (k == LOGIND_KIND_SESSION)
			r = sd_bus_message_read(m, "(susso)", &id, NULL, NULL, NULL, &path);
		else
			r = sd_bus_message_read(m, "(so)", &id, &path);
		if (r <= 0)
			break;
		e = logind_entry_find(l, k, id);
		if (!e) {
			e = logind_entry_add(l, k, id, path);
			if (!e) {
				r = -ENOMEM;
				break;
			}
		}
		r = logind_entry_load(l, k, e);
	}
	if (r < 0) {
		logind_sync_failed(l, r, "cannot read logind's list of objects");
		return;
	}
	sync_answered(l);
}

/* GetAll of a session or seat (the table's, or logind_refresh_session()'s). */
static void on_getall_reply(struct logind *l, struct logind_call *c, sd_bus_message *m)
{
	enum logind_kind k = c->kind == CALL_SEAT ? LOGIND_KIND_SEAT : LOGIND_KIND_SESSION;
	struct logind_entry *e = logind_entry_find(l, k, c->id);
	unsigned changed = 0;
	int r;

	if (e && e->loading == c)
		e->loading = NULL;
	/* A refresh sent for an older table: the resync read everything again anyway. */
	if (c->generation != l->generation || l->state < LOGIND_SYNCING)
		return;
	if (sd_bus_message_is_method_error(m, NULL)) {
		if (!reply_is_gone(m)) {
			logind_sync_failed(l, reply_errno(m), "logind did not answer GetAll");
			return;
		}
		log_debug("logind %s '%s' is gone: %s",
			  logind_kind_name(k),
			  c->id,
			  sd_bus_message_get_error(m)->name);
		if (e)
			logind_entry_remove(l, k, e);
	} else if (e) {
		r = logind_entry_read(e, k, m, &changed);
		if (r < 0) {
			logind_sync_failed(l, r, "cannot read logind's properties");
			return;
		}
		logind_entry_loaded(l, k, e, changed);
	}
	if (c->sync)
		sync_answered(l);
}

static void on_inhibit_reply(struct logind_call *c, sd_bus_message *m)
{
	int fd, r;

	if (sd_bus_message_is_method_error(m, NULL)) {
		c->inhibit(reply_errno(m), sd_bus_message_get_error(m), -1, c->userdata);
		return;
	}
	r = sd_bus_message_read(m, "h", &fd);
	if (r >= 0) {
		/* The message owns its fd. */
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			r = -errno;
	}
	c->inhibit(r < 0 ? r : 0, NULL, r < 0 ? -1 : fd, c->userdata);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct logind_call *c = userdata;
	struct logind *l = c->l;
	bool closing;

	(void)ret_error;
	/* Out of the list first: the callbacks below may cancel or start calls. */
	call_unlink(l, c);
	/* sd-bus answers pending calls with errors before it reports Disconnected: those say
	 * nothing about logind, and bus_lost() follows. Parts still get their answer. */
	closing = sd_bus_message_get_bus(m) != l->bus || sd_bus_is_open(l->bus) <= 0;
	if (c->kind == CALL_INHIBIT)
		on_inhibit_reply(c, m);
	else if (call_is_public(c)) {
		if (c->kind == CALL_REFRESH && !closing)
			on_getall_reply(l, c, m);
		if (sd_bus_message_is_method_error(m, NULL))
			call_answer(c, reply_errno(m), sd_bus_message_get_error(m));
		else
			call_answer(c, 0, NULL);
	} else if (closing || (call_is_table(c) && c->generation != l->generation))
		log_debug("Dropping an answer meant for an older connection or table.");
	else if (c->kind == CALL_OWNER)
		on_owner_reply(l, m);
	else if (c->kind == CALL_LIST_SESSIONS || c->kind == CALL_LIST_SEATS)
		on_list_reply(
			l, c->kind == CALL_LIST_SEATS ? LOGIND_KIND_SEAT : LOGIND_KIND_SESSION, m);
	else
		on_getall_reply(l, c, m);
	call_free(c);
	return 0;
}

/* ---- signals --------------------------------------------------------------------------- */

static void on_name_owner_changed(struct logind *l, sd_bus_message *m)
{
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    !streq(name, LOGIN1_SERVICE))
		return;
	log_debug("org.freedesktop.login1 changes owner: '%s' -> '%s'.", old_owner, new_owner);
	set_owner(l, new_owner);
}

static void on_prepare_for_sleep(struct logind *l, sd_bus_message *m)
{
	int start;

	if (sd_bus_message_read(m, "b", &start) < 0)
		return;
	logind_notify(l, start ? LOGIND_PREPARE_SLEEP : LOGIND_RESUME, NULL);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct logind *l = userdata;
	const char *sender = sd_bus_message_get_sender(m);

	(void)ret_error;
	if (sd_bus_message_get_bus(m) != l->bus || !sender)
		return 0;
	/* Only the bus itself can send as org.freedesktop.DBus. */
	if (sd_bus_message_is_signal(m, BUS_SERVICE, "NameOwnerChanged") > 0) {
		if (streq(sender, BUS_SERVICE))
			on_name_owner_changed(l, m);
		return 0;
	}
	/* sd-bus lets a signal sent straight to us pass a sender='org.freedesktop.login1' match
	 * whoever sent it: only logind's current owner counts. */
	if (!l->owner || !streq(sender, l->owner)) {
		log_debug("Ignoring %s.%s from %s, which is not logind.",
			  strna(sd_bus_message_get_interface(m)),
			  strna(sd_bus_message_get_member(m)),
			  sender);
		return 0;
	}
	if (sd_bus_message_is_signal(m, LOGIN1_MANAGER, "PrepareForSleep") > 0)
		on_prepare_for_sleep(l, m);
	else if (l->state < LOGIND_SYNCING)
		return 0; /* a resync will read everything */
	else if (sd_bus_message_is_signal(m, LOGIN1_MANAGER, "SessionNew") > 0)
		logind_on_object_new(l, LOGIND_KIND_SESSION, m);
	else if (sd_bus_message_is_signal(m, LOGIN1_MANAGER, "SessionRemoved") > 0)
		logind_on_object_removed(l, LOGIND_KIND_SESSION, m);
	else if (sd_bus_message_is_signal(m, LOGIN1_MANAGER, "SeatNew") > 0)
		logind_on_object_new(l, LOGIND_KIND_SEAT, m);
	else if (sd_bus_message_is_signal(m, LOGIN1_MANAGER, "SeatRemoved") > 0)
		logind_on_object_removed(l, LOGIND_KIND_SEAT, m);
	else if (sd_bus_message_is_signal(m, PROPERTIES, "PropertiesChanged") > 0)
		logind_on_properties_changed(l, m);
	return 0;
}

/* ---- connection ------------------------------------------------------------------------ */

static const char *system_bus_address(void)
{
	const char *e = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");

	return e && e[0] ? e : "unix:path=/run/dbus/system_bus_socket";
}

/*
 * Whether the bus at address is certainly absent: a single "unix:path=" socket that does not
 * exist. One access() per retry instead of a socket, a connect() and a failure each time.
 * Anything else is left to sd_bus_start() to find out.
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

static int on_local(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct logind *l = userdata;

	(void)ret_error;
	/* The bus refuses to forward messages on the Local interface: this is sd-bus's own. */
	if (sd_bus_message_get_bus(m) == l->bus &&
	    sd_bus_message_is_signal(m, LOCAL_INTERFACE, "Disconnected") > 0)
		bus_lost(l, -ECONNRESET, "the system bus connection closed");
	return 0;
}

static int on_deadline(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct logind *l = userdata;

	(void)source;
	(void)usec;
	l->deadline = sd_event_source_unref(l->deadline);
	bus_lost(l, -ETIMEDOUT, "the system bus did not complete the connection");
	return 0;
}

/* Starts a connection: everything below completes later, in the loop. */
static int bus_connect(struct logind *l)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
	const char *address = system_bus_address();
	int r;

	if (bus_socket_missing(address))
		return -ENOENT;
	r = sd_bus_new(&bus);
	if (r < 0)
		return r;
	(void)sd_bus_set_description(bus, "vakt-logind");
	r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	/* Hello, which sd_bus_start() sends, has the default method call timeout. */
	if (r >= 0)
		r = sd_bus_set_method_call_timeout(bus, LOGIND_CALL_TIMEOUT_USEC);
	if (r >= 0)
		r = sd_bus_add_filter(bus, NULL, on_local, l);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, l->event, SD_EVENT_PRIORITY_NORMAL);
	/* Matches before GetNameOwner: the bus handles one client's messages in order, so no
	 * change after the answer is missed. */
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(matches); i++)
		r = sd_bus_add_match_async(bus, NULL, matches[i], on_signal, NULL, l);
	if (r < 0)
		return r;
	l->bus = TAKE_PTR(bus);
	l->state = LOGIND_WAITING;
	r = call_send(l,
		      call_new(l, CALL_OWNER, NULL),
		      BUS_PATH,
		      BUS_SERVICE,
		      "GetNameOwner",
		      "s",
		      LOGIN1_SERVICE);
	/* Authentication has no timeout of ours (sd-bus waits 90 s): bound it. */
	if (r >= 0)
		r = sd_event_add_time_relative(l->event,
					       &l->deadline,
					       CLOCK_MONOTONIC,
					       LOGIND_CONNECT_TIMEOUT_USEC,
					       0,
					       on_deadline,
					       l);
	if (r < 0) {
		calls_cancel(l, call_any);
		l->bus = sd_bus_close_unref(l->bus);
		l->state = LOGIND_DOWN;
	}
	return r;
}

static void try_connect(struct logind *l)
{
	int r = bus_connect(l);

	if (r == -ENOENT)
		report_down(l, 0, "no system bus socket");
	else if (r < 0)
		report_down(l, r, "cannot connect to the system bus");
	if (r < 0)
		schedule_reconnect(l);
}

static int on_reconnect(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct logind *l = userdata;

	(void)source;
	(void)usec;
	l->reconnect = sd_event_source_unref(l->reconnect);
	if (!l->bus)
		try_connect(l);
	return 0;
}

static void schedule_reconnect(struct logind *l)
{
	int r;

	if (l->exiting || l->reconnect)
		return;
	r = sd_event_add_time_relative(l->event,
				       &l->reconnect,
				       CLOCK_MONOTONIC,
				       LOGIND_RECONNECT_USEC,
				       0,
				       on_reconnect,
				       l);
	if (r < 0)
		log_warning_errno(r, "Cannot schedule a reconnect to the system bus, ignoring: %m");
}

/*
 * sd_bus_attach_event() adds an exit handler that flushes the bus, and sd_bus_flush() first waits
 * for the connection to finish authenticating: with a stopped bus daemon vaktd would not exit.
 * This one runs before it (higher priority) and closes the connection without flushing. No
 * callback is called after it: the parts are going away.
 */
static int on_event_exit(sd_event_source *source, void *userdata)
{
	struct logind *l = userdata;

	(void)source;
	l->exiting = true;
	l->reconnect = sd_event_source_disable_unref(l->reconnect);
	l->deadline = sd_event_source_disable_unref(l->deadline);
	l->resync = sd_event_source_disable_unref(l->resync);
	calls_cancel(l, call_any);
	l->bus = sd_bus_close_unref(l->bus);
	l->owner = mfree(l->owner);
	/* Unknown from now on, without telling parts. */
	logind_table_clear(l);
	l->state = LOGIND_DOWN;
	return 0;
}

struct logind *logind_free(struct logind *l)
{
	if (!l)
		return NULL;
	l->reconnect = sd_event_source_disable_unref(l->reconnect);
	l->deadline = sd_event_source_disable_unref(l->deadline);
	l->resync = sd_event_source_disable_unref(l->resync);
	l->exit = sd_event_source_disable_unref(l->exit);
	calls_cancel(l, call_any);
	/* No flush (see on_event_exit()). */
	l->bus = sd_bus_close_unref(l->bus);
	logind_table_clear(l);
	free(l->owner);
	free(l->subs);
	free(l);
	return NULL;
}

struct logind *logind_new(sd_event *event)
{
	struct logind *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return NULL;
	l->event = event;
	r = sd_event_add_exit(event, &l->exit, on_event_exit, l);
	if (r >= 0)
		r = sd_event_source_set_priority(l->exit, SD_EVENT_PRIORITY_IMPORTANT);
	if (r < 0) {
		sd_event_source_unref(l->exit);
		free(l);
		return NULL;
	}
	try_connect(l);
	return l;
}

/* Whether a call to logind can be sent now: connected, and someone owns the name. */
static bool can_call(const struct logind *l)
{
	return l->bus && l->owner;
}

static int manager_call(
	struct logind *l, const char *member, const char *id, logind_reply_fn cb, void *userdata)
{
	struct logind_call *c;

	if (!can_call(l))
		return -ENOTCONN;
	c = call_new(l, CALL_METHOD, NULL);
	if (c) {
		c->reply = cb;
		c->userdata = userdata;
	}
	return call_send(l, c, LOGIN1_PATH, LOGIN1_MANAGER, member, "s", id);
}

int logind_lock_session(struct logind *l, const char *id, logind_reply_fn cb, void *userdata)
{
	return manager_call(l, "LockSession", id, cb, userdata);
}

int logind_terminate_session(struct logind *l, const char *id, logind_reply_fn cb, void *userdata)
{
	return manager_call(l, "TerminateSession", id, cb, userdata);
}

int logind_refresh_session(struct logind *l, const char *id, logind_reply_fn cb, void *userdata)
{
	struct logind_entry *e;
	struct logind_call *c;

	if (!can_call(l))
		return -ENOTCONN;
	e = logind_entry_find(l, LOGIND_KIND_SESSION, id);
	if (!e)
		return -ENOENT;
	c = call_new(l, CALL_REFRESH, id);
	if (c) {
		c->reply = cb;
		c->userdata = userdata;
	}
	return call_send(l, c, e->session.path, PROPERTIES, "GetAll", "s", LOGIN1_SESSION);
}

int logind_inhibit_sleep(
	struct logind *l, const char *who, const char *why, logind_inhibit_fn cb, void *userdata)
{
	struct logind_call *c;

	if (!cb)
		return -EINVAL;
	if (!can_call(l))
		return -ENOTCONN;
	c = call_new(l, CALL_INHIBIT, NULL);
	if (c) {
		c->inhibit = cb;
		c->userdata = userdata;
	}
	return call_send(
		l, c, LOGIN1_PATH, LOGIN1_MANAGER, "Inhibit", "ssss", "sleep", who, why, "delay");
}

int logind_cancel(struct logind *l, const void *userdata)
{
	struct logind_call *next;
	int n = 0;

	for (struct logind_call *c = l->calls; c; c = next) {
		next = c->next;
		if (call_is_public(c) && c->userdata == userdata) {
			call_unlink(l, c);
			call_free(c);
			n++;
		}
	}
	return n;
}
