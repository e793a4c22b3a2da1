#include "dispensation.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "devid.h"
#include "parse.h"
#include "policy.h"

#define FAULTS_MAX 64

void dispensation_done(struct dispensation *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->user);
	free(d->serial);
	free(d->granted_by);
	free(d->ticket);
	free(d->reason);
	*d = (struct dispensation){ 0 };
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int dispensation_copy(const struct dispensation *src, struct dispensation *ret)
{
	struct dispensation d = *src;

	d.id = d.user = d.serial = d.granted_by = d.ticket = d.reason = NULL;
	if (dup_or_null(src->id, &d.id) < 0 || dup_or_null(src->user, &d.user) < 0 ||
	    dup_or_null(src->serial, &d.serial) < 0 ||
	    dup_or_null(src->granted_by, &d.granted_by) < 0 ||
	    dup_or_null(src->ticket, &d.ticket) < 0 || dup_or_null(src->reason, &d.reason) < 0) {
		dispensation_done(&d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool dispensation_id_valid(const char *s)
{
	if (!s || strncmp(s, "d-", 2) != 0 || strlen(s) != 10)
		return false;
	for (const char *p = s + 2; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* No control characters (bytes < 0x20 and 0x7f); UTF-8 beyond ASCII is allowed. */
static bool printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* A login name as useradd(8) and systemd accept it, loosely: no space, no ':' or '/', printable,
 * not starting with '-'. */
static bool user_valid(const char *s)
{
	if (!s || !*s || strlen(s) > DISPENSATION_USER_MAX || s[0] == '-' || !printable(s))
		return false;
	return strpbrk(s, " :/,=") == NULL;
}

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

int dispensation_validate(const struct dispensation *d,
			  uint64_t now,
			  bool check_id,
			  const char **reterr_why)
{
	uint64_t from;

	assert(d);
	assert(reterr_why);

	if (check_id && !dispensation_id_valid(d->id))
		*reterr_why = "the id is not \"d-\" followed by 8 lowercase hex digits";
	else if (!d->user || !*d->user)
		*reterr_why = "no user is given (the person the dispensation is for)";
	else if (!user_valid(d->user))
		*reterr_why = "the user is not a valid login name";
	else if (d->uid == (uid_t)-1)
		*reterr_why = "the user's uid is not valid";
	else if (!d->granted_by || !*d->granted_by)
		*reterr_why = "the granting administrator is not named";
	else if (!user_valid(d->granted_by))
		*reterr_why = "the granting administrator is not a valid login name";
	else if (d->mode != STORAGE_ACTION_ALLOW && d->mode != STORAGE_ACTION_READ_ONLY)
		*reterr_why = "the mode is neither allow nor read-only";
	else if (d->device &&
		 (strlen(d->vendor) != 4 || strlen(d->product) != 4 || !is_hex(d->vendor[0]) ||
		  !is_hex(d->vendor[3]) || !is_hex(d->product[0]) || !is_hex(d->product[3])))
		*reterr_why = "the device's vendor and product are not 4 hex digits each";
	else if (d->serial && (!d->device || !*d->serial || !printable(d->serial) ||
			       strlen(d->serial) > DISPENSATION_SERIAL_MAX))
		*reterr_why = "the device's serial is empty, too long or has control characters";
	else if (!d->ticket || blank(d->ticket))
		*reterr_why =
			"the ticket is empty (name the request that asked for it, e.g. HD-4711)";
	else if (strlen(d->ticket) > DISPENSATION_TICKET_MAX || !printable(d->ticket))
		*reterr_why = "the ticket is longer than 128 bytes or has control characters";
	else if (!d->reason || blank(d->reason))
		*reterr_why = "the reason is empty (say why the person needs it)";
	else if (strlen(d->reason) > DISPENSATION_REASON_MAX || !printable(d->reason))
		*reterr_why = "the reason is longer than 1024 bytes or has control characters";
	else if (d->not_after == 0)
		*reterr_why = "no expiry is given";
	else if (now > 0 && d->not_after <= now)
		*reterr_why = "the expiry is in the past";
	else if ((from = d->granted_at ? d->granted_at : now) > 0 &&
		 (d->not_after <= from || d->not_after - from > DISPENSATION_DURATION_MAX))
		*reterr_why = d->not_after <= from
				      ? "the expiry is not after the time it was granted"
				      : "it would last longer than the limit of 90 days";
	else
		return 0;
	return -EINVAL;
}

int dispensation_parse_duration(const char *s, uint64_t *ret_usec, const char **reterr_why)
{
	uint64_t total = 0;
	const char *p = s;

	assert(ret_usec);
	assert(reterr_why);

	if (!s || !*s) {
		*reterr_why = "the duration is empty (e.g. 30m, 8h, 2d, 1w)";
		return -EINVAL;
	}
	while (*p) {
		uint64_t n = 0, unit;

		if (!(*p >= '0' && *p <= '9')) {
			*reterr_why = "a duration is numbers with units s, m, h, d or w "
				      "(e.g. 30m, 8h, 2d, 1w, 1h30m)";
			return -EINVAL;
		}
		for (; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (uint64_t)(*p - '0');
			if (n > 1000000) {
				*reterr_why = "the duration is longer than the limit of 90 days";
				return -ERANGE;
			}
		}
		switch (*p) {
		case 's':
			unit = USEC_PER_SEC;
			break;
		case 'm':
			unit = USEC_PER_MINUTE;
			break;
		case 'h':
			unit = USEC_PER_HOUR;
			break;
		case 'd':
			unit = USEC_PER_DAY;
			break;
		case 'w':
			unit = 7 * USEC_PER_DAY;
			break;
		default:
			*reterr_why = "each number of a duration needs a unit: s, m, h, d or w "
				      "(e.g. 30m, 8h, 2d, 1w)";
			return -EINVAL;
		}
		p++;
		total += n * unit;
		if (total > DISPENSATION_DURATION_MAX) {
			*reterr_why = "the duration is longer than the limit of 90 days";
			return -ERANGE;
		}
	}
	if (total == 0) {
		*reterr_why = "the duration is zero";
		return -EINVAL;
	}
	*ret_usec = total;
	return 0;
}

int dispensation_parse_until(const char *s, uint64_t *ret_usec, const char **reterr_why)
{
	assert(ret_usec);
	assert(reterr_why);

	*reterr_why =
		"a date is YYYY-MM-DD (until the end of that day), YYYY-MM-DDTHH:MM or "
		"YYYY-MM-DD HH:MM, optionally with :SS, in local time, or ending in Z for UTC "
		"or an offset such as +01:00";
	if (!s)
		return -EINVAL;
	return parse_date_time(s, true, ret_usec, reterr_why);
}

int dispensation_parse_device(const char *s, struct dispensation *d, const char **reterr_why)
{
	static const char *const form =
		"a device is VID:PID or VID:PID:SERIAL, VID and PID 4 hex digits each "
		"(e.g. 0781:5581)";
	char *serial = NULL;

	assert(d);
	assert(reterr_why);

	*reterr_why = form;
	if (!s || strlen(s) < 9 || s[4] != ':' || (s[9] != '\0' && s[9] != ':'))
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (!is_hex(s[i]) || !is_hex(s[5 + i]))
			return -EINVAL;
	if (s[9] == ':') {
		const char *ser = s + 10;

		if (!*ser || !printable(ser) || strlen(ser) > DISPENSATION_SERIAL_MAX) {
			*reterr_why =
				"the serial after VID:PID: is empty, longer than 256 bytes or "
				"has control characters";
			return -EINVAL;
		}
		serial = strdup(ser);
		if (!serial)
			return -ENOMEM;
	}
	for (int i = 0; i < 4; i++) {
		d->vendor[i] = (char)tolower((unsigned char)s[i]);
		d->product[i] = (char)tolower((unsigned char)s[5 + i]);
	}
	d->vendor[4] = d->product[4] = '\0';
	d->device = true;
	free(d->serial);
	d->serial = serial;
	return 0;
}

const char *dispensation_device_format(const struct dispensation *d, char *buf, size_t n)
{
	assert(d);
	assert(buf && n > 0);

	if (!d->device)
		(void)snprintf(buf, n, "any device");
	else if (d->serial)
		(void)snprintf(buf, n, "%s:%s:%s", d->vendor, d->product, d->serial);
	else
		(void)snprintf(buf, n, "%s:%s", d->vendor, d->product);
	return buf;
}

const char *dispensation_mode_to_string(enum storage_action a)
{
	return a == STORAGE_ACTION_ALLOW       ? "allow"
	       : a == STORAGE_ACTION_READ_ONLY ? "read-only"
					       : "block";
}

int dispensation_mode_from_string(const char *s, enum storage_action *ret)
{
	if (s && streq(s, "allow"))
		*ret = STORAGE_ACTION_ALLOW;
	else if (s && streq(s, "read-only"))
		*ret = STORAGE_ACTION_READ_ONLY;
	else
		return -EINVAL;
	return 0;
}

bool dispensation_matches_device(const struct dispensation *d, const struct devid *id)
{
	assert(d);
	assert(id);

	if (!d->device)
		return true;
	if (strcasecmp(d->vendor, id->vendor) != 0 || strcasecmp(d->product, id->product) != 0)
		return false;
	return !d->serial || (id->serial && streq(d->serial, id->serial));
}

bool dispensation_matches_person(const struct dispensation *d, const struct policy_person *person)
{
	assert(d);

	if (!person || !person->present || person->unknown || person->locked || !person->user)
		return false;
	return person->uid == d->uid && d->user && streq(person->user, d->user);
}

bool dispensation_applies(const struct dispensation *d,
			  const struct devid *id,
			  const struct policy_person *person,
			  uint64_t now)
{
	return now < d->not_after && dispensation_matches_person(d, person) &&
	       dispensation_matches_device(d, id);
}

void dispensation_list_done(struct dispensation_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		dispensation_done(&l->items[i]);
	free(l->items);
	*l = (struct dispensation_list){ 0 };
}

static int expiry_cmp(const struct dispensation *a, const struct dispensation *b)
{
	if (a->not_after != b->not_after)
		return a->not_after < b->not_after ? -1 : 1;
	return strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

ssize_t dispensation_list_find(const struct dispensation_list *l, const char *id)
{
	assert(l);

	for (size_t i = 0; id && i < l->n; i++)
		if (l->items[i].id && streq(l->items[i].id, id))
			return (ssize_t)i;
	return -ENOENT;
}

int dispensation_list_add(struct dispensation_list *l, const struct dispensation *d)
{
	struct dispensation copy, *items;
	size_t at = 0;

	assert(l);
	assert(d);

	if (dispensation_list_find(l, d->id) >= 0)
		return -EEXIST;
	if (l->n >= DISPENSATION_LIST_MAX)
		return -E2BIG;
	items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	if (dispensation_copy(d, &copy) < 0)
		return -ENOMEM;
	while (at < l->n && expiry_cmp(&l->items[at], &copy) <= 0)
		at++;
	memmove(&l->items[at + 1], &l->items[at], (l->n - at) * sizeof(*items));
	l->items[at] = copy;
	l->n++;
	return 0;
}

void dispensation_list_remove(struct dispensation_list *l, size_t i)
{
	assert(l);
	assert(i < l->n);

	dispensation_done(&l->items[i]);
	memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(*l->items));
	l->n--;
}

static int mode_rank(enum storage_action a)
{
	return a == STORAGE_ACTION_ALLOW ? 2 : a == STORAGE_ACTION_READ_ONLY ? 1 : 0;
}

const struct dispensation *dispensation_list_best(const struct dispensation_list *l,
						  const struct devid *id,
						  const struct policy_person *person,
						  uint64_t now)
{
	const struct dispensation *best = NULL;

	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct dispensation *d = &l->items[i];

		if (!dispensation_applies(d, id, person, now))
			continue;
		/* The list is in expiry order: a later one of the same rank lasts longer. */
		if (!best || mode_rank(d->mode) >= mode_rank(best->mode))
			best = d;
	}
	return best;
}

/* ---- the file ------------------------------------------------------------------------------ */

enum {
	KEY_ID,
	KEY_USER,
	KEY_UID,
	KEY_DEVICE,
	KEY_MODE,
	KEY_NOT_AFTER,
	KEY_GRANTED_AT,
	KEY_GRANTED_BY,
	KEY_GRANTED_BY_UID,
	KEY_TICKET,
	KEY_REASON,
	_KEY_MAX,
};

static const char *const keys[_KEY_MAX] = {
	[KEY_ID] = "id",
	[KEY_USER] = "user",
	[KEY_UID] = "uid",
	[KEY_DEVICE] = "device",
	[KEY_MODE] = "mode",
	[KEY_NOT_AFTER] = "not_after",
	[KEY_GRANTED_AT] = "granted_at",
	[KEY_GRANTED_BY] = "granted_by",
	[KEY_GRANTED_BY_UID] = "granted_by_uid",
	[KEY_TICKET] = "ticket",
	[KEY_REASON] = "reason",
};

struct parser {
	struct dispensation_list *list;
	struct dispensation cur;
	bool in_entry;
	bool bad; /* the current entry has a fault: dropped at its end */
	unsigned entry_line;
	bool seen[_KEY_MAX];
	struct dispensation_fault *faults;
	size_t n_faults;
};

static int fault(struct parser *p, unsigned line, const char *why)
{
	struct dispensation_fault *f;

	if (p->n_faults >= FAULTS_MAX)
		return 0;
	f = realloc(p->faults, (p->n_faults + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->faults = f;
	f[p->n_faults++] = (struct dispensation_fault){ .line = line, .why = why };
	return 0;
}

static int end_entry(struct parser *p)
{
	const char *why;
	int r = 0;

	if (!p->in_entry)
		return 0;
	if (!p->bad) {
		if (dispensation_validate(&p->cur, 0, true, &why) < 0)
			r = fault(p, p->entry_line, why);
		else if (!p->seen[KEY_GRANTED_AT] || !p->seen[KEY_GRANTED_BY_UID])
			r = fault(p, p->entry_line, "the entry lacks granted_at or granted_by_uid");
		else {
			r = dispensation_list_add(p->list, &p->cur);
			if (r == -EEXIST)
				r = fault(p,
					  p->entry_line,
					  "the id appears twice; the first is kept");
			else if (r == -E2BIG)
				r = fault(p, p->entry_line, "more than 4096 dispensations");
		}
	}
	dispensation_done(&p->cur);
	p->in_entry = p->bad = false;
	memset(p->seen, 0, sizeof(p->seen));
	return r;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 19)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

static bool parse_uid(const char *s, uid_t *ret)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v >= UINT32_MAX)
		return false;
	*ret = (uid_t)v;
	return true;
}

/* One "key=value" line of an entry. Returns 0 or -ENOMEM; a fault marks the entry bad. */
static int entry_line(struct parser *p, unsigned line, const char *key, const char *value)
{
	struct dispensation *d = &p->cur;
	const char *why = NULL;
	size_t k;
	int r = 0;

	for (k = 0; k < ELEMENTSOF(keys); k++)
		if (k != KEY_ID && streq(keys[k], key))
			break;
	if (k == ELEMENTSOF(keys))
		why = "unknown key (known: id, user, uid, device, mode, not_after, granted_at, "
		      "granted_by, granted_by_uid, ticket, reason)";
	else if (p->seen[k])
		why = "the key appears twice in the entry";
	else {
		p->seen[k] = true;
		switch (k) {
		case KEY_USER:
			r = dup_or_null(value, &d->user);
			break;
		case KEY_UID:
			if (!parse_uid(value, &d->uid))
				why = "uid is not a number";
			break;
		case KEY_DEVICE:
			r = dispensation_parse_device(value, d, &why);
			if (r == -EINVAL)
				r = 0;
			else
				why = NULL;
			break;
		case KEY_MODE:
			if (dispensation_mode_from_string(value, &d->mode) < 0)
				why = "mode is neither allow nor read-only";
			break;
		case KEY_NOT_AFTER:
			if (!parse_u64(value, &d->not_after))
				why = "not_after is not a number of microseconds";
			break;
		case KEY_GRANTED_AT:
			if (!parse_u64(value, &d->granted_at))
				why = "granted_at is not a number of microseconds";
			break;
		case KEY_GRANTED_BY:
			r = dup_or_null(value, &d->granted_by);
			break;
		case KEY_GRANTED_BY_UID:
			if (!parse_uid(value, &d->granted_by_uid))
				why = "granted_by_uid is not a number";
			break;
		case KEY_TICKET:
			r = dup_or_null(value, &d->ticket);
			break;
		case KEY_REASON:
			r = dup_or_null(value, &d->reason);
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return r;
	if (why && !p->bad) {
		p->bad = true;
		return fault(p, line, why);
	}
	return 0;
}

static int parse_line(struct parser *p, unsigned line, char *s)
{
	char *eq, *key = s;

	if (*s == '\0' || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq) {
		if (p->in_entry && p->bad)
			return 0;
		p->bad = p->in_entry;
		return fault(p, line, "the line is not key=value");
	}
	*eq = '\0';
	if (streq(key, "id")) {
		int r = end_entry(p);

		if (r < 0)
			return r;
		p->in_entry = true;
		p->entry_line = line;
		p->seen[KEY_ID] = true;
		r = dup_or_null(eq + 1, &p->cur.id);
		if (r == 0)
			p->cur.uid = p->cur.granted_by_uid = (uid_t)-1;
		return r;
	}
	if (!p->in_entry) {
		if (streq(key, "format"))
			return streq(eq + 1, "1")
				       ? 0
				       : fault(p, line, "unknown format (vaktd knows 1)");
		return fault(p, line, "a key before the first id= line");
	}
	return entry_line(p, line, key, eq + 1);
}

int dispensation_list_parse(const char *text,
			    size_t size,
			    struct dispensation_list *ret_list,
			    struct dispensation_fault **ret_faults,
			    size_t *ret_n_faults)
{
	struct parser p = { .list = ret_list };
	unsigned line = 0;
	size_t pos = 0;
	int r = 0;

	assert(text || size == 0);
	assert(ret_list);
	assert(ret_faults);
	assert(ret_n_faults);

	dispensation_list_done(ret_list);
	while (pos < size && r >= 0) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (text + pos)) : size - pos;
		char *s;

		line++;
		if (memchr(text + pos, '\0', len)) {
			r = fault(&p, line, "the line has a NUL byte");
			if (p.in_entry)
				p.bad = true;
		} else if (len > 4096) {
			r = fault(&p, line, "the line is longer than 4096 bytes");
			if (p.in_entry)
				p.bad = true;
		} else {
			s = strndup(text + pos, len);
			if (!s) {
				r = -ENOMEM;
				break;
			}
			r = parse_line(&p, line, s);
			free(s);
		}
		pos += len + (nl ? 1 : 0);
	}
	if (r >= 0)
		r = end_entry(&p);
	dispensation_done(&p.cur);
	if (r < 0) {
		free(p.faults);
		dispensation_list_done(ret_list);
		return r;
	}
	*ret_faults = p.faults;
	*ret_n_faults = p.n_faults;
	return 0;
}

int dispensation_list_format(const struct dispensation_list *l, char **ret_text)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	assert(l);
	assert(ret_text);

	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	(void)fputs(
		"# vakt dispensations, written by vaktd (see vakt.conf(5), \"Dispensations\").\n"
		"# Grant and revoke them with vaktctl; times are microseconds since 1970 (UTC).\n"
		"format=1\n",
		f);
	for (size_t i = 0; i < l->n; i++) {
		const struct dispensation *d = &l->items[i];

		(void)fprintf(f, "\nid=%s\nuser=%s\nuid=%u\n", d->id, d->user, (unsigned)d->uid);
		if (d->device) {
			char dev[600];

			(void)fprintf(
				f, "device=%s\n", dispensation_device_format(d, dev, sizeof(dev)));
		}
		(void)fprintf(f,
			      "mode=%s\nnot_after=%" PRIu64 "\ngranted_at=%" PRIu64
			      "\ngranted_by=%s\ngranted_by_uid=%u\nticket=%s\nreason=%s\n",
			      dispensation_mode_to_string(d->mode),
			      d->not_after,
			      d->granted_at,
			      d->granted_by,
			      (unsigned)d->granted_by_uid,
			      d->ticket,
			      d->reason);
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*ret_text = buf;
	return 0;
}
