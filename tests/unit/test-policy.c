#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devid.h"
#include "dispensation.h"
#include "macro.h"
#include "policy.h"
#include "strv.h"
#include "usb-fixture.h"

#define CONF "/etc/vakt/vakt.conf"

static char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static void set_place(struct config_place *p, unsigned line)
{
	free(p->file);
	p->file = xstrdup(CONF);
	p->line = line;
}

/* Appends a named rule defined at CONF:line. */
static void add_rule(struct config *c,
		     const char *name,
		     const char *vendor,
		     const char *product,
		     const char *serial,
		     enum storage_action mode,
		     unsigned line)
{
	struct storage_rule *rules, *r;

	rules = realloc(c->storage.rules, (c->storage.n_rules + 1) * sizeof(*rules));
	ck_assert_ptr_nonnull(rules);
	c->storage.rules = rules;
	r = &rules[c->storage.n_rules++];
	*r = (struct storage_rule){
		.name = xstrdup(name),
		.vendor = xstrdup(vendor),
		.product = xstrdup(product),
		.serial = xstrdup(serial),
		.mode = mode,
	};
	set_place(&r->place, line);
}

static void set_groups(char ***l, const char *a, const char *b)
{
	*l = strv_free(*l);
	if (a)
		ck_assert_int_eq(strv_extend(l, a), 0);
	if (b)
		ck_assert_int_eq(strv_extend(l, b), 0);
}

/* The default config of these tests: default = block at line 3, while_locked = block at line 6,
 * read_write_groups = it-staff (4), read_only_groups = staff (5). */
static struct config *test_config(void)
{
	struct config *c = config_new();

	ck_assert_ptr_nonnull(c);
	c->storage.default_action = STORAGE_ACTION_BLOCK;
	set_place(&c->storage.default_place, 3);
	set_groups(&c->storage.read_write_groups, "it-staff", NULL);
	set_place(&c->storage.read_write_groups_place, 4);
	set_groups(&c->storage.read_only_groups, "staff", NULL);
	set_place(&c->storage.read_only_groups_place, 5);
	c->storage.while_locked = WHILE_LOCKED_BLOCK;
	set_place(&c->storage.while_locked_place, 6);
	return c;
}

static void load_device(const char *fixture, const char *serial, struct devid *ret)
{
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_free_ struct devid_descriptors *d = calloc(1, sizeof(*d));
	size_t len = 0;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(usb_fixture_read(fixture, &buf, &len), 0);
	ck_assert_int_eq(devid_parse_descriptors(buf, len, d, NULL), 0);
	*ret = (struct devid){ .device_class = 0 };
	devid_set_descriptors(ret, d);
	ret->serial = xstrdup(serial);
}

#define STICK_SERIAL "1C6F654E5A"

static char *alice_groups[] = { (char *)"alice", (char *)"users", NULL };
static char *staff_groups[] = { (char *)"bob", (char *)"staff", NULL };
static char *it_groups[] = { (char *)"carol", (char *)"staff", (char *)"it-staff", NULL };

static const struct policy_person alice = {
	.user = "alice", .uid = 1000, .groups = alice_groups, .present = true
};
static const struct policy_person bob = {
	.user = "bob", .uid = 1001, .groups = staff_groups, .present = true
};
static const struct policy_person carol = {
	.user = "carol", .uid = 1002, .groups = it_groups, .present = true
};
static const struct policy_person carol_locked = {
	.user = "carol", .uid = 1002, .groups = it_groups, .present = true, .locked = true
};
static const struct policy_person unknown_groups = { .user = "dave", .uid = 1003, .present = true };
static const struct policy_person nobody = { .present = false };

/* Decides the stick (or fixture) for person with config c; fills *v. */
static void decide(const struct config *c,
		   const char *fixture,
		   const char *serial,
		   const struct policy_person *person,
		   struct policy_verdict *v)
{
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct devid id;

	ck_assert_ptr_nonnull(p);
	load_device(fixture, serial, &id);
	ck_assert_int_eq(policy_decide(p, &id, person, v), 0);
	devid_done(&id);
}

static void assert_verdict(const struct policy_verdict *v,
			   enum storage_action action,
			   const char *rule_name,
			   unsigned line)
{
	ck_assert_msg(v->action == action,
		      "action %s, expected %s (rule %s)",
		      config_action_to_string(v->action),
		      config_action_to_string(action),
		      v->rule_name);
	ck_assert_str_eq(v->rule_name, rule_name);
	ck_assert_uint_eq(v->place.line, line);
	if (line > 0)
		ck_assert_str_eq(v->place.file, CONF);
	ck_assert_ptr_nonnull(v->reason);
}

/* An SD card or a Thunderbolt device (no descriptors, another bus): storage, decided by the same
 * steps as a USB stick, matched by its rules, and never held back as a keyboard. */
START_TEST(test_policy_other_bus_decided_as_storage)
{
	static const enum devid_bus buses[] = { DEVID_BUS_MMC, DEVID_BUS_THUNDERBOLT };
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct devid id = { .bus = buses[_i] };
	struct policy_verdict v;

	c->storage.keyboards_while_locked = KEYBOARDS_WHILE_LOCKED_BLOCK;
	add_rule(c, "approved-card", "0003", "5344", "0x2b3c4d5e", STORAGE_ACTION_ALLOW, 20);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	memcpy(id.vendor, "0003", 5);
	memcpy(id.product, "5344", 5);
	id.serial = xstrdup("0x2b3c4d5e");

	ck_assert_int_eq(policy_decide(p, &id, &carol_locked, &v), 0);
	ck_assert(v.storage);
	ck_assert(!v.input_held);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-card", 20);
	ck_assert(!policy_keeps_other_functions(p, &id, &v));
	free(id.serial);
	id.serial = xstrdup("0x00000bad");
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	ck_assert_int_eq(policy_decide(p, &id, &bob, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "read_only_groups", 5);
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_non_storage_device_allowed_even_while_locked)
{
	static const char *const devices[] = {
		"keyboard-dell-413c-2107",
		"hub-genesys-05e3-0608",
		"webcam-iad-046d-0825",
	};
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
		decide(c, devices[i], NULL, &nobody, &v);
		assert_verdict(&v, STORAGE_ACTION_ALLOW, "non-storage", 0);
		ck_assert(!v.storage);
		ck_assert_ptr_null(v.rule);
	}
}
END_TEST

START_TEST(test_policy_default_decides_without_rules_or_groups)
{
	static const enum storage_action defaults[] = {
		STORAGE_ACTION_BLOCK,
		STORAGE_ACTION_READ_ONLY,
		STORAGE_ACTION_ALLOW,
	};
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
		c->storage.default_action = defaults[i];
		decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
		assert_verdict(&v, defaults[i], "default", 3);
		ck_assert(v.storage);
	}
}
END_TEST

START_TEST(test_policy_named_rule_allows_exact_device)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 12);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-stick", 12);
	ck_assert_ptr_eq(v.rule, &c->storage.rules[0]);
}
END_TEST

START_TEST(test_policy_serial_mismatch_falls_to_default)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 12);
	decide(c, "stick-kingston-0951-1666", "1C6F654E5B", &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	/* serials compare exactly: case matters */
	decide(c, "stick-kingston-0951-1666", "1c6f654e5a", &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	/* a device without a serial never matches a rule that names one */
	decide(c, "stick-kingston-0951-1666", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	decide(c, "stick-kingston-0951-1666", "", &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
}
END_TEST

START_TEST(test_policy_vendor_only_rule_matches_any_product)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "other-vendor", "abcd", NULL, NULL, STORAGE_ACTION_ALLOW, 10);
	add_rule(c, "kingston", "0951", NULL, NULL, STORAGE_ACTION_ALLOW, 14);
	decide(c, "stick-kingston-0951-1666", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "kingston", 14);
	decide(c, "composite-keyboard-storage", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
}
END_TEST

START_TEST(test_policy_product_only_and_serial_only_rules)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "by-serial", NULL, NULL, "SER-1", STORAGE_ACTION_READ_ONLY, 10);
	add_rule(c, "by-product", NULL, "1666", NULL, STORAGE_ACTION_ALLOW, 14);
	decide(c, "stick-kingston-0951-1666", "SER-1", &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "by-serial", 10);
	decide(c, "stick-kingston-0951-1666", "SER-2", &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "by-product", 14);
}
END_TEST

