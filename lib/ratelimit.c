#include "ratelimit.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

bool ratelimit_ok(struct ratelimit *rl, uint64_t now_usec, unsigned *ret_suppressed)
{
	*ret_suppressed = 0;
	if (rl->interval_usec == 0 || rl->burst == 0)
		return true;

	if (!rl->started || now_usec < rl->begin_usec ||
	    now_usec - rl->begin_usec >= rl->interval_usec) {
		rl->started = true;
		rl->begin_usec = now_usec;
		rl->n_passed = 0;
	}
	if (rl->n_passed >= rl->burst) {
		if (rl->n_dropped < UINT_MAX)
			rl->n_dropped++;
		return false;
	}
	rl->n_passed++;
	*ret_suppressed = rl->n_dropped;
	rl->n_dropped = 0;
	return true;
}
