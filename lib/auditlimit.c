#include "auditlimit.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>

#include "ratelimit.h"

struct bucket {
	bool used;
	enum auditclass_kind kind;
	uint32_t auid;
	struct ratelimit rl;
};

struct auditlimit {
	uint64_t interval_usec;
	size_t n_buckets;
	unsigned unreported[_AUDITCLASS_KIND_MAX];
	struct bucket buckets[];
};

struct auditlimit *auditlimit_new(uint64_t interval_usec, size_t max_buckets)
{
	struct auditlimit *l;

	if (max_buckets == 0)
		max_buckets = 1;
	l = calloc(1, sizeof(*l) + max_buckets * sizeof(struct bucket));
	if (!l)
		return NULL;
	l->interval_usec = interval_usec;
	l->n_buckets = max_buckets;
	return l;
}

struct auditlimit *auditlimit_free(struct auditlimit *l)
{
	free(l);
	return NULL;
}

unsigned auditlimit_burst(enum auditclass_kind k)
{
	switch (k) {
	case AUDITCLASS_AUTH_FAILED:
	case AUDITCLASS_FILE_CHANGED:
	case AUDITCLASS_SETUID:
		return 50;
	default:
		return 200;
	}
}

bool auditlimit_exempt(const struct auditclass_facts *f)
{
	/* Every auth.failed is a failure; for the rest the result decides. */
	if (f->kind == AUDITCLASS_AUTH_FAILED)
		return false;
	return !f->has_result || f->success;
}

/* The bucket of (kind, auid): the one in use, else a free one, else the one whose interval began
 * longest ago (a bucket that never passed anything has begin_usec 0 and goes first). */
static struct bucket *bucket_get(struct auditlimit *l, enum auditclass_kind kind, uint32_t auid)
{
	struct bucket *free_b = NULL, *oldest = NULL;

	for (size_t i = 0; i < l->n_buckets; i++) {
		struct bucket *b = &l->buckets[i];

		if (!b->used) {
			if (!free_b)
				free_b = b;
			continue;
		}
		if (b->kind == kind && b->auid == auid)
			return b;
		if (!oldest || b->rl.begin_usec < oldest->rl.begin_usec)
			oldest = b;
	}
	if (!free_b)
		free_b = oldest; /* its n_dropped is already in unreported[] */
	assert(free_b);		 /* n_buckets >= 1: a bucket is free or in use */
	*free_b = (struct bucket){
		.used = true,
		.kind = kind,
		.auid = auid,
		.rl = RATELIMIT_INIT(l->interval_usec, auditlimit_burst(kind)),
	};
	return free_b;
}

bool auditlimit_ok(struct auditlimit *l,
		   const struct auditclass_facts *f,
		   uint64_t now_usec,
		   unsigned *ret_suppressed)
{
	struct bucket *b;
	unsigned *unreported;

	*ret_suppressed = 0;
	if (l->interval_usec == 0 || (unsigned)f->kind >= _AUDITCLASS_KIND_MAX ||
	    auditlimit_exempt(f))
		return true;
	b = bucket_get(l, f->kind, f->auid);
	unreported = &l->unreported[f->kind];
	if (!ratelimit_ok(&b->rl, now_usec, ret_suppressed)) {
		if (*unreported < UINT_MAX)
			(*unreported)++;
		return false;
	}
	/* The passing record reports them: they are no longer unreported. */
	*unreported -= *ret_suppressed < *unreported ? *ret_suppressed : *unreported;
	return true;
}

unsigned auditlimit_take_unreported(struct auditlimit *l, enum auditclass_kind k)
{
	unsigned n;

	if ((unsigned)k >= _AUDITCLASS_KIND_MAX)
		return 0;
	n = l->unreported[k];
	l->unreported[k] = 0;
	/* Buckets still hold counts that a later record would carry again: forget them, they were
	 * just reported. */
	for (size_t i = 0; i < l->n_buckets; i++)
		if (l->buckets[i].used && l->buckets[i].kind == k)
			l->buckets[i].rl.n_dropped = 0;
	return n;
}
