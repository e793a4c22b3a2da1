/* Delivering a notice to the person at a seat, as that person (notify-user.h says how). */

#include "notify-user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "ratelimit.h"

/* How the child ended (its exit status). */
enum child_result {
	CHILD_SENT = 0,
	CHILD_NO_BUS = 10,	/* no session bus at /run/user/UID/bus: nobody to tell */
	CHILD_NO_SERVICE = 11,	/* the bus has no org.freedesktop.Notifications */
	CHILD_BUS_FAILED = 12,	/* the bus refused us or did not answer */
	CHILD_CREDENTIALS = 13, /* could not become the person: nothing was sent */
	CHILD_TTY_REFUSED = 14, /* the TTY is no terminal (or not the person's to open) */
	CHILD_TTY_FAILED = 15,	/* the terminal did not take the line */
};

/* One session that was told, or is being told. */
struct told {
	struct told *next;
	struct notifier *notifier;
	char *session;
	char *user;
	struct ratelimit limit;
	pid_t pid; /* the child, 0 when none runs */
	sd_event_source *child;
	bool desktop;
};

struct notifier {
	sd_event *event;
	char *runtime_root; /* "/run/user", or the test-only override */
	struct told *told;
};

static void told_stop_child(struct told *t)
{
	t->child = sd_event_source_disable_unref(t->child);
	t->pid = 0;
}

static struct told *told_free(struct told *t)
{
	if (!t)
		return NULL;
	/* A child still running ends on its own alarm(); vaktd, without CAP_KILL, could not end a
	 * process of another uid anyway. */
	told_stop_child(t);
	free(t->session);
	free(t->user);
	free(t);
	return NULL;
}

struct notifier *notifier_free(struct notifier *n)
{
	if (!n)
		return NULL;
	while (n->told) {
		struct told *t = n->told;

		n->told = t->next;
		told_free(t);
	}
	free(n->runtime_root);
	free(n);
	return NULL;
}

/* Whether the test-only runtime root can be written into a D-Bus address as it is. */
static bool plain_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '/' || *c == '.' || *c == '-' || *c == '_'))
			return false;
	return true;
}

struct notifier *notifier_new(sd_event *event)
{
	struct notifier *n;
	const char *root = getenv("VAKTD_TEST_USER_RUNTIME_ROOT");
	sigset_t mask;

	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->event = event;
	if (root && !plain_path(root)) {
		log_warning("VAKTD_TEST_USER_RUNTIME_ROOT='%s' is not a plain absolute path, "
			    "ignoring it.",
			    root);
		root = NULL;
	}
	if (root)
		log_notice("Test setting: the users' runtime directories are in %s.", root);
	n->runtime_root = strdup(root ? root : "/run/user");
	if (!n->runtime_root) {
		free(n);
		return NULL;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	return n;
}

/* ---- the child: runs as the person ----------------------------------------------------------- */

/* Becomes uid with its primary group and supplementary groups, and checks that no uid, gid or
 * capability of root is left. Returns 0 or -errno. */
static int become(uid_t uid, const char *user)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = (int)ELEMENTSOF(groups);
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	cap_t caps, none;
	int same;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || !found)
		return -ESRCH;
	/* logind's name and NSS's must agree: else this uid is not who the record names. */
	if (!streq(found->pw_name, user))
		return -ESRCH;
	if (getgrouplist(found->pw_name, found->pw_gid, groups, &n) < 0)
		return -E2BIG;
	if (setgroups((size_t)n, groups) < 0 ||
	    setresgid(found->pw_gid, found->pw_gid, found->pw_gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != uid || eu != uid || su != uid || rg != found->pw_gid || eg != rg || sg != rg)
		return -EPERM;
	/* Leaving uid 0 clears every capability (no SECBIT_KEEP_CAPS): make sure. */
	caps = cap_get_proc();
	none = cap_init();
	same = caps && none ? cap_compare(caps, none) : -1;
	cap_free(caps);
	cap_free(none);
	if (same != 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

static enum child_result send_desktop(const char *address, const struct notice *text)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	int r;

	if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 ||
	    sd_bus_set_bus_client(bus, 1) < 0 ||
	    sd_bus_set_method_call_timeout(bus, NOTIFY_CHILD_TIMEOUT_USEC) < 0)
		return CHILD_BUS_FAILED;
	r = sd_bus_start(bus);
	if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTDIR)
		return CHILD_NO_BUS;
	if (r < 0)
		return CHILD_BUS_FAILED;
	r = sd_bus_call_method(bus,
			       "org.freedesktop.Notifications",
			       "/org/freedesktop/Notifications",
			       "org.freedesktop.Notifications",
			       "Notify",
			       &error,
			       &reply,
			       "susssasa{sv}i",
			       "vakt",
			       (uint32_t)0,
			       "security-high",
			       text->summary,
			       text->body,
			       0,
			       1,
			       "urgency",
			       "y",
			       (uint8_t)2, /* critical: it stays until read */
			       (int32_t)-1);
	if (r < 0)
		return sd_bus_error_has_names(
			       &error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)
			       ? CHILD_NO_SERVICE
			       : CHILD_BUS_FAILED;
	return CHILD_SENT;
}

