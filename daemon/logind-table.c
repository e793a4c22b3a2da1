/*
 * The logind table: one record per session and seat, their properties read from logind's
 * answers and signals, lookups for parts and notifications to them. The connection that feeds
 * it (and checks that a signal comes from logind) is in logind.c; the states are described in
 * logind-internal.h.
 *
 * Parts see an entry only once it is loaded (its GetAll answered) and only while the table is
 * READY: a part never sees a record with empty fields or one from a half-done resync.
 */

#include "logind.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "clock.h"
#include "log.h"
#include "logind-internal.h"

#define LOGIN1_SESSION "org.freedesktop.login1.Session"
#define LOGIN1_SEAT    "org.freedesktop.login1.Seat"

/* ---- properties ------------------------------------------------------------------------- */

enum prop_kind { PROP_STRING, PROP_BOOL, PROP_U32, PROP_U64, PROP_UID, PROP_PID, PROP_PAIR_ID };

struct prop {
	const char *name;
	const char *signature; /* of the variant's contents */
	size_t offset;	       /* of the field in the record */
	enum prop_kind kind;
	unsigned field; /* LOGIND_FIELD_* */
};

#define SESSION_PROP(n, sig, k, member, f)                                  \
	{                                                                   \
		.name = (n), .signature = (sig), .kind = (k), .field = (f), \
		.offset = offsetof(struct logind_session, member),          \
	}

/* The Session properties the table keeps; the rest are skipped. "Id" comes from the list. */
static const struct prop session_props[] = {
	SESSION_PROP("Name", "s", PROP_STRING, user, LOGIND_FIELD_OTHER),
	SESSION_PROP("User", "(uo)", PROP_UID, uid, LOGIND_FIELD_OTHER),
	SESSION_PROP("Seat", "(so)", PROP_PAIR_ID, seat, LOGIND_FIELD_OTHER),
	SESSION_PROP("Class", "s", PROP_STRING, class, LOGIND_FIELD_OTHER),
	SESSION_PROP("Type", "s", PROP_STRING, type, LOGIND_FIELD_OTHER),
	SESSION_PROP("TTY", "s", PROP_STRING, tty, LOGIND_FIELD_OTHER),
	SESSION_PROP("Remote", "b", PROP_BOOL, remote, LOGIND_FIELD_OTHER),
	SESSION_PROP("RemoteHost", "s", PROP_STRING, remote_host, LOGIND_FIELD_OTHER),
	SESSION_PROP("Audit", "u", PROP_U32, audit, LOGIND_FIELD_OTHER),
	SESSION_PROP("Leader", "u", PROP_PID, leader, LOGIND_FIELD_OTHER),
	SESSION_PROP("Active", "b", PROP_BOOL, active, LOGIND_FIELD_ACTIVE),
	SESSION_PROP("IdleHint", "b", PROP_BOOL, idle_hint, LOGIND_FIELD_IDLE_HINT),
	SESSION_PROP("IdleSinceHint", "t", PROP_U64, idle_since_usec, LOGIND_FIELD_IDLE_SINCE),
	SESSION_PROP("IdleSinceHintMonotonic",
		     "t",
		     PROP_U64,
		     idle_since_monotonic_usec,
		     LOGIND_FIELD_IDLE_SINCE),
	SESSION_PROP("LockedHint", "b", PROP_BOOL, locked_hint, LOGIND_FIELD_LOCKED_HINT),
	SESSION_PROP(
		"TimestampMonotonic", "t", PROP_U64, timestamp_monotonic_usec, LOGIND_FIELD_OTHER),
	SESSION_PROP("State", "s", PROP_STRING, state, LOGIND_FIELD_STATE),
};

static const struct prop seat_props[] = {
	{
		.name = "ActiveSession",
		.signature = "(so)",
		.kind = PROP_PAIR_ID,
		.field = 1,
		.offset = offsetof(struct logind_seat, active_session),
	},
};

static const struct prop *prop_find(const struct prop *props, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(props[i].name, name))
			return &props[i];
	return NULL;
}

static int set_string(char **field, const char *value, unsigned bit, unsigned *changed)
{
	char *copy;

	if (streq(*field, value))
		return 0;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	*changed |= bit;
	return 0;
}

