#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "macro.h"
#include "parse.h"
#include "strv.h"

/*
 * The key table: for each key of each section, the field it sets, the parser of its value and,
 * for enums, the names as written in vakt.conf.
 *
 * snprintf() and memcpy() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

static const char *const mode_names[] = { "enforce", "observe", "off" };
static const char *const action_names[] = { "block", "read-only", "allow" };
static const char *const while_locked_names[] = { "block", "policy" };
static const char *const lock_failure_names[] = { "terminate", "log" };
static const char *const rule_mode_names[] = { "allow", "read-only" };
static const char *const keyboards_names[] = { "allow", "block-extra", "block" };

/* "expected a, b or c" for an enum key, in l->why. */
static const char *expected_names(struct loader *l, const char *const *names, int n)
{
	size_t used = 0;

	used += (size_t)snprintf(l->why, sizeof(l->why), "expected ");
	for (int i = 0; i < n && used < sizeof(l->why); i++)
		used += (size_t)snprintf(l->why + used,
					 sizeof(l->why) - used,
					 "%s%s",
					 i == 0	      ? ""
					 : i == n - 1 ? " or "
						      : ", ",
					 names[i]);
	return l->why;
}

static int apply_enum(struct loader *l,
		      const struct key_def *k,
		      void *field,
		      const char *value,
		      const char **reterr_why)
{
	const char *unused;
	int v, r;

	r = parse_enum(value, k->names, k->n_names, &v, &unused);
	if (r < 0) {
		*reterr_why = expected_names(l, k->names, k->n_names);
		return r;
	}
	*(int *)field = v;
	return 0;
}

static int apply_bool(struct loader *l,
		      const struct key_def *k,
		      void *field,
		      const char *value,
		      const char **reterr_why)
{
	(void)l;
	(void)k;
	return parse_bool(value, field, reterr_why);
}

static int apply_duration(struct loader *l,
			  const struct key_def *k,
			  void *field,
			  const char *value,
			  const char **reterr_why)
{
	(void)l;
	(void)k;
	return parse_duration(value, field, reterr_why);
}

static int apply_duration_positive(struct loader *l,
				   const struct key_def *k,
				   void *field,
				   const char *value,
				   const char **reterr_why)
{
	uint64_t usec;
	int r;

	(void)l;
	(void)k;
	r = parse_duration(value, &usec, reterr_why);
	if (r < 0)
		return r;
	if (usec == 0) {
		*reterr_why = "expected a duration greater than 0, such as 90s, 10min, 2h or 1d";
		return -EINVAL;
	}
	*(uint64_t *)field = usec;
	return 0;
}

static int apply_rate(struct loader *l,
		      const struct key_def *k,
		      void *field,
		      const char *value,
		      const char **reterr_why)
{
	struct config *c = l->config;

	(void)k;
	(void)field;
	return parse_rate(value,
			  &c->audit.failed_auth_burst_count,
			  &c->audit.failed_auth_burst_window_usec,
			  reterr_why);
}

static bool group_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '$' && i == n - 1)
			break;
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
			    s[i]))
			return false;
	}
	return true;
}

static int apply_groups(struct loader *l,
			const struct key_def *k,
			void *field,
			const char *value,
			const char **reterr_why)
{
	_cleanup_strv_free_ char **list = NULL;
	char ***target = field;
	int r;

	(void)l;
	(void)k;
	r = parse_list(value, &list, reterr_why);
	if (r < 0)
		return r;
	STRV_FOREACH (g, list)
		if (!group_name_valid(*g)) {
			*reterr_why = "expected a comma-separated list of group names (letters, "
				      "digits, '.', '_', '-')";
			return -EINVAL;
		}
	strv_free(*target);
	*target = TAKE_PTR(list);
	return 0;
}

