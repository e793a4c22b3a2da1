#pragma once

/*
 * The rate limit of the audit part's records, per kind of record AND per person (audit uid), so
 * that one person's flood never uses up another's budget. Only what an outsider can repeat at
 * will is limited: failures (auth.failed, a refused sudo, su, write, ...). A successful
 * privilege.*, account.changed, file.changed or audit.rules_changed always passes and is not
 * counted: dropping one would hide the very action the part exists to record.
 *
 * The table of (kind, audit uid) buckets has a fixed size; when it is full the bucket whose
 * interval began longest ago is reused (its suppressed count stays in the per-kind total).
 * Time is an input (a monotonic clock), so the logic is tested without a loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auditclass.h"
#include "macro.h"

struct auditlimit;

/* At most auditlimit_burst(kind) limited records per (kind, audit uid) in each interval_usec;
 * max_buckets > 0 buckets. interval_usec 0 disables the limit (replay). NULL only on OOM. */
struct auditlimit *auditlimit_free(struct auditlimit *l);
struct auditlimit *auditlimit_new(uint64_t interval_usec, size_t max_buckets)
	_malloc_(auditlimit_free);
DEFINE_FREEP(struct auditlimit, auditlimit_free)

/* How many limited records of kind k one audit uid may write per interval. */
unsigned auditlimit_burst(enum auditclass_kind k);

/* Whether facts f (borrowed) are exempt from the limit: a success (or no result) of any kind but
 * auth.failed. */
bool auditlimit_exempt(const struct auditclass_facts *f);

/*
 * Whether the record of f may be written at now_usec. *ret_suppressed gets how many records of
 * the same kind and audit uid were suppressed since the last one that passed (report them with
 * this one), else 0. A suppressed record counts towards auditlimit_take_unreported().
 */
bool auditlimit_ok(struct auditlimit *l,
		   const struct auditclass_facts *f,
		   uint64_t now_usec,
		   unsigned *ret_suppressed);

/* Records of kind k suppressed and not yet reported with a later record; resets the count. */
unsigned auditlimit_take_unreported(struct auditlimit *l, enum auditclass_kind k);
