#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "macro.h"
#include "strv.h"

/*
 * snprintf(), memcpy() and memset() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#define NAME "test.conf"

/* Each section's "mode" takes enforce, observe and off. */
static const struct {
	const char *section;
	const char *value;
	enum config_mode mode;
} modes[] = {
	{ "storage", "enforce", CONFIG_MODE_ENFORCE },
	{ "storage", "observe", CONFIG_MODE_OBSERVE },
	{ "storage", "off", CONFIG_MODE_OFF },
	{ "idle", "enforce", CONFIG_MODE_ENFORCE },
	{ "idle", "observe", CONFIG_MODE_OBSERVE },
	{ "idle", "off", CONFIG_MODE_OFF },
	{ "audit", "enforce", CONFIG_MODE_ENFORCE },
	{ "audit", "observe", CONFIG_MODE_OBSERVE },
	{ "audit", "off", CONFIG_MODE_OFF },
};

/* Loads text as NAME; on success returns the config, else records the messages in *ret_errors. */
static int load(const char *text, struct config **ret_config, char ***ret_errors)
{
	*ret_config = NULL;
	*ret_errors = NULL;
	return config_load_string(text, strlen(text), NAME, ret_config, ret_errors);
}

static struct config *load_ok(const char *text)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;
	int r;

	r = load(text, &c, &errors);
	ck_assert_msg(r == 0,
		      "unexpected errors (%d): %s",
		      r,
		      errors && errors[0] ? errors[0] : "(none)");
	ck_assert_ptr_null(errors);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Asserts that messages equals want, a NULL-terminated list. */
static void assert_messages_equal(char **messages, const char *const *want)
{
	size_t i = 0;

	for (; want[i]; i++) {
		ck_assert_msg(i < strv_length(messages), "missing message '%s'", want[i]);
		ck_assert_str_eq(messages[i], want[i]);
	}
	ck_assert_msg(i == strv_length(messages), "extra message '%s'", messages[i]);
}

#define assert_messages(messages, ...) \
	assert_messages_equal((messages), (const char *const[]){ __VA_ARGS__, NULL })

/* Loads text, which must be invalid, and checks the exact messages. */
#define assert_load_fails(text, ...)                               \
	do {                                                       \
		struct config *_c = NULL;                          \
		_cleanup_strv_free_ char **_e = NULL;              \
		ck_assert_int_eq(load((text), &_c, &_e), -EINVAL); \
		ck_assert_ptr_null(_c);                            \
		assert_messages(_e, __VA_ARGS__);                  \
	} while (0)

START_TEST(test_defaults_match_the_sketch)
{
	_cleanup_(config_freep) struct config *c = config_new();

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(strv_length(c->files), 0);
	ck_assert_uint_eq(strv_length(c->vakt.admin_groups), 2);
	ck_assert_str_eq(c->vakt.admin_groups[0], "sudo");
	ck_assert_str_eq(c->vakt.admin_groups[1], "wheel");

	ck_assert_int_eq(c->storage.mode, CONFIG_MODE_ENFORCE);
	ck_assert_int_eq(c->storage.default_action, STORAGE_ACTION_BLOCK);
	ck_assert_ptr_nonnull(c->storage.read_write_groups);
	ck_assert_uint_eq(strv_length(c->storage.read_write_groups), 0);
	ck_assert_ptr_nonnull(c->storage.read_only_groups);
	ck_assert_uint_eq(strv_length(c->storage.read_only_groups), 0);
	ck_assert(c->storage.notify_user);
	ck_assert_int_eq(c->storage.while_locked, WHILE_LOCKED_BLOCK);
	ck_assert_uint_eq(c->storage.n_rules, 0);
	ck_assert_ptr_null(c->storage.default_place.file);
	ck_assert_uint_eq(c->storage.default_place.line, 0);

	ck_assert_int_eq(c->idle.mode, CONFIG_MODE_ENFORCE);
	ck_assert_uint_eq(c->idle.lock_after_usec, 10 * USEC_PER_MINUTE);
	ck_assert_uint_eq(c->idle.grace_usec, 60 * USEC_PER_SEC);
	ck_assert_int_eq(c->idle.on_lock_failure, LOCK_FAILURE_TERMINATE);
	ck_assert_uint_eq(c->idle.text_sessions_after_usec, 30 * USEC_PER_MINUTE);
	ck_assert_uint_eq(strv_length(c->idle.exempt_groups), 0);

	ck_assert_int_eq(c->audit.mode, CONFIG_MODE_ENFORCE);
	ck_assert(c->audit.ensure_rules);
	ck_assert_uint_eq(strv_length(c->audit.watch), 6);
	ck_assert_str_eq(c->audit.watch[0], "/etc/passwd");
	ck_assert_str_eq(c->audit.watch[5], "/etc/sudoers.d");
	ck_assert_uint_eq(c->audit.failed_auth_burst_count, 5);
	ck_assert_uint_eq(c->audit.failed_auth_burst_window_usec, 5 * USEC_PER_MINUTE);
}
END_TEST

/* vakt.conf(5) lists these as harmless by default; everything else gets the storage policy. */
static const uint8_t documented_harmless[] = { 0x01, 0x02, 0x03, 0x05, 0x07, 0x09, 0x0a, 0x0b,
					       0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0xe0 };

static bool documented_harmless_class(unsigned cls)
{
	for (size_t i = 0; i < ELEMENTSOF(documented_harmless); i++)
		if (documented_harmless[i] == cls)
			return true;
	return false;
}

START_TEST(test_default_harmless_classes_are_the_documented_list)
{
	_cleanup_(config_freep) struct config *c = config_new();

	for (unsigned cls = 0; cls < 256; cls++)
		ck_assert_msg(config_harmless_class(c, (uint8_t)cls) ==
				      documented_harmless_class(cls),
			      "class %02x",
			      cls);
	/* the ones the issue names: vendor-specific, still image, mass storage, and the rest */
	ck_assert(!config_harmless_class(c, 0xff));
	ck_assert(!config_harmless_class(c, 0x06));
	ck_assert(!config_harmless_class(c, 0x08));
	ck_assert(!config_harmless_class(c, 0xfe));
	ck_assert(!config_harmless_class(c, 0xdc));
	ck_assert(!config_harmless_class(c, 0x00));
	ck_assert_int_eq(c->storage.keyboards_while_locked, KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA);
	ck_assert_ptr_null(c->storage.harmless_classes_place.file);
	ck_assert_ptr_null(c->storage.keyboards_while_locked_place.file);
}
END_TEST

