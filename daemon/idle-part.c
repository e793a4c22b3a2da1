/*
 * The idle part: sessions left unattended are locked, checked, and escalated; text sessions are
 * warned and ended. lib/idle decides (lib/idle.h has the rules); this file feeds it logind's
 * table (logind.h) with the monotonic clock, sleeps until its next deadline, and carries out
 * what is due: LockSession and TerminateSession through logind (asynchronous: nothing here waits
 * for logind), a warning written to the session's terminal, and one record per outcome
 * (session.locked, session.lock_failed, session.terminated).
 *
 * Why from root and verified: logind's own IdleAction=lock only emits the Lock signal, which a
 * session's locker may ignore or may have been killed by the user; vaktd asks, then checks that
 * LockedHint became true, and escalates when it did not.
 *
 * Before the machine sleeps (PrepareForSleep), every graphical session is locked. vaktd holds a
 * "delay" sleep inhibitor for that, and releases it when the sessions report locked or after
 * SLEEP_LOCK_WAIT_USEC (logind itself waits at most InhibitDelayMaxSec, 5 s by default).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "idle-records.h"
#include "idle.h"
#include "log.h"
#include "logind.h"
#include "manager.h"
#include "notify-user.h"
#include "nss.h"
#include "parse.h"
#include "part.h"
#include "strv.h"

#define TIMER_ACCURACY_USEC  USEC_PER_MSEC
#define SLEEP_LOCK_WAIT_USEC (3 * USEC_PER_SEC)

struct idle_state;

/* One call to logind in flight, and what the record of its outcome needs. The call's userdata:
 * logind_cancel() with it cancels exactly this call. */
struct idle_call {
	struct idle_call *next;
	struct idle_state *part;
	struct idle_action action;
	char *user;
	uid_t uid;
	char *seat;
	char *tty;
	char *remote_host;
	char *type;
};

/* The last failure of a call for a session, for its lock_failed record. */
struct idle_note {
	struct idle_note *next;
	char id[IDLE_SESSION_ID_MAX];
	char *error;
};

struct idle_state {
	struct manager *manager;
	struct logind *logind;
	struct idle_tracker *tracker;
	sd_event_source *timer;
	struct idle_call *calls;
	struct idle_note *notes;
	int inhibitor;		      /* the sleep delay lock, -1 when not held */
	bool inhibit_pending;	      /* Inhibit asked, not answered */
	sd_event_source *sleep_timer; /* releases the inhibitor at the latest */
	bool preparing_sleep;
};

static uint64_t now_usec(struct idle_state *p)
{
	uint64_t now = 0;

	if (sd_event_now(manager_event(p->manager), CLOCK_MONOTONIC, &now) < 0)
		now = monotonic_usec();
	return now;
}

static bool observe(struct idle_state *p)
{
	return manager_config(p->manager)->idle.mode == CONFIG_MODE_OBSERVE;
}

/* ---- notes and calls ------------------------------------------------------------------------ */

static struct idle_note **note_find(struct idle_state *p, const char *id)
{
	struct idle_note **n;

	for (n = &p->notes; *n; n = &(*n)->next)
		if (streq((*n)->id, id))
			break;
	return n;
}

static void note_set(struct idle_state *p, const char *id, const char *error)
{
	struct idle_note **n = note_find(p, id);
	char *copy = strdup(error);

	if (!copy)
		return;
	if (!*n) {
		*n = calloc(1, sizeof(**n));
		if (!*n) {
			free(copy);
			return;
		}
		(void)snprintf((*n)->id, sizeof((*n)->id), "%s", id);
	}
	free((*n)->error);
	(*n)->error = copy;
}

static void note_drop(struct idle_state *p, const char *id)
{
	struct idle_note **n = note_find(p, id), *gone = *n;

	if (!gone)
		return;
	*n = gone->next;
	free(gone->error);
	free(gone);
}

