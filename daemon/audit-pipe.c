/*
 * The audit pipeline: lib/auditclass decides what an event is and lib/auditcfg coalesces changes
 * of the audit configuration; this file says who did it and where, limits what others can
 * repeat (lib/auditlimit), and writes the record in the words of audit-words.c. Nothing here
 * classifies.
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
#include "audit-words.h"
#include "auditasm.h"
#include "auditcfg.h"
#include "auditclass.h"
#include "auditlimit.h"
#include "auditrec.h"
#include "authburst.h"
#include "cmdline.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "parse.h"

#define BURST_MAX_ACCOUNTS	4096
#define RATELIMIT_INTERVAL_USEC (10 * USEC_PER_SEC)
#define RATELIMIT_BUCKETS	256

struct auditpipe {
	const struct config *config;
	bool live;
	struct auditasm *assembler;
	struct auditclass *classifier;
	struct auditcfg *changes;
	struct authburst *burst;
	struct attribution *attribution;
	struct auditlimit *limit;
	uint64_t replay_clock_usec; /* replay: the newest audit time seen */
	auditpipe_rules_changed_fn rules_changed;
	void *userdata;
	const char *unit; /* vaktd's unit, for stop requests */
	auditpipe_stop_request_fn stop_requested;
	void *stop_userdata;
	uint32_t own_pid; /* live: vaktd's own rule loading is no change by anyone */
	uint64_t emitted;
	unsigned cut; /* records of events the assembly had to shorten, not yet reported */
	struct auditwords_clock clock; /* the second of the last record's time, formatted */
};

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
	_cleanup_(auditcfg_freep) struct auditcfg *changes = NULL;
	_cleanup_(attribution_freep) struct attribution *attribution = NULL;
	_cleanup_(auditlimit_freep) struct auditlimit *limit = NULL;
	_cleanup_(authburst_freep) struct authburst *burst = NULL;
	struct auditpipe *p;
	int r;

	assembler = auditasm_new(NULL);
	classifier = auditclass_new();
	changes = auditcfg_new();
	attribution = attribution_new(live, logind);
	/* Replay is an investigation of a log: nothing is suppressed. */
	limit = auditlimit_new(live ? RATELIMIT_INTERVAL_USEC : 0, RATELIMIT_BUCKETS);
	if (!assembler || !classifier || !changes || !attribution || !limit)
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
		.changes = TAKE_PTR(changes),
		.attribution = TAKE_PTR(attribution),
		.limit = TAKE_PTR(limit),
		.burst = TAKE_PTR(burst),
	};
	*ret_pipe = p;
	return 0;
}

