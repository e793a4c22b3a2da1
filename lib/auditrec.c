#include "auditrec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auditasm.h"

/*
 * Record parsing: types, the "type=NAME msg=audit(S.M:N): " header, and the fields. The parser
 * works in place on the caller's text (never past len, NUL-terminated or not) and allocates
 * nothing: the hot path of --replay-audit.
 *
 * snprintf() and memcpy() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

struct type_name {
	int type;
	const char *name;
	size_t len; /* strlen(name), so that lookups by name compare lengths first */
};

#define TYPE(number, name)                     \
	{                                      \
		number, name, sizeof(name) - 1 \
	}

/* Most frequent first: a lookup by name scans the table, and a kernel event's records (SYSCALL,
 * PATH, CWD, EXECVE, PROCTITLE, EOE) outnumber everything else in a real log. */
static const struct type_name type_names[] = {
	TYPE(1300, "SYSCALL"),
	TYPE(1302, "PATH"),
	TYPE(1307, "CWD"),
	TYPE(1309, "EXECVE"),
	TYPE(1327, "PROCTITLE"),
	TYPE(1320, "EOE"),
	TYPE(1303, "IPC"),
	TYPE(1304, "SOCKETCALL"),
	TYPE(1305, "CONFIG_CHANGE"),
	TYPE(1306, "SOCKADDR"),
	TYPE(1311, "IPC_SET_PERM"),
	TYPE(1312, "MQ_OPEN"),
	TYPE(1318, "FD_PAIR"),
	TYPE(1321, "BPRM_FCAPS"),
	TYPE(1322, "CAPSET"),
	TYPE(1323, "MMAP"),
	TYPE(1324, "NETFILTER_PKT"),
	TYPE(1325, "NETFILTER_CFG"),
	TYPE(1326, "SECCOMP"),
	TYPE(1328, "FEATURE_CHANGE"),
	TYPE(1329, "REPLACE"),
	TYPE(1330, "KERN_MODULE"),
	TYPE(1331, "FANOTIFY"),
	TYPE(1332, "TIME_INJOFFSET"),
	TYPE(1333, "TIME_ADJNTPVAL"),
	TYPE(1334, "BPF"),
	TYPE(1335, "EVENT_LISTENER"),
	TYPE(1336, "URINGOP"),
	TYPE(1337, "OPENAT2"),
	TYPE(1338, "DM_CTRL"),
	TYPE(1339, "DM_EVENT"),
	TYPE(1100, "USER_AUTH"),
	TYPE(1101, "USER_ACCT"),
	TYPE(1102, "USER_MGMT"),
	TYPE(1103, "CRED_ACQ"),
	TYPE(1104, "CRED_DISP"),
	TYPE(1105, "USER_START"),
	TYPE(1106, "USER_END"),
	TYPE(1107, "USER_AVC"),
	TYPE(1108, "USER_CHAUTHTOK"),
	TYPE(1109, "USER_ERR"),
	TYPE(1110, "CRED_REFR"),
	TYPE(1111, "USYS_CONFIG"),
	TYPE(1112, "USER_LOGIN"),
	TYPE(1113, "USER_LOGOUT"),
	TYPE(1114, "ADD_USER"),
	TYPE(1115, "DEL_USER"),
	TYPE(1116, "ADD_GROUP"),
	TYPE(1117, "DEL_GROUP"),
	TYPE(1118, "DAC_CHECK"),
	TYPE(1119, "CHGRP_ID"),
	TYPE(1120, "TEST"),
	TYPE(1121, "TRUSTED_APP"),
	TYPE(1122, "USER_SELINUX_ERR"),
	TYPE(1123, "USER_CMD"),
	TYPE(1124, "USER_TTY"),
	TYPE(1125, "CHUSER_ID"),
	TYPE(1126, "GRP_AUTH"),
	TYPE(1127, "SYSTEM_BOOT"),
	TYPE(1128, "SYSTEM_SHUTDOWN"),
	TYPE(1129, "SYSTEM_RUNLEVEL"),
	TYPE(1130, "SERVICE_START"),
	TYPE(1131, "SERVICE_STOP"),
	TYPE(1132, "GRP_MGMT"),
	TYPE(1133, "GRP_CHAUTHTOK"),
	TYPE(1134, "MAC_CHECK"),
	TYPE(1135, "ACCT_LOCK"),
	TYPE(1136, "ACCT_UNLOCK"),
	TYPE(1137, "USER_DEVICE"),
	TYPE(1138, "SOFTWARE_UPDATE"),
	TYPE(1200, "DAEMON_START"),
	TYPE(1201, "DAEMON_END"),
	TYPE(1202, "DAEMON_ABORT"),
	TYPE(1203, "DAEMON_CONFIG"),
	TYPE(1204, "DAEMON_RECONFIG"),
	TYPE(1205, "DAEMON_ROTATE"),
	TYPE(1206, "DAEMON_RESUME"),
	TYPE(1207, "DAEMON_ACCEPT"),
	TYPE(1208, "DAEMON_CLOSE"),
	TYPE(1209, "DAEMON_ERR"),
	TYPE(1006, "LOGIN"),
	TYPE(1400, "AVC"),
	TYPE(1700, "ANOM_PROMISCUOUS"),
	TYPE(1701, "ANOM_ABEND"),
	TYPE(1702, "ANOM_LINK"),
	TYPE(1703, "ANOM_CREAT"),
	TYPE(2100, "ANOM_LOGIN_FAILURES"),
	TYPE(2101, "ANOM_LOGIN_TIME"),
	TYPE(2102, "ANOM_LOGIN_SESSIONS"),
	TYPE(2103, "ANOM_LOGIN_ACCT"),
	TYPE(2104, "ANOM_LOGIN_LOCATION"),
	TYPE(2105, "ANOM_MAX_DAC"),
	TYPE(2106, "ANOM_MAX_MAC"),
	TYPE(2107, "ANOM_AMTU_FAIL"),
	TYPE(2108, "ANOM_RBAC_FAIL"),
	TYPE(2109, "ANOM_RBAC_INTEGRITY_FAIL"),
	TYPE(2110, "ANOM_CRYPTO_FAIL"),
	TYPE(2111, "ANOM_ACCESS_FS"),
	TYPE(2112, "ANOM_EXEC"),
	TYPE(2113, "ANOM_MK_EXEC"),
	TYPE(2114, "ANOM_ADD_ACCT"),
	TYPE(2115, "ANOM_DEL_ACCT"),
	TYPE(2116, "ANOM_MOD_ACCT"),
	TYPE(2117, "ANOM_ROOT_TRANS"),
	TYPE(2118, "ANOM_LOGIN_SERVICE"),
	TYPE(2119, "ANOM_LOGIN_ROOT"),
	TYPE(2120, "ANOM_ORIGIN_FAILURES"),
	TYPE(2121, "ANOM_SESSION"),
	TYPE(2300, "USER_ROLE_CHANGE"),
	TYPE(2301, "ROLE_ASSIGN"),
	TYPE(2302, "ROLE_REMOVE"),
	TYPE(2309, "USER_MAC_CONFIG_CHANGE"),
	TYPE(2310, "USER_MAC_STATUS"),
};