START_TEST(test_policy_first_match_wins)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	/* the broad rule comes first: it decides, although a later rule is more specific */
	add_rule(c, "kingston-read", "0951", NULL, NULL, STORAGE_ACTION_READ_ONLY, 10);
	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 20);
	add_rule(c, "same-key-later", "0951", NULL, NULL, STORAGE_ACTION_ALLOW, 30);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "kingston-read", 10);
}
END_TEST

START_TEST(test_policy_first_match_wins_specific_first)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 10);
	add_rule(c, "kingston-read", "0951", NULL, NULL, STORAGE_ACTION_READ_ONLY, 20);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-stick", 10);
	decide(c, "stick-kingston-0951-1666", "OTHER", &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "kingston-read", 20);
}
END_TEST

START_TEST(test_policy_rule_without_fields_matches_every_device)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "everything-read-only", NULL, NULL, NULL, STORAGE_ACTION_READ_ONLY, 8);
	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 10);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "everything-read-only", 8);
}
END_TEST

START_TEST(test_policy_vendor_product_compare_case_insensitively)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;

	add_rule(c, "upper", "ABCD", "EF01", NULL, STORAGE_ACTION_ALLOW, 10);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(policy_match_rule(p, "abcd", "ef01", NULL), &c->storage.rules[0]);
	ck_assert_ptr_eq(policy_match_rule(p, "ABCD", "eF01", "x"), &c->storage.rules[0]);
	ck_assert_ptr_null(policy_match_rule(p, "abcd", NULL, NULL));
	ck_assert_ptr_null(policy_match_rule(p, NULL, NULL, NULL));
	ck_assert_ptr_null(policy_match_rule(p, "", "", ""));
	ck_assert_ptr_eq(policy_config(p), c);
}
END_TEST

START_TEST(test_policy_read_only_rule)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "ro-stick", "0951", "1666", NULL, STORAGE_ACTION_READ_ONLY, 10);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "ro-stick", 10);
}
END_TEST

START_TEST(test_policy_groups)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	c->storage.while_locked = WHILE_LOCKED_POLICY;
	decide(c, "stick-kingston-0951-1666", NULL, &carol, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "read_write_groups", 4);
	decide(c, "stick-kingston-0951-1666", NULL, &bob, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "read_only_groups", 5);
	decide(c, "stick-kingston-0951-1666", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	decide(c, "stick-kingston-0951-1666", NULL, &unknown_groups, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	/* Groups NSS could not give: the reason says so (issue 17 item 5), no claim about them. */
	ck_assert_str_eq(
		v.reason,
		"the groups of the person at the seat could not be read (NSS), so no group "
		"can grant more than the default");
	decide(c, "stick-kingston-0951-1666", NULL, &alice, &v);
	ck_assert_str_eq(v.reason, "no named rule or group grants more than the default");
	decide(c, "stick-kingston-0951-1666", NULL, &nobody, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	decide(c, "stick-kingston-0951-1666", NULL, NULL, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
}
END_TEST

START_TEST(test_policy_most_permissive_grant_wins)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "ro-stick", "0951", "1666", NULL, STORAGE_ACTION_READ_ONLY, 10);
	/* it-staff get read-write on any stick, so also on an approved read-only one */
	decide(c, "stick-kingston-0951-1666", NULL, &carol, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "read_write_groups", 4);
	/* same grant from rule and group: the rule, more specific, is reported */
	decide(c, "stick-kingston-0951-1666", NULL, &bob, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "ro-stick", 10);
	/* default allow is not narrowed by a read-only rule */
	c->storage.default_action = STORAGE_ACTION_ALLOW;
	decide(c, "stick-kingston-0951-1666", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "default", 3);
	/* default read-only and a read-only rule: the rule is reported */
	c->storage.default_action = STORAGE_ACTION_READ_ONLY;
	decide(c, "stick-kingston-0951-1666", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "ro-stick", 10);
}
END_TEST

START_TEST(test_policy_named_allow_beats_group)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "approved-stick", "0951", "1666", NULL, STORAGE_ACTION_ALLOW, 10);
	decide(c, "stick-kingston-0951-1666", NULL, &carol, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-stick", 10);
}
END_TEST

START_TEST(test_policy_while_locked_block_overrides_everything)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 10);
	c->storage.default_action = STORAGE_ACTION_ALLOW;

	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &carol_locked, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	ck_assert_str_eq(v.reason, "the session at the seat is locked");
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &nobody, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	ck_assert_str_eq(v.reason, "nobody is logged in at the seat");
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, NULL, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	/* someone present and unlocked: the usual steps */
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &carol, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-stick", 10);
}
END_TEST

START_TEST(test_policy_while_locked_policy_decides_as_usual)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	c->storage.while_locked = WHILE_LOCKED_POLICY;
	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_ALLOW, 10);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &nobody, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-stick", 10);
	/* the locked session's owner keeps their groups */
	decide(c, "stick-kingston-0951-1666", NULL, &carol_locked, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "read_write_groups", 4);
}
END_TEST

static const struct policy_person carol_c1 = {
	.user = "carol", .uid = 1002, .groups = it_groups, .present = true, .session = "c1"
};
static const struct policy_person carol_c1_locked = { .user = "carol",
						      .uid = 1002,
						      .groups = it_groups,
						      .present = true,
						      .locked = true,
						      .session = "c1" };
static const struct policy_person bob_c2 = {
	.user = "bob", .uid = 1001, .groups = staff_groups, .present = true, .session = "c2"
};
static const struct policy_person unknown = { .unknown = true };

START_TEST(test_policy_unknown_person_is_nobody_and_says_why)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &unknown, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	ck_assert_str_eq(v.reason, "who is at the seat is unknown (logind cannot be reached)");
	/* Without while_locked: the default decides, and the reason still says why. */
	c->storage.while_locked = WHILE_LOCKED_POLICY;
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &unknown, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	ck_assert_ptr_nonnull(strstr(v.reason, "unknown (logind cannot be reached)"));
}
END_TEST

START_TEST(test_policy_redecide_on_seat_change)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict granted, held, keyboard;

	decide(c, "stick-kingston-0951-1666", NULL, &carol_c1, &granted);
	ck_assert_int_eq(granted.step, POLICY_STEP_READ_WRITE_GROUPS);
	decide(c, "stick-kingston-0951-1666", NULL, &carol_c1_locked, &held);
	ck_assert_int_eq(held.step, POLICY_STEP_WHILE_LOCKED);
	decide(c, "keyboard-dell-413c-2107", NULL, &carol_c1, &keyboard);

	/* Another person, or nobody: decided again, whatever decided before. */
	ck_assert(policy_redecide_on_seat_change(&granted, &carol_c1, &bob_c2));
	ck_assert(policy_redecide_on_seat_change(&granted, &carol_c1, &nobody));
	ck_assert(policy_redecide_on_seat_change(&granted, &carol_c1, NULL));
	ck_assert(policy_redecide_on_seat_change(&held, &nobody, &carol_c1));
	ck_assert(policy_redecide_on_seat_change(&held, &unknown, &carol_c1));
	/* The same session locks: what was granted stays. */
	ck_assert(!policy_redecide_on_seat_change(&granted, &carol_c1, &carol_c1_locked));
	ck_assert(!policy_redecide_on_seat_change(&granted, &carol_c1, &carol_c1));
	/* The same session unlocks: what while_locked held back is decided for the person. */
	ck_assert(policy_redecide_on_seat_change(&held, &carol_c1_locked, &carol_c1));
	ck_assert(!policy_redecide_on_seat_change(&held, &carol_c1_locked, &carol_c1_locked));
	/* logind unreachable: no news. */
	ck_assert(!policy_redecide_on_seat_change(&granted, &carol_c1, &unknown));
	ck_assert(!policy_redecide_on_seat_change(&held, &carol_c1_locked, &unknown));
	/* No storage: never. */
	ck_assert(!policy_redecide_on_seat_change(&keyboard, &carol_c1, &bob_c2));
}
END_TEST