struct auditpipe *auditpipe_free(struct auditpipe *p)
{
	if (!p)
		return NULL;
	auditasm_free(p->assembler);
	auditclass_free(p->classifier);
	auditcfg_free(p->changes);
	authburst_free(p->burst);
	attribution_free(p->attribution);
	auditlimit_free(p->limit);
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

void auditpipe_on_stop_request(struct auditpipe *p,
			       const char *unit,
			       auditpipe_stop_request_fn fn,
			       void *userdata)
{
	p->unit = unit;
	p->stop_requested = fn;
	p->stop_userdata = userdata;
}

/* Who did it, for fields and the message: the person (audit uid), else the unit, else the
 * process. */
struct actor {
	char who[320];
	const char *user; /* login name, NULL when unknown; points into the attribution cache */
	bool person;
	char *unit;
};

static void actor_resolve(struct auditpipe *p,
			  const struct auditclass_facts *f,
			  struct log_event *e,
			  struct actor *a)
{
	a->unit = NULL;
	a->user = NULL;
	a->person = false;
	if (f->auid != AUDITREC_UNSET) {
		bool guessed = false;
		const char *name = attribution_user_name(p->attribution, f->auid, &guessed);

		a->person = true;
		a->user = name;
		log_event_add(e, "VAKT_USER", name);
		log_event_addf(e, "VAKT_UID", "%" PRIu32, f->auid);
		if (!p->live)
			log_event_add(e,
				      "VAKT_NAME_SOURCE",
				      !name	? NULL
				      : guessed ? "nss"
						: "log");
		if (name && guessed)
			/* Replay of a raw log: the name is this computer's, which may not be the
			 * machine the log came from. */
			(void)snprintf(a->who,
				       sizeof(a->who),
				       "User %" PRIu32 " ('%s' on this computer)",
				       f->auid,
				       name);
		else if (name)
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
	char tty_buf[ATTRIBUTION_TTY_MAX];
	const char *tty, *remote;

	if (f->ses != AUDITREC_UNSET)
		log_event_addf(e, "VAKT_AUDIT_SESSION", "%" PRIu32, f->ses);
	attribution_place(p->attribution, f->ses, &pl);
	tty = pl.tty ? pl.tty : attribution_tty(f->terminal, tty_buf);
	remote = pl.remote_host;
	/* A record's hostname= alone says nothing: the shadow tools and passwd write this
	 * machine's own name there. Only an address makes it remote (sshd writes both). */
	if (!remote && !pl.session && attribution_known(f->addr))
		remote = attribution_known(f->hostname) ? f->hostname : f->addr;
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

/* When the event happened and how to find it: VAKT_AUDIT_TIME, VAKT_AUDIT_SERIAL, and the
 * ausearch command (single events; a coalesced change gives its own). Replay marks its records. */
static void add_time_fields(
	struct auditpipe *p, struct log_event *e, const char *audit_id, uint64_t usec, bool single)
{
	const struct auditwords_clock *clock = auditwords_clock_set(&p->clock, usec);
	const char *colon = strchr(audit_id, ':');
	char t[AUDITWORDS_TIME_MAX];

	log_event_add(e, "VAKT_AUDIT_ID", audit_id);
	log_event_add(e, "VAKT_AUDIT_TIME", auditwords_time(clock, usec, t));
	log_event_add(e, "VAKT_AUDIT_SERIAL", colon ? colon + 1 : NULL);
	if (single) {
		char search[AUDITWORDS_SEARCH_MAX];

		log_event_add(e, "VAKT_AUSEARCH", auditwords_search_event(clock, audit_id, search));
	}
	if (!p->live)
		log_event_add(e, "VAKT_REPLAYED", "1");
}

/* MESSAGE: the sentence, and in replay when the event happened (the record's own time is
 * the time of the replay). */
static void add_message(struct auditpipe *p, struct log_event *e, uint64_t usec, const char *text)
{
	char replayed[2200];

	if (p->live) {
		log_event_add(e, "MESSAGE", text);
		return;
	}
	(void)snprintf(replayed,
		       sizeof(replayed),
		       "Replayed event of %s: %s",
		       auditwords_clock_set(&p->clock, usec)->readable,
		       text);
	log_event_add(e, "MESSAGE", replayed);
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
	add_time_fields(p, e, f->audit_id, f->time_usec, true);
	/* Every part's records say their mode, so that observe mode is a journalctl query. */
	log_event_add(e,
		      "VAKT_MODE",
		      p->config->audit.mode == CONFIG_MODE_OBSERVE ? "observe" : "enforce");
}

static void emit_burst(struct auditpipe *p, const struct auditclass_facts *f)
{
	struct log_event e;
	struct actor a;
	char window[32], where[400], text[1024];
	unsigned failures = 0;
	int r;

	r = authburst_add(p->burst, f->target_user ? f->target_user : "?", f->time_usec, &failures);
	if (r <= 0)
		return;
	parse_duration_format(
		p->config->audit.failed_auth_burst_window_usec, window, sizeof(window));
	log_event_begin(&e, EVENT_AUTH_BURST);
	add_action_fields(p, f, &e, &a, where);
	log_event_addf(&e, "VAKT_FAILURES", "%u", failures);
	(void)snprintf(text,
		       sizeof(text),
		       "%u failed authentications as '%s' within %s, the latest by %s: possible "
		       "password guessing.",
		       failures,
		       f->target_user ? f->target_user : "?",
		       window,
		       a.who);
	add_message(p, &e, f->time_usec, text);
	log_event_end(&e);
	p->emitted++;
	free(a.unit);
}

static const char *base_name(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	return slash ? slash + 1 : s;
}

/* account.changed: which account (acct=, the tool's arguments, else the id= resolved) and what the
 * tool did (its arguments, from the records or a command remembered for the process). */
static void describe_account(struct auditpipe *p,
			     const struct auditclass_facts *f,
			     const struct actor *a,
			     struct log_event *e,
			     struct cmdline_account *ret_account,
			     struct auditwords *w)
{
	const char *tool = base_name(f->exe ? f->exe : f->comm);
	const char *argv = NULL;
	char prog[CMDLINE_NAME_MAX];
	bool guessed = false;

	if (tool && f->command && streq(cmdline_program(f->command, prog, sizeof(prog)), tool))
		argv = f->command;
	else if (tool)
		argv = attribution_command(p->attribution, f->pid, f->ses, tool, f->time_usec);
	cmdline_account(tool, argv, f->command ? f->command : f->op, ret_account);
	w->account = ret_account;
	w->account_name = f->target_user;
	if (!w->account_name && *ret_account->account)
		w->account_name = ret_account->account;
	if (!w->account_name && f->target_id != AUDITREC_UNSET)
		w->account_name = attribution_account_name(
			p->attribution, f->target_id, ret_account->is_group, &guessed);
	if (!w->account_name && f->target_id != AUDITREC_UNSET) {
		(void)snprintf(w->id_name, sizeof(w->id_name), "%" PRIu32, f->target_id);
		w->account_id_only = true;
		w->account_name = w->id_name;
	}
	w->own_account = w->account_name && a->user && streq(w->account_name, a->user);
	if (f->target_id != AUDITREC_UNSET)
		log_event_addf(e, "VAKT_TARGET_ID", "%" PRIu32, f->target_id);
	log_event_add(e, "VAKT_TARGET_USER", w->account_name);
	log_event_add(e, "VAKT_ACCOUNT_COMMAND", argv);
	log_event_add(e, "VAKT_GROUPS_ADDED", ret_account->groups_added);
	log_event_add(e, "VAKT_GROUPS_REMOVED", ret_account->groups_removed);
}

/* A command that stops vaktd (or the whole system), run successfully by someone: tell the
 * manager who, for vakt.stopped. */
static void check_stop_request(struct auditpipe *p, const struct auditclass_facts *f)
{
	struct attribution_place pl;
	char who[320], tty_buf[ATTRIBUTION_TTY_MAX];
	const char *user = NULL;
	bool guessed = false;
	enum cmdline_stop stop;

	if (!p->stop_requested || !f->command || (f->has_result && !f->success) ||
	    f->kind == AUDITCLASS_ACCOUNT_CHANGED)
		return;
	stop = cmdline_stops_unit(f->command, p->unit, p->own_pid);
	if (stop == CMDLINE_STOP_NONE)
		return;
	if (f->auid != AUDITREC_UNSET) {
		user = attribution_user_name(p->attribution, f->auid, &guessed);
		if (user)
			(void)snprintf(who, sizeof(who), "%s (uid %" PRIu32 ")", user, f->auid);
		else
			(void)snprintf(who, sizeof(who), "User %" PRIu32, f->auid);
	} else
		(void)snprintf(who, sizeof(who), "a process without a login user");
	attribution_place(p->attribution, f->ses, &pl);
	p->stop_requested(
		&(struct auditpipe_request){
			.auid = f->auid,
			.who = who,
			.user = user,
			.command = f->command,
			.audit_id = f->audit_id,
			.tty = pl.tty ? pl.tty : attribution_tty(f->terminal, tty_buf),
			.system = stop == CMDLINE_STOP_SYSTEM,
		},
		p->stop_userdata);
}

static void emit(struct auditpipe *p, const struct auditclass_facts *f, uint64_t now)
{
	struct cmdline_account account;
	struct log_event e;
	struct actor a;
	char where[400], text[2048];
	unsigned suppressed = 0;
	struct auditwords w = {};

	if (!auditlimit_ok(p->limit, f, now, &suppressed)) {
		/* Still counted towards bursts: a flood of failures must not hide a burst. */
		if (f->kind == AUDITCLASS_AUTH_FAILED && f->counts_as_failure)
			(void)authburst_add(p->burst,
					    f->target_user ? f->target_user : "?",
					    f->time_usec,
					    NULL);
		return;
	}

	log_event_begin(&e, auditclass_kind_to_event(f->kind));
	add_action_fields(p, f, &e, &a, where);
	w.who = a.who;
	w.where = where;
	w.person = a.person;
	if (f->has_result)
		log_event_add(&e, "VAKT_RESULT", f->success ? "success" : "failure");
	if (f->kind == AUDITCLASS_ACCOUNT_CHANGED)
		describe_account(p, f, &a, &e, &account, &w);
	if ((f->kind == AUDITCLASS_SUDO || f->kind == AUDITCLASS_PKEXEC) && f->has_result &&
	    !f->success)
		log_event_add(&e,
			      "VAKT_REASON",
			      f->auth_failures > 0 ? "wrong password"
			      : f->aborted	   ? "aborted"
						   : "refused");
	if (f->kind == AUDITCLASS_LOGINUID_CHANGED && f->target_id != AUDITREC_UNSET) {
		bool guessed;

		w.target_name = attribution_user_name(p->attribution, f->target_id, &guessed);
		log_event_addf(&e, "VAKT_TARGET_ID", "%" PRIu32, f->target_id);
		log_event_add(&e, "VAKT_TARGET_USER", w.target_name);
	}
	if (f->cut) {
		/* Reported with the suppressed counts (audit.lost), not one record per cut. */
		log_event_add(&e, "VAKT_TRUNCATED", "1");
		p->cut++;
	}
	if (suppressed > 0)
		log_event_addf(&e, "VAKT_SUPPRESSED", "%u", suppressed);
	auditwords_facts(f, &w, text, sizeof(text));
	if (suppressed > 0) {
		size_t len = strlen(text);

		(void)snprintf(
			text + len,
			sizeof(text) - len,
			" (%u similar records of this person were suppressed before this one.)",
			suppressed);
	}
	add_message(p, &e, f->time_usec, text);
	log_event_end(&e);
	p->emitted++;
	free(a.unit);

	if (f->kind == AUDITCLASS_AUTH_FAILED && f->counts_as_failure)
		emit_burst(p, f);
}

/* One record for a coalesced change of the audit configuration (audit.disabled when it switched
 * auditing off), then the restore callback. */
static void emit_change(struct auditpipe *p, const struct auditcfg_change *ch)
{
	const struct auditclass_facts *f = &ch->facts;
	bool disabled = auditcfg_change_disabled(ch);
	bool ok = ch->added + ch->removed + ch->settings > 0 || ch->enabled >= 0;
	char where[400], text[2048], search[AUDITWORDS_SEARCH_MAX];
	struct log_event e;
	struct actor a;
	struct auditwords w = {};

	log_event_begin(&e, disabled ? EVENT_AUDIT_DISABLED : EVENT_AUDIT_RULES_CHANGED);
	add_action_fields(p, f, &e, &a, where);
	log_event_add(&e, "VAKT_AUDIT_KEY", ch->keys);
	log_event_add(
		&e,
		"VAKT_AUSEARCH",
		auditwords_search_changes(f->time_usec, ch->last_usec, f->auid, f->pid, search));
	log_event_add(&e, "VAKT_RESULT", ok ? "success" : "failure");
	log_event_addf(&e, "VAKT_RULES_ADDED", "%u", ch->added);
	log_event_addf(&e, "VAKT_RULES_REMOVED", "%u", ch->removed);
	if (ch->settings > 0)
		log_event_addf(&e, "VAKT_SETTINGS_CHANGED", "%u", ch->settings);
	if (ch->refused > 0)
		log_event_addf(&e, "VAKT_REFUSED", "%u", ch->refused);
	if (ch->enabled >= 0)
		log_event_addf(&e, "VAKT_AUDIT_ENABLED", "%d", ch->enabled);
	w.who = a.who;
	w.where = where;
	w.person = a.person;
	auditwords_change(ch, &w, text, sizeof(text));
	add_message(p, &e, f->time_usec, text);
	log_event_end(&e);
	p->emitted++;
	if (p->rules_changed)
		p->rules_changed(ch, a.who, p->userdata);
	free(a.unit);
}

static void handle_facts(struct auditpipe *p, struct auditclass_facts *f, uint64_t now)
{
	if (f->kind == AUDITCLASS_LOGIN) {
		attribution_remember_login(
			p->attribution, f->ses, f->hostname, f->addr, f->terminal);
		return;
	}
	if (f->kind == AUDITCLASS_NONE || f->kind >= _AUDITCLASS_KIND_MAX)
		return;
	if (f->kind == AUDITCLASS_RULES_CHANGED) {
		/* vaktd's own loading and restoring (and the kernel's EEXIST refusals of rules it
		 * checks by adding them) is no change by anyone: audit.rules_restored says what it
		 * put back. */
		if (f->pid != p->own_pid)
			(void)auditcfg_add(p->changes, f, now);
		return;
	}
	if (f->kind != AUDITCLASS_ACCOUNT_CHANGED && f->kind != AUDITCLASS_AUTH_FAILED)
		attribution_remember_command(
			p->attribution, f->pid, f->ses, f->time_usec, f->command);
	emit(p, f, now);
	check_stop_request(p, f);
}

/* Replay: the names an enriched log gives (AUID="alice" after 0x1d) for its uids and ids, so that
 * records name people as the machine the log came from did. Only events whose first record has
 * enriched fields are looked at (one memchr()), and the caller asks only for the events that
 * matter: user-space records and events that gave facts. */
static void learn_names(struct auditpipe *p, const struct auditasm_event *ev)
{
	static const struct {
		const char *number, *name;
		bool id;
	} pairs[] = {
		{ "auid", "AUID", false },
		{ "uid", "UID", false },
		{ "id", "ID", true },
	};

	if (ev->n_records == 0 || !memchr(ev->records[0].text, 0x1d, ev->records[0].len))
		return;
	for (size_t i = 0; i < ev->n_records; i++)
		for (size_t j = 0; j < ELEMENTSOF(pairs); j++) {
			const struct auditrec_field *num =
				auditrec_find(&ev->records[i], pairs[j].number);
			const struct auditrec_field *nam =
				auditrec_find(&ev->records[i], pairs[j].name);
			char name[64];
			uint64_t v;

			if (!num || !nam || auditrec_field_uint(num, 10, &v) < 0 || v >= UINT32_MAX)
				continue;
			(void)auditrec_field_raw(nam, name, sizeof(name));
			if (pairs[j].id)
				attribution_learn_id(p->attribution, (uint32_t)v, name);
			else
				attribution_learn_user(p->attribution, (uint32_t)v, name);
		}
}

static uint64_t event_time(const struct auditasm_event *ev)
{
	return ev->id.sec * USEC_PER_SEC + (uint64_t)ev->id.msec * USEC_PER_MSEC;
}

int auditpipe_drain(struct auditpipe *p, uint64_t now_usec, bool flush_all)
{
	const struct auditasm_event *ev;
	struct auditclass_facts f; /* written by auditclass_next() before any use */
	struct auditcfg_change ch;
	int r;

	if (!p->live)
		now_usec = p->replay_clock_usec;
	int ready = 0;

	while ((ev = auditasm_next(p->assembler, now_usec, flush_all))) {
		if (!p->live && event_time(ev) > p->replay_clock_usec)
			now_usec = p->replay_clock_usec = event_time(ev);
		r = auditclass_feed(p->classifier, ev, now_usec);
		if (r < 0)
			return r;
		/* Before the facts are taken below: their names may come from this event. */
		if (!p->live && ev->n_records > 0 &&
		    (r > ready || auditrec_type_is_single(ev->records[0].type)))
			learn_names(p, ev);
		ready = r;
	}
	while ((r = auditclass_next(p->classifier, now_usec, flush_all, &f)) > 0) {
		handle_facts(p, &f, now_usec);
		auditclass_facts_done(&f);
	}
	while (auditcfg_next(p->changes, now_usec, flush_all, &ch) > 0) {
		emit_change(p, &ch);
		auditcfg_change_done(&ch);
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
	uint64_t g = auditcfg_next_deadline(p->changes);

	if (c < a)
		a = c;
	return g < a ? g : a;
}

void auditpipe_report_suppressed(struct auditpipe *p)
{
	if (p->cut > 0) {
		struct log_event e;

		log_event_begin(&e, EVENT_AUDIT_LOST);
		log_event_addf(&e, "VAKT_TRUNCATED", "%u", p->cut);
		log_event_add(
			&e, "VAKT_REASON", "audit events longer than vaktd keeps were shortened");
		log_event_message(
			&e,
			"%u audit event%s longer than vaktd keeps were shortened: their "
			"records (VAKT_TRUNCATED=1) may lack parts of long values; the audit "
			"log has them whole.",
			p->cut,
			p->cut == 1 ? " was" : "s were");
		log_event_end(&e);
		p->cut = 0;
	}
	for (int k = 0; k < _AUDITCLASS_KIND_MAX; k++) {
		unsigned n = auditlimit_take_unreported(p->limit, (enum auditclass_kind)k);
		const struct event_info *info =
			event_info(auditclass_kind_to_event((enum auditclass_kind)k));
		struct log_event e;

		if (n == 0)
			continue;
		log_event_begin(&e, EVENT_AUDIT_LOST);
		log_event_addf(&e, "VAKT_SUPPRESSED", "%u", n);
		log_event_add(&e, "VAKT_SUPPRESSED_EVENT", info ? info->name : NULL);
		log_event_add(&e,
			      "VAKT_REASON",
			      "vaktd's rate limit for failures (per person) skipped records");
		log_event_message(&e,
				  "%u %s records of failures were suppressed by the rate limit "
				  "(per person); the audit log still has their events.",
				  n,
				  info ? info->name : "?");
		log_event_end(&e);
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