static enum child_result send_terminal(const char *tty, const char *line)
{
	char path[128];
	struct stat st;
	size_t len = strlen(line);
	ssize_t k;
	int fd;

	if (!notice_tty_name_ok(tty))
		return CHILD_TTY_REFUSED;
	(void)snprintf(path, sizeof(path), "/dev/%s", tty);
	/* No symbolic link (one planted under /dev would lead elsewhere), no controlling
	 * terminal, never waiting for a stuck terminal. */
	fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return CHILD_TTY_REFUSED;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || !isatty(fd)) {
		(void)close(fd);
		return CHILD_TTY_REFUSED;
	}
	k = write(fd, line, len);
	(void)close(fd);
	return k == (ssize_t)len ? CHILD_SENT : CHILD_TTY_FAILED;
}

struct job {
	uid_t uid;
	const char *user;
	const char *address; /* NULL: the terminal */
	const char *tty;
	const struct notice *text;
};

static _Noreturn void child_main(const struct job *j)
{
	sigset_t none;

	/* Nothing of the daemon's stays open in a process the person will own. */
	(void)close_range(3, ~0U, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGALRM, SIG_DFL);
	/* The kill timeout: SIGALRM's default action ends the child, which installs no handler.
	 * Only the person (the same uid) could stop it first, and then only their own notices
	 * wait (one child per session). vaktd keeps no CAP_KILL to end it itself. */
	(void)alarm(NOTIFY_ALARM_SEC);
	if (become(j->uid, j->user) < 0)
		_exit(CHILD_CREDENTIALS);
	_exit((int)(j->address ? send_desktop(j->address, j->text)
			       : send_terminal(j->tty, j->text->line)));
}

/* ---- the parent ------------------------------------------------------------------------------ */

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct told *t = userdata;
	const char *how = t->desktop ? "on their desktop" : "on their terminal";

	(void)s;
	if (si->si_code != CLD_EXITED)
		log_notice("Could not tell '%s' (session %s) %s: the notification did not finish "
			   "in time, ignoring.",
			   t->user,
			   t->session,
			   how);
	else
		switch (si->si_status) {
		case CHILD_SENT:
			log_info("Told '%s' (session %s) %s what was done.",
				 t->user,
				 t->session,
				 how);
			break;
		case CHILD_NO_BUS:
			log_debug("'%s' (session %s) has no session bus: not told.",
				  t->user,
				  t->session);
			break;
		case CHILD_NO_SERVICE:
			log_debug("'%s' (session %s) has no notification service: not told.",
				  t->user,
				  t->session);
			break;
		case CHILD_CREDENTIALS:
			log_warning("Could not become '%s' (uid from session %s) to tell them, "
				    "nothing was sent.",
				    t->user,
				    t->session);
			break;
		case CHILD_TTY_REFUSED:
			log_debug(
				"The terminal of session %s is not one vakt writes to: '%s' not told.",
				t->session,
				t->user);
			break;
		default:
			log_notice("Could not tell '%s' (session %s) %s (status %d), ignoring.",
				   t->user,
				   t->session,
				   how,
				   si->si_status);
		}
	told_stop_child(t);
	return 0;
}

