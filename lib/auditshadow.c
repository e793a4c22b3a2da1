#include "auditshadow.h"

#include <errno.h>
#include <linux/audit.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"

/*
 * A rule is read into constraints per field. For numeric fields the allowed values are an
 * interval [lo, hi] minus a few excluded values; strings are compared as they are. "a covers b"
 * means every event b matches, a matches too; "a meets b" means some event may match both.
 */

#define EXCLUDED_MAX 4

struct numeric {
	uint32_t lo, hi;
	uint32_t excluded[EXCLUDED_MAX];
	size_t n_excluded;
	bool unknown; /* a bit mask or test, or too many exclusions: anything may match */
};

/* One field of a rule: its constraints merged (numeric) or its string. */
struct field {
	uint32_t id;
	bool string;
	uint32_t op; /* strings: the operator */
	const char *str;
	size_t len;
	struct numeric num;
};

struct rule {
	const struct audit_rule_data *data;
	struct field fields[AUDIT_MAX_FIELDS];
	size_t n_fields;
	bool inode; /* -F path=: searched after the exit list, replaces the key */
};

static bool is_string_field(uint32_t id)
{
	switch (id) {
	case AUDIT_WATCH:
	case AUDIT_DIR:
	case AUDIT_FILTERKEY:
	case AUDIT_EXE:
		return true;
	default:
		return id >= AUDIT_SUBJ_USER && id <= AUDIT_OBJ_LEV_HIGH && id != AUDIT_ARCH &&
		       id != AUDIT_MSGTYPE;
	}
}

static void numeric_add(struct numeric *n, uint32_t op, uint32_t v)
{
	switch (op) {
	case AUDIT_EQUAL:
		n->lo = n->lo > v ? n->lo : v;
		n->hi = n->hi < v ? n->hi : v;
		break;
	case AUDIT_NOT_EQUAL:
		if (n->n_excluded == EXCLUDED_MAX)
			n->unknown = true;
		else
			n->excluded[n->n_excluded++] = v;
		break;
	case AUDIT_GREATER_THAN:
		if (v == UINT32_MAX)
			n->lo = 1, n->hi = 0; /* nothing */
		else if (v + 1 > n->lo)
			n->lo = v + 1;
		break;
	case AUDIT_GREATER_THAN_OR_EQUAL:
		if (v > n->lo)
			n->lo = v;
		break;
	case AUDIT_LESS_THAN:
		if (v == 0)
			n->lo = 1, n->hi = 0;
		else if (v - 1 < n->hi)
			n->hi = v - 1;
		break;
	case AUDIT_LESS_THAN_OR_EQUAL:
		if (v < n->hi)
			n->hi = v;
		break;
	default:
		n->unknown = true;
		break;
	}
}

static bool numeric_allows(const struct numeric *n, uint32_t v)
{
	if (v < n->lo || v > n->hi)
		return false;
	for (size_t i = 0; i < n->n_excluded; i++)
		if (n->excluded[i] == v)
			return false;
	return true;
}

/* Every value b allows, a allows. */
static bool numeric_covers(const struct numeric *a, const struct numeric *b)
{
	if (a->unknown || b->unknown)
		return false;
	if (b->lo > b->hi)
		return true; /* b allows nothing */
	if (b->lo < a->lo || b->hi > a->hi)
		return false;
	for (size_t i = 0; i < a->n_excluded; i++)
		if (numeric_allows(b, a->excluded[i]))
			return false;
	return true;
}

/* Some value both allow (with few exclusions, an interval of more than them has one). */
static bool numeric_meets(const struct numeric *a, const struct numeric *b)
{
	uint32_t lo = a->lo > b->lo ? a->lo : b->lo, hi = a->hi < b->hi ? a->hi : b->hi;

	if (a->unknown || b->unknown)
		return true;
	if (lo > hi)
		return false;
	for (uint64_t v = lo; v <= hi && v < (uint64_t)lo + 2 * (uint64_t)EXCLUDED_MAX + 1; v++)
		if (numeric_allows(a, (uint32_t)v) && numeric_allows(b, (uint32_t)v))
			return true;
	return false;
}

static struct field *field_get(struct rule *r, uint32_t id)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (r->fields[i].id == id && !r->fields[i].string)
			return &r->fields[i];
	r->fields[r->n_fields] = (struct field){ .id = id, .num = { .lo = 0, .hi = UINT32_MAX } };
	return &r->fields[r->n_fields++];
}

