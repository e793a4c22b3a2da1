#pragma once

/* Assembly of audit records into events by (timestamp, serial); see auditrec.h for the pipeline. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auditrec.h"
#include "macro.h"

/* An event: the records sharing one (timestamp, serial), in arrival order. */
struct auditasm_event {
	struct auditrec_id id;
	const struct auditrec *records;
	size_t n_records;
	bool complete;	/* ended by EOE, or a single-record user-space type */
	bool truncated; /* records or bytes beyond the limits were dropped from it */
	bool cut; /* a record longer than max_record_len was shortened (its long values first) */
};

/* The first record of the given type in ev, or NULL. */
const struct auditrec *auditasm_event_find(const struct auditasm_event *ev, int type);

struct auditasm_limits {
	size_t max_pending; /* events being assembled at once; beyond it the oldest is flushed */
	size_t max_records; /* records kept per event; more are dropped (counted) */
	size_t max_event_bytes; /* record text kept per event; more records are dropped (counted) */
	size_t max_record_len;	/* longer records are shortened to this length (counted): their
				   long values first, so that the fields after them stay */
	uint64_t max_age_usec;	/* an event without EOE is flushed this long after its first record,
				   measured on now_usec and on the newest audit timestamp seen */
};

/* The defaults: 64 pending, 64 records, 64 KiB per event, 8 KiB per record, 2 s. */
void auditasm_limits_default(struct auditasm_limits *ret_limits);

struct auditasm_stats {
	uint64_t records;	  /* records fed */
	uint64_t malformed;	  /* records refused by the parser */
	uint64_t events;	  /* events returned */
	uint64_t incomplete;	  /* events returned without EOE because of age or max_pending */
	uint64_t dropped_records; /* records dropped because an event hit max_records/bytes */
	uint64_t dropped_events;  /* finished events dropped because the caller did not take them */
	uint64_t cut_records;	  /* records shortened to max_record_len (every one is counted:
				     report them, e.g. as audit.lost) */
};

struct auditasm;

/* A new assembler; limits NULL means the defaults (zero members are replaced by defaults too).
 * NULL only on OOM. Memory is bounded by the limits whatever the input. */
struct auditasm *auditasm_free(struct auditasm *a);
struct auditasm *auditasm_new(const struct auditasm_limits *limits) _malloc_(auditasm_free);
DEFINE_FREEP(struct auditasm, auditasm_free)

/*
 * Feeds one record (see auditrec_parse() for text and type). The text is copied. now_usec is the
 * caller's clock (monotonic or the record's time in replay; only differences matter).
 * Returns 0, -EINVAL for a malformed record (counted, ignored), -ENOMEM.
 */
int auditasm_feed(struct auditasm *a, const char *text, size_t len, int type, uint64_t now_usec);

/*
 * The next finished event: complete events in order of completion, then (oldest first) events
 * that are older than max_age_usec, or all pending events when flush_all. NULL when none.
 * The event and its records are owned by the assembler and valid until the next call of any
 * auditasm_*() function on a.
 */
const struct auditasm_event *auditasm_next(struct auditasm *a, uint64_t now_usec, bool flush_all);

/* When (on the now_usec clock) the oldest pending event will expire; UINT64_MAX when none. */
uint64_t auditasm_next_deadline(const struct auditasm *a);

/* Lists the fields of r, a record of the event a handed out last (r->unlisted == a), as
 * auditrec_parse() does. auditrec_find() and auditrec_fields() call it: most events are decided
 * by their first record, so the fields of the others are mostly never listed. */
void auditasm_list_fields(struct auditasm *a, const struct auditrec *r);

void auditasm_get_stats(const struct auditasm *a, struct auditasm_stats *ret_stats);
