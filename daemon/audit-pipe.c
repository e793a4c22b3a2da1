/*
 * The audit pipeline: lib/auditclass decides what an event is; this file says who did it and where,
 * and writes the record. Nothing here classifies.
 */

#include "audit-pipe.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit-attribution.h"
#include "auditasm.h"
#include "auditclass.h"
#include "auditrec.h"
#include "authburst.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "parse.h"
#include "ratelimit.h"

#define BURST_MAX_ACCOUNTS	4096
#define RATELIMIT_INTERVAL_USEC (10 * USEC_PER_SEC)

struct auditpipe {
	const struct config *config;
	bool live;
	struct auditasm *assembler;
	struct auditclass *classifier;
	struct authburst *burst;
	struct attribution *attribution;
	uint64_t replay_clock_usec; /* replay: the newest audit time seen */
	struct ratelimit limits[_AUDITCLASS_KIND_MAX];
	auditpipe_rules_changed_fn rules_changed;
	void *userdata;
	uint32_t own_pid; /* live: our own refused rule additions are checks, not changes */
	uint64_t emitted;
};

/* How many events of each kind pass per interval when live (outsiders can trigger these). */
static unsigned kind_burst(enum auditclass_kind k)
{
	switch (k) {
	case AUDITCLASS_AUTH_FAILED:
	case AUDITCLASS_FILE_CHANGED:
	case AUDITCLASS_SETUID:
		return 50;
	default:
		return 200;
	}
}

static int make_burst(const struct config *c, struct authburst **ret_burst)
{
	return authburst_new(c->audit.failed_auth_burst_count,
			     c->audit.failed_auth_burst_window_usec,
			     BURST_MAX_ACCOUNTS,
			     ret_burst);
}

int auditpipe_new(const struct config *c,
		  bool live,
		  struct logind *logind,
		  struct auditpipe **ret_pipe)
{
	_cleanup_(auditasm_freep) struct auditasm *assembler = NULL;
	_cleanup_(auditclass_freep) struct auditclass *classifier = NULL;
	_cleanup_(attribution_freep) struct attribution *attribution = NULL;
	_cleanup_(authburst_freep) struct authburst *burst = NULL;
	struct auditpipe *p;
	int r;

	assembler = auditasm_new(NULL);
	classifier = auditclass_new();
	attribution = attribution_new(live, logind);
	if (!assembler || !classifier || !attribution)
		return -ENOMEM;
	r = auditclass_set_watch(classifier, c->audit.watch);
	if (r < 0)
		return r;
	r = make_burst(c, &burst);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct auditpipe){
		.config = c,
		.live = live,
		.own_pid = live ? (uint32_t)getpid() : AUDITREC_UNSET,
		.assembler = TAKE_PTR(assembler),
		.classifier = TAKE_PTR(classifier),
		.attribution = TAKE_PTR(attribution),
		.burst = TAKE_PTR(burst),
	};
	for (int k = 0; k < _AUDITCLASS_KIND_MAX; k++)
		p->limits[k] = (struct ratelimit)RATELIMIT_INIT(
			live ? RATELIMIT_INTERVAL_USEC : 0, kind_burst((enum auditclass_kind)k));
	*ret_pipe = p;
	return 0;
}

struct auditpipe *auditpipe_free(struct auditpipe *p)
{
	if (!p)
		return NULL;
	auditasm_free(p->assembler);
	auditclass_free(p->classifier);
	authburst_free(p->burst);
	attribution_free(p->attribution);
	free(p);
	return NULL;
}

int auditpipe_set_config(struct auditpipe *p, const struct config *c)
{
	struct authburst *b = NULL;
	int r;

	if (c->audit.failed_auth_burst_count != p->config->audit.failed_auth_burst_count ||
	    c->audit.failed_auth_burst_window_usec !=
		    p->config->audit.failed_auth_burst_window_usec) {
		r = make_burst(c, &b);
		if (r < 0)
			return r;
	}
	r = auditclass_set_watch(p->classifier, c->audit.watch);
	if (r < 0) {
		authburst_free(b);
		return r;
	}
	if (b) {
		authburst_free(p->burst);
		p->burst = b;
	}
	p->config = c;
	return 0;
}

void auditpipe_on_rules_changed(struct auditpipe *p, auditpipe_rules_changed_fn fn, void *userdata)
{
	p->rules_changed = fn;
	p->userdata = userdata;
}

/* Who did it, for fields and the message: the person (audit uid), else the unit, else the
 * process. */
struct actor {
	char who[320];
	char *unit;
};

