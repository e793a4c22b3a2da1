#include "bus-util.h"

#include <errno.h>
#include <time.h>

#include "macro.h"

uint64_t monotonic_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

int bus_wait_ready(sd_bus *bus, uint64_t deadline)
{
	for (;;) {
		uint64_t now;
		int r;

		r = sd_bus_is_ready(bus);
		if (r != 0)
			return r < 0 ? r : 0;
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		now = monotonic_usec();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = sd_bus_wait(bus, deadline - now);
		if (r < 0)
			return r;
	}
}
