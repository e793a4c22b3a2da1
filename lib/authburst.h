#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/*
 * failed_auth_burst = COUNT/WINDOW, per account (the acct= string). A failure at time t "meets
 * the threshold" when it and the COUNT-1 failures before it for that account all lie within
 * WINDOW (t - oldest <= WINDOW). A burst is reported on the failure that meets the threshold when
 * the account's previous failure did not: failures that keep arriving at or above the rate stay
 * in the same burst (one auth.burst), and a new burst starts only after the rate has dropped
 * (a failure that does not meet the threshold, or WINDOW passing without COUNT failures).
 */
#define AUTHBURST_MAX_COUNT 1000

struct authburst;

/* count 1..AUTHBURST_MAX_COUNT, window > 0, max_accounts > 0 (when more accounts are tracked the
 * one with the oldest last failure is forgotten, counted). Returns 0 or -EINVAL/-ENOMEM. */
int authburst_new(unsigned count,
		  uint64_t window_usec,
		  size_t max_accounts,
		  struct authburst **ret_burst);
struct authburst *authburst_free(struct authburst *b);
DEFINE_FREEP(struct authburst, authburst_free)

/* Records one failure for account at now_usec (the audit time; not going backwards is assumed,
 * earlier times are treated as now). Returns 1 when this failure starts a burst (report
 * auth.burst; *ret_failures, if not NULL, is the number of failures within the window), 0 when
 * not, -ENOMEM. */
int authburst_add(struct authburst *b,
		  const char *account,
		  uint64_t now_usec,
		  unsigned *ret_failures);

/* Accounts forgotten because max_accounts was reached. */
uint64_t authburst_evicted(const struct authburst *b);