static void actor_resolve(struct auditpipe *p,
			  const struct auditclass_facts *f,
			  struct log_event *e,
			  struct actor *a)
{
	a->unit = NULL;
	if (f->auid != AUDITREC_UNSET) {
		const char *name = attribution_user_name(p->attribution, f->auid);

		log_event_add(e, "VAKT_USER", name);
		log_event_addf(e, "VAKT_UID", "%" PRIu32, f->auid);
		if (name)
			(void)snprintf(
				a->who, sizeof(a->who), "%s (uid %" PRIu32 ")", name, f->auid);
		else
			(void)snprintf(a->who, sizeof(a->who), "User %" PRIu32, f->auid);
		return;
	}
	if (f->pid != AUDITREC_UNSET &&
	    attribution_unit(p->attribution, (pid_t)f->pid, &a->unit) >= 0) {
		log_event_add(e, "VAKT_UNIT", a->unit);
		(void)snprintf(a->who, sizeof(a->who), "Service '%s'", a->unit);
		return;
	}
	if (f->comm || f->exe)
		(void)snprintf(a->who,
			       sizeof(a->who),
			       "Process '%s' (no login user)",
			       f->comm ? f->comm : f->exe);
	else
		(void)snprintf(a->who, sizeof(a->who), "A process without a login user");
}

/* The place fields, and " on pts/0 from 'host'" for the message. */
static void add_place(struct auditpipe *p,
		      const struct auditclass_facts *f,
		      struct log_event *e,
		      char *where,
		      size_t n)
{
	struct attribution_place pl;
	const char *tty, *remote;

	if (f->ses != AUDITREC_UNSET)
		log_event_addf(e, "VAKT_AUDIT_SESSION", "%" PRIu32, f->ses);
	attribution_place(p->attribution, f->ses, &pl);
	tty = pl.tty ? pl.tty : attribution_tty(f->terminal);
	remote = pl.remote_host;
	if (!remote && f->hostname && *f->hostname && !streq(f->hostname, "?"))
		remote = f->hostname;
	if (!remote && f->addr && *f->addr && !streq(f->addr, "?"))
		remote = f->addr;
	log_event_add(e, "VAKT_SESSION", pl.session);
	log_event_add(e, "VAKT_SEAT", pl.seat);
	log_event_add(e, "VAKT_TTY", tty);
	log_event_add(e, "VAKT_REMOTE_HOST", remote);
	(void)snprintf(where,
		       n,
		       "%s%s%s%s%s",
		       tty ? " on " : "",
		       tty ? tty : "",
		       remote ? " from '" : "",
		       remote ? remote : "",
		       remote ? "'" : "");
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "?";
}

