/*
 * The audit part (--replay-audit: audit-replay.c). The source is the kernel's audit multicast
 * group: a read-only copy of every record, whether or not auditd runs, and vaktd never registers as
 * the audit daemon, so auditd keeps its place. A second, unicast socket asks the kernel for its
 * status (lost counter, backlog, enabled flag) and loads the vakt-* rules.
 *
 * On stop the rules stay loaded: auditing is meant to continue while vaktd restarts or is
 * upgraded (auditd keeps writing them to disk), and removing rules would itself be the tampering
 * this part reports. Uninstalling removes /etc/audit/rules.d/50-vakt.rules; the next boot or
 * "augenrules --load" drops them.
 */

#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "audit-pipe.h"
#include "audit-rules.h"
#include "auditcfg.h"
#include "auditclass.h"
#include "config.h"
#include "log.h"
#include "manager.h"
#include "part.h"
#include "strv.h"

#define RECV_SLOT_SIZE	       ((size_t)10 * 1024) /* > MAX_AUDIT_MESSAGE_LENGTH (8970) + header */
#define RECV_BATCH	       32		   /* datagrams per recvmmsg() */
#define RECV_BUFFER_SIZE       (RECV_SLOT_SIZE * RECV_BATCH)
#define SOCKET_RCVBUF	       (8 * 1024 * 1024)
#define MAX_RECORDS_PER_WAKEUP 1024
#define POLL_INTERVAL_USEC     (10 * USEC_PER_MSEC)
#define POLL_ACCURACY_USEC     (5 * USEC_PER_MSEC)
#define DATAGRAM_OVERHEAD      1024 /* socket buffer use per datagram beyond twice its size */
#define STATUS_INTERVAL_USEC   (60 * USEC_PER_SEC)
#define OVERFLOW_REPORT_USEC   USEC_PER_SEC
#define STATUS_TIMEOUT_MS      500
/* At stop, how long to wait for records still on their way (a sudo systemctl stop vaktd: the
 * USER_CMD was sent before the stop signal, but kauditd delivers it asynchronously). */
#define STOP_READ_MS	       100

struct audit_state {
	struct manager *manager;
	struct auditpipe *pipe;
	int fd;	    /* multicast reader */
	int ctl_fd; /* unicast: status and rules; -1 when unavailable */
	sd_event_source *io;
	sd_event_source *poll_timer; /* reads while the stream is busy, instead of io */
	sd_event_source *flush_timer;
	sd_event_source *status_timer;
	sd_event_source *overflow_timer;
	uint64_t overflows; /* ENOBUFS since the last report */
	bool have_lost;
	uint32_t last_lost;
	bool disabled_reported; /* audit.disabled says auditing is off; cleared when it is on */
	char *unit;		/* vaktd's systemd unit ("vaktd.service"), for stop requests */
	uint64_t flush_at;	/* when flush_timer fires; UINT64_MAX when it is off */
	uint64_t last_data;	/* when a read last found records */
	size_t busy_bytes;	/* a read using more of the socket buffer than this polls no more */
	bool polling;		/* poll_timer reads, io is off */
	char *buf;
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
};

static bool ensuring(const struct config *c)
{
	return c->audit.ensure_rules && c->audit.mode == CONFIG_MODE_ENFORCE;
}

static uint64_t now_usec(struct audit_state *s)
{
	uint64_t now = 0;

	(void)sd_event_now(manager_event(s->manager), CLOCK_MONOTONIC, &now);
	return now;
}

/*
 * Makes sure the flush timer fires by the pipeline's next deadline. An armed timer is only moved
 * earlier, and left armed when nothing waits any more: firing early costs one wakeup (on_flush()
 * arms it again), while moving it for every event cost a timerfd_settime() per record burst.
 */
static void arm_flush(struct audit_state *s)
{
	uint64_t deadline = auditpipe_next_deadline(s->pipe);

	if (deadline >= s->flush_at)
		return;
	(void)sd_event_source_set_time(s->flush_timer, deadline);
	if (s->flush_at == UINT64_MAX)
		(void)sd_event_source_set_enabled(s->flush_timer, SD_EVENT_ONESHOT);
	s->flush_at = deadline;
}