START_TEST(test_every_key_is_parsed_into_the_struct)
{
	_cleanup_(config_freep) struct config *c = load_ok("[vakt]\n"
							   "admin_groups = admins\n"
							   "[storage]\n"
							   "mode = observe\n"
							   "default = read-only\n"
							   "read_write_groups = it-staff, ops\n"
							   "read_only_groups = students\n"
							   "notify_user = no\n"
							   "while_locked = policy\n"
							   "harmless_classes = 03, 09, ff\n"
							   "keyboards_while_locked = block\n"
							   "[storage.allow \"approved-stick\"]\n"
							   "vendor = 0951\n"
							   "product = 1666\n"
							   "serial = 1C6F654E5A\n"
							   "mode = read-only\n"
							   "[idle]\n"
							   "mode = off\n"
							   "lock_after = 5min\n"
							   "grace = 30s\n"
							   "on_lock_failure = log\n"
							   "text_sessions_after = 0\n"
							   "exempt_groups = kiosk, lab\n"
							   "[audit]\n"
							   "mode = observe\n"
							   "ensure_rules = no\n"
							   "watch = /etc/hosts\n"
							   "failed_auth_burst = 10/1h\n");
	const struct storage_rule *rule;

	ck_assert_uint_eq(strv_length(c->files), 1);
	ck_assert_str_eq(c->files[0], NAME);
	ck_assert_uint_eq(strv_length(c->vakt.admin_groups), 1);
	ck_assert_str_eq(c->vakt.admin_groups[0], "admins");

	ck_assert_int_eq(c->storage.mode, CONFIG_MODE_OBSERVE);
	ck_assert_int_eq(c->storage.default_action, STORAGE_ACTION_READ_ONLY);
	ck_assert_uint_eq(strv_length(c->storage.read_write_groups), 2);
	ck_assert_str_eq(c->storage.read_write_groups[0], "it-staff");
	ck_assert_str_eq(c->storage.read_write_groups[1], "ops");
	ck_assert_uint_eq(strv_length(c->storage.read_only_groups), 1);
	ck_assert_str_eq(c->storage.read_only_groups[0], "students");
	ck_assert(!c->storage.notify_user);
	ck_assert_int_eq(c->storage.while_locked, WHILE_LOCKED_POLICY);
	ck_assert(config_harmless_class(c, 0x03));
	ck_assert(config_harmless_class(c, 0x09));
	ck_assert(config_harmless_class(c, 0xff));
	ck_assert(!config_harmless_class(c, 0x01));
	ck_assert_int_eq(c->storage.keyboards_while_locked, KEYBOARDS_WHILE_LOCKED_BLOCK);

	ck_assert_uint_eq(c->storage.n_rules, 1);
	rule = &c->storage.rules[0];
	ck_assert_str_eq(rule->name, "approved-stick");
	ck_assert_str_eq(rule->vendor, "0951");
	ck_assert_str_eq(rule->product, "1666");
	ck_assert_str_eq(rule->serial, "1C6F654E5A");
	ck_assert_int_eq(rule->mode, STORAGE_ACTION_READ_ONLY);

	ck_assert_int_eq(c->idle.mode, CONFIG_MODE_OFF);
	ck_assert_uint_eq(c->idle.lock_after_usec, 5 * USEC_PER_MINUTE);
	ck_assert_uint_eq(c->idle.grace_usec, 30 * USEC_PER_SEC);
	ck_assert_int_eq(c->idle.on_lock_failure, LOCK_FAILURE_LOG);
	ck_assert_uint_eq(c->idle.text_sessions_after_usec, 0);
	ck_assert_uint_eq(strv_length(c->idle.exempt_groups), 2);
	ck_assert_str_eq(c->idle.exempt_groups[1], "lab");

	ck_assert_int_eq(c->audit.mode, CONFIG_MODE_OBSERVE);
	ck_assert(!c->audit.ensure_rules);
	ck_assert_uint_eq(strv_length(c->audit.watch), 1);
	ck_assert_str_eq(c->audit.watch[0], "/etc/hosts");
	ck_assert_uint_eq(c->audit.failed_auth_burst_count, 10);
	ck_assert_uint_eq(c->audit.failed_auth_burst_window_usec, USEC_PER_HOUR);
}
END_TEST

START_TEST(test_mode_accepts_enforce_observe_off_in_every_section)
{
	_cleanup_(config_freep) struct config *c = NULL;
	char text[128];
	enum config_mode got;

	(void)snprintf(text, sizeof(text), "[%s]\nmode = %s\n", modes[_i].section, modes[_i].value);
	c = load_ok(text);
	got = streq(modes[_i].section, "storage") ? c->storage.mode
	      : streq(modes[_i].section, "idle")  ? c->idle.mode
						  : c->audit.mode;
	ck_assert_int_eq(got, modes[_i].mode);
	ck_assert_str_eq(config_mode_to_string(got), modes[_i].value);
}
END_TEST

START_TEST(test_enum_names_round_trip)
{
	ck_assert_str_eq(config_action_to_string(STORAGE_ACTION_BLOCK), "block");
	ck_assert_str_eq(config_action_to_string(STORAGE_ACTION_READ_ONLY), "read-only");
	ck_assert_str_eq(config_action_to_string(STORAGE_ACTION_ALLOW), "allow");
	ck_assert_ptr_null(config_action_to_string((enum storage_action)99));
	ck_assert_ptr_null(config_mode_to_string((enum config_mode)99));
}
END_TEST

START_TEST(test_harmless_classes_accept_hex_in_either_case)
{
	_cleanup_(config_freep) struct config *c =
		load_ok("[storage]\nharmless_classes = 03, 09, 0A, E0, ff\n");

	for (unsigned cls = 0; cls < 256; cls++)
		ck_assert_msg(config_harmless_class(c, (uint8_t)cls) ==
				      (cls == 0x03 || cls == 0x09 || cls == 0x0a || cls == 0xe0 ||
				       cls == 0xff),
			      "class %02x",
			      cls);
}
END_TEST

#define CLASSES_WHY                                                                              \
	"harmless_classes: expected a comma-separated list of USB classes, each two hex digits " \
	"such as 03"
#define MUST_WHY                                                                                 \
	"harmless_classes: must include 03 (HID) and 09 (hub): a keyboard or hub that gets the " \
	"storage policy is blocked at a locked seat, and nobody could unlock it"
#define MUST_NOT_WHY                                                                              \
	"harmless_classes: must not include 06 (still image, PTP and MTP) or 08 (mass storage): " \
	"they carry files; allow such devices with default, the groups or a named rule"

