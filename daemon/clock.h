#pragma once

/* The daemon's clock: CLOCK_MONOTONIC in microseconds, the clock of sd-event timers, logind's
 * IdleSinceHintMonotonic and MONOTONIC_USEC=. lib/ never reads a clock: it is given the time. */

#include <stdint.h>
#include <time.h>

#include "macro.h"

static inline uint64_t monotonic_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}
