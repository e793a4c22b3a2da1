#include "policy.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devid.h"
#include "dispensation.h"
#include "strv.h"

/*
 * The rule index. A rule matches when every field it gives equals the device's, so the rules
 * that match a device are exactly those whose key (the set of fields given, then their values)
 * equals a key made from the device with the same set of fields. There are 8 such sets, so a
 * decision is 8 hash lookups. Each key maps to the first rule in file order with that key; the
 * smallest of the (at most 8) rule indexes found is the first matching rule in file order.
 */

#define FIELD_VENDOR  1u
#define FIELD_PRODUCT 2u
#define FIELD_SERIAL  4u
#define N_FIELD_SETS  8u
#define KEY_MAX	      1024 /* longer keys cannot come from a sanitised device (DEVID_STRING_MAX) */

struct slot {
	char *key; /* NULL = empty */
	size_t rule;
};

struct policy {
	const struct config *config;
	const struct dispensation_list *dispensations; /* borrowed, NULL = none */
	struct slot *slots;
	size_t n_slots; /* a power of two, at least twice the number of keys */
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

static void append_lower(char *buf, size_t *w, const char *s)
{
	for (; *s; s++)
		buf[(*w)++] = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
}

/*
 * Writes the key of (fields, vendor, product, serial) into buf (KEY_MAX bytes). Fields named in
 * the set must be non-NULL. Returns false when the key does not fit.
 */
static bool make_key(unsigned fields,
		     const char *vendor,
		     const char *product,
		     const char *serial,
		     char buf[static KEY_MAX])
{
	size_t need = 8, w = 0;

	if (fields & FIELD_VENDOR)
		need += strlen(vendor);
	if (fields & FIELD_PRODUCT)
		need += strlen(product);
	if (fields & FIELD_SERIAL)
		need += strlen(serial);
	if (need > KEY_MAX)
		return false;

	buf[w++] = (char)('0' + fields);
	buf[w++] = '\x1f';
	if (fields & FIELD_VENDOR)
		append_lower(buf, &w, vendor);
	buf[w++] = '\x1f';
	if (fields & FIELD_PRODUCT)
		append_lower(buf, &w, product);
	buf[w++] = '\x1f';
	if (fields & FIELD_SERIAL)
		for (const char *q = serial; *q; q++)
			buf[w++] = *q; /* serials compare exactly */
	buf[w] = '\0';
	return true;
}

static struct slot *find_slot(const struct policy *p, const char *key)
{
	size_t mask = p->n_slots - 1;

	/* At most half the slots are used, so an empty slot ends the probe. */
	for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask)
		if (!p->slots[i].key || streq(p->slots[i].key, key))
			return &p->slots[i];
}

static int index_rule(struct policy *p, const struct storage_rule *rule, size_t index)
{
	char key[KEY_MAX];
	unsigned fields = 0;
	struct slot *s;

	if (rule->vendor)
		fields |= FIELD_VENDOR;
	if (rule->product)
		fields |= FIELD_PRODUCT;
	if (rule->serial)
		fields |= FIELD_SERIAL;

	if (!make_key(fields, rule->vendor, rule->product, rule->serial, key))
		return 0; /* can never match a device: see KEY_MAX */

	s = find_slot(p, key);
	if (s->key)
		return 0; /* an earlier rule has the same key and wins */
	s->key = strdup(key);
	if (!s->key)
		return -ENOMEM;
	s->rule = index;
	return 0;
}

/* policy_free() without GCC's malloc attribute pairing, for the constructor's own cleanup. */
static void policy_destroy(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_slots; i++)
		free(p->slots[i].key);
	free(p->slots);
	free(p);
}

static void policy_destroyp(struct policy **p)
{
	policy_destroy(*p);
}

struct policy *policy_free(struct policy *p)
{
	policy_destroy(p);
	return NULL;
}

struct policy *policy_new(const struct config *c)
{
	_cleanup_(policy_destroyp) struct policy *p = NULL;
	size_t n = 16;

	assert(c);

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->config = c;

	while (n < 2 * c->storage.n_rules + 2)
		n *= 2;
	p->slots = calloc(n, sizeof(*p->slots));
	if (!p->slots)
		return NULL;
	p->n_slots = n;