const char *auditrec_type_to_name(int type)
{
	for (size_t i = 0; i < ELEMENTSOF(type_names); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

static bool parse_u64(const char *s, size_t len, uint64_t *ret_value)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret_value = v;
	return true;
}

int auditrec_type_from_name(const char *name, size_t len)
{
	uint64_t v;

	/* libaudit writes types it has no name for as UNKNOWN[1234]. */
	if (len > 9 && memcmp(name, "UNKNOWN[", 8) == 0 && name[len - 1] == ']') {
		if (!parse_u64(name + 8, len - 9, &v) || v > 65535)
			return -ENOENT;
		return (int)v;
	}
	for (size_t i = 0; i < ELEMENTSOF(type_names); i++)
		if (type_names[i].len == len && type_names[i].name[0] == name[0] &&
		    memcmp(type_names[i].name, name, len) == 0)
			return type_names[i].type;
	return -ENOENT;
}

bool auditrec_type_is_single(int type)
{
	return (type >= 1100 && type <= 1299) || (type >= 2100 && type <= 2999);
}

char *auditrec_id_format(const struct auditrec_id *id, char *buf)
{
	(void)snprintf(buf,
		       AUDITREC_ID_MAX,
		       "%" PRIu64 ".%03" PRIu32 ":%" PRIu64,
		       id->sec,
		       id->msec,
		       id->serial);
	return buf;
}

int auditrec_id_compare(const struct auditrec_id *a, const struct auditrec_id *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->msec != b->msec)
		return a->msec < b->msec ? -1 : 1;
	if (a->serial != b->serial)
		return a->serial < b->serial ? -1 : 1;
	return 0;
}

/* Length of the token at s (up to end) that ends at a space. */
static size_t token_len(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p != ' ')
		p++;
	return (size_t)(p - s);
}

