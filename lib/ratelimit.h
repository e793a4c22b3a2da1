#pragma once

/*
 * Rate limit for records an outside party can trigger: at most burst events per interval. The
 * caller owns the struct (no global state) and passes the time, so the logic is testable.
 *
 *   static struct ratelimit rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 20);
 *   unsigned suppressed;
 *   if (ratelimit_ok(&rl, now_usec, &suppressed)) ...
 */

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t interval_usec;
	unsigned burst;
	bool started;	     /* whether begin_usec is set */
	uint64_t begin_usec; /* start of the current interval */
	unsigned n_passed;   /* events passed in the current interval */
	unsigned n_dropped;  /* events suppressed since the last report */
};

#define RATELIMIT_INIT(interval, b)                       \
	{                                                 \
		.interval_usec = (interval), .burst = (b) \
	}

/* Whether one more event may pass at now_usec (a monotonic clock). A zero interval or burst
 * disables the limit. *ret_suppressed gets how many events were suppressed since the last passing
 * one (report them once, with the passing event), else 0. */
bool ratelimit_ok(struct ratelimit *rl, uint64_t now_usec, unsigned *ret_suppressed);