	for (size_t i = 0; i < c->storage.n_rules; i++)
		if (index_rule(p, &c->storage.rules[i], i) < 0)
			return NULL;

	return TAKE_PTR(p);
}

void policy_set_dispensations(struct policy *p, const struct dispensation_list *l)
{
	assert(p);
	p->dispensations = l;
}

const struct config *policy_config(const struct policy *p)
{
	assert(p);
	return p->config;
}

static bool known(const char *s)
{
	return s && s[0] != '\0';
}

const struct storage_rule *policy_match_rule(const struct policy *p,
					     const char *vendor,
					     const char *product,
					     const char *serial)
{
	size_t best = SIZE_MAX;

	assert(p);

	for (unsigned fields = 0; fields < N_FIELD_SETS; fields++) {
		char key[KEY_MAX];
		const struct slot *s;

		if ((fields & FIELD_VENDOR) && !known(vendor))
			continue;
		if ((fields & FIELD_PRODUCT) && !known(product))
			continue;
		if ((fields & FIELD_SERIAL) && !known(serial))
			continue;
		if (!make_key(fields, vendor, product, serial, key))
			continue;

		s = find_slot(p, key);
		if (s->key && s->rule < best)
			best = s->rule;
	}

	return best == SIZE_MAX ? NULL : &p->config->storage.rules[best];
}

/* How much an action grants: BLOCK < READ_ONLY < ALLOW. */
static int rank(enum storage_action a)
{
	switch (a) {
	case STORAGE_ACTION_ALLOW:
		return 2;
	case STORAGE_ACTION_READ_ONLY:
		return 1;
	default:
		return 0;
	}
}

static bool in_any_group(char *const *person_groups, char *const *groups)
{
	STRV_FOREACH (g, groups)
		if (strv_contains(person_groups, *g))
			return true;
	return false;
}

/* The grant of the person's groups; false when they grant nothing. */
static bool group_grant(const struct config *c,
			const struct policy_person *person,
			struct policy_verdict *ret_verdict)
{
	if (!person || !person->present || !person->groups)
		return false;

	if (in_any_group(person->groups, c->storage.read_write_groups)) {
		*ret_verdict = (struct policy_verdict){
			.action = STORAGE_ACTION_ALLOW,
			.step = POLICY_STEP_READ_WRITE_GROUPS,
			.rule_name = "read_write_groups",
			.place = c->storage.read_write_groups_place,
			.reason = "the person at the seat is in a read-write group",
		};
		return true;
	}
	if (in_any_group(person->groups, c->storage.read_only_groups)) {
		*ret_verdict = (struct policy_verdict){
			.action = STORAGE_ACTION_READ_ONLY,
			.step = POLICY_STEP_READ_ONLY_GROUPS,
			.rule_name = "read_only_groups",
			.place = c->storage.read_only_groups_place,
			.reason = "the person at the seat is in a read-only group",
		};
		return true;
	}
	return false;
}

static uint64_t realtime_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return UINT64_MAX; /* no time: no dispensation applies (fail closed) */
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* The dispensation grant of step 2: only when it grants strictly more than *v already does. */
static void decide_dispensation(const struct policy *p,
				const struct devid *id,
				const struct policy_person *person,
				struct policy_verdict *v)
{
	const struct dispensation *d;

	if (!p->dispensations || p->dispensations->n == 0 || !person)
		return;
	d = dispensation_list_best(
		p->dispensations, id, person, person->now ? person->now : realtime_now());
	if (!d || rank(d->mode) <= rank(v->action))
		return;
	*v = (struct policy_verdict){
		.action = d->mode,
		.step = POLICY_STEP_DISPENSATION,
		.rule_name = "dispensation",
		.dispensation = d,
		.reason =
			d->mode == STORAGE_ACTION_ALLOW
				? "a written dispensation allows storage for the person at the seat"
				: "a written dispensation allows storage read-only for the person at "
				  "the seat",
	};
}

/* Steps 2 of the precedence in policy.h: the most permissive grant, the most specific on ties. */
static void decide_grants(const struct policy *p,
			  const struct devid *id,
			  const struct policy_person *person,
			  struct policy_verdict *ret_verdict)
{
	const struct config *c = p->config;
	const struct storage_rule *rule;
	struct policy_verdict g;

