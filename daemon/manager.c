/*
 * The manager: one sd_event loop, the policy in force, the enforcement parts, signals
 * (SIGHUP reload, SIGTERM/SIGINT exit), systemd notification and watchdog, and the capability drop
 * after start-up.
 *
 * The policy at start is the one in --config when it is valid. When it is not, vaktd does not
 * refuse to start -- that would leave the machine unprotected until someone fixes a file -- but
 * enforces the last valid policy it saved (saved-policy.h), or, when there is none or the copy is
 * unusable, config_new()'s built-in default, which is fail-closed (USB storage blocked, also while
 * locked). Either way it says so: policy.invalid with every problem and which policy runs
 * instead, and STATUS= for systemctl status, until a reload brings a valid policy.
 */

#include "manager.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "logind.h"
#include "notify-user.h"
#include "nss.h"
#include "part.h"
#include "reload.h"
#include "saved-policy.h"
#include "strv.h"

#define MAX_PARTS	  8
/* A stop request seen in the audit stream this long before the stop signal still explains it. */
#define STOP_REQUEST_USEC (30 * USEC_PER_SEC)

/* The parts, in start order (stopped in reverse); NULL-terminated. */
static const struct part_ops *const parts_all[] = {
	&storage_part,
	&idle_part,
	&audit_part,
	NULL,
};

/* Why the loop ended: the signal and its sender, and the latest request to stop vaktd that the
 * audit stream showed (vakt.stopped). */
struct stop_info {
	int signal; /* 0: the loop failed */
	uint32_t sender_pid, sender_uid;
	uint32_t sender_auid; /* the sender's login uid, read at once; UINT32_MAX unknown */
	char sender_comm[64];
	uint64_t usec; /* monotonic, when the signal came */
	bool have_request;
	uint64_t request_usec;
	uint32_t request_uid;
	bool request_system;
	char request_who[320], request_user[64], request_command[512], request_audit_id[48];
	char request_tty[64];
};

/* Where the policy in force comes from. */
enum policy_origin {
	POLICY_FROM_CONFIG,   /* --config and its drop-ins */
	POLICY_FROM_SAVED,    /* the last valid policy, saved under --state-dir */
	POLICY_FROM_BUILT_IN, /* config_new(): no valid policy was ever saved */
};

static const char *const origin_names[] = {
	[POLICY_FROM_CONFIG] = "config",
	[POLICY_FROM_SAVED] = "saved",
	[POLICY_FROM_BUILT_IN] = "built-in",
};

struct manager {
	sd_event *event;
	struct logind *logind;
	struct config *config;
	enum policy_origin origin;
	char *status; /* STATUS= while running: "Enforcing", or which policy runs instead */
	struct manager_options options;
	void *part_state[MAX_PARTS];
	bool part_running[MAX_PARTS];
	cap_value_t caps_kept[CAP_LAST_CAP + 1];
	int n_caps_kept;
	struct stop_info stop;
	struct control *control;
	struct notifier *notifier;
	uint64_t started_usec;
};

sd_event *manager_event(struct manager *m)
{
	return m->event;
}

struct logind *manager_logind(struct manager *m)
{
	return m->logind;
}

struct notifier *manager_notifier(struct manager *m)
{
	return m->notifier;
}

const struct config *manager_config(struct manager *m)
{
	return m->config;
}

void *manager_part_state(struct manager *m, const struct part_ops *ops)
{
	for (size_t i = 0; parts_all[i]; i++)
		if (parts_all[i] == ops)
			return m->part_running[i] ? m->part_state[i] : NULL;
	return NULL;
}

const struct manager_options *manager_options(struct manager *m)
{
	return &m->options;
}

const char *manager_policy_origin(struct manager *m)
{
	return origin_names[m->origin];
}

const char *manager_status_text(struct manager *m)
{
	return m->status ? m->status : "?";
}

uint64_t manager_started_usec(struct manager *m)
{
	return m->started_usec;
}

void manager_status(struct manager *m, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	(void)m;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	(void)sd_notifyf(false, "STATUS=%s", s);
}

static size_t n_parts(void)
{
	size_t n = 0;

	while (parts_all[n])
		n++;
	return n;
}

