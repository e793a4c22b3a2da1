#pragma once

/*
 * The audit pipeline shared by the live source and --replay-audit: records -> lib/auditasm
 * (assembly) -> lib/auditclass (classification) and lib/authburst (bursts) -> attribution -> one
 * journal record per sensitive action.
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

struct auditcfg_change;
struct auditpipe;
struct config;
struct logind;

/* Called after the one record of each change of the audit configuration by someone other than
 * vaktd itself (audit.rules_changed or audit.disabled), e.g. to restore rules. who is the actor as
 * the record names it ("alice (uid 1001)"). */
typedef void (*auditpipe_rules_changed_fn)(const struct auditcfg_change *ch,
					   const char *who,
					   void *userdata);

/* Someone successfully ran a command that stops vaktd's unit or the whole system. Strings are
 * borrowed for the call; NULL when unknown. */
struct auditpipe_request {
	uint32_t auid;
	const char *who; /* as records name the actor: "alice (uid 1001)" */
	const char *user;
	const char *command;
	const char *audit_id;
	const char *tty;
	bool system; /* shuts the system down, or isolates a target */
};
typedef void (*auditpipe_stop_request_fn)(const struct auditpipe_request *r, void *userdata);

/*
 * A pipeline under config c (borrowed; must outlive the pipeline or be replaced with
 * auditpipe_set_config()). live: the daemon (monotonic clock, /proc, rate limits); false: replay
 * (the records' own clock, nothing suppressed). logind (borrowed, may be NULL: replay) places
 * audit sessions. Returns 0 or -ENOMEM/-EINVAL.
 */
int auditpipe_new(const struct config *c,
		  bool live,
		  struct logind *logind,
		  struct auditpipe **ret_pipe);
struct auditpipe *auditpipe_free(struct auditpipe *p);
DEFINE_FREEP(struct auditpipe, auditpipe_free)

/* Uses c from now on (reload). Returns 0 or -ENOMEM/-EINVAL (the old config stays in use). */
int auditpipe_set_config(struct auditpipe *p, const struct config *c);

void auditpipe_on_rules_changed(struct auditpipe *p, auditpipe_rules_changed_fn fn, void *userdata);

/* Calls fn for every command seen in the stream that stops unit (vaktd's, e.g. "vaktd.service";
 * borrowed, must outlive p) or the system: who stopped enforcement (vakt.stopped). */
void auditpipe_on_stop_request(struct auditpipe *p,
			       const char *unit,
			       auditpipe_stop_request_fn fn,
			       void *userdata);

/* Feeds one record (a netlink payload with its type, or an auditd text line with type -1) and
 * emits whatever became ready. now_usec is CLOCK_MONOTONIC (ignored in replay). Returns 0 or
 * -ENOMEM; a malformed record is counted, not an error. */
int auditpipe_feed(struct auditpipe *p, const char *text, size_t len, int type, uint64_t now_usec);

/* Emits what is ready at now_usec; everything pending when flush_all. Returns 0 or -ENOMEM. */
int auditpipe_drain(struct auditpipe *p, uint64_t now_usec, bool flush_all);

/* When auditpipe_drain() must run again without new input; UINT64_MAX when nothing is pending. */
uint64_t auditpipe_next_deadline(const struct auditpipe *p);

/* Records suppressed by the rate limits (per kind and audit uid; successes are never suppressed)
 * and not yet reported: reports them (audit.lost, one per kind) now. */
void auditpipe_report_suppressed(struct auditpipe *p);

struct auditpipe_stats {
	uint64_t records;
	uint64_t malformed;
	uint64_t events;
	uint64_t emitted;
};
void auditpipe_get_stats(const struct auditpipe *p, struct auditpipe_stats *ret_stats);
