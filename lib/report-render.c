/* The review as tables and as JSON (report_write_text(), report_write_json()). */

#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "record.h"
#include "report-internal.h"
#include "strv.h"

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

/* Records by person (NO_PERSON last), section, time, arrival. */
static int entry_cmp(const void *a, const void *b, void *userdata)
{
	const struct report *r = userdata;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct entry *x = &r->entries[ia], *y = &r->entries[ib];

	if (x->person != y->person)
		return x->person < y->person ? -1 : 1;
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* Entry indexes in entry_cmp() order (caller frees), NULL on OOM: sorted once, so that the
 * records of one person and section are a range of it. */
static size_t *entry_order(const struct report *r)
{
	size_t *o = calloc(r->n_entries + 1, sizeof(size_t));

	if (!o)
		return NULL;
	for (size_t i = 0; i < r->n_entries; i++)
		o[i] = i;
	/* qsort_r takes a non-const context; entry_cmp only reads it. */
	qsort_r(o, r->n_entries, sizeof(size_t), entry_cmp, (void *)(uintptr_t)r);
	return o;
}

/* The records of person pi (NO_PERSON: the machines' own) in section s, by time: *ret points to
 * their indexes in order (of entry_order()); returns how many. */
static size_t entries_of(const struct report *r,
			 const size_t *order,
			 size_t pi,
			 enum report_section s,
			 const size_t **ret)
{
	size_t lo = 0, hi = r->n_entries, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct entry *e = &r->entries[order[mid]];

		if (e->person < pi || (e->person == pi && e->section < s))
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < r->n_entries && r->entries[order[lo + n]].person == pi &&
	       r->entries[order[lo + n]].section == s)
		n++;
	*ret = order + lo;
	return n;
}

/* ---- tables --------------------------------------------------------------------------------- */

#define MAX_COLS 20

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

/* The persons with records on machine mi, in the order po, as one string joined by sep (caller
 * frees); NULL on OOM. */
static char *machine_persons(const struct report *r, size_t mi, const size_t *po, const char *sep)
{
	char *out = strdup("");

	for (size_t i = 0; out && i < r->n_persons; i++) {
		const struct person *p = &r->persons[po[i]];
		char lbuf[32], *n;

		if (!p->on_machine[mi])
			continue;
		if (asprintf(&n,
			     "%s%s%s",
			     out,
			     *out ? sep : "",
			     person_label(p, lbuf, sizeof(lbuf))) < 0)
			n = NULL;
		free(out);
		out = n;
	}
	return out;
}

/* The section's title with the policy clauses its records named. */
static void section_heading(const struct report *r, enum report_section s, FILE *f, const char *in)
{
	_cleanup_free_ char *refs = r->refs[s] ? strv_join(r->refs[s], "; ") : NULL;

	(void)fprintf(f,
		      "%s%s%s%s%s\n",
		      in,
		      report_section_title((enum report_section)s),
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

static void write_details(const struct report *r, size_t pi, FILE *f, const size_t *order)
{
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		struct table t = { .n = 4, .head = { "TIME", "MACHINE", "EVENT", "WHAT" } };
		const size_t *buf;
		size_t n = entries_of(r, order, pi, (enum report_section)s, &buf);

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
	buf = entry_order(r);
	if (!buf)
		return -ENOMEM;

	(void)fputs("\nSections (the written policy's clause, when the records name it):\n", f);
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		(void)fprintf(f, "  %-8s ", report_section_column((enum report_section)s));
		section_heading(r, (enum report_section)s, f, "");
	}
	(void)fputs("  FAILED   records with VAKT_RESULT=failure, and failed authentications\n", f);

	(void)fputs("\nMachines\n", f);
	t.head[0] = "MACHINE";
	t.head[1] = "MACHINE-ID";
	t.head[2] = "RECORDS";
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++)
		t.head[3 + s] = report_section_column((enum report_section)s);
	t.n = _REPORT_SECTION_MAX + 5;
	t.head[_REPORT_SECTION_MAX + 3] = "FAILED";
	t.head[_REPORT_SECTION_MAX + 4] = "PERSONS";
	for (size_t i = 0; i < r->n_machines; i++) {
		const struct machine *m = &r->machines[mo[i]];
		char num[_REPORT_SECTION_MAX + 1][16], rec[24], mbuf[96];
		const char *row[MAX_COLS];
		_cleanup_free_ char *persons = machine_persons(r, mo[i], po, ", ");

		row[0] = machine_label(r, mo[i], mbuf, sizeof(mbuf));
		row[1] = *m->id ? m->id : "(none)";
		(void)snprintf(rec, sizeof(rec), "%zu", m->records);
		row[2] = rec;
		counts_row(m->counts, m->failed, num, row + 3);
		row[_REPORT_SECTION_MAX + 4] = persons && *persons ? persons : "-";
		table_add(&t, row);
	}
	table_print(&t, f, "  ");
	t.n = _REPORT_SECTION_MAX + 4;

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
		(void)fprintf(f,
			      "%s\"%s\":%u",
			      s ? "," : "",
			      report_section_name((enum report_section)s),
			      counts[s]);
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
	(void)fprintf(f, ",\"section\":\"%s\",\"event\":", report_section_name(e->section));
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

static void
json_entries(const struct report *r, size_t pi, const char *key, FILE *f, const size_t *order)
{
	bool first = true;

	json_key(key, f);
	(void)fputc('[', f);
	for (size_t s = 0; s < _REPORT_SECTION_MAX; s++) {
		const size_t *buf;
		size_t n = entries_of(r, order, pi, (enum report_section)s, &buf);

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
	_cleanup_free_ size_t *buf = entry_order(r);
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
		(void)fprintf(f,
			      "%s{\"name\":\"%s\",\"title\":",
			      s ? "," : "",
			      report_section_name((enum report_section)s));
		json_str(report_section_title((enum report_section)s), f);
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
		(void)fputs(",\"persons\":[", f);
		for (size_t k = 0, n = 0; k < r->n_persons; k++) {
			const struct person *p = &r->persons[po[k]];
			char lbuf[32];

			if (!p->on_machine[mo[i]])
				continue;
			(void)fputs(n++ ? "," : "", f);
			json_str(person_label(p, lbuf, sizeof(lbuf)), f);
		}
		(void)fputs("]}", f);
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