static struct idle_call *call_free(struct idle_call *c)
{
	if (!c)
		return NULL;
	free(c->user);
	free(c->seat);
	free(c->tty);
	free(c->remote_host);
	free(c->type);
	free(c);
	return NULL;
}

/* A call for action on session (copied: it may be gone when the answer comes). */
static struct idle_call *
call_new(struct idle_state *p, const struct idle_action *a, const struct logind_session *session)
{
	struct idle_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->part = p;
	c->action = *a;
	c->uid = session->uid;
	c->user = strdup(session->user);
	c->seat = strdup(session->seat);
	c->tty = strdup(session->tty);
	c->remote_host = strdup(session->remote_host);
	c->type = strdup(session->type);
	if (!c->user || !c->seat || !c->tty || !c->remote_host || !c->type)
		return call_free(c);
	c->next = p->calls;
	p->calls = c;
	return c;
}

/* Unlinks c from p's calls and frees it. */
static void call_done(struct idle_state *p, struct idle_call *c)
{
	for (struct idle_call **i = &p->calls; *i; i = &(*i)->next)
		if (*i == c) {
			*i = c->next;
			break;
		}
	call_free(c);
}

/* Cancels and forgets the calls for session id (NULL: all). A TerminateSession for a session
 * that ends is kept: logind announces the end before it answers, and the answer makes the
 * record. */
static void calls_cancel(struct idle_state *p, const char *id)
{
	struct idle_call *c = p->calls, *next;

	for (; c; c = next) {
		next = c->next;
		if (id &&
		    (!streq(c->action.session, id) || c->action.kind == IDLE_ACTION_TERMINATE))
			continue;
		(void)logind_cancel(p->logind, c);
		call_done(p, c);
	}
}

/* ---- carrying out actions ------------------------------------------------------------------- */

static struct idle_who who_of_call(const struct idle_call *c)
{
	return (struct idle_who){ c->user, c->uid, c->seat, c->tty, c->remote_host, c->type };
}

static struct idle_who who_of_session(const struct logind_session *s)
{
	return (struct idle_who){ s->user, s->uid, s->seat, s->tty, s->remote_host, s->type };
}

/* notify_user: tells the session's person it was locked, or that it will be ended because it
 * could not be locked (notify-user.h: their desktop, or their terminal). Not in observe mode:
 * nothing was done. */
static void tell(struct idle_state *p,
		 const struct idle_action *a,
		 const struct idle_who *w,
		 enum notice_kind kind)
{
	const struct config *c = manager_config(p->manager);

	if (a->observe || observe(p) || !c->idle.notify_user)
		return;
	notifier_tell(manager_notifier(p->manager),
		      &(struct notify_target){ .session = a->session,
					       .user = w->user,
					       .uid = w->uid,
					       .type = w->type,
					       .tty = w->tty },
		      &(struct notice_input){ .kind = kind,
					      .policy_reference =
						      config_policy_reference(c, EVENT_PART_IDLE),
					      .contact = c->vakt.contact });
}

static void lock_failed(struct idle_state *p, const struct idle_action *a, const struct idle_who *w)
{
	struct idle_note **note = note_find(p, a->session);

	idle_record_lock_failed(
		a, w, manager_config(p->manager)->idle.grace_usec, *note ? (*note)->error : NULL);
	note_drop(p, a->session);
	if (a->decision == LOCK_FAILURE_TERMINATE)
		tell(p, a, w, NOTICE_SESSION_TERMINATE);
}

static void run_due(struct idle_state *p);

static const char *error_text(int error, const sd_bus_error *e, char *buf, size_t n)
{
	if (e && sd_bus_error_is_set(e))
		(void)snprintf(buf, n, "%s", e->message ? e->message : e->name);
	else
		(void)snprintf(buf, n, "%s", strerror(-error));
	return buf;
}