	*ret_verdict = (struct policy_verdict){
		.action = c->storage.default_action,
		.step = POLICY_STEP_DEFAULT,
		.rule_name = "default",
		.place = c->storage.default_place,
		.reason = "no named rule or group grants more than the default",
	};

	if (group_grant(c, person, &g) && rank(g.action) >= rank(ret_verdict->action))
		*ret_verdict = g;

	rule = policy_match_rule(p, id->vendor, id->product, id->serial);
	if (rule && rank(rule->mode) >= rank(ret_verdict->action))
		*ret_verdict = (struct policy_verdict){
			.action = rule->mode,
			.step = POLICY_STEP_RULE,
			.rule_name = rule->name,
			.place = rule->place,
			.rule = rule,
			.reason = rule->mode == STORAGE_ACTION_ALLOW
					  ? "a named rule allows this device"
					  : "a named rule allows this device read-only",
		};

	decide_dispensation(p, id, person, ret_verdict);
}

/* Step 0 of policy.h: a disk below a function judged harmless. */
static void decide_disk_below_harmless(const struct config *c, struct policy_verdict *ret_verdict)
{
	*ret_verdict = (struct policy_verdict){
		.action = STORAGE_ACTION_BLOCK,
		.storage = true,
		.step = POLICY_STEP_DISK_BELOW_HARMLESS,
		.rule_name = "harmless_classes",
		.place = c->storage.harmless_classes_place,
		.reason = "a disk appeared below a device function judged harmless",
	};
}

/* The storage decision: the precedence of policy.h. */
static void decide_storage(const struct policy *p,
			   const struct devid *id,
			   const struct policy_person *person,
			   struct policy_verdict *ret_verdict)
{
	const struct config *c = p->config;
	bool nobody;

	/* Before anything else, also before the classes: the device has shown what it is. */
	if (devid_has_disk(id)) {
		decide_disk_below_harmless(c, ret_verdict);
		return;
	}
	if (!devid_is_storage(id, c)) {
		*ret_verdict = (struct policy_verdict){
			.action = STORAGE_ACTION_ALLOW,
			.step = POLICY_STEP_NON_STORAGE,
			.rule_name = "non-storage",
			.reason = "every function of the device is of a harmless class",
		};
		return;
	}

	nobody = !person || !person->present;
	if (c->storage.while_locked == WHILE_LOCKED_BLOCK && (nobody || person->locked)) {
		*ret_verdict = (struct policy_verdict){
			.action = STORAGE_ACTION_BLOCK,
			.storage = true,
			.step = POLICY_STEP_WHILE_LOCKED,
			.rule_name = "while_locked",
			.place = c->storage.while_locked_place,
			.reason =
				person && person->unknown
					? "who is at the seat is unknown (logind cannot be reached)"
				: nobody ? "nobody is logged in at the seat"
					 : "the session at the seat is locked",
		};
		return;
	}

	decide_grants(p, id, person, ret_verdict);
	ret_verdict->storage = true;
	/* Decided as for nobody because vakt cannot know who is there: say so, never "nobody". */
	if (person && person->unknown && ret_verdict->step == POLICY_STEP_DEFAULT)
		ret_verdict->reason =
			"who is at the seat is unknown (logind cannot be reached), so "
			"no group can grant more than the default";
	/* A person whose groups could not be read (NSS did not answer): the same, never "no
	 * group grants more", which would read as a fact about their groups. */
	else if (person && person->present && !person->groups &&
		 ret_verdict->step == POLICY_STEP_DEFAULT)
		ret_verdict->reason =
			"the groups of the person at the seat could not be read (NSS), so "
			"no group can grant more than the default";
}

/*
 * Whether the keyboard decision may hold id back for person: keyboards_while_locked is not allow,
 * the device may type, it is new, and nobody unlocked is at the seat. A device already authorised
 * is in use (it may be the keyboard that unlocks the seat): never taken away here.
 */
