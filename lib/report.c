#include "report.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "parse.h"
#include "record.h"
#include "report-internal.h"
#include "strv.h"

struct section_info {
	const char *name;
	const char *title;
	const char *column;
};

static const struct section_info sections[_REPORT_SECTION_MAX] = {
	[REPORT_SECTION_PRIVILEGE] = { "privilege",
				       "Privileged commands (sudo, su, pkexec, mount, modules, "
				       "setuid)",
				       "PRIV" },
	[REPORT_SECTION_ROOT_COMMAND] = { "root_command", "Commands in root shells", "ROOT" },
	[REPORT_SECTION_ACCOUNT] = { "account", "Account and credential changes", "ACCOUNT" },
	[REPORT_SECTION_FILE] = { "file", "Watched files changed", "FILE" },
	[REPORT_SECTION_AUTH_FAILED] = { "auth_failed", "Failed authentications", "AUTHFAIL" },
	[REPORT_SECTION_AUTH_BURST] = { "auth_burst", "Bursts of failed authentications", "BURST" },
	[REPORT_SECTION_TAMPER] = { "tamper", "Audit tampering", "TAMPER" },
	[REPORT_SECTION_ENFORCEMENT] = { "enforcement",
					 "Enforcement stopped or weakened (vakt stopped, a part off "
					 "or observing)",
					 "STOPPED" },
	[REPORT_SECTION_STORAGE] = { "storage", "Storage decisions", "STORAGE" },
	[REPORT_SECTION_DISPENSATION] = { "dispensation", "Dispensations", "DISPENS" },
	[REPORT_SECTION_SESSION] = { "session", "Idle locks and terminations", "IDLE" },
	[REPORT_SECTION_LOST] = { "lost", "Lost audit records", "LOST" },
};

const char *report_section_name(enum report_section s)
{
	return (unsigned)s < _REPORT_SECTION_MAX ? sections[s].name : NULL;
}

const char *report_section_title(enum report_section s)
{
	return (unsigned)s < _REPORT_SECTION_MAX ? sections[s].title : NULL;
}

const char *report_section_column(enum report_section s)
{
	return (unsigned)s < _REPORT_SECTION_MAX ? sections[s].column : NULL;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum report_section report_section_of(const char *event, const char *parts)
{
	static const struct {
		const char *event;
		enum report_section section;
	} exact[] = {
		{ "privilege.root_command", REPORT_SECTION_ROOT_COMMAND },
		{ "account.changed", REPORT_SECTION_ACCOUNT },
		{ "file.changed", REPORT_SECTION_FILE },
		{ "auth.failed", REPORT_SECTION_AUTH_FAILED },
		{ "auth.burst", REPORT_SECTION_AUTH_BURST },
		{ "audit.rules_changed", REPORT_SECTION_TAMPER },
		{ "audit.disabled", REPORT_SECTION_TAMPER },
		{ "audit.loginuid_changed", REPORT_SECTION_TAMPER },
		{ "audit.rules_restored", REPORT_SECTION_TAMPER },
		{ "audit.lost", REPORT_SECTION_LOST },
		{ "vakt.stopped", REPORT_SECTION_ENFORCEMENT },
		{ "input.blocked", REPORT_SECTION_STORAGE },
	};

	if (!event)
		return _REPORT_SECTION_NONE;
	for (size_t i = 0; i < ELEMENTSOF(exact); i++)
		if (streq(event, exact[i].event))
			return exact[i].section;
	/* A policy that switches a part off or only observes weakens enforcement. */
	if (streq(event, "policy.loaded"))
		return parts && (strstr(parts, "=off") || strstr(parts, "=observe"))
			       ? REPORT_SECTION_ENFORCEMENT
			       : _REPORT_SECTION_NONE;
	if (starts_with(event, "privilege."))
		return REPORT_SECTION_PRIVILEGE;
	if (starts_with(event, "storage."))
		return REPORT_SECTION_STORAGE;
	if (starts_with(event, "dispensation."))
		return REPORT_SECTION_DISPENSATION;
	if (starts_with(event, "session."))
		return REPORT_SECTION_SESSION;
	return _REPORT_SECTION_NONE;
}

/* ---- time ------------------------------------------------------------------------------------ */

int report_parse_time(const char *s,
		      uint64_t now_usec,
		      bool end_of_day,
		      uint64_t *ret_usec,
		      const char **reterr_why)
{
	static const char *const accepted =
		"expected -DURATION such as -7d, -12h or -30min, now, today, or a date "
		"YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (local time, or ending in Z for UTC or an "
		"offset such as +01:00)";
	uint64_t usec, d;
	const char *why;
	int r;

	assert(ret_usec);
	assert(reterr_why);
	*reterr_why = accepted;
	if (!s || !*s)
		return -EINVAL;
	if (streq(s, "now")) {
		*ret_usec = now_usec;
		return 0;
	}
	if (streq(s, "today")) {
		time_t t = (time_t)(now_usec / USEC_PER_SEC);
		struct tm tm;

		if (!localtime_r(&t, &tm))
			return -EINVAL;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday += end_of_day ? 1 : 0;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t < 0)
			return -EINVAL;
		*ret_usec = (uint64_t)t * USEC_PER_SEC;
		return 0;
	}
	if (s[0] == '-') {
		/* parse_duration takes a plain number as seconds: here a unit is required. */
		if (s[1] == '\0' || s[strlen(s) - 1] < 'a' || s[strlen(s) - 1] > 'z')
			return -EINVAL;
		r = parse_duration(s + 1, &d, &why);
		if (r < 0)
			return r;
		if (d > now_usec) {
			*reterr_why = "the duration reaches back before 1970";
			return -ERANGE;
		}
		*ret_usec = now_usec - d;
		return 0;
	}
	r = parse_date_time(s, end_of_day, &usec, reterr_why);
	if (r < 0)
		return r;
	*ret_usec = usec;
	return 0;
}

