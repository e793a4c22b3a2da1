#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "strv.h"

#define WHY_DURATION "expected a duration such as 90s, 10min, 2h or 1d"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads decimal digits at *p into *ret_value; -EINVAL when there are none, -ERANGE on overflow. */
static int parse_digits(const char **p, uint64_t *ret_value)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*ret_value = v;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t usec;
} duration_units[] = {
	/* "min" before any shorter suffix it starts with; "s", "h", "d" are unambiguous. */
	{ "min", USEC_PER_MINUTE },
	{ "s", USEC_PER_SEC },
	{ "h", USEC_PER_HOUR },
	{ "d", USEC_PER_DAY },
};

/* Matches a unit suffix at *p that is followed by a digit, a space or the end. */
static int parse_unit(const char **p, uint64_t *ret_usec)
{
	for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
		size_t n = strlen(duration_units[i].suffix);
		char next;

		if (strncmp(*p, duration_units[i].suffix, n) != 0)
			continue;
		next = (*p)[n];
		if (next != '\0' && !is_space(next) && !is_digit(next))
			continue;
		*p += n;
		*ret_usec = duration_units[i].usec;
		return 0;
	}
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *ret_usec, const char **reterr_why)
{
	const char *p = s;
	uint64_t total = 0, n, unit;
	int r;

	while (is_space(*p))
		p++;
	if (*p == '\0')
		goto invalid;

	while (*p != '\0') {
		r = parse_digits(&p, &n);
		if (r == -ERANGE)
			goto range;
		if (r < 0)
			goto invalid;

		if (parse_unit(&p, &unit) < 0) {
			/* A plain number is seconds, but only as the whole value. */
			while (is_space(*p))
				p++;
			if (*p != '\0' || total != 0 || p == s)
				goto invalid;
			unit = USEC_PER_SEC;
		}
		if (n > UINT64_MAX / unit || total > UINT64_MAX - n * unit)
			goto range;
		total += n * unit;

		while (is_space(*p))
			p++;
	}

	*ret_usec = total;
	return 0;

invalid:
	*reterr_why = WHY_DURATION;
	return -EINVAL;
range:
	*reterr_why = "duration too long";
	return -ERANGE;
}

/* Copies [b, e) without surrounding blanks. */
static char *strndup_trimmed(const char *b, const char *e)
{
	while (b < e && is_space(*b))
		b++;
	while (e > b && is_space(e[-1]))
		e--;
	return strndup(b, (size_t)(e - b));
}

int parse_list(const char *s, char ***ret_list, const char **reterr_why)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	const char *p = s;

	if (!l)
		return -ENOMEM;

	while (is_space(*p))
		p++;
	if (*p == '\0') {
		*ret_list = TAKE_PTR(l);
		return 0;
	}

	for (;;) {
		const char *e = p + strcspn(p, ",");
		char *item = strndup_trimmed(p, e);

		if (!item)
			return -ENOMEM;
		if (item[0] == '\0') {
			free(item);
			*reterr_why = "expected a comma-separated list without empty items";
			return -EINVAL;
		}
		if (strv_consume(&l, item) < 0)
			return -ENOMEM;
		if (*e == '\0')
			break;
		p = e + 1;
	}

	*ret_list = TAKE_PTR(l);
	return 0;
}

int parse_enum(
	const char *s, const char *const *names, int n, int *ret_value, const char **reterr_why)
{
	for (int i = 0; i < n; i++)
		if (names[i] && streq(s, names[i])) {
			*ret_value = i;
			return 0;
		}
	*reterr_why = "unknown value";
	return -EINVAL;
}

int parse_bool(const char *s, bool *ret_value, const char **reterr_why)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (streq(s, yes[i])) {
			*ret_value = true;
			return 0;
		}
		if (streq(s, no[i])) {
			*ret_value = false;
			return 0;
		}
	}
	*reterr_why = "expected yes or no";
	return -EINVAL;
}

int parse_uint(
	const char *s, unsigned min, unsigned max, unsigned *ret_value, const char **reterr_why)
{
	const char *p = s;
	uint64_t v;
	int r;

	r = parse_digits(&p, &v);
	if (r == -EINVAL || *p != '\0') {
		*reterr_why = "expected a whole number";
		return -EINVAL;
	}
	if (r == -ERANGE || v < min || v > max) {
		*reterr_why = "number out of range";
		return -ERANGE;
	}
	*ret_value = (unsigned)v;
	return 0;
}

