#pragma once

/*
 * Telling the person at a seat what vakt did (notify_user in vakt.conf(5)), shared by the storage
 * and idle parts. The text comes from lib/notice.h; this file delivers it, never as root:
 *
 * - a graphical session (Type x11, wayland or mir) gets a desktop notification: a child process
 *   drops to the person's uid, gid and supplementary groups and then has no capability left,
 *   connects to their session bus (unix:path=/run/user/UID/bus) and calls
 *   org.freedesktop.Notifications.Notify on /org/freedesktop/Notifications;
 * - a text session with a TTY gets one line on that terminal, written by the same kind of child:
 *   /dev/TTY opened as the person, without following a symbolic link, and only when it is a
 *   character device that is a terminal.
 *
 * The event loop never waits: it forks the child and watches it (sd_event_add_child). The child
 * gives up on the bus after NOTIFY_CHILD_TIMEOUT_USEC and is ended by its own alarm (SIGALRM,
 * NOTIFY_ALARM_SEC) whatever it is doing. At most one message per session per
 * NOTIFY_INTERVAL_USEC, and at most one child per session at a time. A missing session bus or
 * notification service is no error (a debug line): nobody can be told.
 *
 * Test only: the environment variable VAKTD_TEST_USER_RUNTIME_ROOT replaces /run/user as the
 * directory that holds the users' runtime directories (vaktd(8), ENVIRONMENT).
 */

#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "notice.h"

#define NOTIFY_INTERVAL_USEC	  (60 * USEC_PER_SEC)
#define NOTIFY_CHILD_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define NOTIFY_ALARM_SEC	  6

struct notifier;

/* Who is told (borrowed strings, "" when unknown): a logind session. */
struct notify_target {
	const char *session;
	const char *user;
	uid_t uid;
	const char *type; /* logind's Type: "x11", "wayland", "mir", "tty", ... */
	const char *tty;  /* logind's TTY, "" when none */
};

/* Frees n; children still running end on their alarm (they run as the person: nothing of vakt's
 * is lost). Accepts NULL; returns NULL. */
struct notifier *notifier_free(struct notifier *n);
DEFINE_FREEP(struct notifier, notifier_free)

/* A notifier on event (borrowed, must outlive it). Blocks SIGCHLD (sd_event_add_child needs it).
 * NULL only on OOM. */
struct notifier *notifier_new(sd_event *event) _malloc_(notifier_free);

/* Tells t what in says, unless t's session was told within NOTIFY_INTERVAL_USEC, a child for it
 * still runs, t is root (never: vakt does not speak as root on a bus), or t has no way to be
 * reached. Logs what it did; returns nothing (a notice never fails a decision). */
void notifier_tell(struct notifier *n,
		   const struct notify_target *t,
		   const struct notice_input *in);
