#include "auditasm.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Assembly of records into events. Each event being assembled lives in a slot: its records' text
 * back to back in one buffer, plus per record the type and id. Slots are recycled, so a steady
 * stream allocates nothing. Pending slots are kept in arrival order (the oldest first), finished
 * ones in a FIFO; the event handed out last stays valid until the next call.
 */

struct slot_rec {
	int type;
	size_t off; /* of the record text in slot->buf */
	size_t len;
	size_t body; /* of the fields, from off: the header is parsed once, when fed */
};

struct slot {
	struct auditrec_id id;
	uint64_t first_now; /* caller's clock at the first record */
	bool complete;
	bool truncated;
	bool cut;
	bool has_execve;
	char *buf;
	size_t buf_len, buf_cap;
	struct slot_rec *recs;
	size_t n_recs, recs_cap;
};

struct auditasm {
	struct auditasm_limits limits;
	struct auditasm_stats stats;
	struct slot **pending; /* arrival order */
	size_t n_pending;
	struct slot **ready; /* FIFO */
	size_t ready_head, n_ready;
	struct slot **spare;
	size_t n_spare;
	struct slot *current; /* handed out by auditasm_next() */
	uint64_t newest_sec;  /* newest audit time seen, seconds */
	char *scratch;	      /* max_record_len bytes: a long record, compacted */

	/* The current event as the caller sees it. */
	struct auditasm_event event;
	struct auditrec *records;
	size_t records_cap;
	struct auditrec_field *fields;
	size_t fields_used; /* of fields[FIELDS_MAX], by the current event's listed records */
};

/* Fields kept per event, at most (the rest of a record's fields are not listed). */
#define FIELDS_MAX	4096
/* A released slot keeps at most this much buffer, so that one huge event does not stay. */
#define SLOT_KEEP_BYTES 8192

void auditasm_limits_default(struct auditasm_limits *ret_limits)
{
	*ret_limits = (struct auditasm_limits){
		.max_pending = 64,
		.max_records = 64,
		.max_event_bytes = (size_t)64 * 1024,
		.max_record_len = (size_t)8 * 1024,
		.max_age_usec = 2 * USEC_PER_SEC,
	};
}

static struct slot *slot_free(struct slot *s)
{
	if (!s)
		return NULL;
	free(s->buf);
	free(s->recs);
	free(s);
	return NULL;
}

struct auditasm *auditasm_free(struct auditasm *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->n_pending; i++)
		slot_free(a->pending[i]);
	for (size_t i = 0; i < a->n_ready; i++)
		slot_free(a->ready[(a->ready_head + i) % a->limits.max_pending]);
	for (size_t i = 0; i < a->n_spare; i++)
		slot_free(a->spare[i]);
	slot_free(a->current);
	free(a->pending);
	free(a->ready);
	free(a->spare);
	free(a->records);
	free(a->fields);
	free(a->scratch);
	free(a);
	return NULL;
}

struct auditasm *auditasm_new(const struct auditasm_limits *limits)
{
	struct auditasm *a;
	struct auditasm_limits def;

	auditasm_limits_default(&def);
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->limits = limits ? *limits : def;
	if (a->limits.max_pending == 0)
		a->limits.max_pending = def.max_pending;
	if (a->limits.max_records == 0)
		a->limits.max_records = def.max_records;
	if (a->limits.max_event_bytes == 0)
		a->limits.max_event_bytes = def.max_event_bytes;
	if (a->limits.max_record_len == 0)
		a->limits.max_record_len = def.max_record_len;
	if (a->limits.max_age_usec == 0)
		a->limits.max_age_usec = def.max_age_usec;