static void stop_parts(struct manager *m)
{
	for (size_t i = n_parts(); i > 0; i--) {
		if (!m->part_running[i - 1])
			continue;
		parts_all[i - 1]->stop(m->part_state[i - 1]);
		m->part_state[i - 1] = NULL;
		m->part_running[i - 1] = false;
	}
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	m->control = control_free(m->control);
	stop_parts(m);
	m->notifier = notifier_free(m->notifier);
	m->logind = logind_free(m->logind);
	m->event = sd_event_unref(m->event);
	config_free(m->config);
	free(m->status);
	free(m);
	log_set_flush_deferred(false);
	return NULL;
}

/* Every capability the parts enabled by c need, deduplicated. */
static int needed_caps(const struct config *c, cap_value_t ret_caps[CAP_LAST_CAP + 1])
{
	int n = 0;

	for (size_t i = 0; parts_all[i]; i++) {
		cap_value_t caps[8];
		int k;

		if (parts_all[i]->mode(c) == CONFIG_MODE_OFF)
			continue;
		k = parts_all[i]->capabilities(c, caps);
		for (int j = 0; j < k; j++) {
			bool seen = false;

			for (int l = 0; l < n; l++)
				seen = seen || ret_caps[l] == caps[j];
			if (!seen && n <= CAP_LAST_CAP)
				ret_caps[n++] = caps[j];
		}
	}
	return n;
}

static char *caps_to_string(const cap_value_t *caps, int n)
{
	_cleanup_strv_free_ char **names = NULL;

	for (int i = 0; i < n; i++) {
		char *name = cap_to_name(caps[i]);

		if (!name || strv_extend(&names, name) < 0) {
			cap_free(name);
			return NULL;
		}
		cap_free(name);
	}
	return names ? strv_join(names, ", ") : strdup("none");
}

/*
 * Keeps only the capabilities the enabled parts need: permitted = effective = those, inheritable
 * and ambient empty. Without the privilege to hold them (not root) this only drops.
 */