START_TEST(test_harmless_classes_reject_empty_bad_hex_and_names)
{
	assert_load_fails("[storage]\nharmless_classes =\n", NAME ":2: " CLASSES_WHY ", got ''");
	assert_load_fails("[storage]\nharmless_classes = 03, 09, 8, 0g\n",
			  NAME ":2: " CLASSES_WHY ", got '03, 09, 8, 0g'");
	assert_load_fails("[storage]\nharmless_classes = hid, hub\n",
			  NAME ":2: " CLASSES_WHY ", got 'hid, hub'");
	assert_load_fails("[storage]\nharmless_classes = 03, 09, 0x01\n",
			  NAME ":2: " CLASSES_WHY ", got '03, 09, 0x01'");
}
END_TEST

/* With while_locked = block a keyboard that gets the storage policy could never unlock a seat. */
START_TEST(test_harmless_classes_must_keep_hid_and_hub)
{
	assert_load_fails("[storage]\nharmless_classes = 01, 09\n",
			  NAME ":2: " MUST_WHY ", got '01, 09'");
	assert_load_fails("[storage]\n\nharmless_classes = 03\n",
			  NAME ":3: " MUST_WHY ", got '03'");
}
END_TEST

START_TEST(test_harmless_classes_cannot_hold_storage_classes)
{
	assert_load_fails("[storage]\nharmless_classes = 03, 09, 08\n",
			  NAME ":2: " MUST_NOT_WHY ", got '03, 09, 08'");
	assert_load_fails("[storage]\nharmless_classes = 03, 06, 09\n",
			  NAME ":2: " MUST_NOT_WHY ", got '03, 06, 09'");
}
END_TEST

/* vakt is before 1.0: the old key is an error naming its successor, not silently ignored. */
START_TEST(test_storage_classes_is_an_error_naming_harmless_classes)
{
	assert_load_fails(
		"[storage]\ndefault = block\nstorage_classes = mass-storage, still-image\n",
		NAME ":3: storage_classes: replaced by harmless_classes, which lists the "
		     "USB classes that cannot store; every other class gets the storage "
		     "policy (see vakt.conf(5))");
	/* only in [storage]: elsewhere it is just unknown */
	assert_load_fails("[idle]\nstorage_classes = 08\n",
			  NAME ":2: unknown key 'storage_classes' in [idle]");
}
END_TEST

START_TEST(test_keyboards_while_locked_values)
{
	static const char *const names[] = { "allow", "block-extra", "block" };
	static const enum keyboards_while_locked values[] = {
		KEYBOARDS_WHILE_LOCKED_ALLOW,
		KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA,
		KEYBOARDS_WHILE_LOCKED_BLOCK,
	};
	char text[128], where[64];

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_(config_freep) struct config *c = NULL;

		(void)snprintf(
			text, sizeof(text), "[storage]\nkeyboards_while_locked = %s\n", names[i]);
		c = load_ok(text);
		ck_assert_int_eq(c->storage.keyboards_while_locked, values[i]);
		ck_assert_str_eq(config_place_format(&c->storage.keyboards_while_locked_place,
						     where,
						     sizeof(where)),
				 NAME ":2");
	}
	assert_load_fails("[storage]\nkeyboards_while_locked = yes\n",
			  NAME ":2: keyboards_while_locked: expected allow, block-extra or block, "
			       "got 'yes'");
}
END_TEST

START_TEST(test_rule_ids_are_normalised_to_lower_case)
{
	_cleanup_(config_freep) struct config *c =
		load_ok("[storage.allow \"x\"]\nvendor = ABCD\nproduct = eF01\nmode = allow\n");

	ck_assert_str_eq(c->storage.rules[0].vendor, "abcd");
	ck_assert_str_eq(c->storage.rules[0].product, "ef01");
	ck_assert_ptr_null(c->storage.rules[0].serial);
	ck_assert_int_eq(c->storage.rules[0].mode, STORAGE_ACTION_ALLOW);
}
END_TEST

START_TEST(test_rule_with_only_serial_is_valid)
{
	_cleanup_(config_freep) struct config *c =
		load_ok("[storage.allow \"s\"]\nserial = some serial\nmode = allow\n");

	ck_assert_ptr_null(c->storage.rules[0].vendor);
	ck_assert_ptr_null(c->storage.rules[0].product);
	ck_assert_str_eq(c->storage.rules[0].serial, "some serial");
}
END_TEST

START_TEST(test_rule_remembers_its_header_line)
{
	_cleanup_(config_freep) struct config *c = load_ok("[storage]\n"
							   "\n"
							   "[storage.allow \"a\"]\n"
							   "vendor = 0951\n"
							   "mode = allow\n"
							   "# comment\n"
							   "[storage.allow \"b\"]\n"
							   "serial = X\n"
							   "mode = read-only\n");
	char buf[64];

	ck_assert_uint_eq(c->storage.n_rules, 2);
	ck_assert_str_eq(c->storage.rules[0].name, "a");
	ck_assert_str_eq(c->storage.rules[0].place.file, NAME);
	ck_assert_uint_eq(c->storage.rules[0].place.line, 3);
	ck_assert_str_eq(c->storage.rules[1].name, "b");
	ck_assert_uint_eq(c->storage.rules[1].place.line, 7);
	ck_assert_str_eq(config_place_format(&c->storage.rules[1].place, buf, sizeof(buf)),
			 NAME ":7");
}
END_TEST

START_TEST(test_places_record_file_and_line_or_builtin_default)
{
	_cleanup_(config_freep) struct config *c = load_ok("[storage]\n"
							   "read_only_groups = a\n"
							   "\n"
							   "default = allow\n"
							   "while_locked = policy\n"
							   "harmless_classes = 03, 09\n");
	char buf[64];

	ck_assert_str_eq(config_place_format(&c->storage.harmless_classes_place, buf, sizeof(buf)),
			 NAME ":6");
	ck_assert_str_eq(config_place_format(&c->storage.default_place, buf, sizeof(buf)),
			 NAME ":4");
	ck_assert_str_eq(config_place_format(&c->storage.while_locked_place, buf, sizeof(buf)),
			 NAME ":5");
	ck_assert_str_eq(config_place_format(&c->storage.read_only_groups_place, buf, sizeof(buf)),
			 NAME ":2");
	ck_assert_ptr_null(c->storage.read_write_groups_place.file);
	ck_assert_uint_eq(c->storage.read_write_groups_place.line, 0);
	ck_assert_str_eq(config_place_format(&c->storage.read_write_groups_place, buf, sizeof(buf)),
			 "built-in default");
}
END_TEST