static bool needs_person(const struct config *c)
{
	_cleanup_(policy_freep) struct policy *p = policy_new(c);

	ck_assert_ptr_nonnull(p);
	return policy_needs_person(p);
}

/* The daemon decides before looking the person up exactly when this says the person cannot
 * matter: then every person, and nobody, must get the same verdict. */
START_TEST(test_policy_needs_person_only_when_the_person_can_matter)
{
	static const struct policy_person *const people[] = {
		&nobody, &alice, &bob, &carol, &carol_locked
	};
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v0, v;
	struct devid id;

	ck_assert(needs_person(c)); /* while_locked = block and both group lists */
	c->storage.while_locked = WHILE_LOCKED_POLICY;
	ck_assert(needs_person(c)); /* group lists */
	set_groups(&c->storage.read_write_groups, NULL, NULL);
	ck_assert(needs_person(c)); /* read_only_groups still set */

	set_groups(&c->storage.read_only_groups, NULL, NULL);
	ck_assert(needs_person(c)); /* keyboards_while_locked = block-extra */
	c->storage.keyboards_while_locked = KEYBOARDS_WHILE_LOCKED_ALLOW;
	add_rule(c, "approved-stick", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_READ_ONLY, 10);
	p = policy_new(c);
	ck_assert(!policy_needs_person(p));

	load_device("stick-kingston-0951-1666", STICK_SERIAL, &id);
	ck_assert_int_eq(policy_decide(p, &id, NULL, &v0), 0);
	for (size_t i = 0; i < ELEMENTSOF(people); i++) {
		ck_assert_int_eq(policy_decide(p, &id, people[i], &v), 0);
		ck_assert_int_eq(v.action, v0.action);
		ck_assert_str_eq(v.rule_name, v0.rule_name);
	}
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_composite_blocks_storage_interface_only)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid id;

	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	load_device("composite-keyboard-storage", NULL, &id);

	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	ck_assert(v.storage);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_ALLOW);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 1), STORAGE_ACTION_BLOCK);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 0, 1), STORAGE_ACTION_BLOCK);
	/* an interface not in the descriptors gets the storage decision (fail closed) */
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 5), STORAGE_ACTION_BLOCK);

	ck_assert_int_eq(policy_decide(p, &id, &bob, &v), 0);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_ALLOW);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 1), STORAGE_ACTION_READ_ONLY);
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_non_storage_interfaces_allowed)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid id;

	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	load_device("keyboard-dell-413c-2107", NULL, &id);
	ck_assert_int_eq(policy_decide(p, &id, &nobody, &v), 0);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_ALLOW);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 9), STORAGE_ACTION_ALLOW);
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_harmless_classes_honoured)
{
	/* a PTP camera 06/01/01 and a WiFi dongle ff/ff/ff */
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid camera, wifi;

	load_device("camera-ptp-04b0-045a", NULL, &camera);
	load_device("wifi-rtl8188eus-0bda-8179", NULL, &wifi);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);

	ck_assert_int_eq(policy_decide(p, &camera, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	ck_assert_int_eq(policy_interface_action(p, &camera, &v, 1, 0), STORAGE_ACTION_BLOCK);
	ck_assert_int_eq(policy_decide(p, &wifi, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);

	/* listing ff as harmless lets the dongle in, never still image (refused at load) */
	c->storage.harmless_classes[0xff / 64] |= UINT64_C(1) << (0xff % 64);
	ck_assert_int_eq(policy_decide(p, &wifi, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "non-storage", 0);
	ck_assert_int_eq(policy_decide(p, &camera, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	devid_done(&camera);
	devid_done(&wifi);
}
END_TEST

/* The bypasses of issue 16: functions that carry files behind vendor-specific classes. */
START_TEST(test_policy_vendor_specific_storage_is_blocked_by_default)
{
	static const char *const fixtures[] = {
		"cardreader-rts5129-0bda-0129", /* rtsx_usb: mmcblk disks */
		"phone-mtp-adb-18d1-4ee2",	/* Android MTP as ff/ff/00 */
		"iphone-05ac-12a8",		/* usbmux ff/fe/02 */
		"phone-ptp-18d1-4ee1",		/* MTP as 06/01/01 */
		"wifi-rtl8188eus-0bda-8179",	/* cannot be told apart from the above */
	};
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct policy_verdict v;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		struct devid id;

		load_device(fixtures[i], NULL, &id);
		ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
		ck_assert_msg(v.storage, "%s", fixtures[i]);
		assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
		/* blocked as a whole: nothing harmless to keep */
		ck_assert_msg(!policy_keeps_other_functions(p, &id, &v), "%s", fixtures[i]);
		ck_assert(!v.input_held);
		/* and while the seat is empty */
		ck_assert_int_eq(policy_decide(p, &id, &nobody, &v), 0);
		assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
		devid_done(&id);
	}
}
END_TEST

START_TEST(test_policy_iphone_usbmux_blocked_in_every_configuration)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct policy_verdict v;
	struct devid id;

	ck_assert_ptr_nonnull(p);
	load_device("iphone-05ac-12a8", NULL, &id);
	ck_assert_int_eq(policy_decide(p, &id, &bob, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "read_only_groups", 5);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_READ_ONLY);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 2, 1), STORAGE_ACTION_READ_ONLY);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 2, 1), STORAGE_ACTION_BLOCK);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 2, 0), STORAGE_ACTION_BLOCK);
	devid_done(&id);
}
END_TEST

/* A WiFi dongle is allowed by name; the rule still cannot beat a locked seat. */
START_TEST(test_policy_named_rule_allows_vendor_specific_dongle)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct policy_verdict v;

	add_rule(c, "wifi-dongle", "0bda", "8179", NULL, STORAGE_ACTION_ALLOW, 20);
	decide(c, "wifi-rtl8188eus-0bda-8179", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "wifi-dongle", 20);
	decide(c, "wifi-rtl8188eus-0bda-8179", NULL, &carol_locked, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	/* the rule names this product only: the card reader of the same vendor stays blocked */
	decide(c, "cardreader-rts5129-0bda-0129", NULL, &alice, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
}
END_TEST

START_TEST(test_policy_harmless_devices_allowed_at_an_empty_seat)
{
	static const char *const fixtures[] = {
		"headset-cmedia-0d8c-0014",
		"printer-hp-03f0-2b17",
		"smartcard-alcor-058f-9540",
	};
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct policy_verdict v;

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < ELEMENTSOF(fixtures); i++) {
		struct devid id;

		load_device(fixtures[i], NULL, &id);
		ck_assert_int_eq(policy_decide(p, &id, &nobody, &v), 0);
		assert_verdict(&v, STORAGE_ACTION_ALLOW, "non-storage", 0);
		ck_assert(!v.storage);
		ck_assert(!v.input_held); /* the seat has no keyboard: nothing held */
		ck_assert(policy_disks_read_only(&v, STORAGE_ACTION_ALLOW));
		devid_done(&id);
	}
}
END_TEST

