/*
 * The idle part's output: its records (session.locked, session.lock_failed, session.terminated)
 * and the warning written on a text session's terminal.
 */

#include "idle-records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "idle.h"
#include "log.h"
#include "notice.h"
#include "parse.h"

#define TERMINAL_WRITE_MAX 1024

/* " on pts/0 from 'host'" or " at seat0". */
static const char *where(const struct idle_who *w, char *buf, size_t n)
{
	if (w->tty[0])
		(void)snprintf(buf,
			       n,
			       " on %s%s%s%s",
			       w->tty,
			       w->remote_host[0] ? " from '" : "",
			       w->remote_host,
			       w->remote_host[0] ? "'" : "");
	else if (w->seat[0])
		(void)snprintf(buf, n, " at %s", w->seat);
	else
		buf[0] = '\0';
	return buf;
}

/* The pieces every message of the part uses: where the rule is set, how long the session was
 * idle, where the session is. */
struct texts {
	char place[512];
	char idle[64];
	char at[320];
};

/* Begins record id with the fields every session record carries, and fills *t. */
static void begin_record(enum event_id id,
			 const struct idle_action *a,
			 const struct idle_who *w,
			 bool observe,
			 struct log_event *e,
			 struct texts *t)
{
	config_place_format(&a->place, t->place, sizeof(t->place));
	parse_duration_format(a->idle_usec, t->idle, sizeof(t->idle));
	where(w, t->at, sizeof(t->at));
	log_event_begin(e, id);
	log_event_add(e, "VAKT_USER", w->user);
	log_event_addf(e, "VAKT_UID", "%u", (unsigned)w->uid);
	log_event_add(e, "VAKT_SESSION", a->session);
	log_event_add(e, "VAKT_SEAT", w->seat);
	log_event_add(e, "VAKT_TTY", w->tty);
	log_event_add(e, "VAKT_REMOTE_HOST", w->remote_host);
	log_event_add(e, "VAKT_SESSION_TYPE", w->type);
	log_event_addf(
		e, "VAKT_IDLE_SEC", "%llu", (unsigned long long)(a->idle_usec / USEC_PER_SEC));
	log_event_add(e, "VAKT_IDLE", t->idle);
	if (!a->idle_since_known)
		log_event_add(e,
			      "VAKT_IDLE_NOTE",
			      "logind gave no idle time: counted from when vaktd saw the session "
			      "idle");
	log_event_addf(e, "VAKT_RULE", "%s %s", a->rule, t->place);
	log_event_add(e, "VAKT_MODE", observe ? "observe" : "enforce");
}

void idle_record_locked(const struct idle_action *a, const struct idle_who *w, bool observe)
{
	struct log_event e;
	struct texts t;

	begin_record(EVENT_SESSION_LOCKED, a, w, observe, &e, &t);
	log_event_add(&e, "VAKT_DECISION", "lock");
	log_event_add(
		&e,
		"VAKT_REASON",
		a->reason == IDLE_REASON_SLEEP ? "the computer was about to sleep"
		: a->observe
			? "the session was idle for lock_after (observe mode: not locked)"
			: "the session was idle for lock_after; LockedHint confirmed the lock");
	log_event_add(&e, "VAKT_RESULT", a->observe ? "observe" : "success");
	if (a->observe)
		log_event_message(
			&e,
			"Observe mode, nothing changed: the session %s of '%s'%s would have "
			"been locked %s (lock_after, %s).",
			a->session,
			w->user,
			t.at,
			a->reason == IDLE_REASON_SLEEP ? "before the computer went to sleep"
						       : "after being idle",
			t.place);
	else if (a->reason == IDLE_REASON_SLEEP)
		log_event_message(&e,
				  "The session %s of '%s'%s was locked before the computer went to "
				  "sleep.",
				  a->session,
				  w->user,
				  t.at);
	else
		log_event_message(&e,
				  "The session %s of '%s'%s was locked after %s without use, as "
				  "lock_after (%s) requires.",
				  a->session,
				  w->user,
				  t.at,
				  t.idle,
				  t.place);
	log_event_end(&e);
}