static void on_lock_reply(int error, const sd_bus_error *e, void *userdata)
{
	struct idle_call *c = userdata;
	struct idle_state *p = c->part;
	if (error < 0) {
		char text[256];

		error_text(error, e, text, sizeof(text));
		log_warning("logind did not lock the idle session %s of '%s': %s",
			    c->action.session,
			    c->user,
			    text);
		note_set(p, c->action.session, text);
		idle_tracker_call_failed(p->tracker, c->action.session, now_usec(p));
	}
	call_done(p, c);
	run_due(p);
}

static void on_terminate_reply(int error, const sd_bus_error *e, void *userdata)
{
	struct idle_call *c = userdata;
	struct idle_state *p = c->part;
	struct idle_who w = who_of_call(c);
	char text[256];

	idle_record_terminated(
		&c->action, &w, false, error < 0 ? error_text(error, e, text, sizeof(text)) : NULL);
	call_done(p, c);
	run_due(p);
}

static void feed(struct idle_state *p, const struct logind_session *s, uint64_t now);

static void on_refresh_reply(int error, const sd_bus_error *e, void *userdata)
{
	struct idle_call *c = userdata;
	struct idle_state *p = c->part;

	if (error < 0) {
		char text[256];

		log_debug("Cannot read session %s from logind again: %s",
			  c->action.session,
			  error_text(error, e, text, sizeof(text)));
		idle_tracker_call_failed(p->tracker, c->action.session, now_usec(p));
	} else {
		/* Fed even when nothing changed: the facts are now fresh. */
		const struct logind_session *s = logind_get_session(p->logind, c->action.session);

		if (s)
			feed(p, s, now_usec(p));
	}
	call_done(p, c);
	run_due(p);
}

/* Sends the call for a (LOCK, TERMINATE, REFRESH) about session. */
static void
send_call(struct idle_state *p, const struct idle_action *a, const struct logind_session *session)
{
	struct idle_call *c = call_new(p, a, session);
	int r;

	if (!c) {
		log_error_errno(-ENOMEM, "Cannot act on idle session %s: %m", a->session);
		idle_tracker_call_failed(p->tracker, a->session, now_usec(p));
		return;
	}
	switch (a->kind) {
	case IDLE_ACTION_LOCK:
		log_info("Locking the idle session %s of '%s' (request %u).",
			 a->session,
			 session->user,
			 a->attempt);
		r = logind_lock_session(p->logind, a->session, on_lock_reply, c);
		break;
	case IDLE_ACTION_TERMINATE:
		r = logind_terminate_session(p->logind, a->session, on_terminate_reply, c);
		break;
	default:
		r = logind_refresh_session(p->logind, a->session, on_refresh_reply, c);
		break;
	}
	if (r >= 0)
		return;
	/* Not sent (logind away): the same as a failed call. */
	if (a->kind == IDLE_ACTION_TERMINATE) {
		struct idle_who w = who_of_call(c);
		char text[256];

		idle_record_terminated(a, &w, false, error_text(r, NULL, text, sizeof(text)));
	} else {
		if (a->kind == IDLE_ACTION_LOCK)
			note_set(p, a->session, strerror(-r));
		idle_tracker_call_failed(p->tracker, a->session, now_usec(p));
	}
	call_done(p, c);
}

static void act(struct idle_state *p, const struct idle_action *a)
{
	const struct logind_session *session = logind_get_session(p->logind, a->session);
	struct idle_who w;

	if (!session)
		return; /* gone: its SESSION_REMOVED forgets it */
	w = who_of_session(session);
	switch (a->kind) {
	case IDLE_ACTION_LOCK:
		if (a->observe)
			idle_record_locked(a, &w, observe(p));
		else
			send_call(p, a, session);
		break;
	case IDLE_ACTION_LOCKED:
		idle_record_locked(a, &w, observe(p));
		tell(p, a, &w, NOTICE_SESSION_LOCKED);
		break;
	case IDLE_ACTION_LOCK_FAILED:
		lock_failed(p, a, &w);
		break;
	case IDLE_ACTION_TERMINATE:
		if (a->observe)
			idle_record_terminated(a, &w, true, NULL);
		else
			send_call(p, a, session);
		break;
	case IDLE_ACTION_WARN:
		idle_record_warn(a, &w, manager_config(p->manager)->idle.text_sessions_after_usec);
		break;
	case IDLE_ACTION_REFRESH:
		send_call(p, a, session);
		break;
	case _IDLE_ACTION_KIND_MAX:
		break;
	}
}