static int drop_capabilities(struct manager *m)
{
	cap_t caps = NULL;
	cap_value_t keep[CAP_LAST_CAP + 1], have[CAP_LAST_CAP + 1];
	int n_keep, n_have = 0, r = 0;
	_cleanup_free_ char *names = NULL;

	n_keep = needed_caps(m->config, keep);

	caps = cap_get_proc();
	if (!caps)
		return log_error_errno(-errno, "Cannot read own capabilities: %m");
	for (int i = 0; i < n_keep; i++) {
		cap_flag_value_t v = CAP_CLEAR;

		if (cap_get_flag(caps, keep[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET) {
			have[n_have++] = keep[i];
		} else {
			char *name = cap_to_name(keep[i]);

			log_warning("Capability %s is not available; the parts that need it will "
				    "fail.",
				    name ? name : "?");
			cap_free(name);
		}
	}
	cap_free(caps);

	caps = cap_init();
	if (!caps)
		return log_error_errno(-ENOMEM, "Out of memory.");
	if ((n_have > 0 && (cap_set_flag(caps, CAP_PERMITTED, n_have, have, CAP_SET) < 0 ||
			    cap_set_flag(caps, CAP_EFFECTIVE, n_have, have, CAP_SET) < 0)) ||
	    cap_set_proc(caps) < 0)
		r = log_error_errno(-errno, "Cannot drop capabilities: %m");
	cap_free(caps);
	if (r < 0)
		return r;
	(void)cap_reset_ambient();

	/* Remember what start-up needed (held or not): a reload may not need more. */
	memcpy(m->caps_kept, keep, sizeof(keep[0]) * (size_t)n_keep);
	m->n_caps_kept = n_keep;
	names = caps_to_string(have, n_have);
	log_info("Keeping capabilities: %s.", names ? names : "?");
	return 0;
}

/* Whether c needs no capability beyond those start-up needed (the rest were dropped). */
static bool caps_sufficient(struct manager *m, const struct config *c, char **ret_missing)
{
	cap_value_t need[CAP_LAST_CAP + 1];
	int n = needed_caps(c, need);

	for (int i = 0; i < n; i++) {
		bool kept = false;

		for (int j = 0; j < m->n_caps_kept; j++)
			kept = kept || m->caps_kept[j] == need[i];
		if (!kept) {
			/* libcap's strings must go back through cap_free(): copy. */
			char *name = cap_to_name(need[i]);

			*ret_missing = strdup(name ? name : "?");
			cap_free(name);
			for (char *p = *ret_missing; p && *p; p++)
				*p = (char)toupper((unsigned char)*p);
			return false;
		}
	}
	return true;
}

/*
 * What the policy in force does, part by part, for records and STATUS=: "enforcing: storage,
 * idle; observing: audit" (a mode with no part is left out; "nothing enforced" when no part
 * enforces). ret_fields gets the same as "storage=enforce idle=observe audit=off" for
 * VAKT_PARTS. Returns NULL on OOM.
 */
static char *modes_summary(const struct config *c, char **ret_fields)
{
	static const char *const words[] = {
		[CONFIG_MODE_ENFORCE] = "enforcing",
		[CONFIG_MODE_OBSERVE] = "observing (recording only, changing nothing)",
		[CONFIG_MODE_OFF] = "off",
	};
	_cleanup_strv_free_ char **groups = NULL, **fields = NULL;
	_cleanup_free_ char *text = NULL;

	for (int mode = CONFIG_MODE_ENFORCE; mode <= CONFIG_MODE_OFF; mode++) {
		_cleanup_strv_free_ char **names = NULL;
		_cleanup_free_ char *list = NULL, *group = NULL;

		for (size_t i = 0; parts_all[i]; i++)
			if ((int)parts_all[i]->mode(c) == mode &&
			    strv_extend(&names, parts_all[i]->name) < 0)
				return NULL;
		if (!names) {
			if (mode == CONFIG_MODE_ENFORCE &&
			    strv_extend(&groups, "nothing enforced") < 0)
				return NULL;
			continue;
		}
		list = strv_join(names, ", ");
		if (!list || asprintf(&group, "%s: %s", words[mode], list) < 0 ||
		    strv_consume(&groups, TAKE_PTR(group)) < 0)
			return NULL;
	}
	for (size_t i = 0; parts_all[i]; i++) {
		char *f = NULL;

		if (asprintf(&f,
			     "%s=%s",
			     parts_all[i]->name,
			     config_mode_to_string(parts_all[i]->mode(c))) < 0 ||
		    strv_consume(&fields, f) < 0)
			return NULL;
	}
	text = strv_join(groups, "; ");
	*ret_fields = strv_join(fields, " ");
	if (!*ret_fields)
		return NULL;
	return TAKE_PTR(text);
}

static void log_policy_loaded(struct manager *m, bool reload)
{
	_cleanup_free_ char *files = strv_join(m->config->files, ", ");
	_cleanup_free_ char *fields = NULL, *summary = modes_summary(m->config, &fields);
	const char *from;
	struct log_event e;

	from = m->origin == POLICY_FROM_SAVED	   ? "the last valid security policy, saved in"
	       : m->origin == POLICY_FROM_BUILT_IN ? "the built-in default security policy"
						   : "the security policy from";
	log_event_begin(&e, EVENT_POLICY_LOADED);
	log_event_add(&e, "VAKT_CONFIG_FILES", files);
	log_event_add(&e, "VAKT_PARTS", fields);
	log_event_add(&e, "VAKT_POLICY_IN_FORCE", origin_names[m->origin]);
	log_event_add(&e, "VAKT_RELOAD", reload ? "1" : "0");
	log_event_add(&e, "VAKT_POLICY_DIGEST", m->config->policy_digest);
	log_event_message(&e,
			  "%s %s%s%s; %s.",
			  reload ? "Reloaded" : "Loaded",
			  from,
			  m->origin == POLICY_FROM_BUILT_IN ? "" : " ",
			  m->origin == POLICY_FROM_BUILT_IN ? "" : (files ? files : "?"),
			  summary ? summary : "?");
	log_event_end(&e);
}

/* A reload was refused: the policy in force stays. */
static void log_reload_refused(char **errors)
{
	_cleanup_free_ char *all = strv_join(errors, "\n");
	size_t n = strv_length(errors);

	struct log_event e;

	log_event_begin(&e, EVENT_POLICY_INVALID);
	log_event_add(&e, "VAKT_CONFIG_ERRORS", all);
	log_event_add(&e, "VAKT_POLICY_IN_FORCE", "previous");
	log_event_add(&e, "VAKT_RELOAD", "1");
	log_event_message(&e,
			  "The new security policy has %zu problem%s and was not loaded; the "
			  "previous policy stays in force. First: %s",
			  n,
			  n == 1 ? "" : "s",
			  n > 0 ? errors[0] : "unknown");
	log_event_end(&e);
}

/* The policy in --config is invalid at start: which policy runs instead, and why. saved_errors
 * are the problems of an unusable saved copy (NULL when there was none). */
static void log_start_refused(struct manager *m, char **errors, char **saved_errors)
{
	_cleanup_free_ char *all = strv_join(errors, "\n");
	_cleanup_free_ char *saved_all = saved_errors ? strv_join(saved_errors, "\n") : NULL;
	_cleanup_free_ char *instead = NULL;
	size_t n = strv_length(errors);
	int r;

	if (m->origin == POLICY_FROM_SAVED)
		r = asprintf(&instead,
			     "vaktd enforces the last valid policy it saved (%s) instead",
			     m->config->files[0]);
	else if (saved_errors)
		r = asprintf(
			&instead,
			"the saved copy of the last valid policy is unusable too (%s), so vaktd "
			"enforces its built-in default, which blocks all USB storage",
			saved_errors[0] ? saved_errors[0] : "unknown");
	else
		r = asprintf(&instead,
			     "no valid policy was saved before, so vaktd enforces its built-in "
			     "default, which blocks all USB storage");
	if (r < 0)
		instead = NULL;

	struct log_event e;

	log_event_begin(&e, EVENT_POLICY_INVALID);
	log_event_add(&e, "VAKT_CONFIG_ERRORS", all);
	log_event_add(&e, "VAKT_SAVED_POLICY_ERRORS", saved_all);
	log_event_add(&e, "VAKT_POLICY_IN_FORCE", origin_names[m->origin]);
	log_event_add(&e, "VAKT_RELOAD", "0");
	log_event_message(&e,
			  "The security policy in %s has %zu problem%s and was not loaded; %s. "
			  "First: %s",
			  m->options.config_path,
			  n,
			  n == 1 ? "" : "s",
			  instead ? instead : "a fallback policy runs",
			  n > 0 ? errors[0] : "unknown");
	log_event_end(&e);
}

/*
 * Sets what STATUS= (systemctl status) says from now on: which policy runs and what each part
 * does with it, preceded by what is wrong: n_errors problems of the --config refused at start,
 * or refused (a reload that was refused: shown until a valid one loads).
 */
static void set_status(struct manager *m, size_t n_errors, bool refused)
{
	_cleanup_free_ char *summary = NULL, *fields = NULL;
	char *s = NULL;
	int r;

	summary = modes_summary(m->config, &fields);
	if (m->origin == POLICY_FROM_SAVED)
		r = asprintf(
			&s,
			"Policy in %s is INVALID (%zu problem%s): the last valid policy, saved in "
			"%s/policy, runs instead; %s. See journalctl -u vaktd -x",
			m->options.config_path,
			n_errors,
			n_errors == 1 ? "" : "s",
			m->options.state_dir,
			summary ? summary : "?");
	else if (m->origin == POLICY_FROM_BUILT_IN)
		r = asprintf(&s,
			     "Policy in %s is INVALID (%zu problem%s): the built-in default runs "
			     "instead, all USB storage blocked; %s. See journalctl -u vaktd -x",
			     m->options.config_path,
			     n_errors,
			     n_errors == 1 ? "" : "s",
			     summary ? summary : "?");
	else if (refused)
		r = asprintf(&s,
			     "Reload REFUSED (the new policy in %s is invalid, see journalctl -u "
			     "vaktd -x); the previous policy stays: %s",
			     m->options.config_path,
			     summary ? summary : "?");
	else
		r = asprintf(&s, "%s", summary ? summary : "?");
	if (r < 0 || !s)
		return; /* out of memory: keep the previous text */
	/* "Enforcing: ..." reads better at the start of systemctl status' line. */
	if (s[0] >= 'a' && s[0] <= 'z' && m->origin == POLICY_FROM_CONFIG && !refused)
		s[0] = (char)(s[0] - 'a' + 'A');
	free(m->status);
	m->status = s;
}

/* Starts, stops or reloads each part for the new config; old is the previous one (NULL at
 * start). */
static int apply_parts(struct manager *m, const struct config *old)
{
	int r;

	for (size_t i = 0; parts_all[i]; i++) {
		const struct part_ops *p = parts_all[i];
		bool want = p->mode(m->config) != CONFIG_MODE_OFF;

		if (m->part_running[i] && !want) {
			log_info("Stopping %s enforcement.", p->name);
			p->stop(m->part_state[i]);
			m->part_state[i] = NULL;
			m->part_running[i] = false;
			if (p->off)
				p->off(m, false);
		} else if (!m->part_running[i] && !want && !old) {
			if (p->off)
				p->off(m, true);
		} else if (!m->part_running[i] && want) {
			r = p->start(m, &m->part_state[i]);
			if (r < 0)
				return r;
			m->part_running[i] = true;
		} else if (m->part_running[i] && old) {
			r = p->reload(m, m->part_state[i], old);
			if (r < 0)
				log_warning_errno(r,
						  "Reloading %s enforcement failed, continuing: %m",
						  p->name);
		}
	}
	return 0;
}

/* Logs the warnings of a policy that loaded: settings that have no effect, unknown groups. */
static void log_config_warnings(struct config *c)
{
	if (nss_unknown_groups(c, &c->warnings) < 0)
		log_warning_errno(-ENOMEM, "Cannot check the policy's groups, ignoring: %m");
	STRV_FOREACH (w, c->warnings)
		log_warning("%s", *w);
}

/* The records of each part name the clause of the written policy it serves (VAKT_POLICY_REF). */
static void use_policy_references(const struct config *c)
{
	for (enum event_part p = 0; p < _EVENT_PART_MAX; p++)
		if (log_set_policy_reference(p, config_policy_reference(c, p)) < 0)
			log_warning_errno(-ENOMEM,
					  "Out of memory: records will not carry their policy "
					  "reference.");
}

/* All or nothing: an invalid policy, or one that needs a capability dropped at start, is
 * reported as policy.invalid and the running one stays. */
static void reload(struct manager *m)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	_cleanup_free_ char *missing = NULL;
	struct config *old;
	int r;

	(void)sd_notifyf(false,
			 "RELOADING=1\nSTATUS=Reloading policy from %s\nMONOTONIC_USEC=%" PRIu64,
			 m->options.config_path,
			 monotonic_usec());

	r = config_load(m->options.config_path, geteuid(), &c, &errors);
	if (r >= 0 && !caps_sufficient(m, c, &missing)) {
		char *msg = NULL;

		if (asprintf(&msg,
			     "%s: the new policy enables a part that needs %s, which vaktd dropped "
			     "at start; restart vaktd to apply it",
			     m->options.config_path,
			     missing ? missing : "a capability") < 0)
			msg = NULL;
		(void)strv_consume(&errors, msg);
		r = -EPERM;
	}
	if (r < 0) {
		log_reload_refused(errors);
		(void)reload_result_write(m->options.runtime_dir, false, errors);
		/* A fallback policy's STATUS= already says the policy is invalid. */
		if (m->origin == POLICY_FROM_CONFIG)
			set_status(m, 0, true);
		goto done;
	}

	log_config_warnings(c);
	old = m->config;
	m->config = TAKE_PTR(c);
	use_policy_references(m->config);
	m->origin = POLICY_FROM_CONFIG;
	set_status(m, 0, false);
	r = apply_parts(m, old);
	if (r < 0)
		log_error_errno(r, "A part failed to start with the new policy: %m");
	config_free(old);
	log_policy_loaded(m, true);
	(void)saved_policy_save(m->options.state_dir, m->config);
	r = reload_result_write(m->options.runtime_dir, true, NULL);
	if (r < 0)
		log_warning_errno(r,
				  "Cannot write the reload's outcome to %s, ignoring: %m",
				  m->options.runtime_dir);
done:
	/* A refused reload leaves STATUS= as it was: "Enforcing", or which policy runs instead of
	 * an invalid one since start. */
	(void)sd_notifyf(false, "READY=1\nSTATUS=%s", m->status ? m->status : "?");
}

void manager_note_stop_request(struct manager *m, const struct manager_stop_request *r)
{
	struct stop_info *st = &m->stop;

	st->have_request = true;
	st->request_usec = monotonic_usec();
	st->request_uid = r->uid;
	st->request_system = r->system;
	(void)snprintf(st->request_who, sizeof(st->request_who), "%s", r->who ? r->who : "");
	(void)snprintf(st->request_user, sizeof(st->request_user), "%s", r->user ? r->user : "");
	(void)snprintf(st->request_command,
		       sizeof(st->request_command),
		       "%s",
		       r->command ? r->command : "");
	(void)snprintf(st->request_audit_id,
		       sizeof(st->request_audit_id),
		       "%s",
		       r->audit_id ? r->audit_id : "");
	(void)snprintf(st->request_tty, sizeof(st->request_tty), "%s", r->tty ? r->tty : "");
}

/* Reads a short /proc/PID/NAME into buf (newline removed); "" when it cannot. */
static void read_proc(uint32_t pid, const char *name, char *buf, size_t n)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	(void)snprintf(path, sizeof(path), "/proc/%" PRIu32 "/%s", pid, name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	(void)fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Who sent the signal that stops vaktd: its pid and uid from the kernel, and, while it still
 * runs, its login uid (the person behind it, also behind sudo) and name. */
static void note_signal(struct manager *m, const struct signalfd_siginfo *si)
{
	struct stop_info *st = &m->stop;
	char loginuid[32], *end = NULL;
	unsigned long v;

	st->signal = (int)si->ssi_signo;
	st->sender_pid = si->ssi_pid;
	st->sender_uid = si->ssi_uid;
	st->sender_auid = UINT32_MAX;
	st->usec = monotonic_usec();
	if (si->ssi_pid <= 1)
		return;
	read_proc(si->ssi_pid, "comm", st->sender_comm, sizeof(st->sender_comm));
	read_proc(si->ssi_pid, "loginuid", loginuid, sizeof(loginuid));
	errno = 0;
	v = strtoul(loginuid, &end, 10);
	if (*loginuid && errno == 0 && end && *end == '\0' && v < UINT32_MAX)
		st->sender_auid = (uint32_t)v;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct manager *m = userdata;

	if (si->ssi_signo == SIGHUP) {
		reload(m);
		return 0;
	}
	note_signal(m, si);
	log_info("Received %s, shutting down.", strsignal((int)si->ssi_signo));
	(void)sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* The parts that run, "storage, idle, audit"; NULL on OOM. */
static char *running_parts(struct manager *m)
{
	_cleanup_strv_free_ char **running = NULL;

	for (size_t i = 0; parts_all[i]; i++)
		if (m->part_running[i])
			(void)strv_extend(&running, parts_all[i]->name);
	return running ? strv_join(running, ", ") : strdup("none");
}

/* " at the request of alice (uid 1001), who ran 'systemctl stop vaktd' on pts/0", or who sent
 * the signal; adds the fields. */
static void stopped_by(struct manager *m, struct log_event *e, char *buf, size_t n)
{
	const struct stop_info *st = &m->stop;
	bool request = st->have_request && st->request_usec + STOP_REQUEST_USEC >= st->usec;

	if (st->signal > 0) {
		log_event_addf(e, "VAKT_SIGNAL", "SIG%s", sigabbrev_np(st->signal));
		log_event_addf(e, "VAKT_SENDER_PID", "%" PRIu32, st->sender_pid);
		log_event_add(e, "VAKT_SENDER", st->sender_comm);
	}
	/* A process of a person signalled vaktd directly: that person. */
	if (st->sender_pid > 1 && st->sender_auid != UINT32_MAX) {
		const struct passwd *pw = getpwuid(st->sender_auid);
		char user[128];

		if (pw) {
			log_event_add(e, "VAKT_USER", pw->pw_name);
			(void)snprintf(user,
				       sizeof(user),
				       "%s (uid %" PRIu32 ")",
				       pw->pw_name,
				       st->sender_auid);
		} else
			(void)snprintf(user, sizeof(user), "User %" PRIu32, st->sender_auid);
		log_event_addf(e, "VAKT_UID", "%" PRIu32, st->sender_auid);
		(void)snprintf(buf,
			       n,
			       ": '%s' (pid %" PRIu32 ") of %s sent SIG%s",
			       st->sender_comm,
			       st->sender_pid,
			       user,
			       sigabbrev_np(st->signal));
		return;
	}
	if (request) {
		log_event_add(e, "VAKT_USER", st->request_user);
		if (st->request_uid != UINT32_MAX)
			log_event_addf(e, "VAKT_UID", "%" PRIu32, st->request_uid);
		log_event_add(e, "VAKT_COMMAND", st->request_command);
		log_event_add(e, "VAKT_AUDIT_ID", st->request_audit_id);
		log_event_add(e, "VAKT_TTY", st->request_tty);
		(void)snprintf(buf,
			       n,
			       " at the request of %s, who ran '%s'%s%s%s",
			       st->request_who,
			       st->request_command,
			       *st->request_tty ? " on " : "",
			       st->request_tty,
			       st->request_system ? " (the system is shutting down)" : "");
		return;
	}
	if (st->signal == 0)
		(void)snprintf(buf, n, " because its event loop failed");
	else if (st->sender_pid == 1)
		(void)snprintf(buf,
			       n,
			       ": systemd stopped it; the audit records do not show who asked (the "
			       "system may be shutting down, or root ran systemctl without sudo)");
	else if (st->sender_pid == 0)
		(void)snprintf(buf, n, " on SIG%s from its terminal", sigabbrev_np(st->signal));
	else
		(void)snprintf(buf,
			       n,
			       ": process '%s' (pid %" PRIu32 ", uid %" PRIu32
			       ", no login user) sent SIG%s",
			       *st->sender_comm ? st->sender_comm : "?",
			       st->sender_pid,
			       st->sender_uid,
			       sigabbrev_np(st->signal));
}

/* vakt.started: the parts run with the policy in force, each in its mode. */
static void log_started(struct manager *m)
{
	_cleanup_free_ char *fields = NULL, *summary = modes_summary(m->config, &fields);
	struct log_event e;

	log_event_begin(&e, EVENT_VAKT_STARTED);
	log_event_add(&e, "VAKT_VERSION", VAKT_VERSION);
	log_event_add(&e, "VAKT_PARTS", fields);
	log_event_add(&e, "VAKT_POLICY_IN_FORCE", origin_names[m->origin]);
	log_event_message(&e,
			  "vaktd " VAKT_VERSION " started with the %s policy; %s.",
			  origin_names[m->origin],
			  summary ? summary : "?");
	log_event_end(&e);
}

/* vakt.stopped: enforcement ends now, and who ended it where the system says so. */
static void log_stopped(struct manager *m, const char *parts)
{
	/* VAKT_PARTS as in vakt.started and policy.loaded: each part with its mode. */
	_cleanup_free_ char *fields = NULL, *summary = modes_summary(m->config, &fields);
	struct log_event e;
	char by[1200];

	log_event_begin(&e, EVENT_VAKT_STOPPED);
	log_event_add(&e, "VAKT_PARTS", fields);
	stopped_by(m, &e, by, sizeof(by));
	log_event_message(&e,
			  "vaktd stopped%s: the policy is no longer applied (running: %s; %s) "
			  "until it starts again.",
			  by,
			  parts ? parts : "?",
			  summary ? summary : "?");
	log_event_end(&e);
}

/* Writes the json records of one loop iteration in one go (log.h). */
static int on_post(sd_event_source *s, void *userdata)
{
	(void)s;
	(void)userdata;
	log_flush();
	return 0;
}

/* The policy at start: --config when valid, else the saved copy, else the built-in default (see
 * the top of this file). Returns 0, or -ENOMEM (logged). */
static int load_start_policy(struct manager *m)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL, **saved_errors = NULL;
	int r;

	r = config_load(m->options.config_path, geteuid(), &c, &errors);
	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory.");
	if (r >= 0) {
		log_config_warnings(c);
		m->config = TAKE_PTR(c);
		use_policy_references(m->config);
		m->origin = POLICY_FROM_CONFIG;
		set_status(m, 0, false);
		(void)saved_policy_save(m->options.state_dir, m->config);
		return 0;
	}

	/* Invalid, unreadable or missing: any of these would otherwise leave the door open. */
	r = saved_policy_load(m->options.state_dir, &c, &saved_errors);
	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory.");
	if (r > 0)
		m->origin = POLICY_FROM_SAVED;
	else {
		c = config_new();
		if (!c)
			return log_error_errno(-ENOMEM, "Out of memory.");
		m->origin = POLICY_FROM_BUILT_IN;
	}
	m->config = TAKE_PTR(c);
	use_policy_references(m->config);
	set_status(m, strv_length(errors), false);
	log_start_refused(m, errors, saved_errors);
	return 0;
}

int manager_new(const struct manager_options *o, struct manager **ret_manager)
{
	_cleanup_(manager_freep) struct manager *m = NULL;
	static const int signals[] = { SIGHUP, SIGTERM, SIGINT };
	sigset_t mask;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return log_error_errno(-ENOMEM, "Out of memory.");
	m->options = *o;
	m->started_usec = monotonic_usec();
	r = load_start_policy(m);
	if (r < 0)
		return r;

	r = sd_event_default(&m->event);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event loop: %m");

	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(signals); i++)
		sigaddset(&mask, signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Cannot block signals: %m");
	for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
		r = sd_event_add_signal(m->event, NULL, signals[i], on_signal, m);
		if (r < 0)
			return log_error_errno(r, "Cannot watch signal %d: %m", signals[i]);
	}

	/* Before the parts: they read its table and subscribe to it. */
	m->logind = logind_new(m->event);
	if (!m->logind)
		return log_error_errno(-ENOMEM, "Out of memory.");
	/* Before the parts too: they tell the person at the seat through it. */
	m->notifier = notifier_new(m->event);
	if (!m->notifier)
		return log_error_errno(-ENOMEM, "Out of memory.");

	r = sd_event_add_post(m->event, NULL, on_post, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event loop: %m");
	log_set_flush_deferred(true);

	/* Sends WATCHDOG=1 at half of WATCHDOG_USEC when systemd asks for it. */
	r = sd_event_set_watchdog(m->event, true);
	if (r < 0)
		log_warning_errno(r, "Cannot enable the watchdog, ignoring: %m");

	*ret_manager = TAKE_PTR(m);
	return 0;
}

int manager_run(struct manager *m)
{
	_cleanup_free_ char *parts = NULL;
	int r;

	r = apply_parts(m, NULL);
	if (r < 0) {
		log_error_errno(r, "Cannot start enforcement: %m");
		return EXIT_RUNTIME;
	}
	r = drop_capabilities(m);
	if (r < 0)
		return EXIT_RUNTIME;
	/* After the parts, so that the first question finds them running. Without the socket vaktd
	 * still enforces: vaktctl says the daemon is unreachable. */
	r = control_new(m, &m->control);
	if (r == -ENOMEM)
		return EXIT_RUNTIME;

	log_started(m);
	log_policy_loaded(m, false);
	(void)sd_notifyf(false, "READY=1\nSTATUS=%s", m->status ? m->status : "?");
	/* What start-up logged; from here on on_post() flushes after each wakeup. */
	log_flush();

	r = sd_event_loop(m->event);
	if (r < 0)
		log_error_errno(r, "Event loop failed: %m");
	parts = running_parts(m);
	/* The audit part reads what is left of the stream first: who asked for the stop. */
	stop_parts(m);
	log_stopped(m, parts);
	return r < 0 ? EXIT_RUNTIME : r;
}