static int apply_paths(struct loader *l,
		       const struct key_def *k,
		       void *field,
		       const char *value,
		       const char **reterr_why)
{
	_cleanup_strv_free_ char **list = NULL;
	char ***target = field;
	int r;

	(void)l;
	(void)k;
	r = parse_list(value, &list, reterr_why);
	if (r < 0)
		return r;
	STRV_FOREACH (p, list)
		if ((*p)[0] != '/') {
			*reterr_why = "expected a comma-separated list of absolute paths";
			return -EINVAL;
		}
	strv_free(*target);
	*target = TAKE_PTR(list);
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Classes that must stay harmless, and classes that never can be: see apply_harmless_classes(). */
#define CLASS_HID	   0x03
#define CLASS_HUB	   0x09
#define CLASS_STILL_IMAGE  0x06
#define CLASS_MASS_STORAGE 0x08

static bool class_set(const uint64_t classes[static 4], unsigned cls)
{
	return (classes[cls / 64] >> (cls % 64)) & 1;
}

/*
 * A list of USB classes, each two hex digits ("01, 03, 0a, e0"), into a 256-bit set. Returns 0, or
 * -EINVAL with *reterr_why.
 */
static int parse_classes(const char *value, uint64_t ret_classes[static 4], const char **reterr_why)
{
	static const char why[] = "expected a comma-separated list of USB classes, each two hex "
				  "digits such as 03";
	_cleanup_strv_free_ char **list = NULL;
	uint64_t classes[4] = { 0 };
	int r;

	r = parse_list(value, &list, reterr_why);
	if (r < 0)
		return r;
	if (strv_length(list) == 0) {
		*reterr_why = why;
		return -EINVAL;
	}
	STRV_FOREACH (s, list) {
		unsigned cls;

		if (strlen(*s) != 2 || hex_digit((*s)[0]) < 0 || hex_digit((*s)[1]) < 0) {
			*reterr_why = why;
			return -EINVAL;
		}
		cls = (unsigned)(hex_digit((*s)[0]) * 16 + hex_digit((*s)[1]));
		classes[cls / 64] |= UINT64_C(1) << (cls % 64);
	}
	memcpy(ret_classes, classes, sizeof(classes));
	return 0;
}

/*
 * harmless_classes. Refused, because each would defeat a promise of the policy:
 *   - a list without 03 (HID) or 09 (hub): keyboards or hubs would get the storage policy, so a
 *     new keyboard, or one behind a new hub, would be blocked at a locked seat whatever the
 *     rules say, and nobody could unlock it;
 *   - a list with 06 (still image: PTP and MTP) or 08 (mass storage): those carry files by
 *     definition; to let such devices in, use default, the groups or a named rule, which are
 *     recorded per device.
 * Vendor-specific ff and the other classes are the administrator's call (vakt.conf(5) says what
 * listing ff gives away).
 */
static int apply_harmless_classes(struct loader *l,
				  const struct key_def *k,
				  void *field,
				  const char *value,
				  const char **reterr_why)
{
	uint64_t classes[4];
	int r;

	(void)l;
	(void)k;
	r = parse_classes(value, classes, reterr_why);
	if (r < 0)
		return r;
	if (!class_set(classes, CLASS_HID) || !class_set(classes, CLASS_HUB)) {
		*reterr_why =
			"must include 03 (HID) and 09 (hub): a keyboard or hub that gets the "
			"storage policy is blocked at a locked seat, and nobody could unlock it";
		return -EINVAL;
	}
	if (class_set(classes, CLASS_STILL_IMAGE) || class_set(classes, CLASS_MASS_STORAGE)) {
		*reterr_why =
			"must not include 06 (still image, PTP and MTP) or 08 (mass storage): "
			"they carry files; allow such devices with default, the groups or a "
			"named rule";
		return -EINVAL;
	}
	memcpy(field, classes, sizeof(classes));
	return 0;
}

static int apply_usb_id(struct loader *l,
			const struct key_def *k,
			void *field,
			const char *value,
			const char **reterr_why)
{
	char **target = field;
	char *id;

	(void)l;
	(void)k;
	if (strlen(value) != 4 || strspn(value, "0123456789abcdefABCDEF") != 4) {
		*reterr_why = "expected 4 hex digits such as 0951";
		return -EINVAL;
	}
	id = strdup(value);
	if (!id)
		return -ENOMEM;
	for (char *p = id; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	free(*target);
	*target = id;
	return 0;
}

static int apply_string(struct loader *l,
			const struct key_def *k,
			void *field,
			const char *value,
			const char **reterr_why)
{
	char **target = field;
	char *s;

	(void)l;
	(void)k;
	if (value[0] == '\0') {
		*reterr_why = "expected a non-empty string";
		return -EINVAL;
	}
	s = strdup(value);
	if (!s)
		return -ENOMEM;
	free(*target);
	*target = s;
	return 0;
}

/* Text a person reads (a notification, a terminal line): one line, short. */
static int apply_contact(struct loader *l,
			 const struct key_def *k,
			 void *field,
			 const char *value,
			 const char **reterr_why)
{
	size_t n = strlen(value);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
			*reterr_why = "contains a control character";
			return -EINVAL;
		}
	if (n > CONFIG_CONTACT_MAX) {
		*reterr_why = "longer than 80 bytes";
		return -EINVAL;
	}
	return apply_string(l, k, field, value, reterr_why);
}

/* Free text for a person to read; empty = unset. One line of printable text, at most
 * CONFIG_POLICY_REFERENCE_MAX bytes: it is copied into every record of its part. */
static int apply_reference(struct loader *l,
			   const struct key_def *k,
			   void *field,
			   const char *value,
			   const char **reterr_why)
{
	char **target = field;
	char *s = NULL;

	(void)l;
	(void)k;
	if (strlen(value) > CONFIG_POLICY_REFERENCE_MAX) {
		*reterr_why = "longer than 200 bytes: name the clause, do not quote it";
		return -EINVAL;
	}
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*reterr_why = "contains a control character";
			return -EINVAL;
		}
	if (value[0] != '\0') {
		s = strdup(value);
		if (!s)
			return -ENOMEM;
	}
	free(*target);
	*target = s;
	return 0;
}