static void arm_in(sd_event_source *source, uint64_t now, uint64_t delay)
{
	int enabled = SD_EVENT_OFF;

	/* An armed one-shot timer keeps its earlier time: reports are coalesced. */
	(void)sd_event_source_get_enabled(source, &enabled);
	if (enabled != SD_EVENT_OFF)
		return;
	(void)sd_event_source_set_time(source, now + delay);
	(void)sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

/* Asks the kernel for its audit status on the unicast socket. Returns 0 or -errno. */
static int get_status(int fd, struct audit_status *ret_status)
{
	struct audit_reply rep;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return -EBADF;
	if (audit_request_status(fd) <= 0)
		return errno > 0 ? -errno : -EIO;
	for (int i = 0; i < 4; i++) {
		int r = poll(&p, 1, STATUS_TIMEOUT_MS);

		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		r = audit_get_reply(fd, &rep, GET_REPLY_NONBLOCKING, 0);
		if (r <= 0)
			continue;
		if (rep.type == NLMSG_ERROR && rep.error && rep.error->error != 0)
			return rep.error->error;
		if (rep.type == AUDIT_GET && rep.status) {
			*ret_status = *rep.status;
			return 0;
		}
	}
	return -EIO;
}

static int enable_auditing(struct audit_state *s);
static void report_restored(int r, char **added, bool enabled, const char *who, const char *found);

/* Reports growth of the kernel's lost counter, and auditing switched off: re-enabled (and
 * reported with what else was restored) under ensure_rules, else reported once. */
static void check_status(struct audit_state *s, bool first)
{
	const struct config *c = manager_config(s->manager);
	struct audit_status st = {};
	struct log_event e;
	int r;

	r = get_status(s->ctl_fd, &st);
	if (r < 0) {
		log_debug_errno(r, "Cannot read the kernel audit status: %m");
		return;
	}
	if ((first && st.lost > 0) || (s->have_lost && st.lost > s->last_lost)) {
		uint32_t lost = first ? st.lost : st.lost - s->last_lost;

		log_event_begin(&e, EVENT_AUDIT_LOST);
		log_event_addf(&e, "VAKT_LOST", "%" PRIu32, lost);
		log_event_addf(&e, "VAKT_LOST_TOTAL", "%" PRIu32, st.lost);
		log_event_addf(&e, "VAKT_BACKLOG", "%" PRIu32, st.backlog);
		log_event_addf(&e, "VAKT_BACKLOG_LIMIT", "%" PRIu32, st.backlog_limit);
		log_event_add(&e,
			      "VAKT_REASON",
			      "the kernel dropped audit records (its lost counter rose)");
		log_event_message(&e,
				  "The kernel lost %" PRIu32 " audit records%s (%" PRIu32
				  " since boot; backlog %" PRIu32 " of %" PRIu32 ").",
				  lost,
				  first ? " before vaktd started" : "",
				  st.lost,
				  st.backlog,
				  st.backlog_limit);
		log_event_end(&e);
	}
	s->have_lost = true;
	s->last_lost = st.lost;

	if (st.enabled != 0) {
		s->disabled_reported = false;
		return;
	}
	/* Someone switched it off unseen (vaktd was not running, or missed the record). */
	if (ensuring(c)) {
		if (enable_auditing(s) > 0)
			report_restored(
				0, NULL, true, NULL, first ? "at start" : "by a periodic check");
		return;
	}
	if (s->disabled_reported)
		return;
	s->disabled_reported = true;
	log_event_begin(&e, EVENT_AUDIT_DISABLED);
	log_event_add(&e, "VAKT_AUDIT_ENABLED", "0");
	log_event_message(&e,
			  "Kernel auditing is switched off (found %s): no privileged activity is "
			  "recorded until it is switched on again (auditctl -e 1).",
			  first ? "at start" : "by a periodic check");
	log_event_end(&e);
}

/* Whether vaktd may check and restore the rules now; says why not when it may not. */
static bool may_restore(struct audit_state *s, const char *why)
{
	const struct config *c = manager_config(s->manager);

	if (!c->audit.ensure_rules)
		return false;
	if (c->audit.mode != CONFIG_MODE_ENFORCE) {
		log_notice("Would check and restore the vakt audit rules (%s), but [audit] mode is "
			   "observe.",
			   why);
		return false;
	}
	if (s->ctl_fd < 0) {
		log_warning("Cannot check the vakt audit rules (%s): no audit control socket.",
			    why);
		return false;
	}
	return true;
}

/* Loads the missing rules; returns how many (their lines in *ret_added) or < 0, logged. */
static int load_rules(struct audit_state *s, char ***ret_added)
{
	int r = auditrules_ensure(s->ctl_fd, manager_config(s->manager), ret_added);

	if (r < 0)
		log_warning_errno(r,
				  "Cannot load the vakt audit rules (needs CAP_AUDIT_CONTROL): %m");
	return r;
}

/* At start and on reload: loading vaktd's own rules is no event, one line says what it did. */
static void ensure_rules(struct audit_state *s, const char *why)
{
	_cleanup_strv_free_ char **added = NULL;
	_cleanup_free_ char *list = NULL;
	int r;

	if (!may_restore(s, why))
		return;
	r = load_rules(s, &added);
	if (r <= 0)
		return;
	list = strv_join(added, "; ");
	log_info("Loaded %d missing vakt audit rule%s (%s): %s",
		 r,
		 r == 1 ? "" : "s",
		 why,
		 list ? list : "?");
}

/* Switches auditing on when it is off. Returns 1 when it did, 0 when it was on, < 0 (logged). */
static int enable_auditing(struct audit_state *s)
{
	struct audit_status st = {};
	int r;

	r = get_status(s->ctl_fd, &st);
	if (r < 0) {
		log_debug_errno(r, "Cannot read the kernel audit status: %m");
		return r;
	}
	if (st.enabled != 0)
		return 0;
	if (audit_set_enabled(s->ctl_fd, 1) < 0)
		return log_warning_errno(errno > 0 ? -errno : -EIO,
					 "Cannot switch kernel auditing on again: %m");
	return 1;
}

/* "vakt-module, /etc/shadow": the key, or for a watch the path, of each rule line, once each. */
static char *rules_summary(char **lines)
{
	_cleanup_strv_free_ char **names = NULL;

	STRV_FOREACH (l, lines) {
		char name[512];
		const char *k = strstr(*l, " -k ");

		if (strncmp(*l, "-w ", 3) == 0)
			(void)snprintf(
				name, sizeof(name), "%.*s", (int)strcspn(*l + 3, " "), *l + 3);
		else
			(void)snprintf(name, sizeof(name), "%s", k ? k + 4 : *l);
		if (!strv_contains(names, name) && strv_extend(&names, name) < 0)
			return NULL;
	}
	return names ? strv_join(names, ", ") : strdup("");
}

/* One audit.rules_restored: r rules added (their lines), auditing switched on again (enabled),
 * after who's change, or (who NULL) found switched off at "found". */
static void report_restored(int r, char **added, bool enabled, const char *who, const char *found)
{
	_cleanup_free_ char *lines = NULL, *summary = NULL;
	char what[1024];
	struct log_event e;

	lines = added ? strv_join(added, "\n") : NULL;
	summary = added ? rules_summary(added) : NULL;
	if (r > 0)
		(void)snprintf(what,
			       sizeof(what),
			       "restored %d audit rule%s (%s)%s",
			       r,
			       r == 1 ? "" : "s",
			       summary ? summary : "?",
			       enabled ? " and switched kernel auditing on again" : "");
	else
		(void)snprintf(what, sizeof(what), "switched kernel auditing on again");

	log_event_begin(&e, EVENT_AUDIT_RULES_RESTORED);
	log_event_addf(&e, "VAKT_RULES_RESTORED", "%d", r > 0 ? r : 0);
	log_event_add(&e, "VAKT_RESTORED_RULES", lines);
	if (enabled)
		log_event_add(&e, "VAKT_AUDIT_ENABLED", "1");
	log_event_add(&e, "VAKT_CHANGED_BY", who);
	if (who)
		log_event_message(
			&e, "vaktd %s after %s changed the audit configuration.", what, who);
	else
		log_event_message(
			&e,
			"vaktd %s: it was found switched off %s, and who switched it off is "
			"not known.",
			what,
			found);
	log_event_end(&e);
}

/* After someone (who) changed the audit configuration: switches auditing on again and loads the
 * missing rules, then says in one record what it put back. Nothing missing, nothing written. */
static void restore(struct audit_state *s, const char *who)
{
	_cleanup_strv_free_ char **added = NULL;
	int enabled, r;

	if (!may_restore(s, "after an audit configuration change"))
		return;
	enabled = enable_auditing(s);
	r = load_rules(s, &added);
	if (enabled > 0 || r > 0)
		report_restored(r, added, enabled > 0, who, NULL);
}

static void on_rules_changed(const struct auditcfg_change *ch, const char *who, void *userdata)
{
	struct audit_state *s = userdata;

	/* Reported with the change: the periodic check need not say it again. */
	if (auditcfg_change_disabled(ch))
		s->disabled_reported = true;
	restore(s, who);
}

static void on_stop_request(const struct auditpipe_request *r, void *userdata)
{
	struct audit_state *s = userdata;

	manager_note_stop_request(s->manager,
				  &(struct manager_stop_request){
					  .uid = r->auid,
					  .who = r->who,
					  .user = r->user,
					  .command = r->command,
					  .audit_id = r->audit_id,
					  .tty = r->tty,
					  .system = r->system,
				  });
}

static int on_flush(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct audit_state *s = userdata;

	(void)source;
	s->flush_at = UINT64_MAX; /* a one-shot timer is off once it fired */
	if (auditpipe_drain(s->pipe, usec, false) < 0)
		log_warning("Out of memory while handling audit records, some were lost.");
	arm_flush(s);
	return 0;
}

static int on_status(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct audit_state *s = userdata;

	check_status(s, false);
	auditpipe_report_suppressed(s->pipe);
	(void)sd_event_source_set_time(source, usec + STATUS_INTERVAL_USEC);
	(void)sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
	return 0;
}

static int on_overflow_report(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct audit_state *s = userdata;

	(void)source;
	(void)usec;
	if (s->overflows > 0) {
		struct log_event e;

		log_event_begin(&e, EVENT_AUDIT_LOST);
		log_event_addf(&e, "VAKT_OVERFLOWS", "%" PRIu64, s->overflows);
		log_event_add(&e,
			      "VAKT_REASON",
			      "vaktd's audit socket overflowed: it did not read the stream fast "
			      "enough");
		log_event_message(&e,
				  "vaktd could not keep up with the kernel audit stream and missed "
				  "records %" PRIu64 " time%s; the audit log (auditd) still has "
				  "them.",
				  s->overflows,
				  s->overflows == 1 ? "" : "s");
		log_event_end(&e);
	}
	s->overflows = 0;
	check_status(s, false);
	return 0;
}

/* One datagram: a netlink header and the record text (not NUL-terminated). */
static void handle_datagram(struct audit_state *s, const char *buf, size_t n, uint64_t now)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	size_t len;

	if (n < NLMSG_HDRLEN || h->nlmsg_type < NLMSG_MIN_TYPE)
		return;
	len = h->nlmsg_len >= NLMSG_HDRLEN && h->nlmsg_len <= n ? h->nlmsg_len : n;
	if (auditpipe_feed(s->pipe, buf + NLMSG_HDRLEN, len - NLMSG_HDRLEN, h->nlmsg_type, now) < 0)
		log_warning("Out of memory while handling audit records, some were lost.");
}