/* ---- building ------------------------------------------------------------------------------- */

struct report *report_new(uint64_t since_usec, uint64_t until_usec)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->since = since_usec;
	r->until = until_usec;
	return r;
}

struct report *report_free(struct report *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_entries; i++) {
		free(r->entries[i].event);
		free(r->entries[i].message);
		strv_free(r->entries[i].fields);
	}
	free(r->entries);
	for (size_t i = 0; i < r->n_machines; i++) {
		free(r->machines[i].id);
		free(r->machines[i].hostname);
		free(r->machines[i].digest);
		free(r->machines[i].parts);
	}
	free(r->machines);
	for (size_t i = 0; i < r->n_persons; i++) {
		free(r->persons[i].user);
		free(r->persons[i].uid);
		free(r->persons[i].on_machine);
	}
	free(r->persons);
	for (size_t i = 0; i < _REPORT_SECTION_MAX; i++)
		strv_free(r->refs[i]);
	strv_free(r->admin_groups);
	free(r->admin_origin);
	free(r->resolved_on);
	free(r->source);
	free(r);
	return NULL;
}

static const char *field(const struct report_field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (fields[i].name && fields[i].value && streq(fields[i].name, name))
			return fields[i].value[0] ? fields[i].value : NULL;
	return NULL;
}

/* Replaces *p with a copy of v (when v is set). */
static int set_str(char **p, const char *v)
{
	char *c;

	if (!v)
		return 0;
	c = strdup(v);
	if (!c)
		return -ENOMEM;
	free(*p);
	*p = c;
	return 0;
}

/* The machine of id (an unknown id is "" : records without _MACHINE_ID). Returns its index. */
static int machine_get(struct report *r, const char *id, const char *hostname, size_t *ret)
{
	struct machine *m;

	for (size_t i = 0; i < r->n_machines; i++)
		if (streq(r->machines[i].id, id)) {
			*ret = i;
			return set_str(&r->machines[i].hostname, hostname);
		}
	m = reallocarray(r->machines, r->n_machines + 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r->machines = m;
	m = &r->machines[r->n_machines];
	*m = (struct machine){ .id = strdup(id), .hostname = hostname ? strdup(hostname) : NULL };
	if (!m->id || (hostname && !m->hostname)) {
		free(m->id);
		free(m->hostname);
		return -ENOMEM;
	}
	/* Every person's machine flags grow with the machine list. */
	for (size_t i = 0; i < r->n_persons; i++) {
		bool *b = reallocarray(r->persons[i].on_machine, r->n_machines + 1, sizeof(bool));

		if (!b) {
			free(m->id);
			free(m->hostname);
			return -ENOMEM;
		}
		b[r->n_machines] = false;
		r->persons[i].on_machine = b;
	}
	*ret = r->n_machines++;
	return 0;
}

static bool uid_listed(const char *list, const char *uid)
{
	size_t l = strlen(uid);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, uid, l) == 0 && (p[l] == ',' || p[l] == '\0'))
			return true;
	}
	return false;
}

/* The person named user (or, without a name, of uid). Returns its index. */
static int person_get(struct report *r, const char *user, const char *uid, size_t *ret)
{
	struct person *p;

	for (size_t i = 0; i < r->n_persons; i++) {
		p = &r->persons[i];
		if (user ? !(p->user && streq(p->user, user))
			 : (p->user || !p->uid || !streq(p->uid, uid)))
			continue;
		if (uid && !p->uid && set_str(&p->uid, uid) < 0)
			return -ENOMEM;
		if (uid && p->uid && !uid_listed(p->uid, uid)) {
			char *both;

			if (asprintf(&both, "%s,%s", p->uid, uid) < 0)
				return -ENOMEM;
			free(p->uid);
			p->uid = both;
		}
		*ret = i;
		return 0;
	}
	p = reallocarray(r->persons, r->n_persons + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->persons = p;
	p = &r->persons[r->n_persons];
	*p = (struct person){
		.user = user ? strdup(user) : NULL,
		.uid = uid ? strdup(uid) : NULL,
		.on_machine = calloc(r->n_machines + 1, sizeof(bool)),
	};
	if ((user && !p->user) || (uid && !p->uid) || !p->on_machine) {
		free(p->user);
		free(p->uid);
		free(p->on_machine);
		return -ENOMEM;
	}
	*ret = r->n_persons++;
	return 0;
}

static int add_ref(struct report *r, enum report_section s, const char *ref)
{
	if (!ref || strv_contains(r->refs[s], ref))
		return 0;
	return strv_extend(&r->refs[s], ref);
}

static int entry_fields(const struct report_field *fields, size_t n, char ***ret)
{
	_cleanup_(strv_freep) char **l = NULL;

	for (size_t i = 0; i < n; i++) {
		char *a;

		if (!fields[i].name || !fields[i].value || !starts_with(fields[i].name, "VAKT_"))
			continue;
		if (asprintf(&a, "%s=%s", fields[i].name, fields[i].value) < 0 ||
		    strv_consume(&l, a) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int report_add(struct report *r,
	       const struct report_field *fields,
	       size_t n,
	       uint64_t realtime_usec)
{
	const char *event = field(fields, n, "VAKT_EVENT");
	const char *user, *uid, *machine_id = field(fields, n, "_MACHINE_ID");
	enum report_section s;
	struct entry *e;
	size_t mi, pi = NO_PERSON;
	int k;

	if (!event)
		return 0;
	r->n_seen++;
	k = machine_get(r, machine_id ? machine_id : "", field(fields, n, "_HOSTNAME"), &mi);
	if (k < 0)
		return k;
	/* What the machine runs, whatever the record's section. */
	if (set_str(&r->machines[mi].digest, field(fields, n, "VAKT_POLICY_DIGEST")) < 0 ||
	    set_str(&r->machines[mi].parts, field(fields, n, "VAKT_PARTS")) < 0)
		return -ENOMEM;
	s = report_section_of(event, field(fields, n, "VAKT_PARTS"));
	if (s == _REPORT_SECTION_NONE)
		return 0;

	/* A dispensation belongs to the person it is for; the granting administrator is in its
	 * fields and message. */
	user = field(
		fields, n, s == REPORT_SECTION_DISPENSATION ? "VAKT_TARGET_USER" : "VAKT_USER");
	uid = field(fields, n, s == REPORT_SECTION_DISPENSATION ? "VAKT_TARGET_UID" : "VAKT_UID");
	if (user || uid) {
		k = person_get(r, user, uid, &pi);
		if (k < 0)
			return k;
	}
	if (add_ref(r, s, field(fields, n, "VAKT_POLICY_REF")) < 0)
		return -ENOMEM;

	e = reallocarray(r->entries, r->n_entries + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	r->entries = e;
	e = &r->entries[r->n_entries];
	*e = (struct entry){
		.usec = realtime_usec,
		.section = s,
		.machine = mi,
		.person = pi,
		.failed = s == REPORT_SECTION_AUTH_FAILED ||
			  (field(fields, n, "VAKT_RESULT") &&
			   streq(field(fields, n, "VAKT_RESULT"), "failure")),
		.event = strdup(event),
		.message =
			strdup(field(fields, n, "MESSAGE") ? field(fields, n, "MESSAGE") : event),
	};
	if (!e->event || !e->message || entry_fields(fields, n, &e->fields) < 0) {
		free(e->event);
		free(e->message);
		return -ENOMEM;
	}
	r->n_entries++;

	r->machines[mi].records++;
	r->machines[mi].counts[s]++;
	r->machines[mi].failed += e->failed;
	if (pi != NO_PERSON) {
		struct person *p = &r->persons[pi];

		p->records++;
		p->counts[s]++;
		p->failed += e->failed;
		p->on_machine[mi] = true;
	}
	return 1;
}

size_t report_n_seen(const struct report *r)
{
	return r->n_seen;
}

size_t report_n_records(const struct report *r)
{
	return r->n_entries;
}

void report_resolve_admins(struct report *r, report_admin_fn fn, void *userdata)
{
	for (size_t i = 0; i < r->n_persons; i++)
		r->persons[i].admin = r->persons[i].user ? fn(r->persons[i].user, userdata)
							 : REPORT_ADMIN_UNKNOWN;
}

int report_set_admin_groups(struct report *r,
			    char *const *groups,
			    const char *origin,
			    const char *resolved_on)
{
	char **g = strv_copy(groups);

	if (!g)
		return -ENOMEM;
	strv_free(r->admin_groups);
	r->admin_groups = g;
	if (set_str(&r->admin_origin, origin) < 0)
		return -ENOMEM;
	return set_str(&r->resolved_on, resolved_on);
}

int report_set_source(struct report *r, const char *source)
{
	return set_str(&r->source, source);
}
