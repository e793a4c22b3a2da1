#pragma once

/*
 * Shared by the parts of lib/config, not by its callers:
 *   config.c       defaults, section, rule and key handlers, cross-field checks, the public API;
 *   config-keys.c  the key table: each key's section, field and value parser;
 *   config-file.c  opening and checking files and drop-in directories, the line reader that counts
 *                  lines and feeds inih, and the error collector.
 * A struct loader holds the state of one config_load() or config_load_string() call.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

struct config;
struct policy_digest;

enum section {
	SECTION_NONE,	 /* before the first header */
	SECTION_INVALID, /* after a bad or unknown header: its keys are skipped */
	SECTION_VAKT,
	SECTION_STORAGE,
	SECTION_IDLE,
	SECTION_AUDIT,
	SECTION_RULE,
};

struct message {
	unsigned file; /* index of the file in the order files were tried */
	unsigned line;
	size_t seq;
	char *text;
};

struct loader {
	struct config *config;
	char **names; /* every file tried, by index (for ordering messages) */
	struct message *messages;
	size_t n_messages;
	int error;		      /* -ENOMEM, or the first file-level -errno */
	struct policy_digest *digest; /* of every file read, in order (policy-digest.h) */

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
	unsigned *seen; /* per config_key_defs[] entry: line where the key was set in this file/rule
			 */
	char why[256];	/* for messages built at run time */
};

struct key_def;

/*
 * Parses value into field (of struct config, or of the current struct storage_rule). Returns 0, or
 * -ENOMEM, or another -errno with *reterr_why (static, or l->why) saying what was expected.
 */
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

/* config-keys.c: every key, config_n_key_defs of them. */
extern const struct key_def config_key_defs[];
extern const size_t config_n_key_defs;

/* A key that no longer exists: setting it is an error that says why. */
struct removed_key {
	enum section section;
	const char *name;
	const char *why;
};

/* config-keys.c: config_n_removed_keys of them. */
extern const struct removed_key config_removed_keys[];
extern const size_t config_n_removed_keys;

/* config.c: called by the line reader for a "[...]" line (p is the whole line without comments)
 * and at the end of each section. */
void config_section_begin(struct loader *l, char *p);
void config_section_end(struct loader *l);

/* config.c: inih's handler for each "key = value" line; the real key and value are in l. */
int config_handle_key(void *user, const char *section, const char *name, const char *value);

/*
 * config-file.c: records "FILE:LINE: message" ("FILE: message" when line is 0) for file number
 * file_index; on OOM sets l->error to -ENOMEM instead.
 */
void config_loader_message(struct loader *l,
			   unsigned file_index,
			   const char *file,
			   unsigned line,
			   const char *fmt,
			   ...) _printf_(5, 6);

/* A message about the line being parsed. */
#define line_error(l, ...) \
	config_loader_message((l), (l)->file_index, (l)->file, (l)->line, __VA_ARGS__)

/* config-file.c: parses one file's text (borrowed) as name (borrowed for the loader's lifetime). */
void config_parse_text(struct loader *l, const char *name, const char *text, size_t len);

/*
 * config-file.c: opens name relative to dir_fd, checks its type, owner and mode, and parses it as
 * display. Problems are recorded in l.
 */
void config_load_file_at(
	struct loader *l, int dir_fd, const char *name, const char *display, uid_t owner_uid);

/* config-file.c: loads dir's *.conf files in lexical (byte) order; a missing directory is fine. */
void config_load_dropins(struct loader *l, const char *dir, uid_t owner_uid);

/*
 * config-file.c: when l holds no error, hands l->config to *ret_config and returns 0; otherwise
 * hands every message, sorted by file, line and order of discovery, to *reterr_messages (NULL on
 * OOM) and returns -EINVAL or the first file-level -errno.
 */
int config_loader_finish(struct loader *l, struct config **ret_config, char ***reterr_messages);
