/*
 * The control socket (control.h): accepts vaktctl's requests and answers them from the
 * parts' state. Transport and message format are lib/control-proto.h's.
 */

#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "control-proto.h"
#include "dispensation.h"
#include "log.h"
#include "logind.h"
#include "manager.h"
#include "nss.h"
#include "part.h"
#include "policy.h"
#include "storage-dispensation.h"
#include "storage.h"
#include "strv.h"

struct client {
	struct client *next;
	struct control *control;
	int fd;
	sd_event_source *io;
	sd_event_source *timer;
	char *reply; /* formatted, while it is being written */
	size_t reply_len, written;
};

struct control {
	struct manager *manager;
	int fd;
	char *path;
	sd_event_source *io;
	struct client *clients;
	unsigned n_clients;
};

/* Who asks, from SO_PEERCRED. */
struct peer {
	uid_t uid;
	pid_t pid;
	char user[64];
	bool admin;
};

static void client_free(struct client *c)
{
	struct control *ctl = c->control;

	for (struct client **p = &ctl->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ctl->n_clients--;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	if (c->fd >= 0)
		(void)close(c->fd);
	free(c->reply);
	free(c);
}

struct control *control_free(struct control *c)
{
	if (!c)
		return NULL;
	while (c->clients)
		client_free(c->clients);
	sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		(void)close(c->fd);
	if (c->path)
		(void)unlink(c->path);
	free(c->path);
	free(c);
	return NULL;
}

/* ---- authorisation -------------------------------------------------------------------------- */

static void peer_identify(struct control *ctl, const struct ucred *cred, struct peer *p)
{
	const struct config *cfg = manager_config(ctl->manager);
	_cleanup_strv_free_ char **groups = NULL;
	struct passwd *pw;

	*p = (struct peer){ .uid = cred->uid, .pid = cred->pid };
	pw = getpwuid(cred->uid);
	if (pw)
		(void)snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
	if (cred->uid == 0) {
		p->admin = true;
		return;
	}
	if (!pw || nss_user_groups(pw->pw_name, cred->uid, &groups) < 0)
		return;
	STRV_FOREACH (g, groups)
		if (strv_contains(cfg->vakt.admin_groups, *g)) {
			p->admin = true;
			return;
		}
}

/* ---- answers -------------------------------------------------------------------------------- */

static const char *place(const struct config_place *pl, char *buf, size_t n)
{
	return config_place_format(pl, buf, n);
}

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static int add_part(struct control_msg *r, struct manager *m, const struct part_ops *ops)
{
	enum config_mode mode = ops->mode(manager_config(m));

	if (control_msg_add(r, "record", "part") < 0 || control_msg_add(r, "name", ops->name) < 0 ||
	    control_msg_add(r, "mode", config_mode_to_string(mode)) < 0 ||
	    control_msg_add(r, "running", manager_part_state(m, ops) ? "yes" : "no") < 0)
		return -ENOMEM;
	return 0;
}

static int answer_status(struct control *ctl, const struct peer *p, struct control_msg *r)
{
	struct manager *m = ctl->manager;
	const struct config *c = manager_config(m);
	void *storage = manager_part_state(m, &storage_part);
	void *audit = manager_part_state(m, &audit_part);
	unsigned n_devices = 0, n_sessions = 0;
	uint32_t lost;

	(void)p;
	if (control_msg_add(r, "version", VAKT_VERSION) < 0 ||
	    control_msg_addf(r, "pid", "%d", (int)getpid()) < 0 ||
	    control_msg_addf(r,
			     "uptime_sec",
			     "%" PRIu64,
			     (monotonic_usec() - manager_started_usec(m)) / USEC_PER_SEC) < 0 ||
	    control_msg_add(r, "state", manager_status_text(m)) < 0 ||
	    control_msg_add(r, "policy_origin", manager_policy_origin(m)) < 0 ||
	    control_msg_add(r, "logind", logind_is_known(manager_logind(m)) ? "known" : "unknown") <
		    0)
		return -ENOMEM;
	STRV_FOREACH (f, c->files)
		if (control_msg_add(r, "policy_file", *f) < 0)
			return -ENOMEM;
	if (control_msg_addf(r, "storage_rules", "%zu", c->storage.n_rules) < 0)
		return -ENOMEM;
	if (storage)
		for (const struct tracked_device *t =
			     storage_tracked_next(storage_from_state(storage), NULL);
		     t;
		     t = storage_tracked_next(storage_from_state(storage), t))
			n_devices++;
	for (const struct logind_session *s = logind_sessions_next(manager_logind(m), NULL); s;
	     s = logind_sessions_next(manager_logind(m), s))
		n_sessions++;
	if (control_msg_addf(r, "n_devices", "%u", n_devices) < 0 ||
	    control_msg_addf(r, "n_sessions", "%u", n_sessions) < 0)
		return -ENOMEM;
	if (audit && audit_part_lost(audit, &lost)) {
		if (control_msg_addf(r, "audit_lost", "%" PRIu32, lost) < 0)
			return -ENOMEM;
	} else if (control_msg_add(r, "audit_lost", "unknown") < 0)
		return -ENOMEM;

	if (add_part(r, m, &storage_part) < 0 || add_part(r, m, &idle_part) < 0 ||
	    add_part(r, m, &audit_part) < 0)
		return -ENOMEM;
	if (storage) {
		_cleanup_strv_free_ char **doors = NULL;

		if (storage_door_states(storage_from_state(storage), &doors) == -ENOMEM)
			return -ENOMEM;
		for (size_t i = 0; doors && doors[i] && doors[i + 1]; i += 2)
			if (control_msg_add(r, "record", "controller") < 0 ||
			    control_msg_add(r, "name", doors[i]) < 0 ||
			    control_msg_add(r, "door", doors[i + 1]) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* Whether peer p may see what was decided for uid (the person at the device's seat, or the
 * session's owner). */
static bool may_see(const struct peer *p, bool known, uid_t uid)
{
	return p->admin || (known && uid == p->uid);
}

static int add_device(struct control_msg *r, const struct tracked_device *t)
{
	const char *sysname = strrchr(t->syspath, '/');
	char buf[1024];

	if (control_msg_add(r, "record", "device") < 0 ||
	    control_msg_add(r, "sysname", sysname ? sysname + 1 : t->syspath) < 0 ||
	    control_msg_add(r, "syspath", t->syspath) < 0 ||
	    control_msg_add(r, "vendor", t->id.vendor) < 0 ||
	    control_msg_add(r, "product", t->id.product) < 0 ||
	    control_msg_add(r, "serial", t->id.serial) < 0 ||
	    control_msg_add(r, "manufacturer", t->id.manufacturer) < 0 ||
	    control_msg_add(r, "name", t->id.name) < 0 ||
	    control_msg_add(r, "storage", t->verdict.storage ? "yes" : "no") < 0 ||
	    control_msg_add(r, "decision", config_action_to_string(t->verdict.action)) < 0 ||
	    control_msg_add(r, "enforced", config_action_to_string(t->effective)) < 0 ||
	    control_msg_add(r, "held_as_keyboard", t->verdict.input_held ? "yes" : "no") < 0 ||
	    control_msg_add(r, "rule", t->verdict.rule_name) < 0 ||
	    control_msg_add(r, "place", place(&t->verdict.place, buf, sizeof(buf))) < 0 ||
	    control_msg_add(r, "reason", t->verdict.reason) < 0 ||
	    control_msg_add(r, "user", t->person.present ? t->person.user : "") < 0 ||
	    control_msg_add(r, "seat", t->person.seat) < 0)
		return -ENOMEM;
	return 0;
}

static struct storage *storage_of(struct control *ctl)
{
	void *state = manager_part_state(ctl->manager, &storage_part);

	return state ? storage_from_state(state) : NULL;
}

static int answer_devices(struct control *ctl, const struct peer *p, struct control_msg *r)
{
	struct storage *s = storage_of(ctl);

	if (!s)
		return control_msg_add(r, "storage", "off");
	if (control_msg_add(r, "storage", "running") < 0 ||
	    control_msg_add(r, "scope", p->admin ? "all" : "own") < 0)
		return -ENOMEM;
	for (const struct tracked_device *t = storage_tracked_next(s, NULL); t;
	     t = storage_tracked_next(s, t))
		if (may_see(p, t->person.present && t->person.user, t->person.uid) &&
		    add_device(r, t) < 0)
			return -ENOMEM;
	return 0;
}

static int add_time(struct control_msg *r, const char *key, uint64_t realtime)
{
	return control_msg_addf(r, key, "%" PRIu64, realtime / USEC_PER_SEC);
}

static int answer_sessions(struct control *ctl, const struct peer *p, struct control_msg *r)
{
	struct logind *l = manager_logind(ctl->manager);
	void *idle = manager_part_state(ctl->manager, &idle_part);
	uint64_t mono = monotonic_usec(), real = realtime_usec();

	if (control_msg_add(r, "logind", logind_is_known(l) ? "known" : "unknown") < 0 ||
	    control_msg_add(r, "idle", idle ? "running" : "off") < 0 ||
	    control_msg_add(r, "scope", p->admin ? "all" : "own") < 0 ||
	    control_msg_addf(r, "now", "%" PRIu64, real / USEC_PER_SEC) < 0)
		return -ENOMEM;
	for (const struct logind_session *s = logind_sessions_next(l, NULL); s;
	     s = logind_sessions_next(l, s)) {
		enum idle_action_kind kind;
		uint64_t when;
		int k = 0;

		if (!may_see(p, true, s->uid))
			continue;
		if (control_msg_add(r, "record", "session") < 0 ||
		    control_msg_add(r, "id", s->id) < 0 ||
		    control_msg_add(r, "user", s->user) < 0 ||
		    control_msg_addf(r, "uid", "%u", (unsigned)s->uid) < 0 ||
		    control_msg_add(r, "seat", s->seat) < 0 ||
		    control_msg_add(r, "class", s->class) < 0 ||
		    control_msg_add(r, "type", s->type) < 0 ||
		    control_msg_add(r, "tty", s->tty) < 0 ||
		    control_msg_add(r, "remote_host", s->remote_host) < 0 ||
		    control_msg_add(r, "active", s->active ? "yes" : "no") < 0 ||
		    control_msg_add(r, "idle", s->idle_hint ? "yes" : "no") < 0 ||
		    control_msg_add(r, "locked", s->locked_hint ? "yes" : "no") < 0)
			return -ENOMEM;
		if (s->idle_hint && s->idle_since_usec > 0 &&
		    add_time(r, "idle_since", s->idle_since_usec) < 0)
			return -ENOMEM;
		if (idle)
			k = idle_part_session_next(idle, s->id, &kind, &when);
		if (k > 0) {
			uint64_t at = when <= mono ? real : real + (when - mono);

			if (control_msg_add(r, "next_action", idle_action_kind_to_string(kind)) <
				    0 ||
			    add_time(r, "next_action_at", at) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* The present device spec names, when p may see it; else NULL and *ret_error (NULL on OOM). */
static const struct tracked_device *find_device(struct control *ctl,
						const struct peer *p,
						const char *spec,
						struct control_msg **ret_error)
{
	struct storage *s = storage_of(ctl);
	const struct tracked_device *t;
	int e;

	if (!s) {
		*ret_error =
			control_error_reply(CONTROL_CODE_UNAVAILABLE,
					    "the storage part is off: vaktd decides no device");
		return NULL;
	}
	t = storage_tracked_find(s, spec, &e);
	if (e == -EEXIST) {
		*ret_error =
			control_error_reply(CONTROL_CODE_USAGE,
					    "more than one present device is %s: name it by its "
					    "sysname or VID:PID:SERIAL",
					    spec);
		return NULL;
	}
	if (!t || !may_see(p, t->person.present && t->person.user, t->person.uid)) {
		/* The same answer for another person's device as for none: nothing leaks. */
		*ret_error =
			control_error_reply(CONTROL_CODE_NOT_FOUND,
					    "no present USB device %s (a syspath, a sysname like "
					    "1-2, or VID:PID[:SERIAL])",
					    spec);
		return NULL;
	}
	return t;
}

/* Returned by the answers below when building the answer ran out of memory. */
static struct control_msg *oom(void)
{
	return control_error_reply(CONTROL_CODE_INTERNAL, "out of memory");
}

static struct control_msg *answer_rule(struct control *ctl,
				       const struct peer *p,
				       const struct control_msg *req,
				       struct control_msg *r)
{
	struct control_msg *err = NULL;
	const struct tracked_device *t = find_device(ctl, p, control_msg_get(req, "device"), &err);
	_cleanup_free_ char *snippet = NULL;
	int k;

	if (!t)
		return err ? err : oom();
	k = policy_rule_snippet(&t->id, STORAGE_ACTION_ALLOW, &snippet);
	if (k == -EINVAL)
		return control_error_reply(CONTROL_CODE_USAGE,
					   "the device gave no vendor and product id");
	if (k < 0 || control_msg_add(r, "syspath", t->syspath) < 0 ||
	    control_msg_add(r, "snippet", snippet) < 0)
		return control_error_reply(CONTROL_CODE_INTERNAL, "out of memory");
	return NULL;
}

static struct control_msg *answer_explain(struct control *ctl,
					  const struct peer *p,
					  const struct control_msg *req,
					  struct control_msg *r)
{
	struct control_msg *err = NULL;
	const struct tracked_device *t = find_device(ctl, p, control_msg_get(req, "device"), &err);
	const char *user = control_msg_get(req, "user");
	struct storage *s = storage_of(ctl);
	struct policy_explain_step steps[POLICY_EXPLAIN_STEPS];
	_cleanup_strv_free_ char **groups = NULL;
	struct policy_person person;
	struct policy_verdict v;
	char buf[1024];
	int n;

	if (!t)
		return err ? err : oom();
	storage_person_to_policy(&t->person, &person);
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (!pw)
			return control_error_reply(CONTROL_CODE_NOT_FOUND, "no user %s", user);
		if (!p->admin && pw->pw_uid != p->uid)
			return control_error_reply(CONTROL_CODE_DENIED,
						   "only root and members of admin_groups may ask "
						   "for another user");
		/* That person, logged in and unlocked at the device's seat. */
		person = (struct policy_person){
			.user = user,
			.uid = pw->pw_uid,
			.present = true,
			.session = "(asked)",
			.seat_has_keyboard = person.seat_has_keyboard,
		};
		if (nss_user_groups(user, pw->pw_uid, &groups) == -ENOMEM)
			return control_error_reply(CONTROL_CODE_INTERNAL, "out of memory");
		person.groups = groups;
	}
	n = policy_explain(s->policy, &t->id, &person, steps, &v);
	if (control_msg_add(r, "syspath", t->syspath) < 0 ||
	    control_msg_add(r, "vendor", t->id.vendor) < 0 ||
	    control_msg_add(r, "product", t->id.product) < 0 ||
	    control_msg_add(r, "serial", t->id.serial) < 0 ||
	    control_msg_add(r, "user", person.present && person.user ? person.user : "") < 0 ||
	    control_msg_add(r, "for", user ? "asked" : "at-decision") < 0 ||
	    control_msg_add(r, "locked", person.locked ? "yes" : "no") < 0 ||
	    control_msg_add(r, "storage", v.storage ? "yes" : "no") < 0 ||
	    control_msg_add(r, "decision", config_action_to_string(v.action)) < 0 ||
	    control_msg_add(r, "rule", v.rule_name) < 0 ||
	    control_msg_add(r, "place", place(&v.place, buf, sizeof(buf))) < 0 ||
	    control_msg_add(r, "reason", v.reason) < 0 ||
	    control_msg_add(r, "held_as_keyboard", v.input_held ? "yes" : "no") < 0)
		return control_error_reply(CONTROL_CODE_INTERNAL, "out of memory");
	for (int i = 0; i < n; i++)
		if (control_msg_add(r, "record", "step") < 0 ||
		    control_msg_add(r, "name", steps[i].name) < 0 ||
		    control_msg_add(r, "applies", steps[i].applies ? "yes" : "no") < 0 ||
		    control_msg_add(r, "decided", steps[i].decided ? "yes" : "no") < 0 ||
		    control_msg_add(r, "action", config_action_to_string(steps[i].action)) < 0 ||
		    control_msg_add(r, "rule", steps[i].rule_name) < 0 ||
		    control_msg_add(r,
				    "place",
				    steps[i].place.file ? place(&steps[i].place, buf, sizeof(buf))
							: "") < 0 ||
		    control_msg_add(r, "why", steps[i].why) < 0)
			return control_error_reply(CONTROL_CODE_INTERNAL, "out of memory");
	return NULL;
}

/* ---- dispensations ----------------------------------------------------------------------- */

static struct control_msg *only_admins(const char *what)
{
	return control_error_reply(CONTROL_CODE_DENIED,
				   "only root and members of admin_groups may %s dispensations",
				   what);
}

/* The code of an error of storage_dispensation_grant() or _revoke(). */
static const char *dispensation_code(int r)
{
	switch (r) {
	case -ENOTCONN:
	case -E2BIG:
		return CONTROL_CODE_UNAVAILABLE;
	case -EINVAL:
		return CONTROL_CODE_USAGE;
	case -ENOENT:
		return CONTROL_CODE_NOT_FOUND;
	default:
		return CONTROL_CODE_INTERNAL;
	}
}

/* d's fields, as a record of the list or (as_record false) as the fields of grant's answer. */
static int add_dispensation(struct control_msg *r, const struct dispensation *d, bool as_record)
{
	char dev[600];

	if ((as_record && control_msg_add(r, "record", "dispensation") < 0) ||
	    control_msg_add(r, "id", d->id) < 0 || control_msg_add(r, "user", d->user) < 0 ||
	    control_msg_addf(r, "uid", "%u", (unsigned)d->uid) < 0 ||
	    control_msg_add(r,
			    "device",
			    d->device ? dispensation_device_format(d, dev, sizeof(dev)) : "any") <
		    0 ||
	    control_msg_add(r, "mode", dispensation_mode_to_string(d->mode)) < 0 ||
	    add_time(r, "until", d->not_after) < 0 ||
	    add_time(r, "granted_at", d->granted_at) < 0 ||
	    control_msg_add(r, "granted_by", d->granted_by) < 0 ||
	    control_msg_addf(r, "granted_by_uid", "%u", (unsigned)d->granted_by_uid) < 0 ||
	    control_msg_add(r, "ticket", d->ticket) < 0 ||
	    control_msg_add(r, "reason", d->reason) < 0)
		return -ENOMEM;
	return 0;
}

static struct control_msg *answer_grant(struct control *ctl,
					const struct peer *p,
					const struct control_msg *req,
					struct control_msg *r)
{
	_cleanup_free_ char *error = NULL, *id = NULL;
	struct dispensation d = { 0 };
	struct control_msg *err = NULL;
	struct passwd *pw;
	uint64_t now = realtime_usec();
	int k;

	if (!p->admin)
		return only_admins("grant");
	if (!storage_of(ctl))
		return control_error_reply(CONTROL_CODE_UNAVAILABLE,
					   "the storage part is off ([storage] mode = off): a "
					   "dispensation would change nothing, none is granted");
	if (!p->user[0])
		return control_error_reply(CONTROL_CODE_DENIED,
					   "uid %u has no user name, and a dispensation names the "
					   "administrator who granted it",
					   (unsigned)p->uid);
	k = control_grant_request(req, now, &d, &error);
	if (k == -ENOMEM)
		return oom();
	if (k < 0)
		return control_error_reply(CONTROL_CODE_USAGE, "%s", error);
	pw = getpwnam(d.user);
	if (!pw) {
		err = control_error_reply(
			CONTROL_CODE_NOT_FOUND, "there is no user %s on this system", d.user);
		dispensation_done(&d);
		return err;
	}
	d.uid = pw->pw_uid;
	d.granted_by = strdup(p->user);
	d.granted_by_uid = p->uid;
	d.granted_at = now;
	if (!d.granted_by) {
		dispensation_done(&d);
		return oom();
	}
	k = storage_dispensation_grant(ctl->manager, &d, &id, &error);
	if (k < 0) {
		err = control_error_reply(dispensation_code(k),
					  "%s",
					  error ? error : "the dispensation cannot be granted");
		dispensation_done(&d);
		return err;
	}
	d.id = TAKE_PTR(id);
	k = add_dispensation(r, &d, false) < 0;
	dispensation_done(&d);
	return k ? oom() : NULL;
}

static struct control_msg *answer_revoke(struct control *ctl,
					 const struct peer *p,
					 const struct control_msg *req,
					 struct control_msg *r)
{
	_cleanup_free_ char *error = NULL;
	const char *id = control_msg_get(req, "id");
	int k;

	if (!p->admin)
		return only_admins("revoke");
	k = storage_dispensation_revoke(
		ctl->manager, id, p->user[0] ? p->user : NULL, p->uid, &error);
	if (k < 0)
		return control_error_reply(dispensation_code(k),
					   "%s",
					   error ? error : "the dispensation cannot be revoked");
	return control_msg_add(r, "id", id) < 0 ? oom() : NULL;
}

/* All of them for an administrator, else those for the asking person. */
static int answer_dispensations(struct control *ctl, const struct peer *p, struct control_msg *r)
{
	if (!storage_of(ctl))
		return control_msg_add(r, "storage", "off");
	if (control_msg_add(r, "storage", "running") < 0 ||
	    control_msg_add(r, "scope", p->admin ? "all" : "own") < 0)
		return -ENOMEM;
	for (const struct dispensation *d = storage_dispensation_next(ctl->manager, NULL); d;
	     d = storage_dispensation_next(ctl->manager, d))
		if ((p->admin || (d->uid == p->uid && streq(d->user, p->user))) &&
		    add_dispensation(r, d, true) < 0)
			return -ENOMEM;
	return 0;
}

/* The reply to the request in buf (len bytes); NULL on OOM. */
static struct control_msg *
answer(struct control *ctl, const struct peer *p, const char *buf, size_t len)
{
	_cleanup_(control_msg_freep) struct control_msg *req = NULL, *r = NULL;
	_cleanup_free_ char *error = NULL;
	struct control_msg *err = NULL;
	enum control_verb verb;
	int k;

	k = control_parse(buf, len, CONTROL_REQUEST_FIELDS_MAX, &req, &error);
	if (k == -ENOMEM)
		return NULL;
	if (k < 0)
		return control_error_reply(CONTROL_CODE_USAGE, "bad request: %s", error);
	k = control_request_check(req, &verb, &error);
	if (k == -ENOMEM)
		return NULL;
	if (k < 0)
		return control_error_reply(CONTROL_CODE_USAGE, "bad request: %s", error);

	r = control_msg_new();
	if (!r || control_msg_add(r, "status", "ok") < 0 ||
	    control_msg_add(r, "admin", p->admin ? "yes" : "no") < 0)
		return NULL;
	switch (verb) {
	case CONTROL_VERB_STATUS:
		k = answer_status(ctl, p, r);
		break;
	case CONTROL_VERB_DEVICES:
		k = answer_devices(ctl, p, r);
		break;
	case CONTROL_VERB_SESSIONS:
		k = answer_sessions(ctl, p, r);
		break;
	case CONTROL_VERB_EXPLAIN:
		err = answer_explain(ctl, p, req, r);
		k = 0;
		break;
	case CONTROL_VERB_RULE:
		err = answer_rule(ctl, p, req, r);
		k = 0;
		break;
	case CONTROL_VERB_GRANT:
		err = answer_grant(ctl, p, req, r);
		k = 0;
		break;
	case CONTROL_VERB_REVOKE:
		err = answer_revoke(ctl, p, req, r);
		k = 0;
		break;
	case CONTROL_VERB_DISPENSATIONS:
		k = answer_dispensations(ctl, p, r);
		break;
	default:
		k = -EINVAL;
	}
	if (err)
		return err;
	if (k < 0)
		return control_error_reply(CONTROL_CODE_INTERNAL, "cannot answer: out of memory");
	log_debug("Control: %s from uid %u (pid %d)%s.",
		  control_verb_to_string(verb),
		  (unsigned)p->uid,
		  (int)p->pid,
		  p->admin ? ", an administrator" : "");
	return TAKE_PTR(r);
}

/* ---- the connection ------------------------------------------------------------------------- */

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* Writes what the socket takes; frees the client when all is written or it went away. */
static void client_write(struct client *c)
{
	while (c->written < c->reply_len) {
		size_t n = c->reply_len - c->written;
		ssize_t k;

		if (n > CONTROL_PACKET_MAX)
			n = CONTROL_PACKET_MAX;
		k = send(c->fd, c->reply + c->written, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			(void)sd_event_source_set_io_events(c->io, EPOLLOUT);
			return;
		}
		if (k <= 0) {
			client_free(c);
			return;
		}
		c->written += (size_t)k;
	}
	/* The end of the reply: the client reads EOF. */
	(void)shutdown(c->fd, SHUT_WR);
	client_free(c);
}

static void client_reply(struct client *c, struct control_msg *reply)
{
	_cleanup_(control_msg_freep) struct control_msg *r = reply;

	if (!r || control_format(r, &c->reply, &c->reply_len) < 0) {
		static const char no_memory[] =
			"status=error\ncode=internal\nerror=out of memory\n";

		free(c->reply);
		c->reply = strdup(no_memory);
		if (!c->reply) {
			client_free(c);
			return;
		}
		c->reply_len = sizeof(no_memory) - 1;
	}
	client_write(c);
}

static void client_read(struct client *c)
{
	char buf[CONTROL_REQUEST_MAX + 1];
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct peer p;
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* gone, or an empty packet: nothing to answer */
		client_free(c);
		return;
	}
	(void)sd_event_source_set_io_events(c->io, 0);
	/* Checked for this request: who is asking. */
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
		client_reply(c,
			     control_error_reply(CONTROL_CODE_DENIED,
						 "cannot tell who is asking (SO_PEERCRED)"));
		return;
	}
	if ((size_t)n > CONTROL_REQUEST_MAX) {
		client_reply(c,
			     control_error_reply(CONTROL_CODE_USAGE,
						 "request too large: %zd bytes, at most %d",
						 n,
						 CONTROL_REQUEST_MAX));
		return;
	}
	peer_identify(c->control, &cred, &p);
	client_reply(c, answer(c->control, &p, buf, (size_t)n));
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct client *c = userdata;

	(void)s;
	(void)fd;
	if (c->reply)
		client_write(c);
	else if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
	return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct client *c = userdata;

	(void)s;
	(void)usec;
	log_debug("Control: a client (fd %d) took too long, dropped.", c->fd);
	client_free(c);
	return 0;
}

static void refuse_busy(int fd)
{
	static const char busy[] = "status=error\ncode=unavailable\nerror=vaktd is busy with "
				   "other requests, try again\n";

	(void)send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(fd);
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct control *ctl = userdata;

	(void)s;
	(void)revents;
	/* A bounded number per wakeup, so that a flood cannot keep the loop here. */
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct client *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warning_errno(-errno, "Control: cannot accept a client: %m");
			return 0;
		}
		if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
			refuse_busy(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			(void)close(cfd);
			return 0;
		}
		c->control = ctl;
		c->fd = cfd;
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
		if (sd_event_add_io(
			    manager_event(ctl->manager), &c->io, cfd, EPOLLIN, on_client_io, c) <
			    0 ||
		    sd_event_add_time_relative(manager_event(ctl->manager),
					       &c->timer,
					       CLOCK_MONOTONIC,
					       CONTROL_CLIENT_TIMEOUT_USEC,
					       0,
					       on_client_timeout,
					       c) < 0)
			client_free(c);
	}
	return 0;
}

int control_new(struct manager *m, struct control **ret)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = manager_options(m)->runtime_dir;
	int r;

	if (!c)
		return log_error_errno(-ENOMEM, "Out of memory.");
	c->manager = m;
	c->fd = -1;
	if (asprintf(&c->path, "%s/" CONTROL_SOCKET_NAME, dir) < 0) {
		c->path = NULL;
		control_free(c);
		return log_error_errno(-ENOMEM, "Out of memory.");
	}
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		r = log_error_errno(-ENAMETOOLONG,
				    "Control socket path %s too long, vaktctl cannot reach vaktd.",
				    c->path);
		goto fail;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	(void)mkdir(dir, 0755);
	(void)unlink(c->path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    /* Any local user may ask (about themselves): the answer depends on who asks. */
	    chmod(c->path, 0666) < 0 || listen(c->fd, CONTROL_MAX_CLIENTS) < 0) {
		r = log_error_errno(
			-errno, "Cannot listen on %s, vaktctl cannot reach vaktd: %m", c->path);
		goto fail;
	}
	r = sd_event_add_io(manager_event(m), &c->io, c->fd, EPOLLIN, on_accept, c);
	if (r < 0) {
		log_error_errno(r, "Cannot watch %s: %m", c->path);
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	control_free(c);
	return r;
}