	a->pending = calloc(a->limits.max_pending, sizeof(struct slot *));
	a->ready = calloc(a->limits.max_pending, sizeof(struct slot *));
	/* Every slot is pending, ready, spare or current: 2 * max_pending + 1 at most. */
	a->spare = calloc(2 * a->limits.max_pending + 1, sizeof(struct slot *));
	if (!a->pending || !a->ready || !a->spare) {
		free(a->pending);
		free(a->ready);
		free(a->spare);
		free(a);
		return NULL;
	}
	return a;
}

static void slot_release(struct auditasm *a, struct slot *s)
{
	if (s->buf_cap > SLOT_KEEP_BYTES) {
		free(s->buf);
		s->buf = NULL;
		s->buf_cap = 0;
	}
	s->buf_len = 0;
	s->n_recs = 0;
	a->spare[a->n_spare++] = s;
}

static struct slot *slot_get(struct auditasm *a)
{
	if (a->n_spare > 0)
		return a->spare[--a->n_spare];
	return calloc(1, sizeof(struct slot));
}

static void ready_push(struct auditasm *a, struct slot *s)
{
	size_t cap = a->limits.max_pending;

	assert(cap > 0);
	if (a->n_ready == cap) {
		/* The caller does not take events: drop the oldest finished one. */
		slot_release(a, a->ready[a->ready_head]);
		a->ready_head = (a->ready_head + 1) % cap;
		a->n_ready--;
		a->stats.dropped_events++;
	}
	a->ready[(a->ready_head + a->n_ready) % cap] = s;
	a->n_ready++;
}

/* Moves pending[i] to the ready queue. */
static void pending_finish(struct auditasm *a, size_t i)
{
	struct slot *s = a->pending[i];

	for (size_t j = i; j + 1 < a->n_pending; j++)
		a->pending[j] = a->pending[j + 1];
	a->n_pending--;
	if (!s->complete)
		a->stats.incomplete++;
	ready_push(a, s);
}

static struct slot *pending_find(struct auditasm *a, const struct auditrec_id *id)
{
	/* Records mostly belong to the newest event: search from the end. */
	for (size_t i = a->n_pending; i > 0; i--) {
		struct slot *s = a->pending[i - 1];

		if (s->id.serial == id->serial && s->id.sec == id->sec && s->id.msec == id->msec)
			return s;
	}
	return NULL;
}

static struct slot *pending_new(struct auditasm *a, const struct auditrec_id *id, uint64_t now)
{
	struct slot *s;

	if (a->n_pending == a->limits.max_pending)
		pending_finish(a, 0); /* bounded: the oldest goes out as it is */
	s = slot_get(a);
	if (!s)
		return NULL;
	s->id = *id;
	s->first_now = now;
	s->complete = false;
	s->truncated = false;
	s->cut = false;
	s->has_execve = false;
	a->pending[a->n_pending++] = s;
	return s;
}

/* Whether a record of type and len no longer fits into s. An exec with huge arguments fills the
 * event with EXECVE records: those beyond half the budget are dropped, so that the records after
 * them (CWD, PATH, PROCTITLE) still fit. */
static bool slot_full(const struct auditasm *a, const struct slot *s, int type, size_t len)
{
	if (s->n_recs >= a->limits.max_records || s->buf_len + len > a->limits.max_event_bytes)
		return true;
	return type == AUDITREC_TYPE_EXECVE && s->has_execve &&
	       s->buf_len + len > a->limits.max_event_bytes / 2;
}