static void rule_read(const struct audit_rule_data *d, struct rule *r)
{
	size_t off = 0, n = d->field_count < AUDIT_MAX_FIELDS ? d->field_count : AUDIT_MAX_FIELDS;

	*r = (struct rule){ .data = d };
	for (size_t i = 0; i < n; i++) {
		uint32_t id = d->fields[i], op = d->fieldflags[i] & AUDIT_OPERATORS;

		if (is_string_field(id)) {
			size_t len = d->values[i];

			if (off + len > d->buflen)
				len = off < d->buflen ? d->buflen - off : 0;
			r->fields[r->n_fields++] = (struct field){
				.id = id, .string = true, .op = op, .str = d->buf + off, .len = len
			};
			off += len;
			if (id == AUDIT_WATCH)
				r->inode = true;
			continue;
		}
		numeric_add(&field_get(r, id)->num, op, d->values[i]);
	}
}

static const struct field *field_find(const struct rule *r, uint32_t id, const struct field *after)
{
	size_t i = after ? (size_t)(after - r->fields) + 1 : 0;

	for (; i < r->n_fields; i++)
		if (r->fields[i].id == id)
			return &r->fields[i];
	return NULL;
}

/* Whether path b lies at or below path a. */
static bool path_below(const struct field *a, const struct field *b)
{
	size_t n = a->len;

	while (n > 1 && a->str[n - 1] == '/')
		n--;
	return b->len >= n && memcmp(a->str, b->str, n) == 0 &&
	       (b->len == n || b->str[n] == '/' || n == 1);
}

static bool string_eq(const struct field *a, const struct field *b)
{
	return a->op == b->op && a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* The path a rule is about (path= or dir=), or NULL. */
static const struct field *rule_path(const struct rule *r)
{
	const struct field *f = field_find(r, AUDIT_WATCH, NULL);

	return f ? f : field_find(r, AUDIT_DIR, NULL);
}

static bool masks_cover(const struct audit_rule_data *a, const struct audit_rule_data *b)
{
	for (size_t i = 0; i < AUDIT_BITMASK_SIZE; i++)
		if ((a->mask[i] & b->mask[i]) != b->mask[i])
			return false;
	return true;
}

static bool masks_meet(const struct audit_rule_data *a, const struct audit_rule_data *b)
{
	for (size_t i = 0; i < AUDIT_BITMASK_SIZE; i++)
		if (a->mask[i] & b->mask[i])
			return true;
	return false;
}

/* Whether the constraint af of a is implied by rule b (covers: b matches nothing a does not). */
static bool field_covered(const struct field *af, const struct rule *b)
{
	const struct field *bf;

	if (af->id == AUDIT_FILTERKEY)
		return true;
	if (!af->string) {
		struct numeric all = { .lo = 0, .hi = UINT32_MAX };

		bf = field_find(b, af->id, NULL);
		if (af->id == AUDIT_PERM && bf && !af->num.unknown && !bf->num.unknown)
			return (bf->num.lo & ~af->num.lo) == 0; /* perm= is a set of bits */
		return numeric_covers(&af->num, bf ? &bf->num : &all);
	}
	for (bf = field_find(b, af->id, NULL); bf; bf = field_find(b, af->id, bf))
		if (string_eq(af, bf) ||
		    (af->id == AUDIT_DIR && af->op == AUDIT_EQUAL && path_below(af, bf)))
			return true;
	/* A dir= of a covers a path= below it in b. */
	if (af->id == AUDIT_DIR && af->op == AUDIT_EQUAL) {
		bf = field_find(b, AUDIT_WATCH, NULL);
		return bf && path_below(af, bf);
	}
	return false;
}

/* Whether the constraint af of a and rule b may both hold. */
static bool field_meets(const struct field *af, const struct rule *b)
{
	const struct field *bf;

	if (af->id == AUDIT_FILTERKEY)
		return true;
	if (!af->string) {
		bf = field_find(b, af->id, NULL);
		if (!bf)
			return true;
		if (af->id == AUDIT_PERM)
			return af->num.unknown || bf->num.unknown || (af->num.lo & bf->num.lo);
		return numeric_meets(&af->num, &bf->num);
	}
	if (af->op != AUDIT_EQUAL)
		return true;
	if (af->id == AUDIT_WATCH || af->id == AUDIT_DIR) {
		const struct field *bp = rule_path(b);

		return !bp || bp->op != AUDIT_EQUAL || path_below(af, bp) || path_below(bp, af);
	}
	for (bf = field_find(b, af->id, NULL); bf; bf = field_find(b, af->id, bf))
		if (bf->op == AUDIT_EQUAL && !string_eq(af, bf))
			return false;
	return true;
}

/* Every event b matches, a matches. */
static bool rule_covers(const struct rule *a, const struct rule *b)
{
	if (!masks_cover(a->data, b->data))
		return false;
	for (size_t i = 0; i < a->n_fields; i++)
		if (!field_covered(&a->fields[i], b))
			return false;
	return true;
}

static bool rule_meets(const struct rule *a, const struct rule *b)
{
	if (!masks_meet(a->data, b->data))
		return false;
	for (size_t i = 0; i < a->n_fields; i++)
		if (!field_meets(&a->fields[i], b))
			return false;
	for (size_t i = 0; i < b->n_fields; i++)
		if (!field_meets(&b->fields[i], a))
			return false;
	return true;
}

static bool has_key(const struct rule *r)
{
	return field_find(r, AUDIT_FILTERKEY, NULL) != NULL;
}

/* Whether one of r's keys (joined by 0x01 in one field) starts with prefix. */
static bool key_has_prefix(const struct rule *r, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const struct field *f = field_find(r, AUDIT_FILTERKEY, NULL); f;
	     f = field_find(r, AUDIT_FILTERKEY, f))
		for (size_t i = 0; i < f->len; i++)
			if ((i == 0 || f->str[i - 1] == '\x01') && f->len - i >= n &&
			    memcmp(f->str + i, prefix, n) == 0)
				return true;
	return false;
}