static bool graphical(const char *type)
{
	return streq(type, "x11") || streq(type, "wayland") || streq(type, "mir");
}

/* The entry of session, created when missing; old idle entries are dropped on the way. */
static struct told *told_get(struct notifier *n, const struct notify_target *tg, uint64_t now)
{
	struct told **p = &n->told, *t;

	while (*p) {
		t = *p;
		if (streq(t->session, tg->session))
			return t;
		/* Nothing running and its interval over: it would pass again anyway. */
		if (t->pid == 0 && now - t->limit.begin_usec >= t->limit.interval_usec) {
			*p = t->next;
			told_free(t);
			continue;
		}
		p = &t->next;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->notifier = n;
	t->limit = (struct ratelimit)RATELIMIT_INIT(NOTIFY_INTERVAL_USEC, 1);
	t->session = strdup(tg->session);
	t->user = strdup(tg->user);
	if (!t->session || !t->user)
		return told_free(t);
	t->next = n->told;
	n->told = t;
	return t;
}

void notifier_tell(struct notifier *n,
		   const struct notify_target *tg,
		   const struct notice_input *in)
{
	struct notice text = { 0 };
	char address[PATH_MAX + 32];
	struct told *t;
	unsigned suppressed;
	uint64_t now = monotonic_usec();
	bool desktop = graphical(tg->type);
	struct job j;
	pid_t pid;
	int r;

	if (!n || !tg->session[0] || !tg->user[0])
		return;
	if (tg->uid == 0) {
		log_debug("Session %s is root's: vakt tells nobody as root.", tg->session);
		return;
	}
	if (!desktop && !tg->tty[0]) {
		log_debug("Session %s of '%s' has neither a desktop nor a terminal: not told.",
			  tg->session,
			  tg->user);
		return;
	}
	t = told_get(n, tg, now);
	if (!t) {
		log_warning("Out of memory, not telling '%s'.", tg->user);
		return;
	}
	if (t->pid > 0) {
		log_debug("Still telling session %s: this one is not sent.", tg->session);
		return;
	}
	if (!ratelimit_ok(&t->limit, now, &suppressed)) {
		log_debug("Session %s was told less than %llu s ago: this one is not sent.",
			  tg->session,
			  (unsigned long long)(NOTIFY_INTERVAL_USEC / USEC_PER_SEC));
		return;
	}
	r = notice_format(in, &text);
	if (r < 0) {
		log_warning_errno(r, "Cannot write the notice for '%s', ignoring: %m", tg->user);
		return;
	}
	(void)snprintf(address,
		       sizeof(address),
		       "unix:path=%s/%u/bus",
		       n->runtime_root,
		       (unsigned)tg->uid);
	j = (struct job){ .uid = tg->uid,
			  .user = tg->user,
			  .address = desktop ? address : NULL,
			  .tty = tg->tty,
			  .text = &text };
	pid = fork();
	if (pid < 0) {
		log_warning_errno(-errno, "Cannot start telling '%s', ignoring: %m", tg->user);
		notice_done(&text);
		return;
	}
	if (pid == 0)
		child_main(&j);
	notice_done(&text);
	t->pid = pid;
	t->desktop = desktop;
	r = sd_event_add_child(n->event, &t->child, pid, WEXITED, on_child, t);
	if (r < 0) {
		/* Unwatched, it ends on its own alarm(); the zombie is the init's after vaktd. */
		log_warning_errno(
			r, "Cannot watch the notification process %d, ignoring: %m", (int)pid);
		told_stop_child(t);
	}
}