static int slot_append(struct auditasm *a,
		       struct slot *s,
		       const struct slot_rec *rec,
		       const char *text,
		       size_t len)
{
	if (slot_full(a, s, rec->type, len)) {
		s->truncated = true;
		a->stats.dropped_records++;
		return 0;
	}
	if (rec->type == AUDITREC_TYPE_EXECVE)
		s->has_execve = true;
	if (s->n_recs == s->recs_cap) {
		size_t n = s->recs_cap ? s->recs_cap * 2 : 8;
		struct slot_rec *recs = realloc(s->recs, n * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		s->recs = recs;
		s->recs_cap = n;
	}
	if (s->buf_len + len > s->buf_cap) {
		size_t n = s->buf_cap ? s->buf_cap : 1024;
		char *buf;

		while (n < s->buf_len + len)
			n *= 2;
		buf = realloc(s->buf, n);
		if (!buf)
			return -ENOMEM;
		s->buf = buf;
		s->buf_cap = n;
	}
	/* The room was made above; glibc has no memcpy_s (C11 Annex K) to use instead. */
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
	memcpy(s->buf + s->buf_len, text, len);
	s->recs[s->n_recs++] = (struct slot_rec){
		.type = rec->type,
		.off = s->buf_len,
		.len = len,
		.body = rec->body,
	};
	s->buf_len += len;
	return 0;
}

static size_t pending_index(const struct auditasm *a, const struct slot *s)
{
	for (size_t i = a->n_pending; i > 0; i--)
		if (a->pending[i - 1] == s)
			return i - 1;
	assert(false);
	return 0;
}

/* The length of the record proper: up to a NUL, without a trailing newline. */
static size_t record_len(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);

	if (nul)
		len = (size_t)(nul - text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	return len;
}

/*
 * A record longer than max_record_len is shortened before it is stored: first its long values
 * (auditrec_compact(): each to a quarter of the limit), so that the fields after them survive
 * (a 4 KB hex-encoded exe= would otherwise push key= out, and a long cmd= the res= of sudo's
 * record); only what is still too long is cut at the limit. *text and *len then point to
 * a->scratch.
 */
static int compact(struct auditasm *a, const char **text, size_t *len, size_t body)
{
	size_t max = a->limits.max_record_len, n;

	if (!a->scratch) {
		a->scratch = malloc(max);
		if (!a->scratch)
			return -ENOMEM;
	}
	if (body > max)
		body = max; /* the cut goes into the header: no fields */
	memcpy(a->scratch, *text, body);
	n = body +
	    auditrec_compact(*text + body, *len - body, max / 4, a->scratch + body, max - body);
	while (n > body && (a->scratch[n - 1] == '\n' || a->scratch[n - 1] == '\r'))
		n--;
	*text = a->scratch;
	*len = n;
	return 0;
}

int auditasm_feed(struct auditasm *a, const char *text, size_t len, int type, uint64_t now_usec)
{
	struct auditrec_id id;
	struct slot *s;
	size_t body;
	bool cut = false;
	int r;

	a->stats.records++;
	len = record_len(text, len);
	r = auditrec_parse_header(text, len, type, &type, &id, &body);
	if (r < 0) {
		a->stats.malformed++;
		return r;
	}
	if (len > a->limits.max_record_len) {
		r = compact(a, &text, &len, body);
		if (r < 0)
			return r;
		cut = true;
		a->stats.cut_records++;
	}
	if (id.sec > a->newest_sec)
		a->newest_sec = id.sec;

	s = pending_find(a, &id);
	if (type == AUDITREC_TYPE_EOE) {
		if (s) {
			s->complete = true;
			pending_finish(a, pending_index(a, s));
		}
		return 0;
	}
	if (!s) {
		s = pending_new(a, &id, now_usec);
		if (!s)
			return -ENOMEM;
	}
	r = slot_append(a, s, &(struct slot_rec){ .type = type, .body = body }, text, len);
	if (r < 0)
		return r;
	s->cut = s->cut || cut;
	if (auditrec_type_is_single(type) && s->n_recs == 1) {
		/* User-space messages are whole events on their own. */
		s->complete = true;
		pending_finish(a, pending_index(a, s));
	}
	return 0;
}

static bool slot_expired(const struct auditasm *a, const struct slot *s, uint64_t now)
{
	uint64_t age_sec = (a->limits.max_age_usec + USEC_PER_SEC - 1) / USEC_PER_SEC;

	if (now >= s->first_now && now - s->first_now >= a->limits.max_age_usec)
		return true;
	/* In replay the caller's clock may stand still: the audit time moves on. */
	return a->newest_sec > s->id.sec && a->newest_sec - s->id.sec > age_sec;
}

/* Fills a->event from slot s. The records' fields are listed on first use
 * (auditasm_list_fields()). */
static int event_build(struct auditasm *a, struct slot *s)
{
	if (s->n_recs > a->records_cap) {
		struct auditrec *recs = realloc(a->records, s->n_recs * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		a->records = recs;
		a->records_cap = s->n_recs;
	}
	if (!a->fields) {
		a->fields = calloc(FIELDS_MAX, sizeof(*a->fields));
		if (!a->fields)
			return -ENOMEM;
	}
	a->fields_used = 0;

	for (size_t i = 0; i < s->n_recs; i++) {
		const struct slot_rec *sr = &s->recs[i];

		/* Every record of the slot has the slot's id: pending_find() matched it. */
		a->records[i] = (struct auditrec){
			.type = sr->type,
			.id = s->id,
			.text = s->buf + sr->off + sr->body,
			.len = sr->len - sr->body,
			.unlisted = a,
		};
	}

	a->event = (struct auditasm_event){
		.id = s->id,
		.records = a->records,
		.n_records = s->n_recs,
		.complete = s->complete,
		.truncated = s->truncated,
		.cut = s->cut,
	};
	return 0;
}

void auditasm_list_fields(struct auditasm *a, const struct auditrec *r)
{
	struct auditrec *w;

	assert(r >= a->records && r < a->records + a->event.n_records);
	w = &a->records[r - a->records];
	w->fields = a->fields + a->fields_used;
	w->n_fields = auditrec_parse_fields(
		w->text, w->len, a->fields + a->fields_used, FIELDS_MAX - a->fields_used);
	w->unlisted = NULL;
	a->fields_used += w->n_fields;
}

static struct slot *take_next(struct auditasm *a, uint64_t now_usec, bool flush_all)
{
	struct slot *s;

	assert(a->limits.max_pending > 0);
	if (a->n_ready > 0) {
		s = a->ready[a->ready_head];
		a->ready_head = (a->ready_head + 1) % a->limits.max_pending;
		a->n_ready--;
		return s;
	}
	if (a->n_pending == 0)
		return NULL;
	/* The oldest pending event expires first. */
	s = a->pending[0];
	if (!flush_all && !slot_expired(a, s, now_usec))
		return NULL;
	for (size_t j = 0; j + 1 < a->n_pending; j++)
		a->pending[j] = a->pending[j + 1];
	a->n_pending--;
	a->stats.incomplete++;
	return s;
}

const struct auditasm_event *auditasm_next(struct auditasm *a, uint64_t now_usec, bool flush_all)
{
	struct slot *s;

	if (a->current) {
		slot_release(a, a->current);
		a->current = NULL;
	}
	for (;;) {
		s = take_next(a, now_usec, flush_all);
		if (!s)
			return NULL;
		if (s->n_recs > 0 && event_build(a, s) >= 0)
			break;
		/* Nothing to hand out (only EOE), or no memory to describe it. */
		a->stats.dropped_events++;
		slot_release(a, s);
	}
	a->current = s;
	a->stats.events++;
	return &a->event;
}

uint64_t auditasm_next_deadline(const struct auditasm *a)
{
	if (a->n_ready > 0)
		return 0;
	if (a->n_pending == 0)
		return UINT64_MAX;
	return a->pending[0]->first_now + a->limits.max_age_usec;
}

void auditasm_get_stats(const struct auditasm *a, struct auditasm_stats *ret_stats)
{
	*ret_stats = a->stats;
}

const struct auditrec *auditasm_event_find(const struct auditasm_event *ev, int type)
{
	for (size_t i = 0; i < ev->n_records; i++)
		if (ev->records[i].type == type)
			return &ev->records[i];
	return NULL;
}