static bool input_hold_possible(const struct config *c,
				const struct devid *id,
				const struct policy_person *person)
{
	if (c->storage.keyboards_while_locked == KEYBOARDS_WHILE_LOCKED_ALLOW)
		return false;
	if (!devid_may_type(id) || id->authorized)
		return false;
	return !person || !person->present || person->locked;
}

/* The keyboard decision of policy.h, into the input fields of *v. */
static void decide_input(const struct config *c,
			 const struct devid *id,
			 const struct policy_person *person,
			 struct policy_verdict *v)
{
	bool extra = c->storage.keyboards_while_locked == KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA;

	v->input_held = false;
	v->input_reason = NULL;
	v->input_place = c->storage.keyboards_while_locked_place;
	if (!input_hold_possible(c, id, person))
		return;
	/* block-extra: with no other keyboard, this one may be the only way to unlock. */
	if (extra && !(person && person->seat_has_keyboard))
		return;

	v->input_held = true;
	if (person && person->unknown)
		v->input_reason = extra ? "a new device that can type, while who is at the seat is "
					  "unknown (logind cannot be reached) and the seat has a "
					  "keyboard already"
					: "a new device that can type, while who is at the seat is "
					  "unknown (logind cannot be reached)";
	else if (!person || !person->present)
		v->input_reason = extra ? "a new device that can type, while nobody is logged in "
					  "at the seat and the seat has a keyboard already"
					: "a new device that can type, while nobody is logged in "
					  "at the seat";
	else
		v->input_reason = extra ? "a new device that can type, while the session at the "
					  "seat is locked and the seat has a keyboard already"
					: "a new device that can type, while the session at the "
					  "seat is locked";
}

int policy_decide(const struct policy *p,
		  const struct devid *id,
		  const struct policy_person *person,
		  struct policy_verdict *ret_verdict)
{
	assert(p);
	assert(id);
	assert(ret_verdict);

	decide_storage(p, id, person, ret_verdict);
	decide_input(p->config, id, person, ret_verdict);
	return 0;
}

bool policy_wants_seat_keyboard(const struct policy *p,
				const struct devid *id,
				const struct policy_person *person)
{
	assert(p);
	assert(id);

	return p->config->storage.keyboards_while_locked == KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA &&
	       input_hold_possible(p->config, id, person);
}

static bool streq_null(const char *a, const char *b)
{
	return a == b || (a && b && streq(a, b));
}

static bool same_session(const struct policy_person *a, const struct policy_person *b)
{
	bool a_present = a && a->present, b_present = b && b->present;
	bool a_unknown = a && a->unknown, b_unknown = b && b->unknown;

	if (a_present != b_present || a_unknown != b_unknown)
		return false;
	return !a_present || (streq_null(a->session, b->session) && streq_null(a->user, b->user));
}

bool policy_redecide_on_seat_change(const struct policy_verdict *v,
				    const struct policy_person *then,
				    const struct policy_person *now)
{
	if ((!v->storage && !v->input_held) || (now && now->unknown))
		return false;
	if (!same_session(then, now))
		return true;
	return (v->step == POLICY_STEP_WHILE_LOCKED || v->input_held) && now && now->present &&
	       !now->locked;
}

bool policy_redecide_on_keyboard_gone(const struct policy_verdict *v)
{
	assert(v);

	return v->input_held;
}

bool policy_needs_person(const struct policy *p)
{
	const struct config *c;

	assert(p);

	c = p->config;
	return c->storage.while_locked == WHILE_LOCKED_BLOCK ||
	       c->storage.keyboards_while_locked != KEYBOARDS_WHILE_LOCKED_ALLOW ||
	       strv_length(c->storage.read_write_groups) > 0 ||
	       strv_length(c->storage.read_only_groups) > 0 ||
	       (p->dispensations && p->dispensations->n > 0);
}

enum storage_action policy_interface_action(const struct policy *p,
					    const struct devid *id,
					    const struct policy_verdict *v,
					    uint8_t config_value,
					    uint8_t number)
{
	assert(p);
	assert(id);
	assert(v);

	if (!v->storage)
		return STORAGE_ACTION_ALLOW;
	if (!devid_interface_is_storage(id, p->config, config_value, number) &&
	    !devid_disk_below(id, number))
		return STORAGE_ACTION_ALLOW;
	return v->action;
}