/* Reads the variant of one property at m into record; a variant of another type is skipped. */
static int prop_read(sd_bus_message *m, const struct prop *p, void *record, unsigned *changed)
{
	void *field = (char *)record + p->offset;
	const char *contents, *s, *path;
	uint32_t u = 0;
	uint64_t t = 0;
	int b = 0, r;
	char type;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r < 0)
		return r;
	if (type != SD_BUS_TYPE_VARIANT || !contents || !streq(contents, p->signature)) {
		log_debug("logind property %s has type '%s', expected '%s', ignoring it.",
			  p->name,
			  contents ? contents : "?",
			  p->signature);
		return sd_bus_message_skip(m, "v");
	}
	switch (p->kind) {
	case PROP_STRING:
		r = sd_bus_message_read(m, "v", "s", &s);
		return r < 0 ? r : set_string(field, s, p->field, changed);
	case PROP_PAIR_ID:
		r = sd_bus_message_read(m, "v", "(so)", &s, &path);
		return r < 0 ? r : set_string(field, s, p->field, changed);
	case PROP_BOOL:
		r = sd_bus_message_read(m, "v", "b", &b);
		if (r >= 0 && *(bool *)field != !!b) {
			*(bool *)field = b;
			*changed |= p->field;
		}
		return r;
	case PROP_U64:
		r = sd_bus_message_read(m, "v", "t", &t);
		/* When the idle start was read: logind computes a terminal's on request only. */
		if (r >= 0 && p->field == LOGIND_FIELD_IDLE_SINCE)
			((struct logind_session *)record)->idle_read_usec = monotonic_usec();
		if (r >= 0 && *(uint64_t *)field != t) {
			*(uint64_t *)field = t;
			*changed |= p->field;
		}
		return r;
	case PROP_UID:
		r = sd_bus_message_read(m, "v", "(uo)", &u, &path);
		if (r >= 0 && *(uid_t *)field != (uid_t)u) {
			*(uid_t *)field = (uid_t)u;
			*changed |= p->field;
		}
		return r;
	case PROP_PID:
		/* A Leader beyond pid_t's range is no process. */
		r = sd_bus_message_read(m, "v", "u", &u);
		if (r >= 0 && u > INT32_MAX)
			u = 0;
		if (r >= 0 && *(pid_t *)field != (pid_t)u) {
			*(pid_t *)field = (pid_t)u;
			*changed |= p->field;
		}
		return r;
	case PROP_U32:
		r = sd_bus_message_read(m, "v", "u", &u);
		if (r >= 0 && *(uint32_t *)field != u) {
			*(uint32_t *)field = u;
			*changed |= p->field;
		}
		return r;
	}
	return sd_bus_message_skip(m, "v");
}

/* Applies an a{sv} of properties at m to record; *changed gets the bits of changed fields. */
static int
props_read(sd_bus_message *m, const struct prop *props, size_t n, void *record, unsigned *changed)
{
	int r;

	r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
	if (r < 0)
		return r;
	for (;;) {
		const struct prop *p;
		const char *name;

		r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
		if (r < 0)
			return r;
		if (r == 0)
			break;
		r = sd_bus_message_read(m, "s", &name);
		if (r < 0)
			return r;
		p = prop_find(props, n, name);
		r = p ? prop_read(m, p, record, changed) : sd_bus_message_skip(m, "v");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	return sd_bus_message_exit_container(m);
}

/* Whether the "as" of invalidated property names at m names a property the table keeps. */
static int props_invalidated(sd_bus_message *m, const struct prop *props, size_t n)
{
	bool kept = false;
	const char *name;
	int r;

	r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "s");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "s", &name)) > 0)
		if (prop_find(props, n, name))
			kept = true;
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	return r < 0 ? r : kept;
}

/* ---- the table ------------------------------------------------------------------------- */

/* Both records start with id and path (read through ->session for either kind). */
_Static_assert(offsetof(struct logind_session, id) == offsetof(struct logind_seat, id), "id");
_Static_assert(offsetof(struct logind_session, path) == offsetof(struct logind_seat, path), "path");

/* The strings of each record, id and path first (entry_new() relies on that). */
static const size_t session_strings[] = {
	offsetof(struct logind_session, id),	offsetof(struct logind_session, path),
	offsetof(struct logind_session, user),	offsetof(struct logind_session, seat),
	offsetof(struct logind_session, class), offsetof(struct logind_session, type),
	offsetof(struct logind_session, tty),	offsetof(struct logind_session, remote_host),
	offsetof(struct logind_session, state),
};

static const size_t seat_strings[] = {
	offsetof(struct logind_seat, id),
	offsetof(struct logind_seat, path),
	offsetof(struct logind_seat, active_session),
};