/* Reads up to RECV_BATCH datagrams with one system call. Returns the count (0 when none wait; a
 * short count means the queue is drained), RECV_BATCH to ask for another try, or -errno. Adds
 * the socket buffer the datagrams used, estimated, to *bytes. */
static int receive_batch(struct audit_state *s, int fd, uint64_t now, size_t *bytes)
{
	int n;

	n = recvmmsg(fd, s->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EINTR)
			return RECV_BATCH;
		if (errno == ENOBUFS) {
			s->overflows++;
			arm_in(s->overflow_timer, now, OVERFLOW_REPORT_USEC);
			return RECV_BATCH;
		}
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		handle_datagram(s, s->iov[i].iov_base, s->msgs[i].msg_len, now);
		*bytes += 2 * (size_t)s->msgs[i].msg_len + DATAGRAM_OVERHEAD;
	}
	return n;
}

/*
 * Whether to read again after POLL_INTERVAL_USEC (poll_timer, io off) rather than when records
 * arrive (io). A stream busier than one burst per poll interval is polled: at 1,000 audited
 * execs/s that is one wakeup per ten execs instead of one per exec, and records wait at most
 * POLL_INTERVAL_USEC + POLL_ACCURACY_USEC. A read that found nothing, hit the per-wakeup limit
 * or used much of the socket buffer goes back to io, so that a flood is read as fast as before.
 */