/* The MESSAGE for f; who and where are already formatted. */
static void format_message(
	const struct auditclass_facts *f, const char *who, const char *where, char *buf, size_t n)
{
	bool ok = !f->has_result || f->success;
	const char *target = or_unknown(f->target_user);
	const char *cmd = or_unknown(f->command ? f->command : f->exe);

	switch (f->kind) {
	case AUDITCLASS_SUDO:
	case AUDITCLASS_PKEXEC:
		(void)snprintf(buf,
			       n,
			       "%s %s '%s'%s%s%s with %s%s.",
			       who,
			       ok ? "ran" : "was refused running",
			       cmd,
			       f->target_user ? " as '" : "",
			       f->target_user ? f->target_user : "",
			       f->target_user ? "'" : "",
			       f->kind == AUDITCLASS_SUDO ? "sudo" : "pkexec",
			       where);
		break;
	case AUDITCLASS_SU:
		(void)snprintf(buf,
			       n,
			       ok ? "%s switched to user '%s' with su%s."
				  : "%s failed to switch to user '%s' with su%s.",
			       who,
			       target,
			       where);
		break;
	case AUDITCLASS_AUTH_FAILED:
		(void)snprintf(buf,
			       n,
			       "Authentication as '%s' failed for %s with '%s'%s.",
			       target,
			       who,
			       or_unknown(f->exe ? f->exe : f->comm),
			       where);
		break;
	case AUDITCLASS_ACCOUNT_CHANGED:
		(void)snprintf(buf,
			       n,
			       "%s changed account '%s' (%s) with '%s'%s%s.",
			       who,
			       target,
			       or_unknown(f->command ? f->command : f->op),
			       or_unknown(f->exe ? f->exe : f->comm),
			       where,
			       ok ? "" : ", which failed");
		break;
	case AUDITCLASS_FILE_CHANGED:
		(void)snprintf(buf,
			       n,
			       "%s changed the %s of '%s' with '%s'%s.",
			       who,
			       f->attribute_change ? "attributes" : "contents",
			       or_unknown(f->file),
			       or_unknown(f->exe ? f->exe : f->comm),
			       where);
		break;
	case AUDITCLASS_RULES_CHANGED:
		(void)snprintf(buf,
			       n,
			       "%s changed the audit configuration (%s%s%s%s)%s.",
			       who,
			       or_unknown(f->op),
			       f->key ? ", rule '" : "",
			       f->key ? f->key : "",
			       f->key ? "'" : "",
			       where);
		break;
	case AUDITCLASS_MOUNT:
		(void)snprintf(buf,
			       n,
			       "%s ran %s on '%s'%s%s.",
			       who,
			       or_unknown(f->op),
			       or_unknown(f->file),
			       where,
			       ok ? "" : ", which failed");
		break;
	case AUDITCLASS_MODULE:
		(void)snprintf(buf,
			       n,
			       "%s ran %s for kernel module '%s'%s%s.",
			       who,
			       or_unknown(f->op),
			       or_unknown(f->file),
			       where,
			       ok ? "" : ", which failed");
		break;
	case AUDITCLASS_ROOT_COMMAND:
		(void)snprintf(buf, n, "%s ran '%s' in a root shell%s.", who, cmd, where);
		break;
	case AUDITCLASS_LOGINUID_CHANGED:
		(void)snprintf(buf,
			       n,
			       ok ? "%s changed the audit user id of process %" PRIu32
				    " to %" PRIu32 "%s."
				  : "%s was refused changing the audit user id of process %" PRIu32
				    " to %" PRIu32 "%s.",
			       who,
			       f->pid,
			       f->target_id,
			       where);
		break;
	default:
		(void)snprintf(buf, n, "%s ran setuid program '%s'%s.", who, cmd, where);
		break;
	}
}

/* The fields the record of f and its auth.burst share: who, where, what. Fills *a and where. */
static void add_action_fields(struct auditpipe *p,
			      const struct auditclass_facts *f,
			      struct log_event *e,
			      struct actor *a,
			      char where[static 400])
{
	actor_resolve(p, f, e, a);
	add_place(p, f, e, where, 400);
	log_event_add(e, "VAKT_COMMAND", f->command);
	log_event_add(e, "VAKT_TARGET_USER", f->target_user);
	log_event_add(e, "VAKT_FILE", f->file);
	log_event_add(e, "VAKT_CWD", f->cwd);
	log_event_add(e, "VAKT_EXE", f->exe);
	log_event_add(e, "VAKT_AUDIT_KEY", f->key);
	log_event_add(e, "VAKT_AUDIT_ID", f->audit_id);
	/* Every part's records say their mode, so that observe mode is a journalctl query. */
	log_event_add(e,
		      "VAKT_MODE",
		      p->config->audit.mode == CONFIG_MODE_OBSERVE ? "observe" : "enforce");
}

static void emit_burst(struct auditpipe *p, const struct auditclass_facts *f)
{
	struct log_event e;
	struct actor a;
	char window[32], where[400];
	unsigned failures = 0;
	int r;

	r = authburst_add(p->burst, or_unknown(f->target_user), f->time_usec, &failures);
	if (r <= 0)
		return;
	parse_duration_format(
		p->config->audit.failed_auth_burst_window_usec, window, sizeof(window));
	log_event_begin(&e, EVENT_AUTH_BURST);
	add_action_fields(p, f, &e, &a, where);
	log_event_addf(&e, "VAKT_FAILURES", "%u", failures);
	log_event_message(&e,
			  "%u failed authentications as '%s' within %s, the latest by %s: possible "
			  "password guessing.",
			  failures,
			  or_unknown(f->target_user),
			  window,
			  a.who);
	log_event_end(&e);
	p->emitted++;
	free(a.unit);
}

