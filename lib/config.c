#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "macro.h"
#include "parse.h"
#include "strv.h"

/*
 * snprintf(), memcpy() and memset() with explicit sizes are used on purpose; clang-analyzer's
 * DeprecatedOrUnsafeBufferHandling only recommends the Annex K *_s functions, which glibc lacks.
 * NOLINTBEGIN(clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling)
 */

/*
 * How a file is read: our reader, given to inih's ini_parse_stream(), takes one line at a time
 * from the file's text, counts lines, strips comments (whole-line '#' and ';', and inline ones: a
 * '#' or ';' after whitespace), handles "[section]" headers itself and checks the syntax of every
 * line, so that every problem is reported with its line (inih reports only the first, and without
 * a line number to the handler). A "key = value" line is kept whole in the loader and inih is given
 * a short stand-in line, so inih's line length limit (200) and its 50-character truncation of
 * section and key names never apply, and indented lines are never taken as continuation lines.
 * inih then calls the handler, which applies the key from the table below.
 *
 * Duplicate keys: within one file, setting the same key twice in a section is an error (which of
 * the two was meant is not clear in a security policy). Across files, a later file's value
 * replaces an earlier one: that is what drop-ins are for.
 */

#define CONFIG_FILE_SIZE_MAX ((size_t)1024 * 1024)
#define RULE_NAME_MAX	     64

enum section {
	SECTION_NONE,	 /* before the first header */
	SECTION_INVALID, /* after a bad or unknown header: its keys are skipped */
	SECTION_VAKT,
	SECTION_STORAGE,
	SECTION_IDLE,
	SECTION_AUDIT,
	SECTION_RULE,
};

static const char *const section_names[] = {
	[SECTION_VAKT] = "vakt",
	[SECTION_STORAGE] = "storage",
	[SECTION_IDLE] = "idle",
	[SECTION_AUDIT] = "audit",
};

struct message {
	unsigned file; /* index of the file in the order files were tried */
	unsigned line;
	size_t seq;
	char *text;
};

struct key_def;

struct loader {
	struct config *config;
	char **names; /* every file tried, by index (for ordering messages) */
	struct message *messages;
	size_t n_messages;
	int error; /* -ENOMEM, or the first file-level -errno */

	/* The file being parsed. */
	const char *file;
	unsigned file_index;
	const char *text;
	size_t len;
	size_t pos;
	unsigned line;
	enum section section;
	unsigned section_line;
	size_t rule; /* index into config->storage.rules, for SECTION_RULE */
	char *key;   /* the current "key = value" line */
	char *value;
	unsigned *seen; /* per key_defs[] entry: line where the key was set in this file/rule */
	char why[256];	/* for messages built at run time */
};

typedef int (*key_apply_fn)(struct loader *l,
			    const struct key_def *k,
			    void *field,
			    const char *value,
			    const char **reterr_why);

struct key_def {
	const char *name;
	key_apply_fn apply;
	size_t offset; /* of the field in struct config, or in struct storage_rule */
	ssize_t place; /* offset of the field's struct config_place in struct config, or -1 */
	const char *const *names; /* for enums */
	enum section section;
	int n_names;
};

static const char *const mode_names[] = { "enforce", "observe", "off" };
static const char *const action_names[] = { "block", "read-only", "allow" };
static const char *const while_locked_names[] = { "block", "policy" };
static const char *const lock_failure_names[] = { "terminate", "log" };
static const char *const rule_mode_names[] = { "allow", "read-only" };

static const char *const default_admin_groups[] = { "sudo", "wheel", NULL };
static const char *const default_watch[] = {
	"/etc/passwd",	"/etc/shadow",	  "/etc/group", "/etc/gshadow",
	"/etc/sudoers", "/etc/sudoers.d", NULL,
};

static void loader_message(struct loader *l,
			   unsigned file_index,
			   const char *file,
			   unsigned line,
			   const char *fmt,
			   ...) _printf_(5, 6);