START_TEST(test_idle_places_record_file_and_line_or_builtin_default)
{
	_cleanup_(config_freep) struct config *c = load_ok("[idle]\n"
							   "lock_after = 5min\n"
							   "grace = 10s\n"
							   "on_lock_failure = log\n"
							   "exempt_groups = lab\n");
	char buf[64];

	ck_assert_str_eq(config_place_format(&c->idle.lock_after_place, buf, sizeof(buf)),
			 NAME ":2");
	ck_assert_str_eq(config_place_format(&c->idle.grace_place, buf, sizeof(buf)), NAME ":3");
	ck_assert_str_eq(config_place_format(&c->idle.on_lock_failure_place, buf, sizeof(buf)),
			 NAME ":4");
	ck_assert_str_eq(config_place_format(&c->idle.exempt_groups_place, buf, sizeof(buf)),
			 NAME ":5");
	ck_assert_str_eq(config_place_format(&c->idle.text_sessions_after_place, buf, sizeof(buf)),
			 "built-in default");
}
END_TEST

START_TEST(test_inline_comments_are_stripped)
{
	_cleanup_(config_freep) struct config *c =
		load_ok("[storage] # the storage part\n"
			"mode = observe   # enforce | observe\n"
			"default = allow\t; semicolons too\n"
			"read_write_groups = a, b # c\n"
			"[storage.allow \"x\"] ; rule\n"
			"serial = AB#12;3 # a '#' without a blank before it is kept\n"
			"mode = allow\n");

	ck_assert_int_eq(c->storage.mode, CONFIG_MODE_OBSERVE);
	ck_assert_int_eq(c->storage.default_action, STORAGE_ACTION_ALLOW);
	ck_assert_uint_eq(strv_length(c->storage.read_write_groups), 2);
	ck_assert_str_eq(c->storage.read_write_groups[1], "b");
	ck_assert_str_eq(c->storage.rules[0].serial, "AB#12;3");
}
END_TEST