static bool want_poll(const struct audit_state *s, int records, size_t bytes, uint64_t now)
{
	if (records == 0 || records >= MAX_RECORDS_PER_WAKEUP || bytes >= s->busy_bytes)
		return false;
	return s->polling || now - s->last_data < POLL_INTERVAL_USEC;
}

/* Reads what waits, up to MAX_RECORDS_PER_WAKEUP, then picks how to wait for more. */
static void receive(struct audit_state *s, uint64_t now)
{
	size_t bytes = 0;
	int records = 0;
	bool polling;

	for (int i = 0; i < MAX_RECORDS_PER_WAKEUP / RECV_BATCH; i++) {
		int n = receive_batch(s, s->fd, now, &bytes);

		if (n < 0) {
			log_warning_errno(n, "Cannot read the audit stream, ignoring: %m");
			break;
		}
		records += n;
		if (n < RECV_BATCH)
			break;
	}
	polling = want_poll(s, records, bytes, now);
	if (records > 0)
		s->last_data = now;
	if (polling) {
		(void)sd_event_source_set_time(s->poll_timer, now + POLL_INTERVAL_USEC);
		(void)sd_event_source_set_enabled(s->poll_timer, SD_EVENT_ONESHOT);
	}
	if (polling != s->polling)
		(void)sd_event_source_set_enabled(s->io, polling ? SD_EVENT_OFF : SD_EVENT_ON);
	s->polling = polling;
	arm_flush(s);
}

