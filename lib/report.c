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
#include "strv.h"

#define NO_PERSON SIZE_MAX

struct entry {
	uint64_t usec;
	enum report_section section;
	size_t machine;
	size_t person; /* NO_PERSON: the machine's own record */
	bool failed;
	char *event;
	char *message;
	char **fields; /* "NAME=value" of every VAKT_* field, in order */
};

struct machine {
	char *id;
	char *hostname;
	char *digest; /* last VAKT_POLICY_DIGEST */
	char *parts;  /* last VAKT_PARTS */
	size_t records;
	unsigned counts[_REPORT_SECTION_MAX];
	unsigned failed;
};

struct person {
	char *user; /* NULL: only a uid is known */
	char *uid;  /* NULL, or the uids seen, comma-separated */
	enum report_admin admin;
	size_t records;
	unsigned counts[_REPORT_SECTION_MAX];
	unsigned failed;
	bool *on_machine; /* [n_machines_alloc] */
};

struct report {
	uint64_t since, until;
	size_t n_seen;
	struct entry *entries;
	size_t n_entries;
	struct machine *machines;
	size_t n_machines;
	struct person *persons;
	size_t n_persons;
	char **refs[_REPORT_SECTION_MAX]; /* distinct VAKT_POLICY_REF per section */
	char **admin_groups;
	char *admin_origin;
	char *resolved_on;
	char *source;
};

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

static bool digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static int parse_date(const char *s, bool end_of_day, uint64_t *ret_usec, const char **reterr_why)
{
	struct tm tm = { 0 };
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	bool date_only = true, utc = false;
	time_t t;

	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &mon) || *p++ != '-' ||
	    !digits(&p, 2, &day))
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		date_only = false;
		if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min))
			return -EINVAL;
		if (*p == ':' && (p++, !digits(&p, 2, &sec)))
			return -EINVAL;
	}
	if (*p == 'Z') {
		utc = true;
		p++;
	}
	if (*p != '\0')
		return -EINVAL;
	if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 59) {
		*reterr_why = "the date or time is out of range";
		return -EINVAL;
	}
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day + (date_only && end_of_day ? 1 : 0);
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t < 0) {
		*reterr_why = "the date cannot be represented";
		return -EINVAL;
	}
	*ret_usec = (uint64_t)t * USEC_PER_SEC;
	return 0;
}

int report_parse_time(const char *s,
		      uint64_t now_usec,
		      bool end_of_day,
		      uint64_t *ret_usec,
		      const char **reterr_why)
{
	static const char *const accepted =
		"expected -DURATION such as -7d, -12h or -30min, now, today, or a date "
		"YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (local time, or ending in Z for UTC)";
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
	r = parse_date(s, end_of_day, &usec, reterr_why);
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

/* ---- order ---------------------------------------------------------------------------------- */

static const char *person_label(const struct person *p, char *buf, size_t n)
{
	if (p->user)
		return p->user;
	(void)snprintf(buf, n, "uid %s", p->uid ? p->uid : "?");
	return buf;
}

/* Administrators first, then the others, then those this machine could not resolve; by name. */
static int person_cmp(const struct person *a, const struct person *b)
{
	static const int rank[] = {
		[REPORT_ADMIN_YES] = 0,
		[REPORT_ADMIN_NO] = 1,
		[REPORT_ADMIN_UNKNOWN] = 2,
	};
	char ba[32], bb[32];

	if (rank[a->admin] != rank[b->admin])
		return rank[a->admin] - rank[b->admin];
	return strcmp(person_label(a, ba, sizeof(ba)), person_label(b, bb, sizeof(bb)));
}

/* Indexes of the persons in display order (caller frees), NULL on OOM. */
static size_t *person_order(const struct report *r)
{
	size_t *o = calloc(r->n_persons + 1, sizeof(size_t));

	if (!o)
		return NULL;
	for (size_t i = 0; i < r->n_persons; i++) {
		size_t j = i;

		/* Insertion sort: a review lists tens of persons. */
		while (j > 0 && person_cmp(&r->persons[o[j - 1]], &r->persons[i]) > 0) {
			o[j] = o[j - 1];
			j--;
		}
		o[j] = i;
	}
	return o;
}

/* Machines by hostname, then id. */
static size_t *machine_order(const struct report *r)
{
	size_t *o = calloc(r->n_machines + 1, sizeof(size_t));

	if (!o)
		return NULL;
	for (size_t i = 0; i < r->n_machines; i++) {
		const struct machine *m = &r->machines[i];
		size_t j = i;

		for (; j > 0; j--) {
			const struct machine *q = &r->machines[o[j - 1]];
			int c = strcmp(q->hostname ? q->hostname : "",
				       m->hostname ? m->hostname : "");

			if (c < 0 || (c == 0 && strcmp(q->id, m->id) <= 0))
				break;
			o[j] = o[j - 1];
		}
		o[j] = i;
	}
	return o;
}

/* Entry indexes of person pi (NO_PERSON: the machines' own) in section s, by time. */
static size_t entries_of(const struct report *r, size_t pi, enum report_section s, size_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_entries; i++) {
		size_t j;

		if (r->entries[i].person != pi || r->entries[i].section != s)
			continue;
		for (j = n; j > 0 && r->entries[out[j - 1]].usec > r->entries[i].usec; j--)
			out[j] = out[j - 1];
		out[j] = i;
		n++;
	}
	return n;
}