/* ---- a disk below a function judged harmless (step 0) ---- */

START_TEST(test_policy_disk_below_harmless_device_blocks_it)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid id;

	set_place(&c->storage.harmless_classes_place, 7);
	/* a rule for the very device, a group that grants everything: neither counts */
	add_rule(c, "the-keyboard", "413c", "2107", NULL, STORAGE_ACTION_ALLOW, 12);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	load_device("keyboard-dell-413c-2107", NULL, &id);

	ck_assert_int_eq(policy_decide(p, &id, &carol, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "non-storage", 0);
	/* a disk below its HID interface was not foreseen */
	ck_assert(!policy_disk_expected(p, &id, &v, 1, 0));
	ck_assert(!policy_disk_expected(p, &id, &v, 1, -1));

	devid_add_disk(&id, 0);
	ck_assert_int_eq(policy_decide(p, &id, &carol, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "harmless_classes", 7);
	ck_assert_int_eq(v.step, POLICY_STEP_DISK_BELOW_HARMLESS);
	ck_assert(v.storage);
	ck_assert_str_eq(v.reason, "a disk appeared below a device function judged harmless");
	ck_assert_ptr_null(v.rule);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_BLOCK);
	ck_assert(!policy_keeps_other_functions(p, &id, &v));
	/* now it is foreseen: the next partition does not start it all again */
	ck_assert(policy_disk_expected(p, &id, &v, 1, 0));
	/* unlocked seat, it-staff, a named rule: still blocked, until it is unplugged */
	ck_assert(!policy_redecide_on_seat_change(&v, &carol_c1_locked, &carol_c1));
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_disk_below_one_function_keeps_the_others)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct policy_verdict v;
	struct devid id;

	ck_assert_ptr_nonnull(p);
	load_device("headset-cmedia-0d8c-0014", NULL, &id);
	devid_add_disk(&id, 3);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	ck_assert_int_eq(v.step, POLICY_STEP_DISK_BELOW_HARMLESS);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 3), STORAGE_ACTION_BLOCK);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_ALLOW);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 1), STORAGE_ACTION_ALLOW);
	ck_assert(policy_keeps_other_functions(p, &id, &v));
	/* another disk below another harmless function is news again */
	ck_assert(!policy_disk_expected(p, &id, &v, 1, 1));
	/* a disk below no interface vakt can name: the whole device */
	ck_assert(!policy_disk_expected(p, &id, &v, 1, -1));
	devid_add_disk(&id, -1);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	ck_assert(policy_disk_expected(p, &id, &v, 1, -1));
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_BLOCK);
	ck_assert(!policy_keeps_other_functions(p, &id, &v));
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_disk_below_the_keyboard_of_an_allowed_composite)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid id;

	add_rule(c, "compo", "1234", "5678", NULL, STORAGE_ACTION_ALLOW, 12);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	load_device("composite-keyboard-storage", NULL, &id);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "compo", 12);
	/* its storage interface's disk is what the rule allows */
	ck_assert(policy_disk_expected(p, &id, &v, 1, 1));
	ck_assert(!policy_disks_read_only(&v, STORAGE_ACTION_ALLOW));
	/* a disk below the keyboard is not: the device lied, the rule no longer counts */
	ck_assert(!policy_disk_expected(p, &id, &v, 1, 0));
	devid_add_disk(&id, 0);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "harmless_classes", 0);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_BLOCK);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 1), STORAGE_ACTION_BLOCK);
	ck_assert(!policy_keeps_other_functions(p, &id, &v));
	devid_done(&id);
}
END_TEST

START_TEST(test_policy_disks_read_only_unless_allowed_read_write)
{
	struct policy_verdict v = { .storage = false };

	ck_assert(policy_disks_read_only(&v, STORAGE_ACTION_ALLOW));
	v.storage = true;
	ck_assert(!policy_disks_read_only(&v, STORAGE_ACTION_ALLOW));
	ck_assert(policy_disks_read_only(&v, STORAGE_ACTION_READ_ONLY));
	ck_assert(policy_disks_read_only(&v, STORAGE_ACTION_BLOCK));
}
END_TEST

/* ---- the keyboard decision ---- */

static const struct policy_person nobody_kbd = {
	.seat_has_keyboard = true,
};
static const struct policy_person unknown_kbd = {
	.unknown = true,
	.seat_has_keyboard = true,
};
static const struct policy_person carol_c1_locked_kbd = { .user = "carol",
							  .uid = 1002,
							  .groups = it_groups,
							  .present = true,
							  .locked = true,
							  .session = "c1",
							  .seat_has_keyboard = true };
static const struct policy_person carol_c1_kbd = { .user = "carol",
						   .uid = 1002,
						   .groups = it_groups,
						   .present = true,
						   .session = "c1",
						   .seat_has_keyboard = true };

/* Decides fixture (authorised or not) for person with keyboards_while_locked = mode. */
static void decide_keyboard(enum keyboards_while_locked mode,
			    const char *fixture,
			    bool authorized,
			    const struct policy_person *person,
			    struct policy_verdict *v)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct devid id;

	c->storage.keyboards_while_locked = mode;
	set_place(&c->storage.keyboards_while_locked_place, 9);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	load_device(fixture, NULL, &id);
	id.authorized = authorized;
	ck_assert_int_eq(policy_decide(p, &id, person, v), 0);
	if (v->input_held) {
		ck_assert_ptr_nonnull(v->input_reason);
		ck_assert_uint_eq(v->input_place.line, 9);
	} else
		ck_assert_ptr_null(v->input_reason);
	devid_done(&id);
}

struct keyboard_case {
	const char *fixture;
	const struct policy_person *person;
	enum keyboards_while_locked mode;
	bool authorized;
	bool held;
};

#define EXTRA KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA
#define BLOCK KEYBOARDS_WHILE_LOCKED_BLOCK
#define ALLOW KEYBOARDS_WHILE_LOCKED_ALLOW
#define KBD   "keyboard-dell-413c-2107"

static const struct keyboard_case keyboard_cases[] = {
	/* block-extra: held only where another keyboard can unlock */
	{ KBD, &nobody_kbd, EXTRA, false, true },
	{ KBD, &nobody, EXTRA, false, false },
	{ KBD, NULL, EXTRA, false, false },
	{ KBD, &carol_c1_locked_kbd, EXTRA, false, true },
	{ KBD, &carol_c1_locked, EXTRA, false, false },
	{ KBD, &carol_c1_kbd, EXTRA, false, false },
	{ KBD, &unknown_kbd, EXTRA, false, true },
	/* already in use: never taken away */
	{ KBD, &carol_c1_locked_kbd, EXTRA, true, false },
	{ KBD, &nobody, BLOCK, true, false },
	/* block: held at any locked or empty seat */
	{ KBD, &nobody, BLOCK, false, true },
	{ KBD, &carol_c1_locked, BLOCK, false, true },
	{ KBD, &carol_c1, BLOCK, false, false },
	/* allow: never */
	{ KBD, &nobody_kbd, ALLOW, false, false },
	{ KBD, &carol_c1_locked_kbd, ALLOW, false, false },
	/* anything with HID may type: a headset's buttons, a keyboard with a card reader */
	{ "headset-cmedia-0d8c-0014", &nobody_kbd, EXTRA, false, true },
	{ "composite-keyboard-storage", &carol_c1_locked_kbd, EXTRA, false, true },
	/* what cannot type is never held as a keyboard */
	{ "stick-kingston-0951-1666", &nobody_kbd, BLOCK, false, false },
	{ "printer-hp-03f0-2b17", &nobody_kbd, BLOCK, false, false },
	{ "hub-genesys-05e3-0608", &nobody_kbd, BLOCK, false, false },
};

