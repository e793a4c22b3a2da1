#include "authburst.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * failed_auth_burst: per account, the times of its last COUNT failures in a ring. The threshold
 * is met when the oldest of those COUNT lies within WINDOW of the newest; a burst is reported on
 * the transition from "not met" to "met" (see auditrec.h).
 */

struct account {
	char *name;
	uint64_t hash;
	uint64_t last; /* time of the newest failure */
	unsigned n;    /* failures in the ring (<= count) */
	unsigned head; /* index of the oldest */
	bool in_burst; /* the newest failure met the threshold */
	uint64_t *times;
};

struct authburst {
	unsigned count;
	uint64_t window;
	size_t max_accounts;
	struct account *accounts;
	size_t n_accounts;
	uint64_t evicted;
};

static void account_done(struct account *a)
{
	free(a->name);
	free(a->times);
	*a = (struct account){ 0 };
}

struct authburst *authburst_free(struct authburst *b)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n_accounts; i++)
		account_done(&b->accounts[i]);
	free(b->accounts);
	free(b);
	return NULL;
}

int authburst_new(unsigned count,
		  uint64_t window_usec,
		  size_t max_accounts,
		  struct authburst **ret_burst)
{
	struct authburst *b;

	if (count == 0 || count > AUTHBURST_MAX_COUNT || window_usec == 0 || max_accounts == 0)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->accounts = calloc(max_accounts, sizeof(*b->accounts));
	if (!b->accounts) {
		free(b);
		return -ENOMEM;
	}
	b->count = count;
	b->window = window_usec;
	b->max_accounts = max_accounts;
	*ret_burst = b;
	return 0;
}

uint64_t authburst_evicted(const struct authburst *b)
{
	return b->evicted;
}

static uint64_t hash_string(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/* The slot for name: found, free, or freed by forgetting the least recently failed account. */
static struct account *account_get(struct authburst *b, const char *name, uint64_t h)
{
	struct account *a;
	size_t oldest = 0;

	for (size_t i = 0; i < b->n_accounts; i++) {
		a = &b->accounts[i];
		if (a->name && a->hash == h && streq(a->name, name))
			return a;
		if (a->last < b->accounts[oldest].last)
			oldest = i;
	}
	if (b->n_accounts < b->max_accounts)
		a = &b->accounts[b->n_accounts++];
	else {
		a = &b->accounts[oldest];
		account_done(a);
		b->evicted++;
	}
	a->name = strdup(name);
	a->times = calloc(b->count, sizeof(*a->times));
	if (!a->name || !a->times) {
		account_done(a);
		return NULL;
	}
	a->hash = h;
	return a;
}

int authburst_add(struct authburst *b,
		  const char *account,
		  uint64_t now_usec,
		  unsigned *ret_failures)
{
	uint64_t h = hash_string(account);
	struct account *a = account_get(b, account, h);
	bool met, started, quiet;

	if (!a) {
		/* The slot stays allocated but empty; it is reused by the next new account. */
		return -ENOMEM;
	}
	assert(b->count > 0);
	if (a->n > 0 && now_usec < a->last)
		now_usec = a->last;
	/* A whole window without a failure ends a burst, whatever COUNT is. */
	quiet = a->n == 0 || now_usec - a->last > b->window;

	if (a->n < b->count)
		a->times[(a->head + a->n++) % b->count] = now_usec;
	else {
		a->times[a->head] = now_usec; /* replaces the oldest */
		a->head = (a->head + 1) % b->count;
	}
	a->last = now_usec;

	met = a->n == b->count && now_usec - a->times[a->head] <= b->window;
	started = met && (!a->in_burst || quiet);
	a->in_burst = met;

	if (started && ret_failures) {
		unsigned n = 0;

		for (unsigned i = 0; i < a->n; i++)
			if (now_usec - a->times[(a->head + i) % b->count] <= b->window)
				n++;
		*ret_failures = n;
	}
	return started;
}