/* Carries out what is due now, then sleeps until the next deadline (or for good). */
static void run_due(struct idle_state *p)
{
	struct idle_action a;
	uint64_t next, now = now_usec(p);

	while (idle_tracker_next(p->tracker, now, &a) > 0)
		act(p, &a);
	next = idle_tracker_next_deadline(p->tracker);
	if (next == UINT64_MAX) {
		(void)sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
		return;
	}
	if (sd_event_source_set_time(p->timer, next) < 0 ||
	    sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT) < 0)
		log_warning("Cannot schedule the next idle check, ignoring.");
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	(void)source;
	(void)usec;
	run_due(userdata);
	return 0;
}

/* ---- logind's table in, lock before sleep --------------------------------------------------- */

/*
 * When the session became idle, on CLOCK_MONOTONIC; 0 when logind does not know. A terminal's
 * last access can be older than the session on it (a console nobody typed on since boot), and
 * logind reports that: a session is never idle since before it began.
 */
static uint64_t idle_since(const struct logind_session *s)
{
	uint64_t since = s->idle_since_monotonic_usec;

	return since > 0 && since < s->timestamp_monotonic_usec ? s->timestamp_monotonic_usec
								: since;
}

static void feed(struct idle_state *p, const struct logind_session *s, uint64_t now)
{
	_cleanup_strv_free_ char **groups = NULL;
	struct idle_session_facts f = {
		.id = s->id,
		.user = s->user,
		.uid = s->uid,
		.class = s->class,
		.type = s->type,
		.tty = s->tty,
		.remote = s->remote,
		.state = s->state,
		.idle_hint = s->idle_hint,
		.idle_since_usec = idle_since(s),
		.locked_hint = s->locked_hint,
	};
	int r;

	/* Groups decide exemptions; kept by the tracker, so that a reload that changes
	 * exempt_groups needs no new facts. Unknown groups are no exemption. */
	if (nss_user_groups(s->user, s->uid, &groups) >= 0)
		f.groups = groups;
	/* The facts are as old as logind's last answer about the idle start, not as this call: a
	 * terminal's idle start changes without a signal, and a stale one taken as fresh would warn
	 * or end a session that was used in between. */
	if (s->idle_read_usec > 0 && s->idle_read_usec < now)
		now = s->idle_read_usec;
	r = idle_tracker_update(p->tracker, &f, now);
	if (r < 0)
		log_warning_errno(
			r, "Cannot follow the idle time of session '%s', ignoring: %m", s->id);
}

/* Forgets every session (logind's table is unknown, or about to be read again in full). */
static void reset_tracker(struct idle_state *p)
{
	struct idle_tracker *t = idle_tracker_new(manager_config(p->manager));

	if (!t) {
		log_error_errno(-ENOMEM, "Cannot follow idle sessions, keeping the old state: %m");
		return;
	}
	idle_tracker_free(p->tracker);
	p->tracker = t;
}

static void feed_all(struct idle_state *p)
{
	uint64_t now = now_usec(p);

	for (const struct logind_session *s = logind_sessions_next(p->logind, NULL); s;
	     s = logind_sessions_next(p->logind, s))
		feed(p, s, now);
}

static void release_inhibitor(struct idle_state *p)
{
	p->sleep_timer = sd_event_source_disable_unref(p->sleep_timer);
	if (p->inhibitor >= 0) {
		(void)close(p->inhibitor);
		p->inhibitor = -1;
	}
}

