#pragma once

/* Small helpers the D-Bus clients (storage-seat.c, audit-attribution.c) and the loop share. */

#include <stdint.h>
#include <systemd/sd-bus.h>

/* CLOCK_MONOTONIC now, in microseconds (the clock of sd-event timers and MONOTONIC_USEC=). */
uint64_t monotonic_usec(void);

/*
 * Drives a new connection through authentication and Hello until deadline (monotonic_usec()).
 * sd-bus alone would wait for a stuck bus daemon until its own authentication timeout (a minute)
 * on the first method call, with the event loop blocked. Returns 0, -ETIMEDOUT or another -errno.
 */
int bus_wait_ready(sd_bus *bus, uint64_t deadline);