int parse_rate(const char *s, unsigned *ret_count, uint64_t *ret_usec, const char **reterr_why)
{
	static const char why[] = "expected COUNT/DURATION such as 5/5min, with COUNT and "
				  "DURATION greater than 0";
	_cleanup_free_ char *count = NULL;
	const char *slash = strchr(s, '/');
	const char *unused;
	unsigned n;
	uint64_t usec;
	int r;

	if (!slash)
		goto invalid;
	count = strndup_trimmed(s, slash);
	if (!count)
		return -ENOMEM;

	r = parse_uint(count, 0, UINT_MAX, &n, &unused);
	if (r == -ERANGE) {
		*reterr_why = "count too large";
		return r;
	}
	if (r < 0 || n == 0)
		goto invalid;

	r = parse_duration(slash + 1, &usec, reterr_why);
	if (r == -ERANGE)
		return r;
	if (r < 0 || usec == 0)
		goto invalid;

	*ret_count = n;
	*ret_usec = usec;
	return 0;

invalid:
	*reterr_why = why;
	return -EINVAL;
}

const char *parse_duration_format(uint64_t usec, char *buf, size_t n)
{
	static const struct {
		uint64_t usec;
		const char *unit;
	} units[] = {
		{ USEC_PER_DAY, "d" },
		{ USEC_PER_HOUR, "h" },
		{ USEC_PER_MINUTE, "min" },
		{ USEC_PER_SEC, "s" },
	};
	size_t used = 0;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		uint64_t k = usec / units[i].usec;
		int w;

		if (k == 0)
			continue;
		usec -= k * units[i].usec;
		w = snprintf(buf + used,
			     n - used,
			     "%s%" PRIu64 "%s",
			     used > 0 ? " " : "",
			     k,
			     units[i].unit);
		if (w < 0 || (size_t)w >= n - used) {
			buf[used] = '\0'; /* whole units only */
			return buf;
		}
		used += (size_t)w;
	}
	if (used == 0)
		(void)snprintf(buf, n, "0");
	return buf;
}

/* Reads exactly n digits at *p into *ret; advances. */
static bool date_digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

int parse_date_time(const char *s, bool end_of_day, uint64_t *ret_usec, const char **reterr_why)
{
	struct tm tm = { 0 }, check;
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	bool date_only = true, utc = false;
	long offset = 0; /* seconds east of UTC */
	time_t t;

	if (!s || !date_digits(&p, 4, &year) || *p++ != '-' || !date_digits(&p, 2, &mon) ||
	    *p++ != '-' || !date_digits(&p, 2, &day))
		return -EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		date_only = false;
		if (!date_digits(&p, 2, &hour) || *p++ != ':' || !date_digits(&p, 2, &min))
			return -EINVAL;
		if (*p == ':' && (p++, !date_digits(&p, 2, &sec)))
			return -EINVAL;
	}
	if (*p == 'Z') {
		utc = true;
		p++;
	} else if (!date_only && (*p == '+' || *p == '-')) {
		int oh, om = 0, sign = *p++ == '-' ? -1 : 1;

		/* ISO 8601's offset from UTC: +HH, +HH:MM or +HHMM (also -). */
		if (!date_digits(&p, 2, &oh) || (*p == ':' && (p++, !date_digits(&p, 2, &om))) ||
		    (*p >= '0' && *p <= '9' && !date_digits(&p, 2, &om)))
			return -EINVAL;
		if (oh > 23 || om > 59) {
			*reterr_why = "the offset from UTC is out of range";
			return -EINVAL;
		}
		utc = true;
		offset = (long)sign * ((long)oh * 3600 + (long)om * 60);
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
	check = tm;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t < 0) { /* also mktime()'s error, -1 */
		*reterr_why = "the date cannot be represented";
		return -EINVAL;
	}
	/* mktime() normalises 2026-02-31 to March: such a date does not exist. */
	if (!date_only && (tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon)) {
		*reterr_why = "that day does not exist";
		return -EINVAL;
	}
	if (date_only) {
		struct tm probe = { .tm_year = year - 1900,
				    .tm_mon = mon - 1,
				    .tm_mday = day,
				    .tm_hour = 12,
				    .tm_isdst = -1 };

		if (timegm(&probe) == (time_t)-1 || probe.tm_mday != day) {
			*reterr_why = "that day does not exist";
			return -EINVAL;
		}
	}
	if ((long long)t - offset < 0) {
		*reterr_why = "the date cannot be represented";
		return -EINVAL;
	}
	*ret_usec = (uint64_t)((long long)t - offset) * USEC_PER_SEC;
	return 0;
}