static int on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct audit_state *s = userdata;

	(void)source;
	(void)fd;
	(void)revents;
	receive(s, now_usec(s));
	return 0;
}

static int on_poll(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct audit_state *s = userdata;

	(void)source;
	(void)usec;
	receive(s, now_usec(s));
	return 0;
}

static int open_multicast(void)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1),
	};
	int fd, size = SOCKET_RCVBUF;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (fd < 0)
		return -errno;
	/* Capped by net.core.rmem_max; a smaller buffer only means ENOBUFS sooner. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = -errno;

		(void)close(fd);
		return r;
	}
	return fd;
}

/* Points the recvmmsg() slots into buf once, and sizes busy_bytes on the buffer the kernel gave. */
static void setup_receive(struct audit_state *s)
{
	int size = 0;
	socklen_t len = sizeof(size);

	for (int i = 0; i < RECV_BATCH; i++) {
		s->iov[i] = (struct iovec){ .iov_base = s->buf + (size_t)i * RECV_SLOT_SIZE,
					    .iov_len = RECV_SLOT_SIZE };
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0 || size <= 0)
		size = 0; /* unknown: never poll */
	/* Polling lets a poll interval's records queue: keep that to half the buffer. */
	s->busy_bytes = (size_t)size / 2;
}

/* At stop: the records still queued on the socket, and those kauditd is about to deliver, e.g.
 * the sudo USER_CMD of the "systemctl stop vaktd" that is stopping us. */
static void receive_rest(struct audit_state *s)
{
	uint64_t now = now_usec(s);
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	size_t bytes = 0;

	for (int i = 0; i < MAX_RECORDS_PER_WAKEUP / RECV_BATCH; i++) {
		if (poll(&p, 1, STOP_READ_MS) <= 0)
			return;
		if (receive_batch(s, s->fd, now, &bytes) <= 0)
			return;
	}
}

static void audit_stop(void *userdata)
{
	struct audit_state *s = userdata;

	if (!s)
		return;
	if (s->fd >= 0 && s->pipe && s->buf)
		receive_rest(s);
	s->io = sd_event_source_disable_unref(s->io);
	s->poll_timer = sd_event_source_disable_unref(s->poll_timer);
	s->flush_timer = sd_event_source_disable_unref(s->flush_timer);
	s->status_timer = sd_event_source_disable_unref(s->status_timer);
	s->overflow_timer = sd_event_source_disable_unref(s->overflow_timer);
	if (s->pipe) {
		/* Whatever is still assembling goes out now rather than never. */
		(void)auditpipe_drain(s->pipe, UINT64_MAX, true);
		auditpipe_report_suppressed(s->pipe);
	}
	s->pipe = auditpipe_free(s->pipe);
	if (s->fd >= 0)
		(void)close(s->fd);
	if (s->ctl_fd >= 0)
		audit_close(s->ctl_fd);
	free(s->buf);
	free(s->unit);
	free(s);
}