static const struct kind_info {
	const char *name;
	const char *interface;
	const struct prop *props;
	size_t n_props;
	const size_t *strings;
	size_t n_strings;
} kinds[] = {
	[LOGIND_KIND_SESSION] = { "session",
				  LOGIN1_SESSION,
				  session_props,
				  ELEMENTSOF(session_props),
				  session_strings,
				  ELEMENTSOF(session_strings) },
	[LOGIND_KIND_SEAT] = { "seat",
			       LOGIN1_SEAT,
			       seat_props,
			       ELEMENTSOF(seat_props),
			       seat_strings,
			       ELEMENTSOF(seat_strings) },
};

const char *logind_kind_name(enum logind_kind k)
{
	return kinds[k].name;
}

const char *logind_kind_interface(enum logind_kind k)
{
	return kinds[k].interface;
}

static void *entry_record(struct logind_entry *e)
{
	return &e->session; /* the union's address, whichever kind */
}

int logind_entry_read(struct logind_entry *e,
		      enum logind_kind k,
		      sd_bus_message *m,
		      unsigned *changed)
{
	return props_read(m, kinds[k].props, kinds[k].n_props, entry_record(e), changed);
}

int logind_entry_invalidated(enum logind_kind k, sd_bus_message *m)
{
	return props_invalidated(m, kinds[k].props, kinds[k].n_props);
}

static char **entry_string(struct logind_entry *e, size_t offset)
{
	return (char **)((char *)entry_record(e) + offset);
}

static struct logind_entry *entry_free(struct logind_entry *e, enum logind_kind k)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < kinds[k].n_strings; i++)
		free(*entry_string(e, kinds[k].strings[i]));
	free(e);
	return NULL;
}

static struct logind_entry *entry_new(enum logind_kind k, const char *id, const char *path)
{
	struct logind_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	for (size_t i = 0; i < kinds[k].n_strings; i++) {
		char **s = entry_string(e, kinds[k].strings[i]);

		*s = strdup(i == 0 ? id : i == 1 ? path : "");
		if (!*s)
			return entry_free(e, k);
	}
	return e;
}

static struct logind_entry **table(struct logind *l, enum logind_kind k)
{
	return k == LOGIND_KIND_SESSION ? &l->sessions : &l->seats;
}

struct logind_entry *logind_entry_find(struct logind *l, enum logind_kind k, const char *id)
{
	for (struct logind_entry *e = *table(l, k); e; e = e->next)
		if (streq(e->session.id, id))
			return e;
	return NULL;
}

struct logind_entry *logind_entry_find_path(struct logind *l, enum logind_kind k, const char *path)
{
	for (struct logind_entry *e = *table(l, k); e; e = e->next)
		if (streq(e->session.path, path))
			return e;
	return NULL;
}

static void entry_unlink(struct logind *l, enum logind_kind k, struct logind_entry *e)
{
	for (struct logind_entry **p = table(l, k); *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			e->next = NULL;
			return;
		}
}

struct logind_entry *
logind_entry_add(struct logind *l, enum logind_kind k, const char *id, const char *path)
{
	struct logind_entry *e = entry_new(k, id, path);

	if (!e)
		return NULL;
	e->next = *table(l, k);
	*table(l, k) = e;
	return e;
}

void logind_table_clear(struct logind *l)
{
	for (enum logind_kind k = LOGIND_KIND_SESSION; k <= LOGIND_KIND_SEAT; k++)
		while (*table(l, k)) {
			struct logind_entry *e = *table(l, k);

			*table(l, k) = e->next;
			entry_free(e, k);
		}
}

size_t logind_table_count(struct logind *l, enum logind_kind k)
{
	size_t n = 0;

	for (const struct logind_entry *e = *table(l, k); e; e = e->next)
		n++;
	return n;
}

/* ---- notifications --------------------------------------------------------------------- */

void logind_notify(struct logind *l, enum logind_change what, const char *id)
{
	size_t n = l->n_subs;

	/* Index, not pointer: a subscriber may subscribe another (the array may move). Those
	 * added during this notification hear from the next one. */
	l->notifying++;
	for (size_t i = 0; i < n; i++) {
		struct logind_subscriber s = l->subs[i];

		if (s.fn)
			s.fn(l, what, id, s.userdata);
	}
	if (--l->notifying > 0 || !l->subs_dirty)
		return;
	n = 0;
	for (size_t i = 0; i < l->n_subs; i++)
		if (l->subs[i].fn)
			l->subs[n++] = l->subs[i];
	l->n_subs = n;
	l->subs_dirty = false;
}

/* Seats whose answer depends on session id's record, which just came or went. */
static void notify_seats_of(struct logind *l, const char *id)
{
	for (struct logind_entry *e = l->seats; e; e = e->next)
		if (e->loaded && streq(e->seat.active_session, id))
			logind_notify(l, LOGIND_SEAT_CHANGED, e->seat.id);
}