static int apply_rule_mode(struct loader *l,
			   const struct key_def *k,
			   void *field,
			   const char *value,
			   const char **reterr_why)
{
	enum storage_action *target = field;
	int v, r;

	r = apply_enum(l, k, &v, value, reterr_why);
	if (r < 0)
		return r;
	*target = v == 0 ? STORAGE_ACTION_ALLOW : STORAGE_ACTION_READ_ONLY;
	return 0;
}

#define CFG(f)	offsetof(struct config, f)
#define RULE(f) offsetof(struct storage_rule, f)
#define ENUM(n) .names = (n), .n_names = (int)ELEMENTSOF(n)
#define NO_ENUM .names = NULL, .n_names = 0
#define KEY(s, n, fn, off, pl) \
	.section = (s), .name = (n), .apply = (fn), .offset = (off), .place = (pl)

const struct key_def config_key_defs[] = {
	{ KEY(SECTION_VAKT,
	      "admin_groups",
	      apply_groups,
	      CFG(vakt.admin_groups),
	      CFG(vakt.admin_groups_place)),
	  NO_ENUM },
	{ KEY(SECTION_VAKT, "contact", apply_contact, CFG(vakt.contact), -1), NO_ENUM },
	{ KEY(SECTION_VAKT, "policy_reference", apply_reference, CFG(vakt.policy_reference), -1),
	  NO_ENUM },

	{ KEY(SECTION_STORAGE, "mode", apply_enum, CFG(storage.mode), -1), ENUM(mode_names) },
	{ KEY(SECTION_STORAGE,
	      "policy_reference",
	      apply_reference,
	      CFG(storage.policy_reference),
	      -1),
	  NO_ENUM },
	{ KEY(SECTION_STORAGE,
	      "default",
	      apply_enum,
	      CFG(storage.default_action),
	      CFG(storage.default_place)),
	  ENUM(action_names) },
	{ KEY(SECTION_STORAGE,
	      "read_write_groups",
	      apply_groups,
	      CFG(storage.read_write_groups),
	      CFG(storage.read_write_groups_place)),
	  NO_ENUM },
	{ KEY(SECTION_STORAGE,
	      "read_only_groups",
	      apply_groups,
	      CFG(storage.read_only_groups),
	      CFG(storage.read_only_groups_place)),
	  NO_ENUM },
	{ KEY(SECTION_STORAGE, "notify_user", apply_bool, CFG(storage.notify_user), -1), NO_ENUM },
	{ KEY(SECTION_STORAGE,
	      "while_locked",
	      apply_enum,
	      CFG(storage.while_locked),
	      CFG(storage.while_locked_place)),
	  ENUM(while_locked_names) },
	{ KEY(SECTION_STORAGE,
	      "harmless_classes",
	      apply_harmless_classes,
	      CFG(storage.harmless_classes),
	      CFG(storage.harmless_classes_place)),
	  NO_ENUM },
	{ KEY(SECTION_STORAGE,
	      "keyboards_while_locked",
	      apply_enum,
	      CFG(storage.keyboards_while_locked),
	      CFG(storage.keyboards_while_locked_place)),
	  ENUM(keyboards_names) },

	{ KEY(SECTION_IDLE, "mode", apply_enum, CFG(idle.mode), -1), ENUM(mode_names) },
	{ KEY(SECTION_IDLE, "policy_reference", apply_reference, CFG(idle.policy_reference), -1),
	  NO_ENUM },
	{ KEY(SECTION_IDLE,
	      "lock_after",
	      apply_duration_positive,
	      CFG(idle.lock_after_usec),
	      CFG(idle.lock_after_place)),
	  NO_ENUM },
	{ KEY(SECTION_IDLE,
	      "grace",
	      apply_duration_positive,
	      CFG(idle.grace_usec),
	      CFG(idle.grace_place)),
	  NO_ENUM },
	{ KEY(SECTION_IDLE,
	      "on_lock_failure",
	      apply_enum,
	      CFG(idle.on_lock_failure),
	      CFG(idle.on_lock_failure_place)),
	  ENUM(lock_failure_names) },
	{ KEY(SECTION_IDLE,
	      "text_sessions_after",
	      apply_duration,
	      CFG(idle.text_sessions_after_usec),
	      CFG(idle.text_sessions_after_place)),
	  NO_ENUM },
	{ KEY(SECTION_IDLE,
	      "exempt_groups",
	      apply_groups,
	      CFG(idle.exempt_groups),
	      CFG(idle.exempt_groups_place)),
	  NO_ENUM },
	{ KEY(SECTION_IDLE, "notify_user", apply_bool, CFG(idle.notify_user), -1), NO_ENUM },

	{ KEY(SECTION_AUDIT, "mode", apply_enum, CFG(audit.mode), -1), ENUM(mode_names) },
	{ KEY(SECTION_AUDIT, "policy_reference", apply_reference, CFG(audit.policy_reference), -1),
	  NO_ENUM },
	{ KEY(SECTION_AUDIT, "ensure_rules", apply_bool, CFG(audit.ensure_rules), -1), NO_ENUM },
	{ KEY(SECTION_AUDIT, "watch", apply_paths, CFG(audit.watch), -1), NO_ENUM },
	{ KEY(SECTION_AUDIT, "failed_auth_burst", apply_rate, 0, -1), NO_ENUM },

	{ KEY(SECTION_RULE, "vendor", apply_usb_id, RULE(vendor), -1), NO_ENUM },
	{ KEY(SECTION_RULE, "product", apply_usb_id, RULE(product), -1), NO_ENUM },
	{ KEY(SECTION_RULE, "serial", apply_string, RULE(serial), -1), NO_ENUM },
	{ KEY(SECTION_RULE, "mode", apply_rule_mode, RULE(mode), -1), ENUM(rule_mode_names) },
};

const size_t config_n_key_defs = ELEMENTSOF(config_key_defs);

/* vakt is before 1.0: a key that changed meaning is an error naming its successor, never silently
 * ignored or reinterpreted. */
const struct removed_key config_removed_keys[] = {
	{ .section = SECTION_STORAGE,
	  .name = "storage_classes",
	  .why = "replaced by harmless_classes, which lists the USB classes that cannot store; "
		 "every other class gets the storage policy (see vakt.conf(5))" },
};

const size_t config_n_removed_keys = ELEMENTSOF(config_removed_keys);

const char *config_mode_to_string(enum config_mode m)
{
	if ((size_t)m >= ELEMENTSOF(mode_names))
		return NULL;
	return mode_names[m];
}

const char *config_action_to_string(enum storage_action a)
{
	if ((size_t)a >= ELEMENTSOF(action_names))
		return NULL;
	return action_names[a];
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