/* ---- tables --------------------------------------------------------------------------------- */

#define MAX_COLS 16

struct table {
	size_t n;
	const char *head[MAX_COLS];
	char **cells; /* rows * n, owned */
	size_t rows;
	bool oom;
};

static void table_add(struct table *t, const char *const *row)
{
	char **c = t->oom ? NULL : reallocarray(t->cells, (t->rows + 1) * t->n, sizeof(char *));

	if (!c) {
		t->oom = true;
		return;
	}
	t->cells = c;
	for (size_t i = 0; i < t->n; i++) {
		c[t->rows * t->n + i] = strdup(row[i] ? row[i] : "-");
		t->oom = t->oom || !c[t->rows * t->n + i];
	}
	t->rows++;
}

/* Prints the table indented by indent, frees its cells. */
static void table_print(struct table *t, FILE *f, const char *indent)
{
	size_t w[MAX_COLS];

	for (size_t i = 0; i < t->n; i++)
		w[i] = strlen(t->head[i]);
	for (size_t c = 0; c < t->rows * t->n; c++)
		if (t->cells[c] && strlen(t->cells[c]) > w[c % t->n])
			w[c % t->n] = strlen(t->cells[c]);
	for (size_t row = 0; row <= t->rows; row++) {
		(void)fputs(indent, f);
		for (size_t i = 0; i < t->n; i++) {
			const char *s = row == 0 ? t->head[i] : t->cells[(row - 1) * t->n + i];

			(void)fprintf(f,
				      "%-*s%s",
				      i + 1 < t->n ? (int)w[i] : 0,
				      s ? s : "-",
				      i + 1 < t->n ? "  " : "\n");
		}
	}
	for (size_t c = 0; c < t->rows * t->n; c++)
		free(t->cells[c]);
	free(t->cells);
	t->cells = NULL;
	t->rows = 0;
}

static const char *fmt_local(uint64_t usec, char *buf, size_t n)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		(void)snprintf(buf, n, "%" PRIu64, usec);
	return buf;
}

static const char *fmt_utc(uint64_t usec, char *buf, size_t n)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, n, "%" PRIu64, usec);
	return buf;
}

/* The machine as the tables name it: its hostname, with the start of its id when another machine
 * has the same hostname or it has none. */
static const char *machine_label(const struct report *r, size_t mi, char *buf, size_t n)
{
	const struct machine *m = &r->machines[mi];
	bool unique = m->hostname != NULL;

	for (size_t i = 0; unique && i < r->n_machines; i++)
		if (i != mi && r->machines[i].hostname &&
		    streq(r->machines[i].hostname, m->hostname))
			unique = false;
	if (unique)
		return m->hostname;
	if (!m->hostname && !*m->id)
		return "unknown machine";
	(void)snprintf(buf,
		       n,
		       "%s/%.8s",
		       m->hostname ? m->hostname : "?",
		       *m->id ? m->id : "no-machine-id");
	return buf;
}

static const char *admin_word(enum report_admin a)
{
	return a == REPORT_ADMIN_YES ? "yes" : a == REPORT_ADMIN_NO ? "no" : "unknown";
}