bool policy_disk_expected(const struct policy *p,
			  const struct devid *id,
			  const struct policy_verdict *v,
			  uint8_t config_value,
			  int number)
{
	assert(p);
	assert(id);
	assert(v);

	if (!v->storage)
		return false;
	/* Below no interface vakt can name, nothing was foreseen (fail closed) until it is
	 * recorded: then the verdict holds the whole device back. */
	if (number < 0 || number > UINT8_MAX)
		return id->disk_unplaced;
	return devid_interface_is_storage(id, p->config, config_value, (uint8_t)number) ||
	       devid_disk_below(id, (uint8_t)number);
}

bool policy_disks_read_only(const struct policy_verdict *v, enum storage_action effective)
{
	assert(v);

	return !(v->storage && effective == STORAGE_ACTION_ALLOW);
}

bool policy_keeps_other_functions(const struct policy *p,
				  const struct devid *id,
				  const struct policy_verdict *v)
{
	assert(p);
	assert(id);
	assert(v);

	if (v->input_held || !id->descriptors_valid)
		return false;
	for (size_t i = 0; i < id->desc.n_interfaces && i < DEVID_MAX_INTERFACES; i++) {
		const struct devid_interface *ifc = &id->desc.interfaces[i];

		if (!devid_interface_is_storage(id, p->config, ifc->config_value, ifc->number) &&
		    !devid_disk_below(id, ifc->number))
			return true;
	}
	return false;
}

int policy_explain(const struct policy *p,
		   const struct devid *id,
		   const struct policy_person *person,
		   struct policy_explain_step ret_steps[POLICY_EXPLAIN_STEPS],
		   struct policy_verdict *ret_verdict)
{
	const struct config *c = p->config;
	const struct storage_rule *rule;
	bool nobody = !person || !person->present;
	bool groups_known = person && person->present && person->groups;
	struct policy_explain_step *s = ret_steps;
	const struct dispensation *d;

	(void)policy_decide(p, id, person, ret_verdict);

	s[0] = (struct policy_explain_step){
		.step = POLICY_STEP_DISK_BELOW_HARMLESS,
		.name = "harmless_classes",
		.applies = devid_has_disk(id),
		.action = STORAGE_ACTION_BLOCK,
		.place = c->storage.harmless_classes_place,
		.why = devid_has_disk(id) ? "a disk appeared below a function judged harmless"
					  : "no disk appeared below a function judged harmless",
	};
	s[1] = (struct policy_explain_step){
		.step = POLICY_STEP_NON_STORAGE,
		.name = "non-storage",
		.applies = !devid_is_storage(id, c),
		.action = STORAGE_ACTION_ALLOW,
		.place = c->storage.harmless_classes_place,
		.why = devid_is_storage(id, c)
			       ? "a function is of a class not in harmless_classes: storage"
			       : "every function is of a class in harmless_classes",
	};
	s[2] = (struct policy_explain_step){
		.step = POLICY_STEP_WHILE_LOCKED,
		.name = "while_locked",
		.applies =
			c->storage.while_locked == WHILE_LOCKED_BLOCK && (nobody || person->locked),
		.action = STORAGE_ACTION_BLOCK,
		.place = c->storage.while_locked_place,
		.why = c->storage.while_locked != WHILE_LOCKED_BLOCK ? "while_locked = policy"
		       : person && person->unknown
			       ? "who is at the seat is unknown (logind cannot be reached)"
		       : nobody		? "nobody is logged in at the seat"
		       : person->locked ? "the session at the seat is locked"
					: "the session at the seat is unlocked",
	};
	rule = policy_match_rule(p, id->vendor, id->product, id->serial);
	s[3] = (struct policy_explain_step){
		.step = POLICY_STEP_RULE,
		.name = "rule",
		.applies = rule != NULL,
		.action = rule ? rule->mode : STORAGE_ACTION_BLOCK,
		.rule_name = rule ? rule->name : NULL,
		.place = rule ? rule->place : (struct config_place){},
		.why = rule ? "the first named rule whose fields all match"
			    : "no named rule matches vendor, product and serial",
	};
	s[4] = (struct policy_explain_step){
		.step = POLICY_STEP_READ_WRITE_GROUPS,
		.name = "read_write_groups",
		.applies =
			groups_known && in_any_group(person->groups, c->storage.read_write_groups),
		.action = STORAGE_ACTION_ALLOW,
		.place = c->storage.read_write_groups_place,
	};
	s[4].why = s[4].applies	   ? "the person at the seat is in a read-write group"
		   : !groups_known ? "no person at the seat whose groups are known"
				   : "the person at the seat is in no read-write group";
	s[5] = (struct policy_explain_step){
		.step = POLICY_STEP_READ_ONLY_GROUPS,
		.name = "read_only_groups",
		.applies =
			groups_known && in_any_group(person->groups, c->storage.read_only_groups),
		.action = STORAGE_ACTION_READ_ONLY,
		.place = c->storage.read_only_groups_place,
	};
	s[5].why = s[5].applies	   ? "the person at the seat is in a read-only group"
		   : !groups_known ? "no person at the seat whose groups are known"
				   : "the person at the seat is in no read-only group";
	s[6] = (struct policy_explain_step){
		.step = POLICY_STEP_DEFAULT,
		.name = "default",
		.applies = true,
		.action = c->storage.default_action,
		.place = c->storage.default_place,
		.why = "applies to every storage device",
	};
	d = p->dispensations && person && person->present
		    ? dispensation_list_best(p->dispensations,
					     id,
					     person,
					     person->now ? person->now : realtime_now())
		    : NULL;
	s[7] = (struct policy_explain_step){
		.step = POLICY_STEP_DISPENSATION,
		.name = "dispensation",
		.applies = d != NULL,
		.action = d ? d->mode : STORAGE_ACTION_BLOCK,
		.rule_name = d ? d->id : NULL,
		.why = d ? "a written dispensation for the person at the seat matches this device; "
			   "it decides only when it grants more than the steps above"
			 : "no current written dispensation for the person at the seat matches",
	};
	for (size_t i = 0; i < POLICY_EXPLAIN_STEPS; i++)
		s[i].decided = s[i].step == ret_verdict->step;
	return POLICY_EXPLAIN_STEPS;
}

