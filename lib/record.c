#include "record.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

#define FIELD_NAME_MAX 64

/* Every field is kept as one "NAME=value" string, so iovecs can point straight at it. Field 0 is
 * always PRIORITY. */
struct record {
	int priority;
	size_t n_fields;
	size_t n_allocated;
	char **fields;
	/* The length of each field's name (<= FIELD_NAME_MAX): a lookup compares lengths before
	 * bytes. Every field is looked up among those before it when added, most names share the
	 * "VAKT_" prefix, and replay writes tens of thousands of records per second. */
	unsigned char *name_lens;
};

/* Whether the len bytes at name are a valid field name (see record.h). */
static bool field_name_valid_n(const char *name, size_t len)
{
	if (len == 0 || len > FIELD_NAME_MAX || name[0] == '_' ||
	    (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return false;
	return true;
}

bool record_field_name_valid(const char *name)
{
	return name && field_name_valid_n(name, strnlen(name, FIELD_NAME_MAX + 1));
}

static bool priority_value_valid(const char *value)
{
	return value[0] >= '0' && value[0] <= '7' && value[1] == '\0';
}

struct record *record_new(int priority)
{
	_cleanup_free_ char **fields = NULL;
	struct record *r;

	if (priority < 0 || priority > 7)
		return NULL;
	fields = calloc(4, sizeof(char *));
	if (!fields || asprintf(&fields[0], "PRIORITY=%d", priority) < 0)
		return NULL;

	/* Plain free() on this path: GCC pairs calloc() with free(), not with record_free(). */
	r = calloc(1, sizeof(*r));
	if (r)
		r->name_lens = calloc(4, 1);
	if (!r || !r->name_lens) {
		free(r);
		free(fields[0]);
		return NULL;
	}
	r->priority = priority;
	r->fields = TAKE_PTR(fields);
	r->name_lens[0] = (unsigned char)strlen("PRIORITY");
	r->n_fields = 1;
	r->n_allocated = 4;
	return r;
}

struct record *record_free(struct record *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_fields; i++)
		free(r->fields[i]);
	free(r->fields);
	free(r->name_lens);
	free(r);
	return NULL;
}

/* Index of the field called name (name_len bytes), or -1. */
static ssize_t record_find(const struct record *r, const char *name, size_t name_len)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (r->name_lens[i] == name_len && memcmp(r->fields[i], name, name_len) == 0)
			return (ssize_t)i;
	return -1;
}

/* Adds (or replaces) the field "name=value", given as name_len + value_len bytes. The hot path of
 * every record: one allocation, no formatting. */
static int
record_put(struct record *r, const char *name, size_t name_len, const char *value, size_t value_len)
{
	bool is_priority = name_len == 8 && memcmp(name, "PRIORITY", 8) == 0;
	char *field;
	ssize_t i;

	if (!field_name_valid_n(name, name_len))
		return -EINVAL;
	if (is_priority && !priority_value_valid(value))
		return -EINVAL;

	i = record_find(r, name, name_len);
	if (i < 0 && r->n_fields == r->n_allocated) {
		size_t n = r->n_allocated * 2;
		char **t = reallocarray(r->fields, n, sizeof(char *));
		unsigned char *l;

		if (!t)
			return -ENOMEM;
		r->fields = t;
		/* n_allocated grows only once both arrays have room. */
		l = realloc(r->name_lens, n);
		if (!l)
			return -ENOMEM;
		r->name_lens = l;
		r->n_allocated = n;
	}
	field = malloc(name_len + 1 + value_len + 1);
	if (!field)
		return -ENOMEM;
	/* Sized above; glibc has no memcpy_s (C11 Annex K) to use instead. */
	/* NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
	memcpy(field, name, name_len);
	field[name_len] = '=';
	memcpy(field + name_len + 1, value, value_len);
	/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
	field[name_len + 1 + value_len] = '\0';

	if (i >= 0) {
		free(r->fields[i]);
		r->fields[i] = field;
	} else {
		r->name_lens[r->n_fields] = (unsigned char)name_len;
		r->fields[r->n_fields++] = field;
	}

	if (is_priority)
		r->priority = value[0] - '0';
	return 0;
}

int record_add(struct record *r, const char *name, const char *value)
{
	if (!name || !value)
		return -EINVAL;
	return record_put(r, name, strnlen(name, FIELD_NAME_MAX + 1), value, strlen(value));
}

int record_add_assignment(struct record *r, const char *assignment)
{
	const char *eq = strchr(assignment, '=');

	if (!eq)
		return -EINVAL;
	return record_put(r, assignment, (size_t)(eq - assignment), eq + 1, strlen(eq + 1));
}

const char *record_get(const struct record *r, const char *name)
{
	size_t len = strlen(name);
	ssize_t i = record_find(r, name, len);

	return i < 0 ? NULL : r->fields[i] + len + 1;
}

int record_priority(const struct record *r)
{
	return r->priority;
}

size_t record_n_fields(const struct record *r)
{
	return r->n_fields;
}

int record_to_iovec(const struct record *r, struct iovec **ret_iov)
{
	struct iovec *iov = calloc(r->n_fields, sizeof(struct iovec));

	if (!iov)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_fields; i++) {
		iov[i].iov_base = r->fields[i];
		iov[i].iov_len = strlen(r->fields[i]);
	}
	*ret_iov = iov;
	return (int)r->n_fields;
}

/* Length of the valid UTF-8 sequence at s (at most left bytes; no overlong forms, surrogates or
 * code points above U+10FFFF), 0 when s does not start one. The code point goes to *ret_cp. */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > left)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* Output under construction; a failed allocation sets oom and stops further appends. */
struct outbuf {
	char *data;
	size_t len;
	size_t allocated;
	bool oom;
};

static void out_put(struct outbuf *o, const void *p, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n > o->allocated) {
		size_t a = o->allocated > 0 ? o->allocated : 1024; /* one record fits */
		char *d;

		while (a < o->len + n)
			a *= 2;
		d = realloc(o->data, a);
		if (!d) {
			o->oom = true;
			return;
		}
		o->data = d;
		o->allocated = a;
	}
	/* The room was made above; glibc has no memcpy_s (C11 Annex K) to use instead. */
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
	memcpy(o->data + o->len, p, n);
	o->len += n;
}

static void out_puts(struct outbuf *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_putc(struct outbuf *o, char c)
{
	out_put(o, &c, 1);
}

/* Appends prefix ("\\u00" or "\\x") and byte as two lower-case hex digits. */
static void out_hex(struct outbuf *o, const char *prefix, unsigned char byte)
{
	static const char hex[] = "0123456789abcdef";

	out_puts(o, prefix);
	out_putc(o, hex[byte >> 4]);
	out_putc(o, hex[byte & 0xf]);
}

/* Writes the output to f in one call and frees it. */
static int out_flush(struct outbuf *o, FILE *f)
{
	_cleanup_free_ char *data = TAKE_PTR(o->data);

	if (o->oom)
		return -ENOMEM;
	errno = 0;
	if (fwrite(data, 1, o->len, f) != o->len)
		return errno > 0 ? -errno : -EIO;
	return 0;
}

/* Whether byte c goes into a JSON string as it is: printable ASCII except '"' and '\\'. */
static bool json_byte_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void json_put_string(struct outbuf *o, const char *s, size_t left)
{
	const unsigned char *p = (const unsigned char *)s;

	out_putc(o, '"');
	while (left > 0) {
		uint32_t cp = 0;
		size_t len = 0;

		/* Most values are plain ASCII: copy such runs at once. */
		while (len < left && json_byte_plain(p[len]))
			len++;
		if (len > 0) {
			out_put(o, p, len);
			p += len;
			left -= len;
			continue;
		}

		len = utf8_decode(p, left, &cp);
		if (len == 0) {
			out_puts(o, "\\ufffd");
			len = 1;
		} else if (cp == '"')
			out_puts(o, "\\\"");
		else if (cp == '\\')
			out_puts(o, "\\\\");
		else if (cp == '\n')
			out_puts(o, "\\n");
		else if (cp == '\t')
			out_puts(o, "\\t");
		else if (cp == '\r')
			out_puts(o, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			out_hex(o, "\\u00", (unsigned char)cp);
		else
			out_put(o, p, len);
		p += len;
		left -= len;
	}
	out_putc(o, '"');
}

int record_write_json(const struct record *r, FILE *f)
{
	struct outbuf o = { 0 };

	out_putc(&o, '{');
	for (size_t i = 0; i < r->n_fields; i++) {
		const char *eq = strchr(r->fields[i], '=');

		if (i > 0)
			out_putc(&o, ',');
		json_put_string(&o, r->fields[i], eq - r->fields[i]);
		out_putc(&o, ':');
		json_put_string(&o, eq + 1, strlen(eq + 1));
	}
	out_puts(&o, "}\n");
	return out_flush(&o, f);
}

int record_write_json_string(const char *s, FILE *f)
{
	struct outbuf o = { 0 };

	json_put_string(&o, s, strlen(s));
	return out_flush(&o, f);
}

/* Whether a code point must be escaped on the console: C0 and C1 controls, DEL. */
static bool console_cp_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

static bool console_needs_quotes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	if (left == 0)
		return true;
	while (left > 0) {
		uint32_t cp = 0;
		size_t len = utf8_decode(p, left, &cp);

		if (len == 0 || console_cp_is_control(cp) || cp == ' ' || cp == '"' || cp == '\'' ||
		    cp == '\\' || cp == ']')
			return true;
		p += len;
		left -= len;
	}
	return false;
}

/* Appends s with C-style escapes for '"', '\\', control characters and invalid UTF-8. */
static void console_put_escaped(struct outbuf *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left > 0) {
		uint32_t cp = 0;
		size_t len = utf8_decode(p, left, &cp);

		if (len == 0 || console_cp_is_control(cp)) {
			if (len == 0)
				len = 1;
			if (cp == '\n')
				out_puts(o, "\\n");
			else if (cp == '\t')
				out_puts(o, "\\t");
			else if (cp == '\r')
				out_puts(o, "\\r");
			else
				for (size_t i = 0; i < len; i++)
					out_hex(o, "\\x", p[i]);
		} else if (cp == '"' || cp == '\\') {
			out_putc(o, '\\');
			out_putc(o, (char)cp);
		} else
			out_put(o, p, len);
		p += len;
		left -= len;
	}
}

int record_write_console(const struct record *r, FILE *f)
{
	const char *message = record_get(r, "MESSAGE");
	struct outbuf o = { 0 };
	bool first = true;

	if (message) {
		console_put_escaped(&o, message);
		out_putc(&o, ' ');
	}
	out_putc(&o, '[');
	for (size_t i = 0; i < r->n_fields; i++) {
		const char *eq = strchr(r->fields[i], '=');

		if (strncmp(r->fields[i], "MESSAGE=", strlen("MESSAGE=")) == 0)
			continue;
		if (!first)
			out_putc(&o, ' ');
		first = false;
		out_put(&o, r->fields[i], eq - r->fields[i] + 1);
		if (console_needs_quotes(eq + 1)) {
			out_putc(&o, '"');
			console_put_escaped(&o, eq + 1);
			out_putc(&o, '"');
		} else
			out_puts(&o, eq + 1);
	}
	out_puts(&o, "]\n");
	return out_flush(&o, f);
}