void logind_entry_changed(struct logind *l,
			  enum logind_kind k,
			  struct logind_entry *e,
			  unsigned changed)
{
	if (!e->loaded || l->state != LOGIND_READY || changed == 0)
		return;
	if (k == LOGIND_KIND_SEAT) {
		logind_notify(l, LOGIND_SEAT_CHANGED, e->seat.id);
		return;
	}
	e->session.changed = changed;
	logind_notify(l, LOGIND_SESSION_CHANGED, e->session.id);
	e->session.changed = 0;
}

void logind_entry_loaded(struct logind *l,
			 enum logind_kind k,
			 struct logind_entry *e,
			 unsigned changed)
{
	if (e->loaded) {
		logind_entry_changed(l, k, e, changed);
		return;
	}
	e->loaded = true;
	if (l->state != LOGIND_READY)
		return;
	if (k == LOGIND_KIND_SEAT) {
		logind_notify(l, LOGIND_SEAT_CHANGED, e->seat.id);
		return;
	}
	logind_notify(l, LOGIND_SESSION_NEW, e->session.id);
	notify_seats_of(l, e->session.id);
}

void logind_entry_remove(struct logind *l, enum logind_kind k, struct logind_entry *e)
{
	bool seen = e->loaded && l->state == LOGIND_READY;

	if (seen && k == LOGIND_KIND_SESSION)
		logind_notify(l, LOGIND_SESSION_REMOVED, e->session.id);
	entry_unlink(l, k, e);
	if (seen && k == LOGIND_KIND_SESSION)
		notify_seats_of(l, e->session.id);
	else if (seen)
		logind_notify(l, LOGIND_SEAT_CHANGED, e->seat.id);
	/* A GetAll still in flight finds no entry and is dropped. */
	entry_free(e, k);
}

/* ---- logind's signals --------------------------------------------------------------- */

/* SessionNew, SeatNew (so): into the table, visible once its GetAll answers. */
void logind_on_object_new(struct logind *l, enum logind_kind k, sd_bus_message *m)
{
	const char *id, *path;
	struct logind_entry *e;
	int r;

	r = sd_bus_message_read(m, "so", &id, &path);
	if (r < 0) {
		log_debug_errno(
			r, "Cannot read logind's new %s, ignoring: %m", logind_kind_name(k));
		return;
	}
	if (logind_entry_find(l, k, id))
		return;
	e = logind_entry_add(l, k, id, path);
	if (!e) {
		logind_sync_failed(l, -ENOMEM, "out of memory");
		return;
	}
	r = logind_entry_load(l, k, e);
	if (r < 0)
		logind_sync_failed(l, r, "cannot ask logind about a new object");
}

void logind_on_object_removed(struct logind *l, enum logind_kind k, sd_bus_message *m)
{
	const char *id, *path;
	struct logind_entry *e;
	int r;

	r = sd_bus_message_read(m, "so", &id, &path);
	if (r < 0) {
		log_debug_errno(
			r, "Cannot read logind's removed %s, ignoring: %m", logind_kind_name(k));
		return;
	}
	e = logind_entry_find(l, k, id);
	if (e)
		logind_entry_remove(l, k, e);
}

/* PropertiesChanged(s interface, a{sv} changed, as invalidated) of a session or seat. */
void logind_on_properties_changed(struct logind *l, sd_bus_message *m)
{
	const char *interface, *path = sd_bus_message_get_path(m);
	unsigned changed = 0;
	struct logind_entry *e;
	enum logind_kind k;
	int r;

	if (sd_bus_message_has_signature(m, "sa{sv}as") <= 0 ||
	    sd_bus_message_read(m, "s", &interface) < 0)
		return;
	if (streq(interface, LOGIN1_SESSION))
		k = LOGIND_KIND_SESSION;
	else if (streq(interface, LOGIN1_SEAT))
		k = LOGIND_KIND_SEAT;
	else
		return;
	e = path ? logind_entry_find_path(l, k, path) : NULL;
	if (!e) {
		/* The mock's AddSession and AddSeat send no SessionNew or SeatNew. */
		log_debug("PropertiesChanged of unknown logind object %s, ignoring.",
			  path ? path : "(none)");
		return;
	}
	r = logind_entry_read(e, k, m, &changed);
	if (r >= 0)
		r = logind_entry_invalidated(k, m);
	if (r != 0) {
		/* A value to fetch, or a message only partly read: read the object again. */
		if (r < 0)
			log_debug_errno(r, "Cannot read PropertiesChanged of %s: %m", path);
		r = logind_entry_load(l, k, e);
		if (r < 0) {
			logind_sync_failed(l, r, "cannot ask logind for changed properties");
			return;
		}
	}
	logind_entry_changed(l, k, e, changed);
}