DEFINE_FREEP(void, audit_stop)

static int
add_timer(struct audit_state *s, sd_event_source **ret_source, sd_event_time_handler_t cb)
{
	int r;

	r = sd_event_add_time(manager_event(s->manager), ret_source, CLOCK_MONOTONIC, 0, 0, cb, s);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(*ret_source, SD_EVENT_OFF);
}

static int add_sources(struct audit_state *s)
{
	sd_event *e = manager_event(s->manager);
	int r;

	r = sd_event_add_io(e, &s->io, s->fd, EPOLLIN, on_io, s);
	if (r < 0)
		return r;
	r = add_timer(s, &s->flush_timer, on_flush);
	if (r >= 0)
		r = add_timer(s, &s->poll_timer, on_poll);
	if (r >= 0)
		r = add_timer(s, &s->overflow_timer, on_overflow_report);
	if (r >= 0)
		r = add_timer(s, &s->status_timer, on_status);
	if (r < 0)
		return r;
	/* The flush timer may fire 10 ms late; nobody waits on it. */
	(void)sd_event_source_set_time_accuracy(s->flush_timer, 10 * USEC_PER_MSEC);
	(void)sd_event_source_set_time_accuracy(s->poll_timer, POLL_ACCURACY_USEC);
	arm_in(s->status_timer, now_usec(s), STATUS_INTERVAL_USEC);
	return 0;
}

static int audit_start(struct manager *m, void **ret_state)
{
	_cleanup_(audit_stopp) void *state = NULL;
	struct audit_state *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_error_errno(-ENOMEM, "Cannot start the audit part: %m");
	state = s;
	s->manager = m;
	s->fd = s->ctl_fd = -1;
	s->flush_at = UINT64_MAX;
	s->buf = malloc(RECV_BUFFER_SIZE);
	if (!s->buf || auditpipe_new(manager_config(m), true, manager_logind(m), &s->pipe) < 0)
		return log_error_errno(-ENOMEM, "Cannot start the audit part: %m");
	auditpipe_on_rules_changed(s->pipe, on_rules_changed, s);
	/* Outside systemd (tests, make run) vaktd is "vaktd" to systemctl and kill. */
	if (sd_pid_get_unit(0, &s->unit) < 0)
		s->unit = strdup("vaktd");
	auditpipe_on_stop_request(s->pipe, s->unit, on_stop_request, s);

	s->fd = open_multicast();
	if (s->fd < 0)
		return log_error_errno(s->fd,
				       "Cannot join the kernel audit multicast group (needs "
				       "CAP_AUDIT_READ): %m");
	setup_receive(s);
	set_aumessage_mode(MSG_QUIET, DBG_NO);
	s->ctl_fd = audit_open();
	if (s->ctl_fd < 0)
		log_warning_errno(
			-errno,
			"Cannot open the audit control socket, the lost counter and rules "
			"are not watched: %m");

	r = add_sources(s);
	if (r < 0)
		return log_error_errno(r, "Cannot watch the audit stream: %m");

	check_status(s, true);
	ensure_rules(s, "at start");
	*ret_state = TAKE_PTR(state);
	return 0;
}

static int audit_reload(struct manager *m, void *userdata, const struct config *old)
{
	struct audit_state *s = userdata;
	int r;

	(void)old;
	r = auditpipe_set_config(s->pipe, manager_config(m));
	if (r < 0)
		return log_error_errno(r, "Cannot apply the new [audit] settings: %m");
	ensure_rules(s, "after reload");
	return 0;
}

static enum config_mode audit_mode(const struct config *c)
{
	return c->audit.mode;
}

static int audit_capabilities(const struct config *c, cap_value_t ret_caps[8])
{
	(void)c;
	ret_caps[0] = CAP_AUDIT_READ;	 /* the multicast group */
	ret_caps[1] = CAP_AUDIT_CONTROL; /* status (lost counter), rules, re-enabling */
	return 2;
}

const struct part_ops audit_part = {
	.name = "audit",
	.mode = audit_mode,
	.capabilities = audit_capabilities,
	.start = audit_start,
	.reload = audit_reload,
	.stop = audit_stop,
};

bool audit_part_lost(void *state, uint32_t *ret_lost)
{
	struct audit_state *s = state;

	if (!s->have_lost)
		return false;
	*ret_lost = s->last_lost;
	return true;
}
