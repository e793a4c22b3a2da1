/* The control protocol: see control-proto.h. */

#include "control-proto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispensation.h"

struct control_msg *control_msg_free(struct control_msg *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		free(m->fields[i].key);
		free(m->fields[i].value);
	}
	free(m->fields);
	free(m);
	return NULL;
}

struct control_msg *control_msg_new(void)
{
	return calloc(1, sizeof(struct control_msg));
}

static bool key_valid(const char *k, size_t n)
{
	if (n == 0 || n > CONTROL_KEY_MAX || k[0] < 'a' || k[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int grow(struct control_msg *m)
{
	struct control_field *f;
	size_t a;

	if (m->n < m->allocated)
		return 0;
	a = m->allocated ? m->allocated * 2 : 16;
	f = reallocarray(m->fields, a, sizeof(*f));
	if (!f)
		return -ENOMEM;
	m->fields = f;
	m->allocated = a;
	return 0;
}

int control_msg_add(struct control_msg *m, const char *key, const char *value)
{
	char *k, *v;
	size_t n;

	if (!key || !key_valid(key, strlen(key)))
		return -EINVAL;
	if (!value)
		value = "";
	n = strlen(value);
	if (n > CONTROL_VALUE_MAX) {
		n = CONTROL_VALUE_MAX;
		while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
			n--;
	}
	if (grow(m) < 0)
		return -ENOMEM;
	k = strdup(key);
	v = strndup(value, n);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	m->fields[m->n].key = k;
	m->fields[m->n].value = v;
	m->n++;
	return 0;
}

int control_msg_addf(struct control_msg *m, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return control_msg_add(m, key, v);
}

const char *control_msg_find(const struct control_msg *m, size_t begin, size_t end, const char *key)
{
	for (size_t i = begin; i < end && i < m->n; i++)
		if (streq(m->fields[i].key, key))
			return m->fields[i].value;
	return NULL;
}

const char *control_msg_get(const struct control_msg *m, const char *key)
{
	return control_msg_find(m, 0, m->n, key);
}

bool control_msg_next_record(const struct control_msg *m,
			     size_t *pos,
			     size_t *ret_begin,
			     size_t *ret_end)
{
	size_t i = *pos;

	while (i < m->n && !streq(m->fields[i].key, "record"))
		i++;
	if (i >= m->n) {
		*pos = m->n;
		return false;
	}
	*ret_begin = i++;
	while (i < m->n && !streq(m->fields[i].key, "record"))
		i++;
	*ret_end = *pos = i;
	return true;
}

/* ---- formatting ---------------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, allocated;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->allocated) {
		size_t a = b->allocated ? b->allocated : 256;
		char *p;

		while (a < b->n + n + 1)
			a *= 2;
		p = realloc(b->p, a);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->allocated = a;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int put_value(struct buf *b, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v);

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		char esc[8];
		size_t l;
		int r;

		if (c == '\\')
			r = buf_put(b, "\\\\", 2);
		else if (c == '\n')
			r = buf_put(b, "\\n", 2);
		else if (c == '\t')
			r = buf_put(b, "\\t", 2);
		else if (c < 0x20 || c == 0x7f) {
			(void)snprintf(esc, sizeof(esc), "\\x%02x", c);
			r = buf_put(b, esc, 4);
		} else if ((l = utf8_len(s + i, n - i)) > 0) {
			r = buf_put(b, v + i, l);
			i += l;
			if (r < 0)
				return r;
			continue;
		} else
			r = buf_put(b, "\xef\xbf\xbd", 3); /* U+FFFD */
		if (r < 0)
			return r;
		i++;
	}
	return 0;
}

int control_format(const struct control_msg *m, char **ret, size_t *ret_len)
{
	struct buf b = {};

	if (buf_put(&b, "", 0) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		if (buf_put(&b, m->fields[i].key, strlen(m->fields[i].key)) < 0 ||
		    buf_put(&b, "=", 1) < 0 || put_value(&b, m->fields[i].value) < 0 ||
		    buf_put(&b, "\n", 1) < 0) {
			free(b.p);
			return -ENOMEM;
		}
	*ret = b.p;
	*ret_len = b.n;
	return 0;
}

/* ---- parsing ------------------------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int bad(char **ret_error, size_t line, const char *what)
{
	if (asprintf(ret_error, "line %zu: %s", line, what) < 0)
		return -ENOMEM;
	return -EBADMSG;
}

/* Unescapes the value text s (n bytes) into a new string. Returns 0, -EBADMSG with *ret_why
 * (static), -ENOMEM. */
static int unescape(const char *s, size_t n, char **ret, const char **ret_why)
{
	_cleanup_free_ char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			int hi, lo, x;

			if (i + 1 >= n) {
				*ret_why = "a backslash ends the value";
				return -EBADMSG;
			}
			switch (s[i + 1]) {
			case '\\':
				out[o++] = '\\';
				i += 2;
				continue;
			case 'n':
				out[o++] = '\n';
				i += 2;
				continue;
			case 't':
				out[o++] = '\t';
				i += 2;
				continue;
			case 'x':
				if (i + 3 >= n || (hi = hexval(s[i + 2])) < 0 ||
				    (lo = hexval(s[i + 3])) < 0) {
					*ret_why = "\\x needs two lowercase hex digits";
					return -EBADMSG;
				}
				x = hi * 16 + lo;
				if (x == 0 || (x >= 0x20 && x != 0x7f)) {
					*ret_why = "\\x may only write a control character other "
						   "than NUL";
					return -EBADMSG;
				}
				out[o++] = (char)x;
				i += 4;
				continue;
			default:
				*ret_why = "unknown escape (only \\\\, \\n, \\t, \\xHH)";
				return -EBADMSG;
			}
		}
		if (c < 0x20 || c == 0x7f) {
			*ret_why = "a raw control character in the value";
			return -EBADMSG;
		}
		size_t l = utf8_len((const unsigned char *)s + i, n - i);
		if (l == 0) {
			*ret_why = "the value is not valid UTF-8";
			return -EBADMSG;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	if (o > CONTROL_VALUE_MAX) {
		*ret_why = "the value is too long";
		return -EBADMSG;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

int control_parse(const char *buf,
		  size_t len,
		  size_t max_fields,
		  struct control_msg **ret_msg,
		  char **ret_error)
{
	_cleanup_(control_msg_freep) struct control_msg *m = control_msg_new();
	size_t line = 0;

	if (!m)
		return -ENOMEM;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		const char *eq;
		const char *why = NULL;
		size_t end, klen;
		char *k, *v = NULL;
		int r;

		line++;
		if (!nl)
			return bad(ret_error, line, "the last line does not end with a newline");
		end = (size_t)(nl - buf);
		eq = memchr(buf + pos, '=', end - pos);
		if (!eq)
			return bad(ret_error, line, "expected KEY=VALUE");
		klen = (size_t)(eq - (buf + pos));
		if (!key_valid(buf + pos, klen))
			return bad(ret_error,
				   line,
				   "the key is not 1 to 32 characters of a-z, 0-9 and _ starting "
				   "with a letter");
		if (m->n >= max_fields)
			return bad(ret_error, line, "too many fields");
		r = unescape(eq + 1, end - (size_t)(eq + 1 - buf), &v, &why);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return bad(ret_error, line, why);
		if (grow(m) < 0) {
			free(v);
			return -ENOMEM;
		}
		k = strndup(buf + pos, klen);
		if (!k) {
			free(v);
			return -ENOMEM;
		}
		m->fields[m->n].key = k;
		m->fields[m->n].value = v;
		m->n++;
		pos = end + 1;
	}
	*ret_msg = TAKE_PTR(m);
	return 0;
}

/* ---- requests ------------------------------------------------------------------------------ */

struct verb_def {
	const char *name;
	const char *const *required;
	const char *const *optional;
};

static const char *const none[] = { NULL };
static const char *const device_key[] = { "device", NULL };
static const char *const user_key[] = { "user", NULL };
static const char *const grant_required[] = { "user", "ticket", "reason", NULL };
static const char *const grant_optional[] = { "device", "mode", "until", "for", NULL };
static const char *const id_key[] = { "id", NULL };

static const struct verb_def verbs[_CONTROL_VERB_MAX] = {
	[CONTROL_VERB_STATUS] = { "status", none, none },
	[CONTROL_VERB_DEVICES] = { "devices", none, none },
	[CONTROL_VERB_SESSIONS] = { "sessions", none, none },
	[CONTROL_VERB_EXPLAIN] = { "explain", device_key, user_key },
	[CONTROL_VERB_RULE] = { "rule", device_key, none },
	[CONTROL_VERB_GRANT] = { "grant", grant_required, grant_optional },
	[CONTROL_VERB_REVOKE] = { "revoke", id_key, none },
	[CONTROL_VERB_DISPENSATIONS] = { "dispensations", none, none },
};

const char *control_verb_to_string(enum control_verb v)
{
	if ((unsigned)v >= _CONTROL_VERB_MAX)
		return NULL;
	return verbs[v].name;
}

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (streq(*l, s))
			return true;
	return false;
}

int control_request_check(const struct control_msg *req,
			  enum control_verb *ret_verb,
			  char **ret_error)
{
	const struct verb_def *d = NULL;
	enum control_verb v;
	int r;

	if (req->n == 0 || !streq(req->fields[0].key, "verb"))
		r = asprintf(ret_error, "a request starts with verb=");
	else {
		for (v = 0; v < _CONTROL_VERB_MAX; v++)
			if (streq(verbs[v].name, req->fields[0].value)) {
				d = &verbs[v];
				break;
			}
		if (!d)
			r = asprintf(ret_error, "unknown verb");
		else
			goto known;
	}
	return r < 0 ? -ENOMEM : -EINVAL;

known:
	for (size_t i = 1; i < req->n; i++) {
		const char *k = req->fields[i].key;

		if (!in_list(d->required, k) && !in_list(d->optional, k)) {
			r = asprintf(ret_error, "%s takes no field '%s'", d->name, k);
			return r < 0 ? -ENOMEM : -EINVAL;
		}
		if (control_msg_find(req, 1, i, k)) {
			r = asprintf(ret_error, "field '%s' given twice", k);
			return r < 0 ? -ENOMEM : -EINVAL;
		}
	}
	for (const char *const *k = d->required; *k; k++) {
		const char *val = control_msg_get(req, *k);

		if (!val || !*val) {
			r = asprintf(ret_error, "%s needs a non-empty '%s'", d->name, *k);
			return r < 0 ? -ENOMEM : -EINVAL;
		}
	}
	if (v == CONTROL_VERB_GRANT) {
		struct dispensation want = { 0 };

		r = control_grant_request(req, 0, &want, ret_error);
		dispensation_done(&want);
		if (r < 0)
			return r;
	}
	if (v == CONTROL_VERB_REVOKE && !dispensation_id_valid(control_msg_get(req, "id"))) {
		r = asprintf(ret_error,
			     "revoke: the id is not a dispensation id (\"d-\" and 8 lowercase hex "
			     "digits, as \"vaktctl dispensations\" lists them)");
		return r < 0 ? -ENOMEM : -EINVAL;
	}
	*ret_verb = v;
	return 0;
}

/* The latest "until" accepted: 9999-12-31T23:59:59Z, as dispensation_parse_until() allows. */
#define UNTIL_MAX_SEC UINT64_C(253402300799)

static int grant_refuse(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int grant_refuse(char **ret_error, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(ret_error, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*ret_error = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

int control_grant_request(const struct control_msg *req,
			  uint64_t now,
			  struct dispensation *ret,
			  char **ret_error)
{
	const char *until = control_msg_get(req, "until"), *dur = control_msg_get(req, "for");
	const char *device = control_msg_get(req, "device"), *mode = control_msg_get(req, "mode");
	const char *why;
	struct dispensation d = { .mode = STORAGE_ACTION_ALLOW };
	int r;

	*ret_error = NULL;
	if (!until == !dur) {
		r = grant_refuse(ret_error,
				 "grant needs exactly one of 'until' (the end, seconds since the "
				 "epoch) and 'for' (a duration such as 8h)");
		goto fail;
	}
	if (until) {
		uint64_t sec = 0;
		const char *p = until;

		for (; *p >= '0' && *p <= '9' && sec <= UNTIL_MAX_SEC; p++)
			sec = sec * 10 + (uint64_t)(*p - '0');
		if (!*until || *p || sec == 0 || sec > UNTIL_MAX_SEC) {
			r = grant_refuse(ret_error,
					 "grant: 'until' is not a time in seconds since the epoch "
					 "(1 to %" PRIu64 ")",
					 UNTIL_MAX_SEC);
			goto fail;
		}
		d.not_after = sec * USEC_PER_SEC;
	} else {
		uint64_t usec;

		if (dispensation_parse_duration(dur, &usec, &why) < 0) {
			r = grant_refuse(ret_error, "grant: 'for' %s: %s", dur, why);
			goto fail;
		}
		/* Checking the form only: any time, so that the duration is what is checked. */
		d.not_after = (now ? now : USEC_PER_SEC) + usec;
	}
	if (mode && dispensation_mode_from_string(mode, &d.mode) < 0) {
		r = grant_refuse(
			ret_error, "grant: the mode is allow or read-only, not '%s'", mode);
		goto fail;
	}
	if (device) {
		r = dispensation_parse_device(device, &d, &why);
		if (r == -ENOMEM)
			goto fail;
		if (r < 0) {
			r = grant_refuse(ret_error, "grant: '%s': %s", device, why);
			goto fail;
		}
	}
	d.user = strdup(control_msg_get(req, "user"));
	d.ticket = strdup(control_msg_get(req, "ticket"));
	d.reason = strdup(control_msg_get(req, "reason"));
	/* Stand-ins for what the caller fills, so that the rest is validated. */
	d.granted_by = strdup("root");
	if (!d.user || !d.ticket || !d.reason || !d.granted_by) {
		r = -ENOMEM;
		goto fail;
	}
	d.granted_at = now;
	if (dispensation_validate(&d, now, false, &why) < 0) {
		r = grant_refuse(ret_error, "grant: %s", why);
		goto fail;
	}
	free(d.granted_by);
	d.granted_by = NULL;
	d.granted_at = 0;
	*ret = d;
	return 0;
fail:
	dispensation_done(&d);
	return r;
}

struct control_msg *control_error_reply(const char *code, const char *fmt, ...)
{
	_cleanup_(control_msg_freep) struct control_msg *m = control_msg_new();
	_cleanup_free_ char *text = NULL;
	va_list ap;
	int r;

	if (!m)
		return NULL;
	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0 || control_msg_add(m, "status", "error") < 0 ||
	    control_msg_add(m, "code", code) < 0 || control_msg_add(m, "error", text) < 0)
		return NULL;
	return TAKE_PTR(m);
}