static void on_inhibitor(int error, const sd_bus_error *e, int fd, void *userdata)
{
	struct idle_state *p = userdata;

	p->inhibit_pending = false;
	if (error < 0) {
		char text[256];

		log_warning(
			"Cannot delay sleep to lock the screens first (%s); sessions are locked "
			"when the machine goes to sleep, without waiting for them.",
			error_text(error, e, text, sizeof(text)));
		return;
	}
	if (p->inhibitor >= 0)
		(void)close(p->inhibitor);
	p->inhibitor = fd;
}

static void take_inhibitor(struct idle_state *p)
{
	if (p->inhibitor >= 0 || p->inhibit_pending || observe(p))
		return;
	if (logind_inhibit_sleep(p->logind,
				 "vaktd",
				 "Lock every screen before the computer sleeps (security policy)",
				 on_inhibitor,
				 p) >= 0)
		p->inhibit_pending = true;
}

/* Whether every graphical session that must lock has reported locked. */
static bool all_locked(struct idle_state *p)
{
	const struct config *c = manager_config(p->manager);

	for (const struct logind_session *s = logind_sessions_next(p->logind, NULL); s;
	     s = logind_sessions_next(p->logind, s)) {
		struct idle_session_facts f = {
			.class = s->class,
			.type = s->type,
			.tty = s->tty,
			.remote = s->remote,
			.state = s->state,
		};

		/* Exemptions are left out here: this only decides how long sleep waits. */
		if (idle_classify(c, &f) == IDLE_SESSION_GRAPHICAL && !s->locked_hint)
			return false;
	}
	return true;
}

static int on_sleep_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct idle_state *p = userdata;

	(void)source;
	(void)usec;
	log_warning("Not every screen reported locked within %llu s; letting the computer sleep.",
		    (unsigned long long)(SLEEP_LOCK_WAIT_USEC / USEC_PER_SEC));
	release_inhibitor(p);
	return 0;
}

static void prepare_sleep(struct idle_state *p)
{
	unsigned n;

	p->preparing_sleep = true;
	n = idle_tracker_lock_all(p->tracker, now_usec(p));
	run_due(p);
	if (n == 0 || all_locked(p)) {
		release_inhibitor(p);
		return;
	}
	if (p->inhibitor >= 0 && !p->sleep_timer &&
	    sd_event_add_time_relative(manager_event(p->manager),
				       &p->sleep_timer,
				       CLOCK_MONOTONIC,
				       SLEEP_LOCK_WAIT_USEC,
				       0,
				       on_sleep_timer,
				       p) < 0)
		release_inhibitor(p);
}

static void on_logind(struct logind *l, enum logind_change what, const char *id, void *userdata)
{
	struct idle_state *p = userdata;
	const struct logind_session *s;

	(void)l;
	switch (what) {
	case LOGIND_SESSION_NEW:
	case LOGIND_SESSION_CHANGED:
		s = logind_get_session(p->logind, id);
		if (s)
			feed(p, s, now_usec(p));
		if (p->preparing_sleep && p->inhibitor >= 0 && all_locked(p))
			release_inhibitor(p);
		break;
	case LOGIND_SESSION_REMOVED:
		calls_cancel(p, id);
		note_drop(p, id);
		idle_tracker_remove(p->tracker, id);
		break;
	case LOGIND_KNOWN:
		reset_tracker(p);
		feed_all(p);
		take_inhibitor(p);
		break;
	case LOGIND_UNKNOWN:
		/* Nothing can be asked or checked: start over when logind is back. The inhibitor
		 * belongs to the logind that went away: a new one is taken then. Said once per
		 * loss, so that no lock missing in the meantime goes unexplained. */
		if (!observe(p))
			log_warning(
				"logind cannot be reached: idle sessions are not locked or ended "
				"until it answers again; their idle time is counted anew then.");
		calls_cancel(p, NULL);
		reset_tracker(p);
		release_inhibitor(p);
		p->inhibit_pending = false;
		break;
	case LOGIND_PREPARE_SLEEP:
		prepare_sleep(p);
		break;
	case LOGIND_RESUME:
		p->preparing_sleep = false;
		release_inhibitor(p);
		take_inhibitor(p);
		break;
	case LOGIND_SEAT_CHANGED:
		return;
	}
	run_due(p);
}

