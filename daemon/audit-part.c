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
#include <unistd.h>

#include "audit-pipe.h"
#include "audit-rules.h"
#include "auditclass.h"
#include "config.h"
#include "log.h"
#include "manager.h"
#include "part.h"

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
#define RESTORE_DELAY_USEC     (500 * USEC_PER_MSEC)
#define STATUS_TIMEOUT_MS      500

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
	sd_event_source *restore_timer;
	uint64_t overflows; /* ENOBUFS since the last report */
	bool have_lost;
	uint32_t last_lost;
	uint64_t flush_at;  /* when flush_timer fires; UINT64_MAX when it is off */
	uint64_t last_data; /* when a read last found records */
	size_t busy_bytes;  /* a read using more of the socket buffer than this polls no more */
	bool polling;	    /* poll_timer reads, io is off */
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

/* Reports growth of the kernel's lost counter and re-enables auditing when it was disabled. */
static void check_status(struct audit_state *s, bool first)
{
	const struct config *c = manager_config(s->manager);
	struct audit_status st = {};
	int r;

	r = get_status(s->ctl_fd, &st);
	if (r < 0) {
		log_debug_errno(r, "Cannot read the kernel audit status: %m");
		return;
	}
	if ((first && st.lost > 0) || (s->have_lost && st.lost > s->last_lost)) {
		uint32_t lost = first ? st.lost : st.lost - s->last_lost;

		struct log_event e;

		log_event_begin(&e, EVENT_AUDIT_LOST);
		log_event_addf(&e, "VAKT_LOST", "%" PRIu32, lost);
		log_event_addf(&e, "VAKT_LOST_TOTAL", "%" PRIu32, st.lost);
		log_event_addf(&e, "VAKT_BACKLOG", "%" PRIu32, st.backlog);
		log_event_addf(&e, "VAKT_BACKLOG_LIMIT", "%" PRIu32, st.backlog_limit);
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

	if (st.enabled != 0)
		return;
	if (!ensuring(c)) {
		log_warning(
			"Kernel auditing is disabled (auditctl -e 0): no privileged activity is "
			"recorded.");
		return;
	}
	r = audit_set_enabled(s->ctl_fd, 1);
	if (r < 0)
		log_warning_errno(errno > 0 ? -errno : -EIO, "Cannot enable kernel auditing: %m");
	else
		log_notice("Kernel auditing was disabled; enabled it again (ensure_rules = yes).");
}

static void ensure_rules(struct audit_state *s, const char *why)
{
	const struct config *c = manager_config(s->manager);
	int r;

	if (!c->audit.ensure_rules)
		return;
	if (c->audit.mode != CONFIG_MODE_ENFORCE) {
		log_notice("Would check and restore the vakt audit rules (%s), but [audit] mode is "
			   "observe.",
			   why);
		return;
	}
	if (s->ctl_fd < 0) {
		log_warning("Cannot check the vakt audit rules (%s): no audit control socket.",
			    why);
		return;
	}
	r = auditrules_ensure(s->ctl_fd, c);
	if (r < 0)
		log_warning_errno(r,
				  "Cannot load the vakt audit rules (needs CAP_AUDIT_CONTROL): %m");
	else if (r > 0)
		log_notice("Loaded %d missing vakt audit rule%s (%s).", r, r == 1 ? "" : "s", why);
}

static void on_rules_changed(const struct auditclass_facts *f, void *userdata)
{
	struct audit_state *s = userdata;

	if (f->pid == (uint32_t)getpid() || !manager_config(s->manager)->audit.ensure_rules)
		return;
	arm_in(s->restore_timer, now_usec(s), RESTORE_DELAY_USEC);
}

static int on_restore(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct audit_state *s = userdata;

	(void)source;
	(void)usec;
	if (ensuring(manager_config(s->manager)))
		check_status(s, false);
	ensure_rules(s, "after an audit configuration change");
	return 0;
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

static void audit_stop(void *userdata)
{
	struct audit_state *s = userdata;

	if (!s)
		return;
	s->io = sd_event_source_disable_unref(s->io);
	s->poll_timer = sd_event_source_disable_unref(s->poll_timer);
	s->flush_timer = sd_event_source_disable_unref(s->flush_timer);
	s->status_timer = sd_event_source_disable_unref(s->status_timer);
	s->overflow_timer = sd_event_source_disable_unref(s->overflow_timer);
	s->restore_timer = sd_event_source_disable_unref(s->restore_timer);
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
		r = add_timer(s, &s->restore_timer, on_restore);
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