/* Text that can go into a comment line: no control character. */
static bool comment_safe(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

/* A serial the file syntax keeps as it is: printable ASCII, no blank, no comment character. */
static bool serial_writable(const char *s)
{
	if (!s || !*s || strlen(s) > 126)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '#' || *s == ';' || *s == '"')
			return false;
	return true;
}

int policy_rule_snippet(const struct devid *id, enum storage_action mode, char **ret)
{
	char name[64];
	size_t n;
	int r;

	if ((mode != STORAGE_ACTION_ALLOW && mode != STORAGE_ACTION_READ_ONLY) || !id->vendor[0] ||
	    !id->product[0])
		return -EINVAL;
	n = (size_t)snprintf(name, sizeof(name), "usb-%s-%s", id->vendor, id->product);
	/* The serial's letters, digits, '.', '_' and '-' make the name unique per stick. */
	if (serial_writable(id->serial) && n < sizeof(name) - 2) {
		name[n++] = '-';
		for (const char *s = id->serial; *s && n < sizeof(name) - 1; s++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
				   *s))
				name[n++] = *s;
		name[n] = '\0';
	}
	r = asprintf(ret,
		     "# %s%s%s (generated by vaktctl rule)\n"
		     "[storage.allow \"%s\"]\n"
		     "vendor = %s\n"
		     "product = %s\n"
		     "%s%s%s"
		     "mode = %s\n",
		     comment_safe(id->manufacturer) ? id->manufacturer : "",
		     comment_safe(id->manufacturer) ? " " : "",
		     comment_safe(id->name) ? id->name : "USB device",
		     name,
		     id->vendor,
		     id->product,
		     serial_writable(id->serial) ? "serial = " : "",
		     serial_writable(id->serial) ? id->serial
		     : id->serial && *id->serial
			     ? "# the serial cannot be written in vakt.conf: this rule matches "
			       "every device with this vendor and product"
			     : "# the device has no serial: this rule matches every device with "
			       "this vendor and product",
		     "\n",
		     config_action_to_string(mode));
	return r < 0 ? -ENOMEM : 0;
}