static void loader_message(struct loader *l,
			   unsigned file_index,
			   const char *file,
			   unsigned line,
			   const char *fmt,
			   ...)
{
	char msg[1024];
	struct message *m;
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (line > 0)
		n = snprintf(NULL, 0, "%s:%u: %s", file, line, msg);
	else
		n = snprintf(NULL, 0, "%s: %s", file, msg);
	text = malloc((size_t)n + 1);
	m = reallocarray(l->messages, l->n_messages + 1, sizeof(*m));
	if (!text || !m) {
		free(text);
		if (m)
			l->messages = m;
		l->error = -ENOMEM;
		return;
	}
	if (line > 0)
		(void)snprintf(text, (size_t)n + 1, "%s:%u: %s", file, line, msg);
	else
		(void)snprintf(text, (size_t)n + 1, "%s: %s", file, msg);
	l->messages = m;
	l->messages[l->n_messages] = (struct message){
		.file = file_index, .line = line, .seq = l->n_messages, .text = text
	};
	l->n_messages++;
}

#define line_error(l, ...) loader_message((l), (l)->file_index, (l)->file, (l)->line, __VA_ARGS__)

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
	STRV_FOREACH(g, list)
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
	STRV_FOREACH(p, list)
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

static int apply_classes(struct loader *l,
			 const struct key_def *k,
			 void *field,
			 const char *value,
			 const char **reterr_why)
{
	static const char why[] = "expected a comma-separated list of USB interface classes: "
				  "mass-storage, still-image or two hex digits such as 08";
	_cleanup_strv_free_ char **list = NULL;
	uint64_t classes[4] = { 0 };
	int r;

	(void)l;
	(void)k;
	r = parse_list(value, &list, reterr_why);
	if (r < 0)
		return r;
	if (strv_length(list) == 0) {
		*reterr_why = why;
		return -EINVAL;
	}
	STRV_FOREACH(s, list)
	{
		int cls;

		if (streq(*s, "mass-storage"))
			cls = 0x08;
		else if (streq(*s, "still-image"))
			cls = 0x06;
		else if (strlen(*s) == 2 && hex_digit((*s)[0]) >= 0 && hex_digit((*s)[1]) >= 0)
			cls = hex_digit((*s)[0]) * 16 + hex_digit((*s)[1]);
		else {
			*reterr_why = why;
			return -EINVAL;
		}
		classes[cls / 64] |= UINT64_C(1) << (cls % 64);
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

static const struct key_def key_defs[] = {
	{ KEY(SECTION_VAKT, "admin_groups", apply_groups, CFG(vakt.admin_groups), -1), NO_ENUM },

	{ KEY(SECTION_STORAGE, "mode", apply_enum, CFG(storage.mode), -1), ENUM(mode_names) },
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
	{ KEY(SECTION_STORAGE, "storage_classes", apply_classes, CFG(storage.storage_classes), -1),
	  NO_ENUM },

	{ KEY(SECTION_IDLE, "mode", apply_enum, CFG(idle.mode), -1), ENUM(mode_names) },
	{ KEY(SECTION_IDLE, "lock_after", apply_duration_positive, CFG(idle.lock_after_usec), -1),
	  NO_ENUM },
	{ KEY(SECTION_IDLE, "grace", apply_duration_positive, CFG(idle.grace_usec), -1), NO_ENUM },
	{ KEY(SECTION_IDLE, "on_lock_failure", apply_enum, CFG(idle.on_lock_failure), -1),
	  ENUM(lock_failure_names) },
	{ KEY(SECTION_IDLE,
	      "text_sessions_after",
	      apply_duration,
	      CFG(idle.text_sessions_after_usec),
	      -1),
	  NO_ENUM },
	{ KEY(SECTION_IDLE, "exempt_groups", apply_groups, CFG(idle.exempt_groups), -1), NO_ENUM },

	{ KEY(SECTION_AUDIT, "mode", apply_enum, CFG(audit.mode), -1), ENUM(mode_names) },
	{ KEY(SECTION_AUDIT, "ensure_rules", apply_bool, CFG(audit.ensure_rules), -1), NO_ENUM },
	{ KEY(SECTION_AUDIT, "watch", apply_paths, CFG(audit.watch), -1), NO_ENUM },
	{ KEY(SECTION_AUDIT, "failed_auth_burst", apply_rate, 0, -1), NO_ENUM },

	{ KEY(SECTION_RULE, "vendor", apply_usb_id, RULE(vendor), -1), NO_ENUM },
	{ KEY(SECTION_RULE, "product", apply_usb_id, RULE(product), -1), NO_ENUM },
	{ KEY(SECTION_RULE, "serial", apply_string, RULE(serial), -1), NO_ENUM },
	{ KEY(SECTION_RULE, "mode", apply_rule_mode, RULE(mode), -1), ENUM(rule_mode_names) },
};

static ssize_t key_def_find(enum section section, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(key_defs); i++)
		if (key_defs[i].section == section && streq(key_defs[i].name, name))
			return (ssize_t)i;
	return -1;
}

static struct storage_rule *current_rule(struct loader *l)
{
	return &l->config->storage.rules[l->rule];
}

/* Called by inih for each "key = value" line; the real key and value are in the loader. */
static int handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *l = user;
	char shown[256];
	const struct key_def *k;
	const char *why = "invalid value";
	void *field;
	ssize_t i;
	int r;

	(void)section;
	(void)name;
	(void)value;

	if (l->section == SECTION_INVALID)
		return 1;
	printable(l->key, shown, sizeof(shown));
	if (l->section == SECTION_NONE) {
		line_error(l, "key '%s' outside any section", shown);
		return 1;
	}
	i = key_def_find(l->section, l->key);
	if (i < 0) {
		if (l->section == SECTION_RULE)
			line_error(
				l, "unknown key '%s' in rule '%s'", shown, current_rule(l)->name);
		else
			line_error(l, "unknown key '%s' in [%s]", shown, section_names[l->section]);
		return 1;
	}
	if (l->seen[i] > 0) {
		line_error(l, "duplicate key '%s' (already set on line %u)", shown, l->seen[i]);
		return 1;
	}
	l->seen[i] = l->line;

	k = &key_defs[i];
	if (k->section == SECTION_RULE)
		field = (char *)current_rule(l) + k->offset;
	else
		field = (char *)l->config + k->offset;

	r = k->apply(l, k, field, l->value, &why);
	if (r == -ENOMEM) {
		l->error = r;
		return 1;
	}
	if (r < 0) {
		printable(l->value, shown, sizeof(shown));
		line_error(l, "%s: %s, got '%s'", k->name, why, shown);
		return 1;
	}
	if (k->place >= 0 &&
	    set_place((struct config_place *)((char *)l->config + k->place), l->file, l->line) < 0)
		l->error = -ENOMEM;
	return 1;
}

static void rule_check(struct loader *l)
{
	const struct storage_rule *rule = current_rule(l);
	ssize_t mode = key_def_find(SECTION_RULE, "mode");

	if (l->seen[mode] == 0)
		loader_message(l,
			       l->file_index,
			       l->file,
			       l->section_line,
			       "rule '%s': mode is required (allow or read-only)",
			       rule->name);
	if (l->seen[key_def_find(SECTION_RULE, "vendor")] == 0 &&
	    l->seen[key_def_find(SECTION_RULE, "product")] == 0 &&
	    l->seen[key_def_find(SECTION_RULE, "serial")] == 0)
		loader_message(l,
			       l->file_index,
			       l->file,
			       l->section_line,
			       "rule '%s' would match every device: set vendor, product or serial",
			       rule->name);
}

static void section_end(struct loader *l)
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
	for (size_t i = 0; i < ELEMENTSOF(key_defs); i++)
		if (key_defs[i].section == SECTION_RULE)
			l->seen[i] = 0;
	l->section = SECTION_RULE;
	l->section_line = l->line;
	l->rule = n;
}

/* p is a whole header line without comments, starting with '['. */
static void section_begin(struct loader *l, char *p)
{
	static const char rule_prefix[] = "storage.allow";
	size_t n = strlen(p);
	char shown[256];
	char *name;

	section_end(l);
	l->section_line = l->line;

	if (p[n - 1] != ']') {
		line_error(l, "expected ']' at the end of the section header");
		return;
	}
	p[n - 1] = '\0';
	p++;
	p += strspn(p, " \t");
	for (n = strlen(p); n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
		p[n - 1] = '\0';

	for (size_t i = 0; i < ELEMENTSOF(section_names); i++)
		if (section_names[i] && streq(p, section_names[i])) {
			l->section = (enum section)i;
			return;
		}

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

static char *skip_blanks(char *p)
{
	return p + strspn(p, " \t");
}

static void strip_trailing_blanks(char *p)
{
	size_t n = strlen(p);

	while (n > 0 && strchr(" \t\r\n\v\f", p[n - 1]))
		p[--n] = '\0';
}

/* Cuts an inline comment: '#' or ';' after whitespace. */
static void strip_inline_comment(char *p)
{
	for (size_t i = 1; p[i] != '\0'; i++)
		if ((p[i] == '#' || p[i] == ';') && (p[i - 1] == ' ' || p[i - 1] == '\t')) {
			p[i] = '\0';
			break;
		}
	strip_trailing_blanks(p);
}

/* Handles one line; returns whether it is a "key = value" line for inih's handler. */
static bool line_process(struct loader *l, char *buf)
{
	char *p = buf, *eq;

	if (l->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p = skip_blanks(p);
	strip_trailing_blanks(p);
	if (*p == '\0' || *p == '#' || *p == ';')
		return false;
	strip_inline_comment(p);

	if (*p == '[') {
		section_begin(l, p);
		return false;
	}

	eq = strchr(p, '=');
	if (!eq) {
		line_error(l, "expected '[section]', 'key = value' or a comment");
		return false;
	}
	*eq = '\0';
	strip_trailing_blanks(p);
	if (*p == '\0') {
		line_error(l, "expected a key name before '='");
		return false;
	}
	free(l->key);
	free(l->value);
	l->key = strdup(p);
	l->value = strdup(skip_blanks(eq + 1));
	if (!l->key || !l->value) {
		l->error = -ENOMEM;
		return false;
	}
	return true;
}

/* inih's reader: hands out one line per call (see the comment at the top). */
static char *read_line(char *str, int num, void *stream)
{
	struct loader *l = stream;
	const char *start, *nl;
	size_t n;
	bool is_key = false;

	if (l->pos >= l->len || num < 4 || l->error == -ENOMEM)
		return NULL;

	start = l->text + l->pos;
	nl = memchr(start, '\n', l->len - l->pos);
	n = nl ? (size_t)(nl - start) : l->len - l->pos;
	l->pos += n + (nl ? 1 : 0);
	l->line++;

	if (memchr(start, '\0', n))
		line_error(l, "line contains a NUL byte");
	else {
		char *buf = strndup(start, n);

		if (!buf) {
			l->error = -ENOMEM;
			return NULL;
		}
		is_key = line_process(l, buf);
		free(buf);
	}

	(void)snprintf(str, (size_t)num, "%s", is_key ? "k=v\n" : "\n");
	return str;
}

static void parse_text(struct loader *l, const char *name, const char *text, size_t len)
{
	l->file = name;
	l->text = text;
	l->len = len;
	l->pos = 0;
	l->line = 0;
	l->section = SECTION_NONE;
	l->section_line = 0;
	memset(l->seen, 0, ELEMENTSOF(key_defs) * sizeof(l->seen[0]));

	if (ini_parse_stream(read_line, l, handle_key, l) == -2)
		l->error = -ENOMEM;
	section_end(l);

	free(l->key);
	free(l->value);
	l->key = l->value = NULL;
}

/* Reads all of fd; the text is NUL-terminated. */
static int read_all(int fd, char **ret_text, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	for (;;) {
		ssize_t k;

		if (size - len < 4096) {
			char *b;

			if (size > CONFIG_FILE_SIZE_MAX)
				return -EFBIG;
			size = size * 2 + 4096;
			b = realloc(buf, size + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		k = read(fd, buf + len, size - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > CONFIG_FILE_SIZE_MAX)
		return -EFBIG;
	buf[len] = '\0';
	*ret_text = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Whether a file or directory may hold policy: owned by root or owner_uid, not writable by others.
 * Reports the problem when not. */
static bool
owner_mode_ok(struct loader *l, const char *name, const struct stat *st, uid_t owner_uid)
{
	if (st->st_uid != 0 && st->st_uid != owner_uid) {
		if (owner_uid == 0)
			loader_message(l,
				       l->file_index,
				       name,
				       0,
				       "refusing: owned by uid %u, expected root",
				       (unsigned)st->st_uid);
		else
			loader_message(l,
				       l->file_index,
				       name,
				       0,
				       "refusing: owned by uid %u, expected root or uid %u",
				       (unsigned)st->st_uid,
				       (unsigned)owner_uid);
		return false;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		loader_message(l,
			       l->file_index,
			       name,
			       0,
			       "refusing: writable by group or others (mode %04o)",
			       (unsigned)(st->st_mode & 07777));
		return false;
	}
	return true;
}

static void file_error(struct loader *l, const char *name, const char *what, int r)
{
	loader_message(l, l->file_index, name, 0, "%s: %s", what, strerror(-r));
	if (l->error == 0)
		l->error = r;
}

/* Opens name relative to dir_fd, checks it and parses it as display. */
static void
load_file_at(struct loader *l, int dir_fd, const char *name, const char *display, uid_t owner_uid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (strv_extend(&l->names, display) < 0) {
		l->error = -ENOMEM;
		return;
	}
	l->file_index = (unsigned)strv_length(l->names) - 1;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_error(l, display, "cannot open", -errno);
	if (fstat(fd, &st) < 0)
		return file_error(l, display, "cannot stat", -errno);
	if (!S_ISREG(st.st_mode)) {
		loader_message(l, l->file_index, display, 0, "refusing: not a regular file");
		return;
	}
	if (!owner_mode_ok(l, display, &st, owner_uid))
		return;

	r = read_all(fd, &text, &len);
	if (r == -EFBIG) {
		loader_message(l, l->file_index, display, 0, "refusing: larger than 1 MiB");
		return;
	}
	if (r < 0)
		return file_error(l, display, "cannot read", r);

	if (strv_extend(&l->config->files, display) < 0) {
		l->error = -ENOMEM;
		return;
	}
	parse_text(l, display, text, len);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && streq(name + n - 5, ".conf");
}

/* Loads dir's *.conf files in lexical (byte) order; a missing directory is fine. */
static void load_dropins(struct loader *l, const char *dir, uid_t owner_uid)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dup_fd;

	fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT)
		return;
	if (strv_extend(&l->names, dir) < 0) {
		l->error = -ENOMEM;
		return;
	}
	l->file_index = (unsigned)strv_length(l->names) - 1;
	if (fd < 0)
		return file_error(l, dir, "cannot open", -errno);
	if (fstat(fd, &st) < 0)
		return file_error(l, dir, "cannot stat", -errno);
	if (!owner_mode_ok(l, dir, &st, owner_uid))
		return;

	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return file_error(l, dir, "cannot read", -errno);
	d = fdopendir(dup_fd);
	if (!d) {
		int r = -errno;

		(void)close(dup_fd);
		return file_error(l, dir, "cannot read", r);
	}
	while ((de = readdir(d)))
		if (is_dropin_name(de->d_name) && strv_extend(&names, de->d_name) < 0) {
			(void)closedir(d);
			l->error = -ENOMEM;
			return;
		}
	(void)closedir(d);

	if (names)
		qsort(names, strv_length(names), sizeof(char *), compare_names);
	STRV_FOREACH(name, names)
	{
		_cleanup_free_ char *display = NULL;
		size_t n = strlen(dir) + strlen(*name) + 2;

		display = malloc(n);
		if (!display) {
			l->error = -ENOMEM;
			return;
		}
		(void)snprintf(display, n, "%s/%s", dir, *name);
		load_file_at(l, fd, *name, display, owner_uid);
	}
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
	strv_free(c->vakt.admin_groups);
	free(c->storage.default_place.file);
	strv_free(c->storage.read_write_groups);
	free(c->storage.read_write_groups_place.file);
	strv_free(c->storage.read_only_groups);
	free(c->storage.read_only_groups_place.file);
	free(c->storage.while_locked_place.file);
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
	strv_free(c->audit.watch);
}

struct config *config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;

	c->files = strv_from_array(NULL);
	c->vakt.admin_groups = strv_from_array(default_admin_groups);

	c->storage.mode = CONFIG_MODE_ENFORCE;
	c->storage.default_action = STORAGE_ACTION_BLOCK;
	c->storage.read_write_groups = strv_from_array(NULL);
	c->storage.read_only_groups = strv_from_array(NULL);
	c->storage.notify_user = true;
	c->storage.while_locked = WHILE_LOCKED_BLOCK;
	c->storage.storage_classes[0] = UINT64_C(1) << 0x08 | UINT64_C(1) << 0x06;

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

	STRV_FOREACH(g, c->storage.read_only_groups)
	{
		if (!strv_contains(c->storage.read_write_groups, *g))
			continue;
		/* Report at whichever of the two keys was set last. */
		later = place_file_index(l, ro) > place_file_index(l, rw) ||
					(place_file_index(l, ro) == place_file_index(l, rw) &&
					 ro->line > rw->line)
				? ro
				: rw;
		loader_message(l,
			       place_file_index(l, later),
			       later->file ? later->file : "(built-in)",
			       later->line,
			       "group '%s' is in both read_write_groups and read_only_groups "
			       "(other one set at %s)",
			       *g,
			       config_place_format(later == ro ? rw : ro, where, sizeof(where)));
	}
}

static int compare_messages(const void *a, const void *b)
{
	const struct message *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int loader_finish(struct loader *l, struct config **ret_config, char ***reterr_messages)
{
	_cleanup_strv_free_ char **messages = NULL;
	int r = l->error;

	if (r == 0 && l->n_messages == 0) {
		*ret_config = TAKE_PTR(l->config);
		return 0;
	}

	if (l->n_messages > 0)
		qsort(l->messages, l->n_messages, sizeof(l->messages[0]), compare_messages);
	messages = calloc(1, sizeof(char *));
	for (size_t i = 0; i < l->n_messages; i++) {
		if (messages && strv_consume(&messages, l->messages[i].text) < 0)
			messages = strv_free(messages);
		else if (!messages)
			free(l->messages[i].text);
		l->messages[i].text = NULL;
	}
	l->n_messages = 0;
	if (!messages)
		r = -ENOMEM;

	*reterr_messages = TAKE_PTR(messages);
	return r < 0 ? r : -EINVAL;
}

static void loader_done(struct loader *l)
{
	for (size_t i = 0; i < l->n_messages; i++)
		free(l->messages[i].text);
	free(l->messages);
	free(l->seen);
	strv_free(l->names);
	config_free(l->config);
}

static int loader_init(struct loader *l)
{
	*l = (struct loader){ 0 };
	l->config = config_new();
	l->seen = calloc(ELEMENTSOF(key_defs), sizeof(l->seen[0]));
	if (!l->config || !l->seen)
		return -ENOMEM;
	return 0;
}

int config_load(const char *path,
		uid_t owner_uid,
		struct config **ret_config,
		char ***reterr_messages)
{
	struct loader l;
	char *dir;
	int r;

	r = loader_init(&l);
	if (r < 0) {
		loader_done(&l);
		*reterr_messages = NULL;
		return r;
	}

	load_file_at(&l, AT_FDCWD, path, path, owner_uid);
	dir = malloc(strlen(path) + 3);
	if (dir) {
		(void)snprintf(dir, strlen(path) + 3, "%s.d", path);
		load_dropins(&l, dir, owner_uid);
		free(dir);
	} else
		l.error = -ENOMEM;
	cross_checks(&l);

	r = loader_finish(&l, ret_config, reterr_messages);
	loader_done(&l);
	return r;
}

int config_load_string(const char *text,
		       size_t len,
		       const char *name,
		       struct config **ret_config,
		       char ***reterr_messages)
{
	struct loader l;
	int r;

	r = loader_init(&l);
	if (r >= 0 && strv_extend(&l.names, name) < 0)
		r = -ENOMEM;
	if (r >= 0 && strv_extend(&l.config->files, name) < 0)
		r = -ENOMEM;
	if (r < 0) {
		loader_done(&l);
		*reterr_messages = NULL;
		return r;
	}

	parse_text(&l, name, text, len);
	cross_checks(&l);

	r = loader_finish(&l, ret_config, reterr_messages);
	loader_done(&l);
	return r;
}

bool config_storage_class(const struct config *c, uint8_t cls)
{
	return (c->storage.storage_classes[cls / 64] >> (cls % 64)) & 1;
}

const char *config_mode_to_string(enum config_mode m)
{
	if ((size_t)m >= ELEMENTSOF(mode_names))
		return NULL;
	return mode_names[m];
}

const char *storage_action_to_string(enum storage_action a)
{
	if ((size_t)a >= ELEMENTSOF(action_names))
		return NULL;
	return action_names[a];
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
