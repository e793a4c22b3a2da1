#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "macro.h"
#include "strv.h"

/*
 * The policy is built in three steps: config_new() fills a fresh struct with the defaults, the
 * handlers below apply each "[section]" header and "key = value" line as config-file.c reads it
 * (the keys themselves are in config-keys.c), then cross_checks() looks at the whole policy.
 *
 * Duplicate keys: within one file, setting the same key twice in a section is an error (which of
 * the two was meant is not clear in a security policy). Across files, a later file's value
 * replaces an earlier one: that is what drop-ins are for.
 *
 * snprintf() with explicit sizes is used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

#define RULE_NAME_MAX 64

static const char *const section_names[] = {
	[SECTION_VAKT] = "vakt",
	[SECTION_STORAGE] = "storage",
	[SECTION_IDLE] = "idle",
	[SECTION_AUDIT] = "audit",
};

static const char *const default_admin_groups[] = { "sudo", "wheel", NULL };

/*
 * The USB classes that cannot store, by default (usb.org's class codes). Everything else gets the
 * storage policy: 06 still image (PTP, and MTP on many phones), 08 mass storage, dc diagnostic,
 * fe application specific (DFU firmware update, IrDA bridges), ff vendor specific (MTP on Android,
 * Apple's usbmux, Realtek card readers, the usb-storage unusual-devices table), 00 and every code
 * not assigned today. vakt.conf(5) gives the reasoning.
 */
static const uint8_t default_harmless_classes[] = {
	0x01, /* audio */
	0x02, /* CDC communications (modems, network) */
	0x03, /* HID */
	0x05, /* physical */
	0x07, /* printer */
	0x09, /* hub */
	0x0a, /* CDC data */
	0x0b, /* smart card */
	0x0d, /* content security */
	0x0e, /* video */
	0x0f, /* personal healthcare */
	0x10, /* audio/video */
	0x11, /* billboard */
	0x12, /* USB-C bridge */
	0xe0, /* wireless controller (Bluetooth, RNDIS): a radio, not memory */
};
static const char *const default_watch[] = {
	"/etc/passwd",	"/etc/shadow",	  "/etc/group", "/etc/gshadow",
	"/etc/sudoers", "/etc/sudoers.d", NULL,
};

/* A copy of a user-supplied string for a message: control characters become '?'. */
static void printable(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	for (; s[i] != '\0' && i + 1 < n; i++) {
		buf[i] = s[i];
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			buf[i] = '?';
	}
	buf[i] = '\0';
}

static int set_place(struct config_place *p, const char *file, unsigned line)
{
	char *f = strdup(file);

	if (!f)
		return -ENOMEM;
	free(p->file);
	p->file = f;
	p->line = line;
	return 0;
}

/* The index of section's key name in config_key_defs[], or -1. */
static ssize_t key_def_find(enum section section, const char *name)
{
	for (size_t i = 0; i < config_n_key_defs; i++)
		if (config_key_defs[i].section == section && streq(config_key_defs[i].name, name))
			return (ssize_t)i;
	return -1;
}

static struct storage_rule *current_rule(struct loader *l)
{
	return &l->config->storage.rules[l->rule];
}

/* Finds the current key in the key table. Returns its index, or -1 after reporting why the key
 * cannot be set here. shown is the key as it may be printed. */
static ssize_t key_find_for_line(struct loader *l, const char *shown)
{
	ssize_t i;

	if (l->section == SECTION_NONE) {
		line_error(l, "key '%s' outside any section", shown);
		return -1;
	}
	i = key_def_find(l->section, l->key);
	if (i < 0) {
		for (size_t j = 0; j < config_n_removed_keys; j++)
			if (config_removed_keys[j].section == l->section &&
			    streq(config_removed_keys[j].name, l->key)) {
				line_error(l, "%s: %s", shown, config_removed_keys[j].why);
				return -1;
			}
		if (l->section == SECTION_RULE)
			line_error(
				l, "unknown key '%s' in rule '%s'", shown, current_rule(l)->name);
		else
			line_error(l, "unknown key '%s' in [%s]", shown, section_names[l->section]);
		return -1;
	}
	if (l->seen[i] > 0) {
		line_error(l, "duplicate key '%s' (already set on line %u)", shown, l->seen[i]);
		return -1;
	}
	return i;
}

/* Parses the current value into k's field and remembers where it was set; reports a bad value. */
static void key_apply(struct loader *l, const struct key_def *k)
{
	const char *why = "invalid value";
	void *field;
	int r;

	if (k->section == SECTION_RULE)
		field = (char *)current_rule(l) + k->offset;
	else
		field = (char *)l->config + k->offset;

	r = k->apply(l, k, field, l->value, &why);
	if (r == -ENOMEM) {
		l->error = r;
		return;
	}
	if (r < 0) {
		char shown[256];

		printable(l->value, shown, sizeof(shown));
		line_error(l, "%s: %s, got '%s'", k->name, why, shown);
		return;
	}
	if (k->place >= 0 &&
	    set_place((struct config_place *)((char *)l->config + k->place), l->file, l->line) < 0)
		l->error = -ENOMEM;
}