START_TEST(test_policy_keyboard_decision)
{
	const struct keyboard_case *t = &keyboard_cases[_i];
	struct policy_verdict v;

	decide_keyboard(t->mode, t->fixture, t->authorized, t->person, &v);
	ck_assert_msg(v.input_held == t->held, "case %d: held %d", _i, v.input_held);
}
END_TEST

START_TEST(test_policy_keyboard_reasons)
{
	struct policy_verdict v;

	decide_keyboard(EXTRA, KBD, false, &nobody_kbd, &v);
	ck_assert_str_eq(v.input_reason,
			 "a new device that can type, while nobody is logged in at the seat and "
			 "the seat has a keyboard already");
	decide_keyboard(EXTRA, KBD, false, &carol_c1_locked_kbd, &v);
	ck_assert_str_eq(v.input_reason,
			 "a new device that can type, while the session at the seat is locked and "
			 "the seat has a keyboard already");
	decide_keyboard(EXTRA, KBD, false, &unknown_kbd, &v);
	ck_assert_ptr_nonnull(strstr(v.input_reason, "logind cannot be reached"));
	decide_keyboard(BLOCK, KBD, false, &nobody, &v);
	ck_assert_str_eq(v.input_reason,
			 "a new device that can type, while nobody is logged in at the seat");
	decide_keyboard(BLOCK, KBD, false, &carol_c1_locked, &v);
	ck_assert_str_eq(v.input_reason,
			 "a new device that can type, while the session at the seat is locked");
}
END_TEST

/* The keyboard decision is apart from the storage one: each says what it says. */
START_TEST(test_policy_keyboard_and_storage_decided_apart)
{
	struct policy_verdict v;

	/* (decide_keyboard() frees the config: only the fields that do not borrow from it) */
	decide_keyboard(EXTRA, "composite-keyboard-storage", false, &carol_c1_locked_kbd, &v);
	ck_assert(v.input_held);
	ck_assert_int_eq(v.step, POLICY_STEP_WHILE_LOCKED);
	ck_assert_int_eq(v.action, STORAGE_ACTION_BLOCK);
	decide_keyboard(EXTRA, KBD, false, &nobody_kbd, &v);
	ck_assert(v.input_held);
	ck_assert_int_eq(v.step, POLICY_STEP_NON_STORAGE);
	ck_assert_int_eq(v.action, STORAGE_ACTION_ALLOW);
}
END_TEST

START_TEST(test_policy_held_keyboard_keeps_nothing_and_is_decided_on_unlock)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct policy_verdict v;
	struct devid id;

	ck_assert_ptr_nonnull(p);
	load_device("composite-keyboard-storage", NULL, &id);
	ck_assert_int_eq(policy_decide(p, &id, &carol_c1_locked_kbd, &v), 0);
	ck_assert(v.input_held);
	ck_assert(!policy_keeps_other_functions(p, &id, &v));
	devid_done(&id);

	decide_keyboard(EXTRA, KBD, false, &carol_c1_locked_kbd, &v);
	ck_assert(!v.storage);
	/* the same session unlocks, another person logs in: decided again */
	ck_assert(policy_redecide_on_seat_change(&v, &carol_c1_locked_kbd, &carol_c1_kbd));
	ck_assert(policy_redecide_on_seat_change(&v, &nobody_kbd, &carol_c1));
	ck_assert(policy_redecide_on_seat_change(&v, &carol_c1_locked_kbd, &bob_c2));
	/* still locked, or logind gone: no news */
	ck_assert(!policy_redecide_on_seat_change(&v, &carol_c1_locked_kbd, &carol_c1_locked_kbd));
	ck_assert(!policy_redecide_on_seat_change(&v, &carol_c1_locked_kbd, &unknown));
	/* a keyboard leaves the seat: the held one may be the only one now */
	ck_assert(policy_redecide_on_keyboard_gone(&v));
	/* a keyboard that was not held: never */
	decide_keyboard(EXTRA, KBD, false, &carol_c1_kbd, &v);
	ck_assert(!policy_redecide_on_seat_change(&v, &carol_c1_kbd, &bob_c2));
	ck_assert(!policy_redecide_on_keyboard_gone(&v));
}
END_TEST

START_TEST(test_policy_wants_seat_keyboard_only_when_it_matters)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct devid kbd, stick;

	load_device(KBD, NULL, &kbd);
	load_device("stick-kingston-0951-1666", NULL, &stick);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	ck_assert(policy_wants_seat_keyboard(p, &kbd, &nobody));
	ck_assert(policy_wants_seat_keyboard(p, &kbd, NULL));
	ck_assert(policy_wants_seat_keyboard(p, &kbd, &carol_c1_locked));
	ck_assert(!policy_wants_seat_keyboard(p, &kbd, &carol_c1));
	ck_assert(!policy_wants_seat_keyboard(p, &stick, &nobody));
	kbd.authorized = true;
	ck_assert(!policy_wants_seat_keyboard(p, &kbd, &nobody));
	kbd.authorized = false;
	/* block holds without looking, allow never holds */
	c->storage.keyboards_while_locked = KEYBOARDS_WHILE_LOCKED_BLOCK;
	ck_assert(!policy_wants_seat_keyboard(p, &kbd, &nobody));
	c->storage.keyboards_while_locked = KEYBOARDS_WHILE_LOCKED_ALLOW;
	ck_assert(!policy_wants_seat_keyboard(p, &kbd, &nobody));
	devid_done(&kbd);
	devid_done(&stick);
}
END_TEST

START_TEST(test_policy_unparsable_device_gets_storage_decision)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid id = { .vendor = "0951", .product = "1666" };

	add_rule(c, "kingston", "0951", NULL, NULL, STORAGE_ACTION_READ_ONLY, 10);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "kingston", 10);
	ck_assert(v.storage);
	ck_assert_int_eq(policy_interface_action(p, &id, &v, 1, 0), STORAGE_ACTION_READ_ONLY);

	id.vendor[0] = '\0';
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
}
END_TEST

/* Writes v as 4 lower-case hex digits. */
static void hex4(char buf[static 5], size_t v)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 3; i >= 0; i--, v >>= 4)
		buf[i] = hex[v & 0xf];
	buf[4] = '\0';
}

/* 10,000 rules: every one is found, the first in file order wins, lookups stay fast. */
START_TEST(test_policy_many_rules_first_match_in_file_order)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	char vendor[5], product[5], name[16] = "rule-";
	const size_t n = 10000;

	for (size_t i = 0; i < n; i++) {
		hex4(vendor, i % 4096);
		hex4(product, i);
		hex4(name + 5, i);
		add_rule(c, name, vendor, product, NULL, STORAGE_ACTION_ALLOW, (unsigned)i + 10);
	}
	/* a broad rule at the end loses to every specific one before it */
	add_rule(c, "vendor-0001", "0001", NULL, NULL, STORAGE_ACTION_READ_ONLY, 20000);

	p = policy_new(c);
	ck_assert_ptr_nonnull(p);

	for (size_t i = 0; i < n; i++) {
		const struct storage_rule *r;

		hex4(vendor, i % 4096);
		hex4(product, i);
		r = policy_match_rule(p, vendor, product, "S");
		ck_assert_ptr_eq(r, &c->storage.rules[i]);
	}
	ck_assert_ptr_eq(policy_match_rule(p, "0001", "ffff", NULL), &c->storage.rules[n]);
	ck_assert_ptr_null(policy_match_rule(p, "0fff", "ffff", NULL));
	/* Speed with many rules is measured by make bench (bench-storage), not asserted here. */
}
END_TEST

START_TEST(test_policy_from_loaded_config)
{
	static const char text[] = "[storage]\n"
				   "default = block\n"
				   "read_only_groups = staff\n"
				   "while_locked = policy\n"
				   "\n"
				   "[storage.allow \"kingston\"]\n"
				   "vendor = 0951\n"
				   "mode = read-only\n"
				   "\n"
				   "[storage.allow \"approved-stick\"]\n"
				   "vendor = 0951\n"
				   "product = 1666\n"
				   "serial = " STICK_SERIAL "\n"
				   "mode = allow\n";
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	struct policy_verdict v;
	char where[256];

	ck_assert_int_eq(config_load_string(text, strlen(text), "test.conf", &c, &errors), 0);
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &alice, &v);
	ck_assert_int_eq(v.action, STORAGE_ACTION_READ_ONLY);
	ck_assert_str_eq(v.rule_name, "kingston");
	ck_assert_str_eq(config_place_format(&v.place, where, sizeof(where)), "test.conf:6");
	decide(c, "stick-kingston-0951-1666", STICK_SERIAL, &nobody, &v);
	ck_assert_str_eq(v.rule_name, "kingston");
	decide(c, "composite-keyboard-storage", NULL, &alice, &v);
	ck_assert_int_eq(v.action, STORAGE_ACTION_BLOCK);
	ck_assert_str_eq(v.rule_name, "default");
	ck_assert_str_eq(config_place_format(&v.place, where, sizeof(where)), "test.conf:2");
}
END_TEST

START_TEST(test_policy_free_accepts_null)
{
	ck_assert_ptr_null(policy_free(NULL));
}
END_TEST

/* ---- dispensations (step 2, the last grant) ---- */

#define T_NOW	   (UINT64_C(1764900000) * USEC_PER_SEC)
#define T_EXPIRES  (T_NOW + USEC_PER_HOUR)
#define STICK_SPEC "0951:1666"

/* Adds a dispensation for user (uid) to l; device NULL = any device. */
static void add_disp(struct dispensation_list *l,
		     const char *id,
		     const char *user,
		     uid_t uid,
		     const char *device,
		     enum storage_action mode,
		     uint64_t not_after)
{
	char id_copy[DISPENSATION_ID_MAX], user_copy[DISPENSATION_USER_MAX + 1];
	struct dispensation d = {
		.id = id_copy,
		.user = user_copy,
		.uid = uid,
		.mode = mode,
		.not_after = not_after,
		.granted_at = T_NOW - USEC_PER_MINUTE,
		.granted_by = (char *)"root",
		.ticket = (char *)"HD-4711",
		.reason = (char *)"migration of the lab data",
	};
	const char *why = NULL;

	(void)snprintf(id_copy, sizeof(id_copy), "%s", id);
	(void)snprintf(user_copy, sizeof(user_copy), "%s", user);
	if (device)
		ck_assert_int_eq(dispensation_parse_device(device, &d, &why), 0);
	ck_assert_int_eq(dispensation_list_add(l, &d), 0);
	free(d.serial);
}

/* Decides the Kingston stick (serial STICK_SERIAL) for person at time now with the dispensations
 * l. */
static void decide_disp(const struct config *c,
			const struct dispensation_list *l,
			const struct policy_person *person,
			uint64_t now,
			struct policy_verdict *v)
{
	_cleanup_(policy_freep) struct policy *p = policy_new(c);
	struct policy_person pp;
	struct devid id;

	ck_assert_ptr_nonnull(p);
	policy_set_dispensations(p, l);
	load_device("stick-kingston-0951-1666", STICK_SERIAL, &id);
	if (person) {
		pp = *person;
		pp.now = now;
		person = &pp;
	}
	ck_assert_int_eq(policy_decide(p, &id, person, v), 0);
	devid_done(&id);
}

START_TEST(test_policy_dispensation_allows_for_its_person)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct dispensation_list l = { 0 };
	struct policy_verdict v;

	add_disp(&l, "d-00000001", "alice", 1000, NULL, STORAGE_ACTION_ALLOW, T_EXPIRES);
	decide_disp(c, &l, &alice, T_NOW, &v);
	ck_assert_int_eq(v.step, POLICY_STEP_DISPENSATION);
	ck_assert_int_eq(v.action, STORAGE_ACTION_ALLOW);
	ck_assert_str_eq(v.rule_name, "dispensation");
	ck_assert_ptr_eq(v.dispensation, &l.items[0]);
	ck_assert(v.storage);
	ck_assert_str_eq(v.reason,
			 "a written dispensation allows storage for the person at the seat");

	/* another person, or the same name with another uid: the default */
	decide_disp(c, &l, &bob, T_NOW, &v);
	ck_assert_int_eq(v.step, POLICY_STEP_READ_ONLY_GROUPS);
	{
		struct policy_person other_alice = alice;

		other_alice.uid = 2000;
		decide_disp(c, &l, &other_alice, T_NOW, &v);
		assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
		ck_assert_ptr_null(v.dispensation);
	}
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_never_at_a_locked_or_empty_seat)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct dispensation_list l = { 0 };
	struct policy_person alice_locked = alice, alice_unknown = alice;
	struct policy_verdict v;

	alice_locked.locked = true;
	alice_unknown.present = false;
	alice_unknown.unknown = true;
	add_disp(&l, "d-00000001", "alice", 1000, NULL, STORAGE_ACTION_ALLOW, T_EXPIRES);

	/* while_locked = block beats it */
	decide_disp(c, &l, &alice_locked, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	decide_disp(c, &l, &nobody, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);
	decide_disp(c, &l, NULL, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "while_locked", 6);

	/* while_locked = policy: still only for the person present and unlocked */
	c->storage.while_locked = WHILE_LOCKED_POLICY;
	decide_disp(c, &l, &alice_locked, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	decide_disp(c, &l, &alice_unknown, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	decide_disp(c, &l, &alice, T_NOW, &v);
	ck_assert_int_eq(v.step, POLICY_STEP_DISPENSATION);
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_device_must_match)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct dispensation_list l = { 0 };
	struct policy_verdict v;

	add_disp(&l, "d-00000001", "alice", 1000, "0951:1667", STORAGE_ACTION_ALLOW, T_EXPIRES);
	add_disp(&l,
		 "d-00000002",
		 "alice",
		 1000,
		 "0951:1666:OTHER",
		 STORAGE_ACTION_ALLOW,
		 T_EXPIRES);
	decide_disp(c, &l, &alice, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);

	/* with the right serial */
	add_disp(&l,
		 "d-00000003",
		 "alice",
		 1000,
		 "0951:1666:" STICK_SERIAL,
		 STORAGE_ACTION_READ_ONLY,
		 T_EXPIRES);
	decide_disp(c, &l, &alice, T_NOW, &v);
	ck_assert_int_eq(v.step, POLICY_STEP_DISPENSATION);
	ck_assert_int_eq(v.action, STORAGE_ACTION_READ_ONLY);
	ck_assert_str_eq(v.dispensation->id, "d-00000003");
	dispensation_list_done(&l);

	add_disp(&l, "d-00000004", "alice", 1000, "0951:1666", STORAGE_ACTION_ALLOW, T_EXPIRES);
	decide_disp(c, &l, &alice, T_NOW, &v);
	ck_assert_str_eq(v.dispensation->id, "d-00000004");
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_expires)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct dispensation_list l = { 0 };
	struct policy_verdict v;

	add_disp(&l, "d-00000001", "alice", 1000, STICK_SPEC, STORAGE_ACTION_ALLOW, T_EXPIRES);
	decide_disp(c, &l, &alice, T_EXPIRES - 1, &v);
	ck_assert_int_eq(v.step, POLICY_STEP_DISPENSATION);
	decide_disp(c, &l, &alice, T_EXPIRES, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_only_when_it_grants_more)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct dispensation_list l = { 0 };
	struct policy_verdict v;

	/* carol is in read_write_groups: a read-only dispensation takes nothing away */
	add_disp(&l, "d-00000001", "carol", 1002, NULL, STORAGE_ACTION_READ_ONLY, T_EXPIRES);
	decide_disp(c, &l, &carol, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "read_write_groups", 4);
	ck_assert_ptr_null(v.dispensation);

	/* bob is in read_only_groups: read-only adds nothing, allow does */
	add_disp(&l, "d-00000002", "bob", 1001, NULL, STORAGE_ACTION_READ_ONLY, T_EXPIRES);
	decide_disp(c, &l, &bob, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "read_only_groups", 5);
	add_disp(
		&l, "d-00000003", "bob", 1001, NULL, STORAGE_ACTION_ALLOW, T_NOW + USEC_PER_MINUTE);
	decide_disp(c, &l, &bob, T_NOW, &v);
	ck_assert_int_eq(v.step, POLICY_STEP_DISPENSATION);
	ck_assert_str_eq(v.dispensation->id, "d-00000003");

	/* a named read-only rule for the stick, an allow rule beats any dispensation */
	add_rule(c, "approved-stick", "0951", "1666", NULL, STORAGE_ACTION_READ_ONLY, 12);
	add_disp(&l, "d-00000004", "alice", 1000, NULL, STORAGE_ACTION_READ_ONLY, T_EXPIRES);
	decide_disp(c, &l, &alice, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_READ_ONLY, "approved-stick", 12);
	c->storage.rules[0].mode = STORAGE_ACTION_ALLOW;
	decide_disp(c, &l, &bob, T_NOW, &v);
	assert_verdict(&v, STORAGE_ACTION_ALLOW, "approved-stick", 12);
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_never_beats_a_disk_below_harmless)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct dispensation_list l = { 0 };
	struct policy_person pp = carol;
	struct policy_verdict v;
	struct devid id;

	set_place(&c->storage.harmless_classes_place, 7);
	add_disp(&l, "d-00000001", "carol", 1002, "413c:2107", STORAGE_ACTION_ALLOW, T_EXPIRES);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	policy_set_dispensations(p, &l);
	load_device("keyboard-dell-413c-2107", NULL, &id);
	pp.now = T_NOW;
	devid_add_disk(&id, 0);
	ck_assert_int_eq(policy_decide(p, &id, &pp, &v), 0);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "harmless_classes", 7);
	ck_assert_ptr_null(v.dispensation);
	devid_done(&id);
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_makes_the_person_matter)
{
	_cleanup_(config_freep) struct config *c = config_new();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct dispensation_list l = { 0 };

	ck_assert_ptr_nonnull(c);
	c->storage.while_locked = WHILE_LOCKED_POLICY;
	c->storage.keyboards_while_locked = KEYBOARDS_WHILE_LOCKED_ALLOW;
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	ck_assert(!policy_needs_person(p));
	policy_set_dispensations(p, &l);
	ck_assert(!policy_needs_person(p));
	add_disp(&l, "d-00000001", "alice", 1000, NULL, STORAGE_ACTION_ALLOW, T_EXPIRES);
	ck_assert(policy_needs_person(p));
	dispensation_list_done(&l);
}
END_TEST

