#pragma once

/*
 * Shared by the two halves of the logind client, not by parts: logind.c (the connection, the
 * resync and the calls) and logind-table.c (the records, how logind's messages change them,
 * lookups and notifications).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "logind.h"

/*
 * DOWN     no bus connection; the reconnect timer is armed (unless the loop is exiting)
 * WAITING  connected (or connecting), and org.freedesktop.login1 has no owner, or we don't know
 *          it yet, or the last resync failed and the resync timer is armed
 * SYNCING  logind has an owner; ListSessions/ListSeats and one GetAll per object are in flight
 *          (sync_pending counts them); signals are applied to the table already
 * READY    the table is a complete copy: lookups answer, parts get notifications
 */
enum logind_state { LOGIND_DOWN, LOGIND_WAITING, LOGIND_SYNCING, LOGIND_READY };

enum logind_kind { LOGIND_KIND_SESSION, LOGIND_KIND_SEAT };

struct logind_call;

/* One session or seat (the kind is the list it is in). */
struct logind_entry {
	struct logind_entry *next;
	bool loaded;		     /* a GetAll answered: visible to parts */
	struct logind_call *loading; /* the GetAll in flight (only compared), NULL when none */
	union {
		struct logind_session session;
		struct logind_seat seat;
	};
};

struct logind_subscriber {
	logind_change_fn fn; /* NULL: unsubscribed during a notification, removed after it */
	void *userdata;
};

struct logind {
	sd_event *event; /* borrowed */
	sd_bus *bus;
	sd_event_source *reconnect; /* DOWN: connect again */
	sd_event_source *deadline;  /* connecting: give up on a bus that does not answer */
	sd_event_source *resync;    /* WAITING with an owner: a failed resync, tried again */
	sd_event_source *exit;	    /* closes the bus before sd-bus's exit handler flushes it */
	enum logind_state state;
	char *owner;	     /* unique name of org.freedesktop.login1's owner, NULL when none */
	uint64_t generation; /* bumped whenever the table is cleared */
	unsigned sync_pending;
	uint64_t resync_delay;
	bool exiting;
	int reported; /* last logged reachability: 0 nothing yet, 1 reachable, -1 not */
	struct logind_entry *sessions;
	struct logind_entry *seats;
	struct logind_call *calls;
	struct logind_subscriber *subs;
	size_t n_subs;
	unsigned notifying; /* depth of logind_notify() */
	bool subs_dirty;
};

/* "session" or "seat", for messages. */
const char *logind_kind_name(enum logind_kind k);
/* org.freedesktop.login1.Session or .Seat. */
const char *logind_kind_interface(enum logind_kind k);

/* The entry of kind k with this id or object path (borrowed), loaded or not; NULL if none. */
struct logind_entry *logind_entry_find(struct logind *l, enum logind_kind k, const char *id);
struct logind_entry *logind_entry_find_path(struct logind *l, enum logind_kind k, const char *path);
/* A new, not yet loaded entry in the table (the caller checked there is none with id). NULL on
 * OOM. */
struct logind_entry *
logind_entry_add(struct logind *l, enum logind_kind k, const char *id, const char *path);
/* Removes and frees e, telling parts first when they could see it. */
void logind_entry_remove(struct logind *l, enum logind_kind k, struct logind_entry *e);

/*
 * Applies the a{sv} of properties at m (GetAll's answer, PropertiesChanged's changed values)
 * to e; a property of an unexpected type is skipped with a debug message. *changed gets the
 * LOGIND_FIELD_* bits of the fields that changed. Returns 0 or -errno (m malformed, OOM: then
 * some properties may be applied).
 */
int logind_entry_read(struct logind_entry *e,
		      enum logind_kind k,
		      sd_bus_message *m,
		      unsigned *changed);
/* Whether PropertiesChanged's "as" of invalidated names at m names a field of the table:
 * 1 yes, 0 no, or -errno. */
int logind_entry_invalidated(enum logind_kind k, sd_bus_message *m);
/* After logind_entry_read(): marks e loaded and tells parts (NEW, or CHANGED when changed). */
void logind_entry_loaded(struct logind *l,
			 enum logind_kind k,
			 struct logind_entry *e,
			 unsigned changed);
/* After logind_entry_read() of a PropertiesChanged: tells parts, if they can see e. */
void logind_entry_changed(struct logind *l,
			  enum logind_kind k,
			  struct logind_entry *e,
			  unsigned changed);

/* SessionNew/SeatNew(so), SessionRemoved/SeatRemoved(so) and PropertiesChanged of a session
 * or seat, from logind's owner, while SYNCING or READY. */
void logind_on_object_new(struct logind *l, enum logind_kind k, sd_bus_message *m);
void logind_on_object_removed(struct logind *l, enum logind_kind k, sd_bus_message *m);
void logind_on_properties_changed(struct logind *l, sd_bus_message *m);

void logind_table_clear(struct logind *l);
size_t logind_table_count(struct logind *l, enum logind_kind k);

/* Calls the subscribers. */
void logind_notify(struct logind *l, enum logind_change what, const char *id);

/* In logind.c. Asks logind for e's properties, unless a GetAll for e is in flight already (its
 * answer will be current: see the top of logind.c). Returns 0 or -errno. */
int logind_entry_load(struct logind *l, enum logind_kind k, struct logind_entry *e);
/* The table cannot be trusted (logind did not answer, OOM): clears it (LOGIND_UNKNOWN if it was
 * known), logs why once, and resyncs later, backing off while it keeps failing. */
void logind_sync_failed(struct logind *l, int error, const char *why);