/* ---- the part ------------------------------------------------------------------------------- */

static void idle_stop(void *state)
{
	struct idle_state *p = state;

	if (!p)
		return;
	if (p->logind) {
		(void)logind_unsubscribe(p->logind, on_logind, p);
		(void)logind_cancel(p->logind, p);
		calls_cancel(p, NULL);
	}
	while (p->notes)
		note_drop(p, p->notes->id);
	p->timer = sd_event_source_disable_unref(p->timer);
	release_inhibitor(p);
	p->tracker = idle_tracker_free(p->tracker);
	free(p);
}

DEFINE_FREEP(struct idle_state, idle_stop)

static int idle_start(struct manager *m, void **ret_state)
{
	_cleanup_(idle_stopp) struct idle_state *p = NULL;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return log_error_errno(-ENOMEM, "Out of memory.");
	p->manager = m;
	p->inhibitor = -1;
	p->logind = manager_logind(m);
	p->tracker = idle_tracker_new(manager_config(m));
	if (!p->tracker)
		/* cppcheck-suppress memleak ; p is freed by its _cleanup_(idle_stopp) */
		return log_error_errno(-ENOMEM, "Out of memory.");
	r = sd_event_add_time(manager_event(m),
			      &p->timer,
			      CLOCK_MONOTONIC,
			      UINT64_MAX,
			      TIMER_ACCURACY_USEC,
			      on_timer,
			      p);
	if (r >= 0)
		r = sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
	if (r >= 0)
		r = logind_subscribe(p->logind, on_logind, p);
	if (r < 0)
		return log_error_errno(r, "Cannot start the idle part: %m");
	if (logind_is_known(p->logind)) {
		feed_all(p);
		take_inhibitor(p);
		run_due(p);
	}
	*ret_state = TAKE_PTR(p);
	return 0;
}

static int idle_reload(struct manager *m, void *state, const struct config *old)
{
	struct idle_state *p = state;

	(void)old;
	/* The tracker keeps every session's groups: exemptions follow without new facts (feeding
	 * the cached ones again would pass a text session's old idle start off as fresh). */
	idle_tracker_set_config(p->tracker, manager_config(m));
	if (observe(p))
		release_inhibitor(p);
	else
		take_inhibitor(p);
	run_due(p);
	return 0;
}

static enum config_mode idle_mode(const struct config *c)
{
	return c->idle.mode;
}

static int idle_capabilities(const struct config *c, cap_value_t ret_caps[8])
{
	int n = 0;

	/* LockSession and TerminateSession need none: logind grants them to uid 0. The warning on a
	 * text session's terminal does: login makes a terminal 0600 user:tty (Debian's TTYPERM),
	 * which root may write only with CAP_DAC_OVERRIDE. notify_user: the child that tells the
	 * person becomes them (notify-user.h). */
	if (c->idle.mode != CONFIG_MODE_ENFORCE)
		return 0;
	if (c->idle.text_sessions_after_usec > 0)
		ret_caps[n++] = CAP_DAC_OVERRIDE;
	if (c->idle.notify_user) {
		ret_caps[n++] = CAP_SETUID;
		ret_caps[n++] = CAP_SETGID;
	}
	return n;
}

const struct part_ops idle_part = {
	.name = "idle",
	.mode = idle_mode,
	.capabilities = idle_capabilities,
	.start = idle_start,
	.reload = idle_reload,
	.stop = idle_stop,
};

int idle_part_session_next(void *state,
			   const char *id,
			   enum idle_action_kind *ret_kind,
			   uint64_t *ret_when)
{
	struct idle_state *p = state;

	return idle_tracker_session_next(p->tracker, id, ret_kind, ret_when);
}