START_TEST(test_policy_dispensation_now_zero_is_the_clock)
{
	_cleanup_(config_freep) struct config *c = test_config();
	struct dispensation_list l = { 0 };
	struct policy_verdict v;

	/* 2001 has passed, 9999 has not */
	add_disp(&l,
		 "d-00000001",
		 "alice",
		 1000,
		 NULL,
		 STORAGE_ACTION_ALLOW,
		 UINT64_C(1000000000) * USEC_PER_SEC);
	decide_disp(c, &l, &alice, 0, &v);
	assert_verdict(&v, STORAGE_ACTION_BLOCK, "default", 3);
	add_disp(&l,
		 "d-00000002",
		 "alice",
		 1000,
		 NULL,
		 STORAGE_ACTION_ALLOW,
		 UINT64_C(253402300000) * USEC_PER_SEC);
	decide_disp(c, &l, &alice, 0, &v);
	ck_assert_str_eq(v.dispensation->id, "d-00000002");
	dispensation_list_done(&l);
}
END_TEST

/* Issue 14 (vaktctl explain): every step, whether it applies, and the one that decides is the
 * one policy_decide() reports; later steps are still evaluated. */
START_TEST(test_policy_explain_walks_every_step)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_explain_step steps[POLICY_EXPLAIN_STEPS];
	struct policy_verdict v, d;
	struct devid id;
	static const char *const names[] = { "harmless_classes",  "non-storage",
					     "while_locked",	  "rule",
					     "read_write_groups", "read_only_groups",
					     "default",		  "dispensation" };

	add_rule(c, "approved", "0951", "1666", STICK_SERIAL, STORAGE_ACTION_READ_ONLY, 10);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	load_device("stick-kingston-0951-1666", STICK_SERIAL, &id);

	/* carol (it-staff and staff): the rule gives read-only, her group read-write: the group
	 * wins (most permissive), the rule and read_only_groups still apply. */
	ck_assert_int_eq(policy_explain(p, &id, &carol, steps, &v), POLICY_EXPLAIN_STEPS);
	ck_assert_int_eq(policy_decide(p, &id, &carol, &d), 0);
	ck_assert_int_eq(v.step, d.step);
	ck_assert_int_eq(v.step, POLICY_STEP_READ_WRITE_GROUPS);
	for (size_t i = 0; i < POLICY_EXPLAIN_STEPS; i++) {
		ck_assert_str_eq(steps[i].name, names[i]);
		ck_assert_int_eq(steps[i].decided, i == 4);
		ck_assert_ptr_nonnull(steps[i].why);
	}
	ck_assert(!steps[0].applies && !steps[1].applies && !steps[2].applies);
	ck_assert(steps[3].applies && steps[4].applies && steps[5].applies && steps[6].applies);
	ck_assert(!steps[7].applies && steps[7].rule_name == NULL);
	ck_assert_str_eq(steps[3].rule_name, "approved");
	ck_assert_int_eq(steps[3].action, STORAGE_ACTION_READ_ONLY);
	ck_assert_uint_eq(steps[4].place.line, 4);

	/* locked: while_locked decides, the grants below still show what would apply. */
	ck_assert_int_eq(policy_explain(p, &id, &carol_locked, steps, &v), POLICY_EXPLAIN_STEPS);
	ck_assert_int_eq(v.step, POLICY_STEP_WHILE_LOCKED);
	ck_assert(steps[2].applies && steps[2].decided && !steps[4].decided);
	ck_assert_str_eq(steps[2].why, "the session at the seat is locked");

	/* nobody, groups unknown: the rule decides (read-only beats default block). */
	ck_assert_int_eq(policy_explain(p, &id, &unknown_groups, steps, &v), POLICY_EXPLAIN_STEPS);
	ck_assert_int_eq(v.step, POLICY_STEP_RULE);
	ck_assert(steps[3].decided && !steps[4].applies && !steps[5].applies);
	ck_assert_str_eq(steps[4].why, "no person at the seat whose groups are known");
	devid_done(&id);
}
END_TEST

/* vaktctl explain with a dispensation: the last step names it and decides, as policy_decide(). */
START_TEST(test_policy_explain_names_the_dispensation)
{
	_cleanup_(config_freep) struct config *c = test_config();
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct dispensation_list l = { 0 };
	struct policy_explain_step steps[POLICY_EXPLAIN_STEPS];
	struct policy_person pp = alice;
	struct policy_verdict v, d;
	struct devid id;

	add_disp(&l, "d-0000abcd", "alice", 1000, STICK_SPEC, STORAGE_ACTION_READ_ONLY, T_EXPIRES);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	policy_set_dispensations(p, &l);
	load_device("stick-kingston-0951-1666", STICK_SERIAL, &id);
	pp.now = T_NOW;
	ck_assert_int_eq(policy_explain(p, &id, &pp, steps, &v), POLICY_EXPLAIN_STEPS);
	ck_assert_int_eq(policy_decide(p, &id, &pp, &d), 0);
	ck_assert_int_eq(v.step, POLICY_STEP_DISPENSATION);
	ck_assert_int_eq(d.step, POLICY_STEP_DISPENSATION);
	ck_assert(steps[7].applies && steps[7].decided && !steps[6].decided);
	ck_assert_str_eq(steps[7].rule_name, "d-0000abcd");
	ck_assert_int_eq(steps[7].action, STORAGE_ACTION_READ_ONLY);

	/* Past its expiry: it no longer applies, default decides. */
	pp.now = T_EXPIRES + 1;
	ck_assert_int_eq(policy_explain(p, &id, &pp, steps, &v), POLICY_EXPLAIN_STEPS);
	ck_assert(!steps[7].applies && !steps[7].decided && steps[6].decided);
	devid_done(&id);
	dispensation_list_done(&l);
}
END_TEST

/* Issue 14 (vaktctl rule): the snippet loads as a drop-in and the rule it makes matches the
 * device; a serial the syntax cannot hold is left out with a comment. */
START_TEST(test_policy_rule_snippet_loads_and_matches)
{
	_cleanup_free_ char *text = NULL, *text2 = NULL;
	_cleanup_(config_freep) struct config *c = NULL, *c2 = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct policy_verdict v;
	struct devid id;

	load_device("stick-kingston-0951-1666", STICK_SERIAL, &id);
	id.name = xstrdup("DataTraveler 3.0");
	ck_assert_int_eq(policy_rule_snippet(&id, STORAGE_ACTION_ALLOW, &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "# DataTraveler 3.0 (generated by vaktctl rule)\n"));
	ck_assert_ptr_nonnull(strstr(text, "[storage.allow \"usb-0951-1666-1C6F654E5A\"]\n"));
	ck_assert_int_eq(config_load_string(text, strlen(text), "50-stick.conf", &c, &errors), 0);
	ck_assert_uint_eq(c->storage.n_rules, 1);
	ck_assert_str_eq(c->storage.rules[0].serial, STICK_SERIAL);
	ck_assert_int_eq(c->storage.rules[0].mode, STORAGE_ACTION_ALLOW);
	p = policy_new(c);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(policy_decide(p, &id, &alice, &v), 0);
	ck_assert_int_eq(v.step, POLICY_STEP_RULE);
	ck_assert_int_eq(v.action, STORAGE_ACTION_ALLOW);

	/* A serial with a comment character and a blank: left out, said so. */
	free(id.serial);
	id.serial = xstrdup("AB #1");
	ck_assert_int_eq(policy_rule_snippet(&id, STORAGE_ACTION_READ_ONLY, &text2), 0);
	ck_assert_ptr_null(strstr(text2, "serial ="));
	ck_assert_ptr_nonnull(strstr(text2, "# the serial cannot be written in vakt.conf"));
	ck_assert_int_eq(config_load_string(text2, strlen(text2), "x.conf", &c2, &errors), 0);
	ck_assert_ptr_null(c2->storage.rules[0].serial);
	ck_assert_int_eq(c2->storage.rules[0].mode, STORAGE_ACTION_READ_ONLY);
	ck_assert_int_eq(policy_rule_snippet(&id, STORAGE_ACTION_BLOCK, &text), -EINVAL);
	devid_done(&id);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("precedence");
	tcase_add_test(tc, test_policy_non_storage_device_allowed_even_while_locked);
	tcase_add_test(tc, test_policy_default_decides_without_rules_or_groups);
	tcase_add_test(tc, test_policy_groups);
	tcase_add_test(tc, test_policy_most_permissive_grant_wins);
	tcase_add_test(tc, test_policy_named_allow_beats_group);
	tcase_add_test(tc, test_policy_while_locked_block_overrides_everything);
	tcase_add_test(tc, test_policy_while_locked_policy_decides_as_usual);
	tcase_add_test(tc, test_policy_unknown_person_is_nobody_and_says_why);
	tcase_add_test(tc, test_policy_redecide_on_seat_change);
	tcase_add_test(tc, test_policy_needs_person_only_when_the_person_can_matter);
	tcase_add_test(tc, test_policy_unparsable_device_gets_storage_decision);
	tcase_add_test(tc, test_policy_from_loaded_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, test_policy_named_rule_allows_exact_device);
	tcase_add_test(tc, test_policy_serial_mismatch_falls_to_default);
	tcase_add_test(tc, test_policy_vendor_only_rule_matches_any_product);
	tcase_add_test(tc, test_policy_product_only_and_serial_only_rules);
	tcase_add_test(tc, test_policy_first_match_wins);
	tcase_add_test(tc, test_policy_first_match_wins_specific_first);
	tcase_add_test(tc, test_policy_rule_without_fields_matches_every_device);
	tcase_add_test(tc, test_policy_vendor_product_compare_case_insensitively);
	tcase_add_test(tc, test_policy_read_only_rule);
	tcase_add_test(tc, test_policy_many_rules_first_match_in_file_order);
	tcase_add_test(tc, test_policy_free_accepts_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("interfaces");
	tcase_add_test(tc, test_policy_composite_blocks_storage_interface_only);
	tcase_add_test(tc, test_policy_non_storage_interfaces_allowed);
	tcase_add_test(tc, test_policy_harmless_classes_honoured);
	suite_add_tcase(s, tc);

	tc = tcase_create("what can store");
	tcase_add_test(tc, test_policy_vendor_specific_storage_is_blocked_by_default);
	tcase_add_test(tc, test_policy_iphone_usbmux_blocked_in_every_configuration);
	tcase_add_test(tc, test_policy_named_rule_allows_vendor_specific_dongle);
	tcase_add_test(tc, test_policy_harmless_devices_allowed_at_an_empty_seat);
	tcase_add_loop_test(tc, test_policy_other_bus_decided_as_storage, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("disk below harmless");
	tcase_add_test(tc, test_policy_disk_below_harmless_device_blocks_it);
	tcase_add_test(tc, test_policy_disk_below_one_function_keeps_the_others);
	tcase_add_test(tc, test_policy_disk_below_the_keyboard_of_an_allowed_composite);
	tcase_add_test(tc, test_policy_disks_read_only_unless_allowed_read_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("vaktctl");
	tcase_add_test(tc, test_policy_explain_walks_every_step);
	tcase_add_test(tc, test_policy_explain_names_the_dispensation);
	tcase_add_test(tc, test_policy_rule_snippet_loads_and_matches);
	suite_add_tcase(s, tc);

	tc = tcase_create("keyboards");
	tcase_add_loop_test(tc, test_policy_keyboard_decision, 0, ELEMENTSOF(keyboard_cases));
	tcase_add_test(tc, test_policy_keyboard_reasons);
	tcase_add_test(tc, test_policy_keyboard_and_storage_decided_apart);
	tcase_add_test(tc, test_policy_held_keyboard_keeps_nothing_and_is_decided_on_unlock);
	tcase_add_test(tc, test_policy_wants_seat_keyboard_only_when_it_matters);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispensations");
	tcase_add_test(tc, test_policy_dispensation_allows_for_its_person);
	tcase_add_test(tc, test_policy_dispensation_never_at_a_locked_or_empty_seat);
	tcase_add_test(tc, test_policy_dispensation_device_must_match);
	tcase_add_test(tc, test_policy_dispensation_expires);
	tcase_add_test(tc, test_policy_dispensation_only_when_it_grants_more);
	tcase_add_test(tc, test_policy_dispensation_never_beats_a_disk_below_harmless);
	tcase_add_test(tc, test_policy_dispensation_makes_the_person_matter);
	tcase_add_test(tc, test_policy_dispensation_now_zero_is_the_clock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