START_TEST(test_whole_line_comments_blank_lines_and_indentation_are_ignored)
{
	_cleanup_(config_freep) struct config *c = load_ok("# comment\n"
							   "; comment\n"
							   "   # indented comment\n"
							   "\n"
							   "  [idle]  \n"
							   "\tlock_after = 5min\n"
							   "    grace = 10s\n");

	ck_assert_uint_eq(c->idle.lock_after_usec, 5 * USEC_PER_MINUTE);
	ck_assert_uint_eq(c->idle.grace_usec, 10 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_crlf_bom_and_missing_final_newline_are_accepted)
{
	_cleanup_(config_freep) struct config *c =
		load_ok("\xEF\xBB\xBF[idle]\r\nlock_after = 5min\r\ngrace = 10s");

	ck_assert_uint_eq(c->idle.lock_after_usec, 5 * USEC_PER_MINUTE);
	ck_assert_uint_eq(c->idle.grace_usec, 10 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_lines_longer_than_inih_limit_are_read_whole)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_free_ char *text = NULL;
	char line[4096] = "watch = /etc/a";

	for (int i = 0; i < 200; i++)
		(void)strncat(line, ", /etc/x", sizeof(line) - strlen(line) - 1);
	ck_assert_int_gt(asprintf(&text, "[audit]\n%s\n[idle]\ngrace = 7s\n", line), 0);
	c = load_ok(text);
	ck_assert_uint_eq(strv_length(c->audit.watch), 201);
	ck_assert_uint_eq(c->idle.grace_usec, 7 * USEC_PER_SEC);
}
END_TEST

START_TEST(test_long_section_and_key_names_are_not_truncated)
{
	/* inih truncates names to 49 characters: a long unknown key must not become a known one. */
	assert_load_fails(
		"[idle]\n"
		"grace_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx = 5s\n",
		NAME ":2: unknown key "
		     "'grace_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' in "
		     "[idle]");
}
END_TEST

START_TEST(test_bad_value_names_key_expectation_and_value)
{
	assert_load_fails("[idle]\n"
			  "\n"
			  "# comment\n"
			  "\n"
			  "\n"
			  "\n"
			  "lock_after = 10 parsecs\n",
			  NAME
			  ":7: lock_after: expected a duration such as 90s, 10min, 2h or 1d, got "
			  "'10 parsecs'");
}
END_TEST

START_TEST(test_every_error_is_reported_in_line_order)
{
	assert_load_fails(
		"stray = 1\n"
		"[storage]\n"
		"mode = maybe\n"
		"[storage.allow \"r\"]\n"
		"colour = red\n"
		"[idle]\n"
		"grace = soon\n"
		"[nope]\n",
		NAME ":1: key 'stray' outside any section",
		NAME ":3: mode: expected enforce, observe or off, got 'maybe'",
		NAME ":4: rule 'r': mode is required (allow or read-only)",
		NAME ":4: rule 'r' would match every device: set vendor, product or serial",
		NAME ":5: unknown key 'colour' in rule 'r'",
		NAME ":7: grace: expected a duration such as 90s, 10min, 2h or 1d, got 'soon'",
		NAME ":8: unknown section [nope] (expected [vakt], [storage], "
		     "[storage.allow \"NAME\"], [idle] or [audit])");
}
END_TEST

START_TEST(test_keys_of_an_unknown_section_are_not_reported_again)
{
	assert_load_fails("[usb]\nfoo = 1\nbar = 2\n",
			  NAME ":1: unknown section [usb] (expected [vakt], [storage], "
			       "[storage.allow \"NAME\"], [idle] or [audit])");
}
END_TEST

START_TEST(test_duplicate_key_in_one_file_is_an_error)
{
	assert_load_fails("[idle]\ngrace = 1s\ngrace = 2s\n",
			  NAME ":3: duplicate key 'grace' (already set on line 2)");
}
END_TEST

START_TEST(test_same_key_in_two_rules_is_not_a_duplicate)
{
	_cleanup_(config_freep) struct config *c = load_ok("[storage.allow \"a\"]\n"
							   "vendor = 0001\n"
							   "mode = allow\n"
							   "[storage.allow \"b\"]\n"
							   "vendor = 0002\n"
							   "mode = allow\n");

	ck_assert_uint_eq(c->storage.n_rules, 2);
}
END_TEST

START_TEST(test_duplicate_rule_in_one_file_names_both_places)
{
	assert_load_fails("[storage.allow \"a\"]\n"
			  "vendor = 0001\n"
			  "mode = allow\n"
			  "[storage.allow \"a\"]\n"
			  "vendor = 0002\n"
			  "mode = allow\n",
			  NAME ":4: duplicate rule 'a' (first defined at " NAME ":1)");
}
END_TEST

START_TEST(test_rule_needs_mode_and_a_device_property)
{
	assert_load_fails("[storage.allow \"a\"]\n",
			  NAME ":1: rule 'a': mode is required (allow or read-only)",
			  NAME
			  ":1: rule 'a' would match every device: set vendor, product or serial");
}
END_TEST

START_TEST(test_nul_byte_is_an_error)
{
	static const char text[] = "[idle]\ngrace = 1\0s\n";
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;

	ck_assert_int_eq(config_load_string(text, sizeof(text) - 1, NAME, &c, &e), -EINVAL);
	ck_assert_ptr_null(c);
	assert_messages(e, NAME ":2: line contains a NUL byte");
}
END_TEST

START_TEST(test_control_characters_in_messages_are_replaced)
{
	assert_load_fails("[idle]\ngrace = \x1b[31mred\n",
			  NAME ":2: grace: expected a duration such as 90s, 10min, 2h or 1d, got "
			       "'?[31mred'");
}
END_TEST

/* --- Files on disk: drop-ins, ownership, modes. --- */

static char tmpdir[256];

static void tmpdir_setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void tmpdir_teardown(void)
{
	ck_assert_int_eq(nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Writes tmpdir/name with mode 0644; returns the path (static buffer, one at a time). */
static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	return path;
}

static void make_dir(const char *name, mode_t mode)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_eq(mkdir(path, mode), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static char *path_of(const char *name)
{
	char *p = NULL;

	ck_assert_int_gt(asprintf(&p, "%s/%s", tmpdir, name), 0);
	return p;
}

START_TEST(test_dropin_overrides_main_and_later_dropin_overrides_earlier)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	char buf[512], want[512];

	write_file("vakt.conf",
		   "[storage]\ndefault = allow\nnotify_user = no\n[idle]\ngrace = 1s\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/20-b.conf", "[storage]\n\ndefault = read-only\n");
	write_file("vakt.conf.d/10-a.conf", "[storage]\ndefault = block\n[idle]\ngrace = 2s\n");
	write_file("vakt.conf.d/30-ignored.conf.disabled", "[storage]\ndefault = allow\n");
	write_file("vakt.conf.d/.hidden.conf", "[storage]\ndefault = allow\n");

	ck_assert_int_eq(config_load(main_path, 0, &c, &e), 0);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(c->storage.default_action, STORAGE_ACTION_READ_ONLY);
	(void)snprintf(want, sizeof(want), "%s/vakt.conf.d/20-b.conf:3", tmpdir);
	ck_assert_str_eq(config_place_format(&c->storage.default_place, buf, sizeof(buf)), want);
	ck_assert(!c->storage.notify_user);
	ck_assert_uint_eq(c->idle.grace_usec, 2 * USEC_PER_SEC);

	ck_assert_uint_eq(strv_length(c->files), 3);
	ck_assert_str_eq(c->files[0], main_path);
	(void)snprintf(want, sizeof(want), "%s/vakt.conf.d/10-a.conf", tmpdir);
	ck_assert_str_eq(c->files[1], want);
	(void)snprintf(want, sizeof(want), "%s/vakt.conf.d/20-b.conf", tmpdir);
	ck_assert_str_eq(c->files[2], want);
}
END_TEST

/* The same policy without the digest: identical settings, policy_digest "" (not computed). */
START_TEST(test_load_no_digest_reads_the_same_policy)
{
	_cleanup_(config_freep) struct config *c = NULL, *d = NULL;
	_cleanup_strv_free_ char **e = NULL, **f = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");

	write_file("vakt.conf", "[storage]\ndefault = allow\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/10-a.conf", "[storage]\ndefault = read-only\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), 0);
	ck_assert_int_eq(config_load_no_digest(main_path, 0, &d, &f), 0);
	ck_assert_int_eq(d->storage.default_action, STORAGE_ACTION_READ_ONLY);
	ck_assert_uint_eq(strv_length(d->files), 2);
	ck_assert_uint_eq(strlen(c->policy_digest), POLICY_DIGEST_HEX_SIZE - 1);
	ck_assert_str_eq(d->policy_digest, "");
}
END_TEST

START_TEST(test_dropin_list_replaces_the_earlier_list)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");

	write_file("vakt.conf", "[audit]\nwatch = /etc/a, /etc/b\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/x.conf", "[audit]\nwatch = /etc/c\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), 0);
	ck_assert_uint_eq(strv_length(c->audit.watch), 1);
	ck_assert_str_eq(c->audit.watch[0], "/etc/c");
}
END_TEST

START_TEST(test_rules_from_all_files_are_collected)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	char want[512];

	write_file("vakt.conf", "[storage.allow \"main\"]\nvendor = 0001\nmode = allow\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/a.conf",
		   "# x\n[storage.allow \"dropin\"]\nserial = S\nmode = read-only\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), 0);
	ck_assert_uint_eq(c->storage.n_rules, 2);
	ck_assert_str_eq(c->storage.rules[0].name, "main");
	ck_assert_str_eq(c->storage.rules[0].place.file, main_path);
	ck_assert_uint_eq(c->storage.rules[0].place.line, 1);
	ck_assert_str_eq(c->storage.rules[1].name, "dropin");
	(void)snprintf(want, sizeof(want), "%s/vakt.conf.d/a.conf", tmpdir);
	ck_assert_str_eq(c->storage.rules[1].place.file, want);
	ck_assert_uint_eq(c->storage.rules[1].place.line, 2);
}
END_TEST

START_TEST(test_duplicate_rule_across_files_names_both_places)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	char want[1024];

	write_file("vakt.conf", "\n[storage.allow \"stick\"]\nvendor = 0001\nmode = allow\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/a.conf",
		   "[storage.allow \"stick\"]\nvendor = 0002\nmode = allow\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	ck_assert_ptr_null(c);
	(void)snprintf(want,
		       sizeof(want),
		       "%s/vakt.conf.d/a.conf:1: duplicate rule 'stick' (first defined at %s:2)",
		       tmpdir,
		       main_path);
	assert_messages(e, want);
}
END_TEST

START_TEST(test_errors_from_several_files_come_in_file_order)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	char want1[512], want2[512], want3[512];

	write_file("vakt.conf", "[idle]\ngrace = x\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/b.conf", "[idle]\nfoo = 1\n");
	write_file("vakt.conf.d/a.conf", "\n\n\n[bar]\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	(void)snprintf(want1,
		       sizeof(want1),
		       "%s:2: grace: expected a duration such as 90s, 10min, 2h or 1d, got 'x'",
		       main_path);
	(void)snprintf(
		want2,
		sizeof(want2),
		"%s/vakt.conf.d/a.conf:4: unknown section [bar] (expected [vakt], [storage], "
		"[storage.allow \"NAME\"], [idle] or [audit])",
		tmpdir);
	(void)snprintf(want3,
		       sizeof(want3),
		       "%s/vakt.conf.d/b.conf:2: unknown key 'foo' in [idle]",
		       tmpdir);
	assert_messages(e, want1, want2, want3);
}
END_TEST

START_TEST(test_group_or_world_writable_file_is_refused)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	char want[512];

	write_file("vakt.conf", "[idle]\ngrace = 1s\n");
	ck_assert_int_eq(chmod(main_path, 0666), 0);
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	ck_assert_ptr_null(c);
	(void)snprintf(want,
		       sizeof(want),
		       "%s: refusing: writable by group or others (mode 0666)",
		       main_path);
	assert_messages(e, want);

	e = strv_free(e);
	ck_assert_int_eq(chmod(main_path, 0664), 0);
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	(void)snprintf(want,
		       sizeof(want),
		       "%s: refusing: writable by group or others (mode 0664)",
		       main_path);
	assert_messages(e, want);
}
END_TEST

START_TEST(test_writable_dropin_is_refused_and_others_still_checked)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	_cleanup_free_ char *dropin = path_of("vakt.conf.d/a.conf");
	char want1[512], want2[512];

	write_file("vakt.conf", "[idle]\ngrace = 1s\n");
	make_dir("vakt.conf.d", 0755);
	write_file("vakt.conf.d/a.conf", "[idle]\ngrace = 2s\n");
	write_file("vakt.conf.d/b.conf", "[idle]\ngrace = never\n");
	ck_assert_int_eq(chmod(dropin, 0620), 0);
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	(void)snprintf(want1,
		       sizeof(want1),
		       "%s: refusing: writable by group or others (mode 0620)",
		       dropin);
	(void)snprintf(want2,
		       sizeof(want2),
		       "%s/vakt.conf.d/b.conf:2: grace: expected a duration such as 90s, 10min, "
		       "2h or 1d, got 'never'",
		       tmpdir);
	assert_messages(e, want1, want2);
}
END_TEST