static void emit(struct auditpipe *p, const struct auditclass_facts *f, uint64_t now)
{
	struct log_event e;
	struct actor a;
	char where[400], message[2048];
	unsigned suppressed = 0;

	if (p->live && !ratelimit_ok(&p->limits[f->kind], now, &suppressed)) {
		/* Still counted towards bursts: a flood of failures must not hide a burst. */
		if (f->kind == AUDITCLASS_AUTH_FAILED && f->counts_as_failure)
			(void)authburst_add(
				p->burst, or_unknown(f->target_user), f->time_usec, NULL);
		return;
	}

	log_event_begin(&e, auditclass_kind_to_event(f->kind));
	add_action_fields(p, f, &e, &a, where);
	if (f->has_result)
		log_event_add(&e, "VAKT_RESULT", f->success ? "success" : "failure");
	if (suppressed > 0)
		log_event_addf(&e, "VAKT_SUPPRESSED", "%u", suppressed);
	format_message(f, a.who, where, message, sizeof(message));
	if (suppressed > 0)
		log_event_message(&e,
				  "%s (%u similar records were suppressed before this one.)",
				  message,
				  suppressed);
	else
		log_event_add(&e, "MESSAGE", message);
	log_event_end(&e);
	p->emitted++;
	free(a.unit);

	if (f->kind == AUDITCLASS_AUTH_FAILED && f->counts_as_failure)
		emit_burst(p, f);
}

static void handle_facts(struct auditpipe *p, const struct auditclass_facts *f, uint64_t now)
{
	if (f->kind == AUDITCLASS_LOGIN) {
		attribution_remember_login(
			p->attribution, f->ses, f->hostname, f->addr, f->terminal);
		return;
	}
	if (f->kind == AUDITCLASS_NONE || f->kind >= _AUDITCLASS_KIND_MAX)
		return;
	/* auditrules_ensure() adds every rule and lets the kernel refuse those already loaded
	 * (EEXIST): those refusals change nothing. */
	if (f->kind == AUDITCLASS_RULES_CHANGED && f->pid == p->own_pid && f->has_result &&
	    !f->success)
		return;
	emit(p, f, now);
	if (f->kind == AUDITCLASS_RULES_CHANGED && p->rules_changed)
		p->rules_changed(f, p->userdata);
}

static uint64_t event_time(const struct auditasm_event *ev)
{
	return ev->id.sec * USEC_PER_SEC + (uint64_t)ev->id.msec * USEC_PER_MSEC;
}

int auditpipe_drain(struct auditpipe *p, uint64_t now_usec, bool flush_all)
{
	const struct auditasm_event *ev;
	struct auditclass_facts f = {};
	int r;

	if (!p->live)
		now_usec = p->replay_clock_usec;
	while ((ev = auditasm_next(p->assembler, now_usec, flush_all))) {
		if (!p->live && event_time(ev) > p->replay_clock_usec)
			now_usec = p->replay_clock_usec = event_time(ev);
		r = auditclass_feed(p->classifier, ev, now_usec);
		if (r < 0)
			return r;
	}
	while ((r = auditclass_next(p->classifier, now_usec, flush_all, &f)) > 0) {
		handle_facts(p, &f, now_usec);
		auditclass_facts_done(&f);
	}
	return r;
}

int auditpipe_feed(struct auditpipe *p, const char *text, size_t len, int type, uint64_t now_usec)
{
	int r;

	if (!p->live)
		now_usec = p->replay_clock_usec;
	r = auditasm_feed(p->assembler, text, len, type, now_usec);
	if (r == -ENOMEM)
		return r;
	return auditpipe_drain(p, now_usec, false);
}

uint64_t auditpipe_next_deadline(const struct auditpipe *p)
{
	uint64_t a = auditasm_next_deadline(p->assembler);
	uint64_t c = auditclass_next_deadline(p->classifier);

	return a < c ? a : c;
}

void auditpipe_report_suppressed(struct auditpipe *p)
{
	for (int k = 0; k < _AUDITCLASS_KIND_MAX; k++) {
		struct ratelimit *rl = &p->limits[k];
		const struct event_info *info =
			event_info(auditclass_kind_to_event((enum auditclass_kind)k));
		struct log_event e;

		if (rl->n_dropped == 0)
			continue;
		log_event_begin(&e, EVENT_AUDIT_LOST);
		log_event_addf(&e, "VAKT_SUPPRESSED", "%u", rl->n_dropped);
		log_event_add(&e, "VAKT_SUPPRESSED_EVENT", info ? info->name : NULL);
		log_event_message(&e,
				  "%u %s records were suppressed by the rate limit; the audit log "
				  "still has their events.",
				  rl->n_dropped,
				  info ? info->name : "?");
		log_event_end(&e);
		rl->n_dropped = 0;
	}
}

void auditpipe_get_stats(const struct auditpipe *p, struct auditpipe_stats *ret_stats)
{
	struct auditasm_stats s;

	auditasm_get_stats(p->assembler, &s);
	*ret_stats = (struct auditpipe_stats){
		.records = s.records,
		.malformed = s.malformed,
		.events = s.events,
		.emitted = p->emitted,
	};
}