/*
 * How rule o (index j) affects vakt's rule v (index i). A rule of the exit list decides before v
 * when it comes first and v is in the exit list too (inode rules are searched afterwards, whatever
 * the exit list decided). An inode rule replaces the key of an exit list rule, and among the rules
 * of one watched file any may come first (see auditshadow.h); one without a key keeps v's.
 */
static enum auditshadow_kind
shadow_by(const struct rule *v, size_t i, const struct rule *o, size_t j)
{
	bool first = o->inode || (!v->inode && j < i);

	if (!first || !rule_meets(o, v))
		return AUDITSHADOW_NONE;
	if (o->data->action == AUDIT_NEVER)
		return AUDITSHADOW_SUPPRESSED;
	if (o->inode && !has_key(o))
		return AUDITSHADOW_NONE;
	return rule_covers(o, v) ? AUDITSHADOW_WHOLLY : AUDITSHADOW_PARTLY;
}

const char *auditshadow_kind_to_string(enum auditshadow_kind k)
{
	static const char *const names[] = { "none", "partly", "wholly", "suppressed" };

	return (unsigned)k < ELEMENTSOF(names) ? names[k] : NULL;
}

size_t auditshadow_find(const struct audit_rule_data *const *rules,
			size_t n_rules,
			const char *key_prefix,
			struct auditshadow_result *ret,
			size_t max)
{
	struct rule v, o;
	size_t found = 0;

	for (size_t i = 0; i < n_rules; i++) {
		struct auditshadow_result best = { .rule = i, .kind = AUDITSHADOW_NONE };

		if (rules[i]->flags != AUDIT_FILTER_EXIT || rules[i]->action != AUDIT_ALWAYS)
			continue;
		rule_read(rules[i], &v);
		if (!key_has_prefix(&v, key_prefix))
			continue;
		for (size_t j = 0; j < n_rules && best.kind < AUDITSHADOW_SUPPRESSED; j++) {
			enum auditshadow_kind k;

			if (j == i || rules[j]->flags != AUDIT_FILTER_EXIT)
				continue;
			rule_read(rules[j], &o);
			k = shadow_by(&v, i, &o, j);
			if (k > best.kind) {
				best.kind = k;
				best.by = j;
			}
		}
		if (best.kind == AUDITSHADOW_NONE)
			continue;
		if (found < max)
			ret[found] = best;
		found++;
	}
	return found;
}

int auditshadow_excluded(const struct audit_rule_data *const *rules, size_t n_rules, int msgtype)
{
	struct rule r;

	for (size_t i = 0; i < n_rules; i++) {
		const struct field *f;
		bool drops;

		/* exclude list: "always" drops (-a exclude,always); user list: "never" drops. */
		if (rules[i]->flags == AUDIT_FILTER_EXCLUDE)
			drops = rules[i]->action == AUDIT_ALWAYS;
		else if (rules[i]->flags == AUDIT_FILTER_USER)
			drops = rules[i]->action == AUDIT_NEVER &&
				((msgtype >= 1100 && msgtype <= 1299) ||
				 (msgtype >= 2100 && msgtype <= 2999));
		else
			continue;
		if (!drops)
			continue;
		rule_read(rules[i], &r);
		f = field_find(&r, AUDIT_MSGTYPE, NULL);
		if (!f || numeric_allows(&f->num, (uint32_t)msgtype) || f->num.unknown)
			return (int)i;
	}
	return -ENOENT;
}