int config_handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *l = user;
	char shown[256];
	ssize_t i;

	(void)section;
	(void)name;
	(void)value;

	if (l->section == SECTION_INVALID)
		return 1;
	printable(l->key, shown, sizeof(shown));
	i = key_find_for_line(l, shown);
	if (i < 0)
		return 1;
	l->seen[i] = l->line;
	key_apply(l, &config_key_defs[i]);
	return 1;
}

/* At the end of a rule's section: reports what the rule lacks. */
static void rule_check(struct loader *l)
{
	const struct storage_rule *rule = current_rule(l);
	ssize_t mode = key_def_find(SECTION_RULE, "mode");

	if (l->seen[mode] == 0)
		config_loader_message(l,
				      l->file_index,
				      l->file,
				      l->section_line,
				      "rule '%s': mode is required (allow or read-only)",
				      rule->name);
	if (l->seen[key_def_find(SECTION_RULE, "vendor")] == 0 &&
	    l->seen[key_def_find(SECTION_RULE, "product")] == 0 &&
	    l->seen[key_def_find(SECTION_RULE, "serial")] == 0)
		config_loader_message(
			l,
			l->file_index,
			l->file,
			l->section_line,
			"rule '%s' would match every device: set vendor, product or serial",
			rule->name);
}

void config_section_end(struct loader *l)
{
	if (l->section == SECTION_RULE)
		rule_check(l);
	l->section = SECTION_INVALID;
}

static bool rule_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > RULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
			    s[i]))
			return false;
	return true;
}

static void rule_begin(struct loader *l, const char *name)
{
	struct storage_rule *rules;
	char where[1024];
	size_t n = l->config->storage.n_rules;

	for (size_t i = 0; i < n; i++) {
		const struct storage_rule *other = &l->config->storage.rules[i];

		if (streq(other->name, name))
			line_error(l,
				   "duplicate rule '%s' (first defined at %s)",
				   name,
				   config_place_format(&other->place, where, sizeof(where)));
	}

	rules = reallocarray(l->config->storage.rules, n + 1, sizeof(*rules));
	if (!rules) {
		l->error = -ENOMEM;
		return;
	}
	l->config->storage.rules = rules;
	rules[n] = (struct storage_rule){ .name = strdup(name), .mode = STORAGE_ACTION_ALLOW };
	l->config->storage.n_rules++;
	if (!rules[n].name || set_place(&rules[n].place, l->file, l->line) < 0) {
		l->error = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < config_n_key_defs; i++)
		if (config_key_defs[i].section == SECTION_RULE)
			l->seen[i] = 0;
	l->section = SECTION_RULE;
	l->section_line = l->line;
	l->rule = n;
}

/* Cuts the brackets and the blanks inside them off a header line p (which starts with '['). Returns
 * the name inside, or NULL when the line does not end with ']'. */
static char *header_name(char *p)
{
	size_t n = strlen(p);

	if (p[n - 1] != ']')
		return NULL;
	p[n - 1] = '\0';
	p++;
	p += strspn(p, " \t");
	for (n = strlen(p); n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
		p[n - 1] = '\0';
	return p;
}

/* p is a header name that is not a plain section: begins the rule it names, or reports it. */
static void rule_header(struct loader *l, char *p)
{
	static const char rule_prefix[] = "storage.allow";
	char shown[256];
	char *name;
	size_t n;

	printable(p, shown, sizeof(shown));
	if (strncmp(p, rule_prefix, strlen(rule_prefix)) != 0 ||
	    !strchr(" \t", p[strlen(rule_prefix)])) {
		line_error(l,
			   "unknown section [%s] (expected [vakt], [storage], "
			   "[storage.allow \"NAME\"], [idle] or [audit])",
			   shown);
		return;
	}

	name = p + strlen(rule_prefix);
	name += strspn(name, " \t");
	n = strlen(name);
	if (n < 2 || name[0] != '"' || name[n - 1] != '"' || !rule_name_valid(name + 1, n - 2)) {
		line_error(
			l,
			"invalid rule header [%s]: expected [storage.allow \"NAME\"], NAME made of "
			"at most %d letters, digits, '.', '_' or '-'",
			shown,
			RULE_NAME_MAX);
		return;
	}
	name[n - 1] = '\0';
	rule_begin(l, name + 1);
}

void config_section_begin(struct loader *l, char *p)
{
	char *name;

	config_section_end(l);
	l->section_line = l->line;

	name = header_name(p);
	if (!name) {
		line_error(l, "expected ']' at the end of the section header");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(section_names); i++)
		if (section_names[i] && streq(name, section_names[i])) {
			l->section = (enum section)i;
			return;
		}
	rule_header(l, name);
}

static char **strv_from_array(const char *const *a)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

	if (!l)
		return NULL;
	for (; a && *a; a++)
		if (strv_extend(&l, *a) < 0)
			return NULL;
	return TAKE_PTR(l);
}

/* Frees what c owns, not c. */
static void config_done(struct config *c)
{
	strv_free(c->files);
	strv_free(c->warnings);
	strv_free(c->vakt.admin_groups);
	free(c->vakt.admin_groups_place.file);
	free(c->vakt.contact);
	free(c->vakt.policy_reference);
	free(c->storage.policy_reference);
	free(c->idle.policy_reference);
	free(c->audit.policy_reference);
	free(c->storage.default_place.file);
	strv_free(c->storage.read_write_groups);
	free(c->storage.read_write_groups_place.file);
	strv_free(c->storage.read_only_groups);
	free(c->storage.read_only_groups_place.file);
	free(c->storage.while_locked_place.file);
	free(c->storage.harmless_classes_place.file);
	free(c->storage.keyboards_while_locked_place.file);
	for (size_t i = 0; i < c->storage.n_rules; i++) {
		struct storage_rule *rule = &c->storage.rules[i];

		free(rule->name);
		free(rule->vendor);
		free(rule->product);
		free(rule->serial);
		free(rule->place.file);
	}
	free(c->storage.rules);
	strv_free(c->idle.exempt_groups);
	free(c->idle.lock_after_place.file);
	free(c->idle.grace_place.file);
	free(c->idle.on_lock_failure_place.file);
	free(c->idle.text_sessions_after_place.file);
	free(c->idle.exempt_groups_place.file);
	strv_free(c->audit.watch);
}

struct config *config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;

	c->files = strv_from_array(NULL);
	memcpy(c->policy_digest, POLICY_DIGEST_EMPTY, sizeof(c->policy_digest));
	c->vakt.admin_groups = strv_from_array(default_admin_groups);

	c->storage.mode = CONFIG_MODE_ENFORCE;
	c->storage.default_action = STORAGE_ACTION_BLOCK;
	c->storage.read_write_groups = strv_from_array(NULL);
	c->storage.read_only_groups = strv_from_array(NULL);
	c->storage.notify_user = true;
	c->idle.notify_user = true;
	c->storage.while_locked = WHILE_LOCKED_BLOCK;
	for (size_t i = 0; i < ELEMENTSOF(default_harmless_classes); i++)
		c->storage.harmless_classes[default_harmless_classes[i] / 64] |=
			UINT64_C(1) << (default_harmless_classes[i] % 64);
	c->storage.keyboards_while_locked = KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA;

	c->idle.mode = CONFIG_MODE_ENFORCE;
	c->idle.lock_after_usec = 10 * USEC_PER_MINUTE;
	c->idle.grace_usec = 60 * USEC_PER_SEC;
	c->idle.on_lock_failure = LOCK_FAILURE_TERMINATE;
	c->idle.text_sessions_after_usec = 30 * USEC_PER_MINUTE;
	c->idle.exempt_groups = strv_from_array(NULL);

	c->audit.mode = CONFIG_MODE_ENFORCE;
	c->audit.ensure_rules = true;
	c->audit.watch = strv_from_array(default_watch);
	c->audit.failed_auth_burst_count = 5;
	c->audit.failed_auth_burst_window_usec = 5 * USEC_PER_MINUTE;

	if (!c->files || !c->vakt.admin_groups || !c->storage.read_write_groups ||
	    !c->storage.read_only_groups || !c->idle.exempt_groups || !c->audit.watch) {
		config_done(c);
		free(c);
		return NULL;
	}
	return c;
}

struct config *config_free(struct config *c)
{
	if (!c)
		return NULL;
	config_done(c);
	free(c);
	return NULL;
}

static unsigned place_file_index(const struct loader *l, const struct config_place *p)
{
	size_t n = strv_length(l->names);

	for (size_t i = 0; p->file && i < n; i++)
		if (streq(l->names[i], p->file))
			return (unsigned)i;
	return 0;
}

/* Checks that need the whole policy; run after every file. */
static void cross_checks(struct loader *l)
{
	const struct config *c = l->config;
	const struct config_place *ro = &c->storage.read_only_groups_place;
	const struct config_place *rw = &c->storage.read_write_groups_place;
	const struct config_place *later;
	char where[1024];

	STRV_FOREACH (g, c->storage.read_only_groups) {
		if (!strv_contains(c->storage.read_write_groups, *g))
			continue;
		/* Report at whichever of the two keys was set last. */
		later = place_file_index(l, ro) > place_file_index(l, rw) ||
					(place_file_index(l, ro) == place_file_index(l, rw) &&
					 ro->line > rw->line)
				? ro
				: rw;
		config_loader_message(
			l,
			place_file_index(l, later),
			later->file ? later->file : "(built-in)",
			later->line,
			"group '%s' is in both read_write_groups and read_only_groups "
			"(other one set at %s)",
			*g,
			config_place_format(later == ro ? rw : ro, where, sizeof(where)));
	}
}

static void loader_done(struct loader *l)
{
	for (size_t i = 0; i < l->n_messages; i++)
		free(l->messages[i].text);
	free(l->messages);
	free(l->seen);
	strv_free(l->names);
	policy_digest_free(l->digest);
	config_free(l->config);
}

static int loader_init(struct loader *l, bool digest)
{
	*l = (struct loader){ 0 };
	l->config = config_new();
	l->seen = calloc(config_n_key_defs, sizeof(l->seen[0]));
	if (!l->config || !l->seen || (digest && policy_digest_new(&l->digest) < 0))
		return -ENOMEM;
	return 0;
}

/* The digest of the files read, into the config (before config_loader_finish()). */
static void loader_digest(struct loader *l)
{
	if (!l->digest) {
		l->config->policy_digest[0] = '\0';
		return;
	}
	if (policy_digest_hex(l->digest, l->config->policy_digest) < 0 && l->error == 0)
		l->error = -ENOMEM;
}

static int load(const char *path,
		uid_t owner_uid,
		bool digest,
		struct config **ret_config,
		char ***reterr_messages)
{
	struct loader l;
	char *dir;
	int r;

	r = loader_init(&l, digest);
	if (r < 0) {
		loader_done(&l);
		*reterr_messages = NULL;
		return r;
	}

	config_load_file_at(&l, AT_FDCWD, path, path, owner_uid);
	dir = malloc(strlen(path) + 3);
	if (dir) {
		(void)snprintf(dir, strlen(path) + 3, "%s.d", path);
		config_load_dropins(&l, dir, owner_uid);
		free(dir);
	} else
		l.error = -ENOMEM;
	cross_checks(&l);
	loader_digest(&l);

	r = config_loader_finish(&l, ret_config, reterr_messages);
	loader_done(&l);
	return r;
}

int config_load(const char *path,
		uid_t owner_uid,
		struct config **ret_config,
		char ***reterr_messages)
{
	return load(path, owner_uid, true, ret_config, reterr_messages);
}

int config_load_no_digest(const char *path,
			  uid_t owner_uid,
			  struct config **ret_config,
			  char ***reterr_messages)
{
	return load(path, owner_uid, false, ret_config, reterr_messages);
}

int config_load_string(const char *text,
		       size_t len,
		       const char *name,
		       struct config **ret_config,
		       char ***reterr_messages)
{
	struct loader l;
	int r;

	r = loader_init(&l, true);
	if (r >= 0 && strv_extend(&l.names, name) < 0)
		r = -ENOMEM;
	if (r >= 0 && strv_extend(&l.config->files, name) < 0)
		r = -ENOMEM;
	if (r < 0) {
		loader_done(&l);
		*reterr_messages = NULL;
		return r;
	}

	if (policy_digest_add(l.digest, POLICY_DIGEST_MAIN_LABEL, text, len) < 0)
		l.error = -ENOMEM;
	config_parse_text(&l, name, text, len);
	cross_checks(&l);
	loader_digest(&l);

	r = config_loader_finish(&l, ret_config, reterr_messages);
	loader_done(&l);
	return r;
}

bool config_harmless_class(const struct config *c, uint8_t cls)
{
	return (c->storage.harmless_classes[cls / 64] >> (cls % 64)) & 1;
}

const char *config_place_format(const struct config_place *p, char *buf, size_t n)
{
	if (!p || !p->file)
		(void)snprintf(buf, n, "built-in default");
	else
		(void)snprintf(buf, n, "%s:%u", p->file, p->line);
	return buf;
}

/* NOLINTEND(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling) */

const char *config_policy_reference(const struct config *c, enum event_part part)
{
	const char *ref = NULL;

	if (!c)
		return NULL;
	switch (part) {
	case EVENT_PART_STORAGE:
		ref = c->storage.policy_reference;
		break;
	case EVENT_PART_IDLE:
		ref = c->idle.policy_reference;
		break;
	case EVENT_PART_AUDIT:
		ref = c->audit.policy_reference;
		break;
	case EVENT_PART_VAKT:
	case _EVENT_PART_MAX:
		break;
	}
	return ref ? ref : c->vakt.policy_reference;
}