START_TEST(test_writable_dropin_directory_is_refused)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	_cleanup_free_ char *dir = path_of("vakt.conf.d");
	char want[512];

	write_file("vakt.conf", "[idle]\ngrace = 1s\n");
	make_dir("vakt.conf.d", 0777);
	write_file("vakt.conf.d/a.conf", "[idle]\ngrace = 2s\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	(void)snprintf(
		want, sizeof(want), "%s: refusing: writable by group or others (mode 0777)", dir);
	assert_messages(e, want);
}
END_TEST

START_TEST(test_file_owned_by_someone_else_is_refused)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");
	char want[512];

	if (geteuid() != 0)
		return; /* chown to another uid needs root: skipped */

	write_file("vakt.conf", "[idle]\ngrace = 1s\n");
	ck_assert_int_eq(chown(main_path, 12345, 0), 0);
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -EINVAL);
	ck_assert_ptr_null(c);
	(void)snprintf(
		want, sizeof(want), "%s: refusing: owned by uid 12345, expected root", main_path);
	assert_messages(e, want);

	e = strv_free(e);
	ck_assert_int_eq(config_load(main_path, 4242, &c, &e), -EINVAL);
	(void)snprintf(want,
		       sizeof(want),
		       "%s: refusing: owned by uid 12345, expected root or uid 4242",
		       main_path);
	assert_messages(e, want);
}
END_TEST

START_TEST(test_file_owned_by_owner_uid_is_accepted)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");

	if (geteuid() != 0)
		return; /* chown to another uid needs root: skipped */

	write_file("vakt.conf", "[idle]\ngrace = 1s\n");
	ck_assert_int_eq(chown(main_path, 12345, 0), 0);
	ck_assert_int_eq(config_load(main_path, 12345, &c, &e), 0);
	ck_assert_uint_eq(c->idle.grace_usec, USEC_PER_SEC);
}
END_TEST

START_TEST(test_missing_main_file_is_an_error)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("nope.conf");
	char want[512];

	ck_assert_int_eq(config_load(main_path, 0, &c, &e), -ENOENT);
	ck_assert_ptr_null(c);
	(void)snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", main_path);
	assert_messages(e, want);
}
END_TEST

START_TEST(test_directory_or_fifo_as_config_is_refused)
{
	struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL, **e2 = NULL;
	_cleanup_free_ char *dir = path_of("dir.conf");
	_cleanup_free_ char *fifo = path_of("fifo.conf");
	char want[512];

	make_dir("dir.conf", 0755);
	ck_assert_int_eq(config_load(dir, 0, &c, &e), -EINVAL);
	(void)snprintf(want, sizeof(want), "%s: refusing: not a regular file", dir);
	assert_messages(e, want);

	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(config_load(fifo, 0, &c, &e2), -EINVAL); /* must not block */
	(void)snprintf(want, sizeof(want), "%s: refusing: not a regular file", fifo);
	assert_messages(e2, want);
}
END_TEST

START_TEST(test_missing_dropin_directory_is_fine)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **e = NULL;
	_cleanup_free_ char *main_path = path_of("vakt.conf");

	write_file("vakt.conf", "[idle]\ngrace = 1s\n");
	ck_assert_int_eq(config_load(main_path, 0, &c, &e), 0);
	ck_assert_uint_eq(strv_length(c->files), 1);
}
END_TEST

/* --- Shipped and test data files. --- */

static char *read_text(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;
	FILE *m;
	int ch;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	m = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(m);
	while ((ch = fgetc(f)) != EOF)
		(void)fputc(ch, m);
	ck_assert_int_eq(fclose(m), 0);
	return text;
}