/* The section's title with the policy clauses its records named. */
static void section_heading(const struct report *r, enum report_section s, FILE *f, const char *in)
{
	_cleanup_free_ char *refs = r->refs[s] ? strv_join(r->refs[s], "; ") : NULL;

	(void)fprintf(f,
		      "%s%s%s%s%s\n",
		      in,
		      sections[s].title,
		      refs ? " (" : "",
		      refs ? refs : "",
		      refs ? ")" : "");
}

static void counts_row(const unsigned *counts, unsigned failed, char num[][16], const char **row)
{
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		(void)snprintf(num[s], 16, "%u", counts[s]);
		row[s] = num[s];
	}
	(void)snprintf(num[_REPORT_SECTION_MAX], 16, "%u", failed);
	row[_REPORT_SECTION_MAX] = num[_REPORT_SECTION_MAX];
}

static void write_details(const struct report *r, size_t pi, FILE *f, size_t *buf)
{
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		struct table t = { .n = 4, .head = { "TIME", "MACHINE", "EVENT", "WHAT" } };
		size_t n = entries_of(r, pi, (enum report_section)s, buf);

		if (n == 0)
			continue;
		section_heading(r, (enum report_section)s, f, "  ");
		for (size_t i = 0; i < n; i++) {
			const struct entry *e = &r->entries[buf[i]];
			char tbuf[64], mbuf[96];
			const char *row[4] = {
				fmt_local(e->usec, tbuf, sizeof(tbuf)),
				machine_label(r, e->machine, mbuf, sizeof(mbuf)),
				e->event,
				e->message,
			};

			table_add(&t, row);
		}
		table_print(&t, f, "    ");
	}
}

int report_write_text(const struct report *r, FILE *f)
{
	_cleanup_free_ size_t *po = person_order(r), *mo = machine_order(r);
	_cleanup_free_ size_t *buf = NULL;
	_cleanup_free_ char *groups = r->admin_groups ? strv_join(r->admin_groups, ", ") : NULL;
	struct table t = { .n = _REPORT_SECTION_MAX + 3 };
	char a[64], b[64];
	size_t orphans = 0;

	if (!po || !mo)
		return -ENOMEM;
	(void)fprintf(f,
		      "vakt review from %s to %s (local time)\n",
		      fmt_local(r->since, a, sizeof(a)),
		      fmt_local(r->until, b, sizeof(b)));
	(void)fprintf(f,
		      "Source: %s; %zu vakt record(s) read, %zu in the review, %zu machine(s), %zu "
		      "person(s).\n",
		      r->source ? r->source : "the journal",
		      r->n_seen,
		      r->n_entries,
		      r->n_machines,
		      r->n_persons);
	(void)fprintf(
		f,
		"Administrators: members of admin_groups (%s; from %s), as the NSS of %s "
		"resolves them (on a collector: the collector's view, not the workstations').\n",
		groups && *groups ? groups : "none",
		r->admin_origin ? r->admin_origin : "the policy",
		r->resolved_on ? r->resolved_on : "this machine");
	if (r->n_seen == 0) {
		(void)fputs("\nNo vakt record in this time.\n", f);
		return ferror(f) ? -EIO : 0;
	}
	buf = calloc(r->n_entries + 1, sizeof(size_t));
	if (!buf)
		return -ENOMEM;

	(void)fputs("\nSections (the written policy's clause, when the records name it):\n", f);
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		(void)fprintf(f, "  %-8s ", sections[s].column);
		section_heading(r, (enum report_section)s, f, "");
	}
	(void)fputs("  FAILED   records with VAKT_RESULT=failure, and failed authentications\n", f);

	(void)fputs("\nMachines\n", f);
	t.head[0] = "MACHINE";
	t.head[1] = "MACHINE-ID";
	t.head[2] = "RECORDS";
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++)
		t.head[3 + s] = sections[s].column;
	t.n = _REPORT_SECTION_MAX + 4;
	t.head[_REPORT_SECTION_MAX + 3] = "FAILED";
	for (size_t i = 0; i < r->n_machines; i++) {
		const struct machine *m = &r->machines[mo[i]];
		char num[_REPORT_SECTION_MAX + 1][16], rec[24], mbuf[96];
		const char *row[MAX_COLS];

		row[0] = machine_label(r, mo[i], mbuf, sizeof(mbuf));
		row[1] = *m->id ? m->id : "(none)";
		(void)snprintf(rec, sizeof(rec), "%zu", m->records);
		row[2] = rec;
		counts_row(m->counts, m->failed, num, row + 3);
		table_add(&t, row);
	}
	table_print(&t, f, "  ");

	(void)fputs("\nPersons (administrators first)\n", f);
	t.head[0] = "PERSON";
	t.head[1] = "UID";
	t.head[2] = "ADMIN";
	for (size_t i = 0; i < r->n_persons; i++) {
		const struct person *p = &r->persons[po[i]];
		char num[_REPORT_SECTION_MAX + 1][16], lbuf[32];
		const char *row[MAX_COLS];

		row[0] = person_label(p, lbuf, sizeof(lbuf));
		row[1] = p->uid;
		row[2] = admin_word(p->admin);
		counts_row(p->counts, p->failed, num, row + 3);
		table_add(&t, row);
	}
	if (r->n_persons == 0)
		(void)fputs("  No record names a person.\n", f);
	else
		table_print(&t, f, "  ");

	for (size_t i = 0; i < r->n_persons; i++) {
		const struct person *p = &r->persons[po[i]];
		char lbuf[32];
		bool first = true;

		(void)fprintf(f,
			      "\n%s%s%s%s, %s, on ",
			      person_label(p, lbuf, sizeof(lbuf)),
			      p->user && p->uid ? " (uid " : "",
			      p->user && p->uid ? p->uid : "",
			      p->user && p->uid ? ")" : "",
			      p->admin == REPORT_ADMIN_YES  ? "administrator"
			      : p->admin == REPORT_ADMIN_NO ? "not an administrator"
							    : "administrator: unknown here");
		for (size_t m = 0; m < r->n_machines; m++)
			if (p->on_machine[mo[m]]) {
				char mbuf[96];

				(void)fprintf(f,
					      "%s%s",
					      first ? "" : ", ",
					      machine_label(r, mo[m], mbuf, sizeof(mbuf)));
				first = false;
			}
		(void)fputc('\n', f);
		write_details(r, po[i], f, buf);
	}

	for (size_t i = 0; i < r->n_entries; i++)
		orphans += r->entries[i].person == NO_PERSON;
	if (orphans > 0) {
		(void)fputs("\nRecords of no person (the machine itself, or nobody at the seat)\n",
			    f);
		write_details(r, NO_PERSON, f, buf);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void json_str(const char *s, FILE *f)
{
	if (s)
		(void)record_write_json_string(s, f);
	else
		(void)fputs("null", f);
}

static void json_key(const char *k, FILE *f)
{
	json_str(k, f);
	(void)fputc(':', f);
}

static void json_counts(const unsigned *counts, unsigned failed, FILE *f)
{
	(void)fputs("\"counts\":{", f);
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++)
		(void)fprintf(f, "%s\"%s\":%u", s ? "," : "", sections[s].name, counts[s]);
	(void)fprintf(f, "},\"failed\":%u", failed);
}

static void json_entry(const struct report *r, const struct entry *e, FILE *f)
{
	char t[64];

	(void)fputs("{\"time\":", f);
	json_str(fmt_utc(e->usec, t, sizeof(t)), f);
	(void)fprintf(f, ",\"realtime_usec\":%" PRIu64 ",\"machine_id\":", e->usec);
	json_str(r->machines[e->machine].id, f);
	(void)fputs(",\"hostname\":", f);
	json_str(r->machines[e->machine].hostname, f);
	(void)fprintf(f, ",\"section\":\"%s\",\"event\":", sections[e->section].name);
	json_str(e->event, f);
	(void)fprintf(f, ",\"failed\":%s,\"message\":", e->failed ? "true" : "false");
	json_str(e->message, f);
	(void)fputs(",\"fields\":{", f);
	for (size_t i = 0; e->fields && e->fields[i]; i++) {
		char *eq = strchr(e->fields[i], '=');
		_cleanup_free_ char *name = strndup(e->fields[i], (size_t)(eq - e->fields[i]));

		(void)fputs(i ? "," : "", f);
		json_key(name ? name : "", f);
		json_str(eq + 1, f);
	}
	(void)fputs("}}", f);
}

static void json_entries(const struct report *r, size_t pi, const char *key, FILE *f, size_t *buf)
{
	bool first = true;

	json_key(key, f);
	(void)fputc('[', f);
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		size_t n = entries_of(r, pi, (enum report_section)s, buf);

		for (size_t i = 0; i < n; i++) {
			(void)fputs(first ? "" : ",", f);
			first = false;
			json_entry(r, &r->entries[buf[i]], f);
		}
	}
	(void)fputc(']', f);
}

int report_write_json(const struct report *r, FILE *f)
{
	_cleanup_free_ size_t *po = person_order(r), *mo = machine_order(r);
	_cleanup_free_ size_t *buf = calloc(r->n_entries + 1, sizeof(size_t));
	unsigned totals[_REPORT_SECTION_MAX] = { 0 }, failed = 0;
	char a[64];

	if (!po || !mo || !buf)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_entries; i++) {
		totals[r->entries[i].section]++;
		failed += r->entries[i].failed;
	}
	(void)fputs("{\"version\":1,\"since\":", f);
	json_str(fmt_utc(r->since, a, sizeof(a)), f);
	(void)fputs(",\"until\":", f);
	json_str(fmt_utc(r->until, a, sizeof(a)), f);
	(void)fputs(",\"source\":", f);
	json_str(r->source, f);
	(void)fputs(",\"admin_groups\":[", f);
	for (size_t i = 0; r->admin_groups && r->admin_groups[i]; i++) {
		(void)fputs(i ? "," : "", f);
		json_str(r->admin_groups[i], f);
	}
	(void)fputs("],\"admin_groups_from\":", f);
	json_str(r->admin_origin, f);
	(void)fputs(",\"admins_resolved_on\":", f);
	json_str(r->resolved_on, f);
	(void)fprintf(
		f, ",\"records_read\":%zu,\"records_in_review\":%zu,", r->n_seen, r->n_entries);
	json_counts(totals, failed, f);

	(void)fputs(",\"sections\":[", f);
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		(void)fprintf(f, "%s{\"name\":\"%s\",\"title\":", s ? "," : "", sections[s].name);
		json_str(sections[s].title, f);
		(void)fputs(",\"policy_references\":[", f);
		for (size_t i = 0; r->refs[s] && r->refs[s][i]; i++) {
			(void)fputs(i ? "," : "", f);
			json_str(r->refs[s][i], f);
		}
		(void)fputs("]}", f);
	}

	(void)fputs("],\"machines\":[", f);
	for (size_t i = 0; i < r->n_machines; i++) {
		const struct machine *m = &r->machines[mo[i]];

		(void)fputs(i ? ",{\"machine_id\":" : "{\"machine_id\":", f);
		json_str(m->id, f);
		(void)fputs(",\"hostname\":", f);
		json_str(m->hostname, f);
		(void)fputs(",\"policy_digest\":", f);
		json_str(m->digest, f);
		(void)fputs(",\"parts\":", f);
		json_str(m->parts, f);
		(void)fprintf(f, ",\"records\":%zu,", m->records);
		json_counts(m->counts, m->failed, f);
		(void)fputc('}', f);
	}

	(void)fputs("],\"persons\":[", f);
	for (size_t i = 0; i < r->n_persons; i++) {
		const struct person *p = &r->persons[po[i]];
		bool first = true;

		(void)fputs(i ? ",{\"user\":" : "{\"user\":", f);
		json_str(p->user, f);
		(void)fputs(",\"uid\":", f);
		json_str(p->uid, f);
		(void)fprintf(f, ",\"administrator\":\"%s\",\"machines\":[", admin_word(p->admin));
		for (size_t m = 0; m < r->n_machines; m++)
			if (p->on_machine[mo[m]]) {
				(void)fputs(first ? "" : ",", f);
				first = false;
				json_str(r->machines[mo[m]].id, f);
			}
		(void)fprintf(f, "],\"records_in_review\":%zu,", p->records);
		json_counts(p->counts, p->failed, f);
		(void)fputc(',', f);
		json_entries(r, po[i], "records", f, buf);
		(void)fputc('}', f);
	}
	(void)fputs("],", f);
	json_entries(r, NO_PERSON, "machine_records", f, buf);
	(void)fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