void idle_record_lock_failed(const struct idle_action *a,
			     const struct idle_who *w,
			     uint64_t grace_usec,
			     const char *refusal)
{
	bool terminate = a->decision == LOCK_FAILURE_TERMINATE;
	char grace[64], reason[512];
	struct log_event e;
	struct texts t;

	parse_duration_format(grace_usec, grace, sizeof(grace));
	if (refusal)
		(void)snprintf(reason, sizeof(reason), "logind refused to lock it: %s", refusal);
	else
		(void)snprintf(reason,
			       sizeof(reason),
			       "LockedHint was not set within %s after each of two lock requests",
			       grace);
	begin_record(EVENT_SESSION_LOCK_FAILED, a, w, false, &e, &t);
	log_event_add(&e, "VAKT_DECISION", terminate ? "terminate" : "log");
	log_event_add(&e, "VAKT_RESULT", "failure");
	log_event_add(&e, "VAKT_REASON", reason);
	log_event_message(&e,
			  "The idle session %s of '%s'%s could not be locked (%s); %s "
			  "(on_lock_failure, %s).",
			  a->session,
			  w->user,
			  t.at,
			  reason,
			  terminate ? "it is ended now" : "this is only recorded",
			  t.place);
	log_event_end(&e);
}

void idle_record_terminated(const struct idle_action *a,
			    const struct idle_who *w,
			    bool observe,
			    const char *error)
{
	struct log_event e;
	struct texts t;
	const char *result = a->observe ? "observe" : error ? "failure" : "success";

	begin_record(EVENT_SESSION_TERMINATED, a, w, observe, &e, &t);
	log_event_add(&e, "VAKT_DECISION", "terminate");
	log_event_add(&e,
		      "VAKT_REASON",
		      a->reason == IDLE_REASON_LOCK_FAILURE
			      ? "the session did not lock (on_lock_failure = terminate)"
			      : "a text session cannot lock and was idle for text_sessions_after");
	log_event_add(&e, "VAKT_RESULT", result);
	if (error)
		log_event_add(&e, "VAKT_ERROR", error);
	if (a->reason == IDLE_REASON_LOCK_FAILURE)
		log_event_message(&e,
				  "%sThe session %s of '%s'%s %s because it did not lock "
				  "(on_lock_failure, %s)%s%s.",
				  a->observe ? "Observe mode, nothing changed: " : "",
				  a->session,
				  w->user,
				  t.at,
				  a->observe ? "would have been ended"
				  : error    ? "could not be ended"
					     : "was ended",
				  t.place,
				  error ? ": " : "",
				  error ? error : "");
	else
		log_event_message(&e,
				  "%sThe session %s of '%s'%s %s after %s without use "
				  "(text_sessions_after, %s)%s%s.",
				  a->observe ? "Observe mode, nothing changed: " : "",
				  a->session,
				  w->user,
				  t.at,
				  a->observe ? "would have been ended"
				  : error    ? "could not be ended"
					     : "was ended",
				  t.idle,
				  t.place,
				  error ? ": " : "",
				  error ? error : "");
	log_event_end(&e);
}

/* ---- the terminal warning ------------------------------------------------------------------- */

/* Writes text to /dev/TTY without blocking (a stuck terminal costs nothing). Returns 0 or
 * -errno. */
static int write_terminal(const char *tty, const char *text)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char path[128];
	size_t len = strlen(text);
	ssize_t k;

	if (!notice_tty_name_ok(tty))
		return -EINVAL;
	(void)snprintf(path, sizeof(path), "/dev/%s", tty);
	/* Root writes here (CAP_DAC_OVERRIDE): never through a symbolic link, and only to a
	 * terminal. */
	fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || !isatty(fd))
		return -ENOTTY;
	k = write(fd, text, len);
	if (k < 0)
		return -errno;
	return (size_t)k == len ? 0 : -EAGAIN;
}

void idle_record_warn(const struct idle_action *a, const struct idle_who *w, uint64_t after_usec)
{
	char text[TERMINAL_WRITE_MAX], left[64], place[512];
	uint64_t remaining = after_usec > a->idle_usec ? after_usec - a->idle_usec : 0;
	int r;

	parse_duration_format(remaining, left, sizeof(left));
	config_place_format(&a->place, place, sizeof(place));
	if (a->observe) {
		log_notice("Observe mode, nothing changed: the idle session %s of '%s' on %s would "
			   "have been warned that it ends in %s.",
			   a->session,
			   w->user,
			   w->tty,
			   left);
		return;
	}
	(void)snprintf(text,
		       sizeof(text),
		       "\r\n\a*** vakt: this session has not been used for a while and will be "
		       "ended in %s (security policy: unattended sessions are closed). Press a key "
		       "or type a command to keep it. ***\r\n",
		       left);
	r = write_terminal(w->tty, text);
	if (r < 0)
		log_warning_errno(
			r,
			"Cannot warn the idle session %s of '%s' on %s that it ends in %s, "
			"ending it anyway (%s): %m",
			a->session,
			w->user,
			w->tty,
			left,
			place);
	else
		log_notice("Warned the idle session %s of '%s' on %s: it ends in %s (%s).",
			   a->session,
			   w->user,
			   w->tty,
			   left,
			   place);
}
