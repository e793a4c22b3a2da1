#pragma once

/*
 * Changes of the kernel audit configuration (audit.rules_changed facts from lib/auditclass),
 * coalesced per actor: one "auditctl -D", "augenrules --load" or script removing rules writes one
 * CONFIG_CHANGE per rule, and a help desk needs one record saying who removed what, not one per
 * rule. The actor is the person (audit uid and audit session) when the audit uid is set, else the
 * process. A change is open while its actor keeps changing things: it ends AUDITCFG_QUIET_USEC
 * after its last change, or AUDITCFG_MAX_AGE_USEC after its first. Time is an input (monotonic,
 * or the records' own clock in replay). Memory is bounded: at most AUDITCFG_MAX_OPEN actors at
 * once (the oldest is ended early when a new one comes), and as many ended changes waiting.
 *
 *     auditcfg_add(c, &facts, now);                        facts of kind AUDITCLASS_RULES_CHANGED
 *     while (auditcfg_next(c, now, false, &change) > 0)     changes whose actor went quiet
 *             ... write one record ..., auditcfg_change_done(&change);
 */

#include <stdbool.h>
#include <stdint.h>

#include "auditclass.h"
#include "macro.h"

#define AUDITCFG_QUIET_USEC   (300 * USEC_PER_MSEC)
#define AUDITCFG_MAX_AGE_USEC (2 * USEC_PER_SEC)
#define AUDITCFG_MAX_OPEN     16
#define AUDITCFG_KEYS_MAX     256

/* What one actor changed. */
struct auditcfg_change {
	struct auditclass_facts facts; /* of the first change: who, where, audit id; owned */
	char last_id[AUDITREC_ID_MAX]; /* audit id of the last change */
	uint64_t last_usec;	       /* audit time of the last change */
	unsigned added;		       /* rules added */
	unsigned removed;	       /* rules removed */
	unsigned settings; /* other settings changed (failure mode, backlog, daemon pid, ...) */
	unsigned refused;  /* changes the kernel refused (res=0), beside applied ones */
	int enabled;	   /* the enabled flag set last: 0 off, 1 on, 2 locked; -1 not set */
	int enabled_old;   /* the flag before the first such change; -1 unknown */
	char keys[AUDITCFG_KEYS_MAX]; /* distinct keys of the rules added or removed, ", "-joined;
					 ends in "..." when they did not fit */
	unsigned keyless;	      /* rules added or removed without a key */
};

/* Whether ch switched auditing off: its last enabled flag set is 0 and it was on before (or
 * unknown). */
bool auditcfg_change_disabled(const struct auditcfg_change *ch);

/* Frees the strings of ch and zeroes it; accepts a zeroed struct. */
void auditcfg_change_done(struct auditcfg_change *ch);

struct auditcfg;

/* NULL only on OOM. */
struct auditcfg *auditcfg_free(struct auditcfg *c);
struct auditcfg *auditcfg_new(void) _malloc_(auditcfg_free);
DEFINE_FREEP(struct auditcfg, auditcfg_free)

/* Adds the facts *f (kind AUDITCLASS_RULES_CHANGED; its strings are taken over and *f is zeroed)
 * to the open change of its actor, or opens one. Facts of other kinds are left alone. Returns the
 * number of ended changes waiting (>= 0). */
int auditcfg_add(struct auditcfg *c, struct auditclass_facts *f, uint64_t now_usec);

/* Takes the next ended change (its actor quiet since AUDITCFG_QUIET_USEC, or open for
 * AUDITCFG_MAX_AGE_USEC; every open one when flush_all) into *ret_change (caller calls
 * auditcfg_change_done()). Returns 1, or 0 when none is ready. */
int auditcfg_next(struct auditcfg *c,
		  uint64_t now_usec,
		  bool flush_all,
		  struct auditcfg_change *ret_change);

/* When the next open change ends without further input; UINT64_MAX when none is open, 0 when
 * one is ready. */
uint64_t auditcfg_next_deadline(const struct auditcfg *c);

/* Ended changes dropped because more than AUDITCFG_MAX_OPEN were waiting. */
uint64_t auditcfg_dropped(const struct auditcfg *c);

/* Changes not handed out because the kernel applied none of them (only refused CONFIG_CHANGE
 * records: a rule added that exists, or removed that does not; they change nothing). */
uint64_t auditcfg_noops(const struct auditcfg *c);