START_TEST(test_shipped_config_loads_and_equals_the_defaults)
{
	_cleanup_free_ char *text = read_text(SOURCE_DIR "/conf/vakt.conf");
	_cleanup_(config_freep) struct config *c = load_ok(text);
	_cleanup_(config_freep) struct config *d = config_new();
	_cleanup_free_ char *w1 = NULL, *w2 = NULL;

	ck_assert_int_eq(c->storage.mode, d->storage.mode);
	ck_assert_int_eq(c->storage.default_action, d->storage.default_action);
	ck_assert_uint_eq(strv_length(c->storage.read_write_groups), 0);
	ck_assert_uint_eq(strv_length(c->storage.read_only_groups), 0);
	ck_assert(c->storage.notify_user == d->storage.notify_user);
	ck_assert_int_eq(c->storage.while_locked, d->storage.while_locked);
	ck_assert_mem_eq(c->storage.harmless_classes,
			 d->storage.harmless_classes,
			 sizeof(d->storage.harmless_classes));
	ck_assert_int_eq(c->storage.keyboards_while_locked, d->storage.keyboards_while_locked);
	ck_assert_uint_eq(c->storage.n_rules, 0);
	ck_assert_int_eq(c->idle.mode, d->idle.mode);
	ck_assert_uint_eq(c->idle.lock_after_usec, d->idle.lock_after_usec);
	ck_assert_uint_eq(c->idle.grace_usec, d->idle.grace_usec);
	ck_assert_int_eq(c->idle.on_lock_failure, d->idle.on_lock_failure);
	ck_assert_uint_eq(c->idle.text_sessions_after_usec, d->idle.text_sessions_after_usec);
	ck_assert_uint_eq(strv_length(c->idle.exempt_groups), 0);
	ck_assert_int_eq(c->audit.mode, d->audit.mode);
	ck_assert(c->audit.ensure_rules == d->audit.ensure_rules);
	w1 = strv_join(c->audit.watch, ",");
	w2 = strv_join(d->audit.watch, ",");
	ck_assert_str_eq(w1, w2);
	ck_assert_uint_eq(c->audit.failed_auth_burst_count, d->audit.failed_auth_burst_count);
	ck_assert_uint_eq(c->audit.failed_auth_burst_window_usec,
			  d->audit.failed_auth_burst_window_usec);
	free(w1);
	free(w2);
	w1 = strv_join(c->vakt.admin_groups, ",");
	w2 = strv_join(d->vakt.admin_groups, ",");
	ck_assert_str_eq(w1, w2);
}
END_TEST

START_TEST(test_shipped_config_example_rule_is_valid_when_uncommented)
{
	_cleanup_free_ char *text = read_text(SOURCE_DIR "/conf/vakt.conf");
	_cleanup_(config_freep) struct config *c = NULL;
	char *p;

	/* Uncomment the lines of the example rule: "#[storage.allow" up to the next blank line. */
	p = strstr(text, "#[storage.allow");
	ck_assert_ptr_nonnull(p);
	for (; *p == '#'; p = strchr(p, '\n') + 1)
		*p = ' ';
	c = load_ok(text);
	ck_assert_uint_eq(c->storage.n_rules, 1);
	ck_assert_str_eq(c->storage.rules[0].name, "approved-stick");
}
END_TEST

/* Returns the sorted names of *.conf files in dir. */
static char **list_conf(const char *dir)
{
	_cleanup_strv_free_ char **l = NULL;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		if (len > 5 && streq(names[i]->d_name + len - 5, ".conf"))
			ck_assert_int_eq(strv_extend(&l, names[i]->d_name), 0);
		free(names[i]);
	}
	free(names);
	ck_assert_ptr_nonnull(l);
	return TAKE_PTR(l);
}

START_TEST(test_good_data_files_load_without_errors)
{
	_cleanup_strv_free_ char **names = list_conf(TEST_DATA_DIR "/config/good");

	STRV_FOREACH (name, names) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		struct config *c = NULL;
		_cleanup_strv_free_ char **e = NULL;
		int r;

		ck_assert_int_gt(asprintf(&path, "%s/config/good/%s", TEST_DATA_DIR, *name), 0);
		text = read_text(path);
		r = config_load_string(text, strlen(text), *name, &c, &e);
		ck_assert_msg(r == 0, "%s: %s", *name, e && e[0] ? e[0] : "?");
		config_free(c);
	}
}
END_TEST

START_TEST(test_bad_data_files_give_exactly_the_expected_messages)
{
	_cleanup_strv_free_ char **names = list_conf(TEST_DATA_DIR "/config/bad");

	ck_assert_uint_ge(strv_length(names), 10);
	STRV_FOREACH (name, names) {
		_cleanup_free_ char *path = NULL, *text = NULL, *expected = NULL, *got = NULL;
		_cleanup_free_ char *expected_path = NULL;
		struct config *c = NULL;
		_cleanup_strv_free_ char **e = NULL;

		ck_assert_int_gt(asprintf(&path, "%s/config/bad/%s", TEST_DATA_DIR, *name), 0);
		text = read_text(path);
		ck_assert_int_eq(config_load_string(text, strlen(text), *name, &c, &e), -EINVAL);
		ck_assert_ptr_null(c);

		ck_assert_int_gt(asprintf(&expected_path,
					  "%.*s.expected",
					  (int)(strlen(path) - strlen(".conf")),
					  path),
				 0);
		expected = read_text(expected_path);
		ck_assert_int_ge(strv_extend(&e, ""), 0); /* the final newline */
		got = strv_join(e, "\n");
		ck_assert_msg(streq(got, expected),
			      "%s:\n--- expected\n%s--- got\n%s",
			      *name,
			      expected,
			      got);
	}
}
END_TEST

/* Issue 17: a key this version accepts but does not act on would warn. Since issue 14 every key
 * acts (admin_groups: the control socket; notify_user: notify-user.c): no warning. */
START_TEST(test_keys_without_effect_warn)
{
	_cleanup_(config_freep) struct config *c = NULL;

	c = load_ok("[vakt]\n"
		    "admin_groups = sudo\n"
		    "[storage]\n"
		    "notify_user = no\n");
	ck_assert_ptr_null(c->warnings);
	ck_assert(!c->storage.notify_user);
	ck_assert_str_eq(c->vakt.admin_groups_place.file, NAME);
	ck_assert_uint_eq(c->vakt.admin_groups_place.line, 2);
}
END_TEST

/* [vakt] contact: the text a person reads, so one line and short; unset by default. */
START_TEST(test_contact)
{
	_cleanup_(config_freep) struct config *c = NULL, *d = NULL;
	char long_text[120];

	c = load_ok("[vakt]\ncontact = the help desk, ext. 4242 <helpdesk@example.org>\n");
	ck_assert_str_eq(c->vakt.contact, "the help desk, ext. 4242 <helpdesk@example.org>");
	d = load_ok("[storage]\ndefault = block\n");
	ck_assert_ptr_null(d->vakt.contact);
	memset(long_text, 'x', sizeof(long_text));
	memcpy(long_text, "[vakt]\ncontact = ", 17);
	long_text[17 + 81] = '\n';
	long_text[17 + 82] = '\0';
	assert_load_fails(
		long_text,
		NAME
		":2: contact: longer than 80 bytes, got "
		"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'");
	assert_load_fails("[vakt]\ncontact = a\tb\n",
			  NAME ":2: contact: contains a control character, got 'a?b'");
	config_free(c);
	c = load_ok("[vakt]\ncontact = Brukerst\xc3\xb8tte, tlf. 4242\n");
	ck_assert_str_eq(c->vakt.contact, "Brukerst\xc3\xb8tte, tlf. 4242");
}
END_TEST