static bool starts_with(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* Parses the digits at *pp (at most max_digits, at least one) up to end; moves *pp past them. */
static bool parse_digits(const char **pp, const char *end, size_t max_digits, uint64_t *ret_value)
{
	const char *p = *pp;
	uint64_t v = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if ((size_t)(p - *pp) == max_digits)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == *pp)
		return false;
	*ret_value = v;
	*pp = p;
	return true;
}

/* Parses "audit(SEC.MSEC:SERIAL):" at *pp; moves *pp past it and the spaces after. */
static int parse_stamp(const char **pp, const char *end, struct auditrec_id *ret_id)
{
	const char *p = *pp;
	uint64_t sec, msec, serial;

	if (!starts_with(p, end, "audit("))
		return -EINVAL;
	p += 6;
	if (!parse_digits(&p, end, 19, &sec) || p >= end || *p != '.')
		return -EINVAL;
	p++;
	if (!parse_digits(&p, end, 3, &msec) || p >= end || *p != ':')
		return -EINVAL;
	p++;
	if (!parse_digits(&p, end, 19, &serial) || p >= end || *p != ')')
		return -EINVAL;
	p++;
	if (p < end && *p == ':')
		p++;
	while (p < end && *p == ' ')
		p++;

	*ret_id = (struct auditrec_id){ .sec = sec, .msec = (uint32_t)msec, .serial = serial };
	*pp = p;
	return 0;
}

/* The length of the record proper: up to a NUL, without a trailing newline. */
static size_t record_len(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);

	if (nul)
		len = (size_t)(nul - text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	return len;
}

int auditrec_parse_header(const char *text,
			  size_t len,
			  int type,
			  int *ret_type,
			  struct auditrec_id *ret_id,
			  size_t *ret_body)
{
	const char *p = text, *end;
	struct auditrec_id id;
	int r;

	len = record_len(text, len);
	end = text + len;

	/* auditd with name_format writes "node=NAME " first. */
	if (starts_with(p, end, "node=")) {
		p += token_len(p, end);
		while (p < end && *p == ' ')
			p++;
	}
	if (starts_with(p, end, "type=")) {
		size_t n = token_len(p + 5, end);

		/* A netlink record's number is authoritative; only text lines need the name. */
		if (type < 0)
			type = auditrec_type_from_name(p + 5, n);
		p += 5 + n;
		while (p < end && *p == ' ')
			p++;
	}
	if (type < 0)
		return -EINVAL;
	if (starts_with(p, end, "msg="))
		p += 4;

	r = parse_stamp(&p, end, &id);
	if (r < 0)
		return r;

	*ret_type = type;
	*ret_id = id;
	*ret_body = (size_t)(p - text);
	return 0;
}

struct field_sink {
	struct auditrec_field *fields;
	size_t max;
	size_t n;
};

static void sink_add(struct field_sink *s,
		     const char *name,
		     size_t name_len,
		     const char *value,
		     size_t value_len,
		     bool quoted)
{
	if (s->n >= s->max || name_len == 0 || name_len > UINT32_MAX || value_len > UINT32_MAX)
		return;
	s->fields[s->n++] = (struct auditrec_field){
		.name = name,
		.value = value,
		.name_len = (uint32_t)name_len,
		.value_len = (uint32_t)value_len,
		.quoted = quoted,
	};
}

/* Character classes of the field scanner, looked up once per byte. */
enum {
	CHAR_SEP = 1, /* between fields: space, or 0x1d before auditd's enriched fields */
	CHAR_EQ = 2,  /* ends a field name */
};

static const unsigned char char_class[256] = {
	[' '] = CHAR_SEP,
	['\x1d'] = CHAR_SEP,
	['='] = CHAR_EQ,
};

static bool is_sep(char c)
{
	return char_class[(unsigned char)c] & CHAR_SEP;
}

/* Skips to the next byte of one of the classes in mask, or end. */
static const char *skip_until(const char *p, const char *end, unsigned mask)
{
	while (p < end && !(char_class[(unsigned char)*p] & mask))
		p++;
	return p;
}

/* Whether the token at p (up to a separator) contains '='. */
static bool token_has_eq(const char *p, const char *end)
{
	p = skip_until(p, end, CHAR_SEP | CHAR_EQ);
	return p < end && *p == '=';
}

/* Where a user-space record's msg='...' lies, to be parsed after the outer fields. */
struct inner_range {
	const char *begin;
	const char *end;
};

/*
 * The closing quote of a user-space record's msg='...' whose opening quote is at open: the LAST
 * "'" of the record (before auditd's enriched part, which starts at 0x1d). libaudit does not
 * encode "'" in the values it writes inside (cwd="/tmp/it's-fine"), so the first "'" after the
 * opening one may lie inside a value; nothing after the message comes from the user. NULL when
 * there is none.
 */
static const char *msg_close(const char *open, const char *end)
{
	const char *gs = memchr(open + 1, '\x1d', (size_t)(end - open - 1));

	return memrchr(open + 1, '\'', (size_t)((gs ? gs : end) - open - 1));
}

static bool is_msg(const char *name, size_t name_len, char q)
{
	return q == '\'' && name_len == 3 && memcmp(name, "msg", 3) == 0;
}

/* Parses one value at p (after "name="); returns the position after it. */
static const char *parse_value(const char *name,
			       size_t name_len,
			       const char *p,
			       const char *end,
			       struct inner_range *inner,
			       struct field_sink *s)
{
	const char *v = p;

	if (p < end && (*p == '"' || *p == '\'')) {
		char q = *p;
		bool msg = inner && !inner->begin && is_msg(name, name_len, q);
		const char *close =
			msg ? msg_close(p, end) : memchr(p + 1, q, (size_t)(end - p - 1));
		const char *vend = close ? close : end;

		/* A user-space record's fields live in msg='...': list them as fields. */
		if (msg)
			*inner = (struct inner_range){ .begin = p + 1, .end = vend };
		else
			sink_add(s, name, name_len, p + 1, (size_t)(vend - p - 1), true);
		return close ? close + 1 : end;
	}

	p = skip_until(p, end, CHAR_SEP);
	/* Inside msg='...', shadow-utils writes op values with spaces (op=adding user to group):
	 * words without '=' belong to the value before them. */
	if (!inner)
		while (p < end && *p == ' ' && p + 1 < end && !is_sep(p[1]) &&
		       !token_has_eq(p + 1, end))
			p = skip_until(p + 1, end, CHAR_SEP);
	sink_add(s, name, name_len, v, (size_t)(p - v), false);
	return p;
}

/* Parses name=value fields in [p, end). inner is NULL inside msg='...', else it receives where
 * msg='...' is. */
static void
parse_level(const char *p, const char *end, struct inner_range *inner, struct field_sink *s)
{
	while (p < end) {
		const char *name;

		while (p < end && is_sep(*p))
			p++;
		name = p;
		p = skip_until(p, end, CHAR_SEP | CHAR_EQ);
		if (p >= end)
			break;
		if (*p != '=')
			continue; /* a word without '=': not a field */
		p = parse_value(name, (size_t)(p - name), p + 1, end, inner, s);
	}
}

static void parse_fields(const char *p, const char *end, struct field_sink *s)
{
	struct inner_range inner = { 0 };

	parse_level(p, end, &inner, s);
	if (inner.begin)
		parse_level(inner.begin, inner.end, NULL, s);
}

size_t auditrec_parse_fields(const char *body,
			     size_t len,
			     struct auditrec_field *fields,
			     size_t max_fields)
{
	struct field_sink sink = { .fields = fields, .max = max_fields };

	parse_fields(body, body + len, &sink);
	return sink.n;
}

int auditrec_parse(const char *text,
		   size_t len,
		   int type,
		   struct auditrec_field *fields,
		   size_t max_fields,
		   struct auditrec *ret_record)
{
	struct auditrec_id id;
	size_t body;
	int r;

	r = auditrec_parse_header(text, len, type, &type, &id, &body);
	if (r < 0)
		return r;
	len = record_len(text, len);

	*ret_record = (struct auditrec){
		.type = type,
		.id = id,
		.text = text + body,
		.len = len - body,
		.fields = fields,
		.n_fields = auditrec_parse_fields(text + body, len - body, fields, max_fields),
	};
	return 0;
}

/* ---- Compaction --------------------------------------------------------------------------- */

struct writer {
	char *out;
	size_t size;
	size_t n;
};

static void put(struct writer *w, const char *s, size_t len)
{
	size_t room = w->size - w->n;

	if (len > room)
		len = room;
	memcpy(w->out + w->n, s, len);
	w->n += len;
}

/* Puts s shortened to cap bytes, an even count (hex stays decodable). */
static void put_capped(struct writer *w, const char *s, size_t len, size_t cap)
{
	if (len > cap)
		len = cap & ~(size_t)1;
	put(w, s, len);
}

/* Copies the fields in [p, end) to w with long values shortened; the scan is parse_level()'s.
 * It calls itself once, for msg='...' at the top level (top is false there): two levels at most.
 * NOLINTNEXTLINE(misc-no-recursion) */
static void compact_level(const char *p, const char *end, bool top, size_t cap, struct writer *w)
{
	while (p < end) {
		const char *sep = p, *name;

		while (p < end && is_sep(*p))
			p++;
		put(w, sep, (size_t)(p - sep));
		name = p;
		p = skip_until(p, end, CHAR_SEP | CHAR_EQ);
		if (p >= end || *p != '=') {
			put_capped(w, name, (size_t)(p - name), cap); /* a word without '=' */
			continue;
		}
		p++;
		put(w, name, (size_t)(p - name));
		if (p < end && (*p == '"' || *p == '\'')) {
			char q = *p;
			bool msg = top && is_msg(name, (size_t)(p - name - 1), q);
			const char *close =
				msg ? msg_close(p, end) : memchr(p + 1, q, (size_t)(end - p - 1));
			const char *vend = close ? close : end;

			put(w, p, 1);
			if (msg)
				compact_level(p + 1, vend, false, cap, w);
			else
				put_capped(w, p + 1, (size_t)(vend - p - 1), cap);
			if (close)
				put(w, close, 1);
			p = close ? close + 1 : end;
			continue;
		}
		name = p;
		p = skip_until(p, end, CHAR_SEP);
		put_capped(w, name, (size_t)(p - name), cap);
	}
}

/* NOLINTNEXTLINE(readability-non-const-parameter): out is written through struct writer */
size_t auditrec_compact(const char *body, size_t len, size_t max_value, char *out, size_t out_size)
{
	struct writer w = { .out = out, .size = out_size };

	compact_level(body, body + record_len(body, len), true, max_value, &w); /* writes out */
	return w.n;
}

const struct auditrec *auditrec_fields(const struct auditrec *r)
{
	if (r->unlisted)
		auditasm_list_fields(r->unlisted, r);
	return r;
}

const struct auditrec_field *auditrec_find(const struct auditrec *r, const char *name)
{
	size_t n = strlen(name);

	r = auditrec_fields(r);

	for (size_t i = 0; i < r->n_fields; i++) {
		const struct auditrec_field *f = &r->fields[i];

		if (f->name_len == n && f->name[0] == name[0] && memcmp(f->name, name, n) == 0)
			return f;
	}
	return NULL;
}

bool auditrec_field_eq(const struct auditrec_field *f, const char *s)
{
	return f && strlen(s) == f->value_len && memcmp(f->value, s, f->value_len) == 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool is_hex(const char *s, size_t len)
{
	if (len < 2 || len % 2 != 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (hex_digit(s[i]) < 0)
			return false;
	return true;
}

static char printable(unsigned char c)
{
	if (c < 0x20 || c == 0x7f)
		return '?';
	return (char)c;
}

size_t auditrec_field_raw(const struct auditrec_field *f, char *buf, size_t size)
{
	size_t n = f->value_len < size - 1 ? f->value_len : size - 1;

	for (size_t i = 0; i < n; i++)
		buf[i] = printable((unsigned char)f->value[i]);
	buf[n] = '\0';
	return n;
}

size_t auditrec_field_string(const struct auditrec_field *f, char *buf, size_t size)
{
	size_t n = 0, i;
	bool last_nul = false;

	if (f->quoted || !is_hex(f->value, f->value_len))
		return auditrec_field_raw(f, buf, size);

	for (i = 0; i + 1 < f->value_len && n + 1 < size; i += 2) {
		int hi = hex_digit(f->value[i]), lo = hex_digit(f->value[i + 1]);
		unsigned char c;

		if (hi < 0 || lo < 0)
			break; /* not reached: is_hex() checked */
		c = (unsigned char)((unsigned)hi << 4 | (unsigned)lo);

		/* Arguments of proctitle and EXECVE are separated by NULs. */
		last_nul = c == '\0';
		buf[n++] = printable(last_nul ? ' ' : c);
	}
	if (last_nul && i >= f->value_len)
		n--; /* a trailing NUL ends the last argument */
	buf[n] = '\0';
	return n;
}

int auditrec_field_uint(const struct auditrec_field *f, int base, uint64_t *ret_value)
{
	uint64_t v = 0;

	if (!f || f->value_len == 0 || (base != 10 && base != 16))
		return -EINVAL;
	for (size_t i = 0; i < f->value_len; i++) {
		int d = hex_digit(f->value[i]);

		if (d < 0 || d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*ret_value = v;
	return 0;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