/* ---- lookups --------------------------------------------------------------------------- */

bool logind_is_known(struct logind *l)
{
	return l->state == LOGIND_READY;
}

/* The visible entries: loaded, and only while the table is known. */
static struct logind_entry *visible(struct logind *l, struct logind_entry *e)
{
	if (l->state != LOGIND_READY)
		return NULL;
	while (e && !e->loaded)
		e = e->next;
	return e;
}

const struct logind_session *logind_get_session(struct logind *l, const char *id)
{
	struct logind_entry *e;

	if (!id || l->state != LOGIND_READY)
		return NULL;
	e = logind_entry_find(l, LOGIND_KIND_SESSION, id);
	return e && e->loaded ? &e->session : NULL;
}

const struct logind_session *logind_session_by_audit(struct logind *l, uint32_t audit)
{
	if (audit == 0 || audit == UINT32_MAX)
		return NULL;
	for (struct logind_entry *e = visible(l, l->sessions); e; e = visible(l, e->next))
		if (e->session.audit == audit)
			return &e->session;
	return NULL;
}

enum logind_seat_answer logind_seat_active_session(struct logind *l,
						   const char *seat_id,
						   const struct logind_session **ret_session)
{
	const struct logind_session *s;
	struct logind_entry *e;

	if (l->state != LOGIND_READY)
		return LOGIND_SEAT_UNKNOWN;
	e = logind_entry_find(l, LOGIND_KIND_SEAT, seat_id && seat_id[0] ? seat_id : "seat0");
	if (!e)
		return LOGIND_SEAT_NOBODY; /* logind knows no such seat (yet) */
	if (!e->loaded)
		return LOGIND_SEAT_UNKNOWN;
	if (!e->seat.active_session[0])
		return LOGIND_SEAT_NOBODY;
	/* Not loaded yet, or its SessionRemoved came before the seat's change: for a moment the
	 * table does not say who it is. */
	s = logind_get_session(l, e->seat.active_session);
	if (!s)
		return LOGIND_SEAT_UNKNOWN;
	if (ret_session)
		*ret_session = s;
	return LOGIND_SEAT_SESSION;
}

const struct logind_session *logind_sessions_next(struct logind *l,
						  const struct logind_session *prev)
{
	struct logind_entry *e;

	if (prev)
		e = ((const struct logind_entry *)((const char *)prev -
						   offsetof(struct logind_entry, session)))
			    ->next;
	else
		e = l->sessions;
	e = visible(l, e);
	return e ? &e->session : NULL;
}

const struct logind_seat *logind_seats_next(struct logind *l, const struct logind_seat *prev)
{
	struct logind_entry *e;

	if (prev)
		e = ((const struct logind_entry *)((const char *)prev -
						   offsetof(struct logind_entry, seat)))
			    ->next;
	else
		e = l->seats;
	e = visible(l, e);
	return e ? &e->seat : NULL;
}

/* ---- subscriptions -------------------------------------------------------------------- */

static struct logind_subscriber *
subscriber_find(struct logind *l, logind_change_fn fn, const void *userdata)
{
	for (size_t i = 0; i < l->n_subs; i++)
		if (l->subs[i].fn == fn && l->subs[i].userdata == userdata)
			return &l->subs[i];
	return NULL;
}

int logind_subscribe(struct logind *l, logind_change_fn fn, void *userdata)
{
	struct logind_subscriber *subs;

	if (!fn)
		return -EINVAL;
	if (subscriber_find(l, fn, userdata))
		return -EEXIST;
	subs = reallocarray(l->subs, l->n_subs + 1, sizeof(*subs));
	if (!subs)
		return -ENOMEM;
	l->subs = subs;
	l->subs[l->n_subs++] = (struct logind_subscriber){ fn, userdata };
	return 0;
}

int logind_unsubscribe(struct logind *l, logind_change_fn fn, void *userdata)
{
	struct logind_subscriber *s = subscriber_find(l, fn, userdata);

	if (!s)
		return -ENOENT;
	if (l->notifying > 0) {
		/* logind_notify() is walking the array: keep it in place, drop it afterwards. */
		s->fn = NULL;
		l->subs_dirty = true;
		return 0;
	}
	/* Keep the order: parts are told in the order they subscribed. */
	memmove(s, s + 1, (size_t)(l->subs + l->n_subs - (s + 1)) * sizeof(*s));
	l->n_subs--;
	return 0;
}