/* Issue 14: policy_reference names the clause of the written policy; a section without one gets
 * [vakt]'s; empty means unset; long text or a control character is refused with FILE:LINE. */
START_TEST(test_policy_reference_per_section_with_vakt_default)
{
	_cleanup_(config_freep) struct config *c = NULL, *none = NULL, *unset = NULL;

	c = load_ok("[vakt]\n"
		    "policy_reference = IT security policy\n"
		    "[storage]\n"
		    "policy_reference = IT security policy §4.2, portable media\n"
		    "[idle]\n"
		    "policy_reference = §5.1 unattended equipment\n");
	ck_assert_str_eq(config_policy_reference(c, EVENT_PART_STORAGE),
			 "IT security policy §4.2, portable media");
	ck_assert_str_eq(config_policy_reference(c, EVENT_PART_IDLE), "§5.1 unattended equipment");
	ck_assert_str_eq(config_policy_reference(c, EVENT_PART_AUDIT), "IT security policy");
	ck_assert_str_eq(config_policy_reference(c, EVENT_PART_VAKT), "IT security policy");

	none = load_ok("[storage]\ndefault = block\n");
	for (enum event_part p = 0; p < _EVENT_PART_MAX; p++)
		ck_assert_ptr_null(config_policy_reference(none, p));

	/* SPEC's sketch writes the key empty: accepted, and the same as absent. */
	unset = load_ok("[vakt]\npolicy_reference = whole policy\n[audit]\npolicy_reference =\n");
	ck_assert_ptr_null(unset->audit.policy_reference);
	ck_assert_str_eq(config_policy_reference(unset, EVENT_PART_AUDIT), "whole policy");
}
END_TEST

START_TEST(test_policy_reference_refuses_long_text)
{
	_cleanup_strv_free_ char **errors = NULL;
	struct config *c = NULL;
	char text[400];

	(void)snprintf(text, sizeof(text), "[audit]\npolicy_reference = %0201d\n", 0);
	ck_assert_int_eq(load(text, &c, &errors), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(strv_length(errors), 1);
	ck_assert_ptr_nonnull(strstr(errors[0],
				     NAME ":2: policy_reference: longer than 200 bytes: name the "
					  "clause, do not quote it"));
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

#define ADD(fn)                 \
	tc = tcase_create(#fn); \
	tcase_add_test(tc, fn); \
	suite_add_tcase(s, tc)
#define ADD_FILES(fn)                                                 \
	tc = tcase_create(#fn);                                       \
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown); \
	tcase_add_test(tc, fn);                                       \
	suite_add_tcase(s, tc)

	ADD(test_defaults_match_the_sketch);
	ADD(test_keys_without_effect_warn);
	ADD(test_contact);
	ADD(test_policy_reference_per_section_with_vakt_default);
	ADD(test_policy_reference_refuses_long_text);
	ADD(test_default_harmless_classes_are_the_documented_list);
	ADD(test_every_key_is_parsed_into_the_struct);
	tc = tcase_create("test_mode_accepts_enforce_observe_off_in_every_section");
	tcase_add_loop_test(tc,
			    test_mode_accepts_enforce_observe_off_in_every_section,
			    0,
			    (int)ELEMENTSOF(modes));
	suite_add_tcase(s, tc);
	ADD(test_enum_names_round_trip);
	ADD(test_harmless_classes_accept_hex_in_either_case);
	ADD(test_harmless_classes_reject_empty_bad_hex_and_names);
	ADD(test_harmless_classes_must_keep_hid_and_hub);
	ADD(test_harmless_classes_cannot_hold_storage_classes);
	ADD(test_storage_classes_is_an_error_naming_harmless_classes);
	ADD(test_keyboards_while_locked_values);
	ADD(test_rule_ids_are_normalised_to_lower_case);
	ADD(test_rule_with_only_serial_is_valid);
	ADD(test_rule_remembers_its_header_line);
	ADD(test_places_record_file_and_line_or_builtin_default);
	ADD(test_idle_places_record_file_and_line_or_builtin_default);
	ADD(test_inline_comments_are_stripped);
	ADD(test_whole_line_comments_blank_lines_and_indentation_are_ignored);
	ADD(test_crlf_bom_and_missing_final_newline_are_accepted);
	ADD(test_lines_longer_than_inih_limit_are_read_whole);
	ADD(test_long_section_and_key_names_are_not_truncated);
	ADD(test_bad_value_names_key_expectation_and_value);
	ADD(test_every_error_is_reported_in_line_order);
	ADD(test_keys_of_an_unknown_section_are_not_reported_again);
	ADD(test_duplicate_key_in_one_file_is_an_error);
	ADD(test_same_key_in_two_rules_is_not_a_duplicate);
	ADD(test_duplicate_rule_in_one_file_names_both_places);
	ADD(test_rule_needs_mode_and_a_device_property);
	ADD(test_nul_byte_is_an_error);
	ADD(test_control_characters_in_messages_are_replaced);

	ADD_FILES(test_dropin_overrides_main_and_later_dropin_overrides_earlier);
	ADD_FILES(test_dropin_list_replaces_the_earlier_list);
	ADD_FILES(test_load_no_digest_reads_the_same_policy);
	ADD_FILES(test_rules_from_all_files_are_collected);
	ADD_FILES(test_duplicate_rule_across_files_names_both_places);
	ADD_FILES(test_errors_from_several_files_come_in_file_order);
	ADD_FILES(test_group_or_world_writable_file_is_refused);
	ADD_FILES(test_writable_dropin_is_refused_and_others_still_checked);
	ADD_FILES(test_writable_dropin_directory_is_refused);
	ADD_FILES(test_file_owned_by_someone_else_is_refused);
	ADD_FILES(test_file_owned_by_owner_uid_is_accepted);
	ADD_FILES(test_missing_main_file_is_an_error);
	ADD_FILES(test_directory_or_fifo_as_config_is_refused);
	ADD_FILES(test_missing_dropin_directory_is_fine);

	ADD(test_shipped_config_loads_and_equals_the_defaults);
	ADD(test_shipped_config_example_rule_is_valid_when_uncommented);
	ADD(test_good_data_files_load_without_errors);
	ADD(test_bad_data_files_give_exactly_the_expected_messages);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */
