#pragma once

/*
 * vakt.conf: the policy. config_load() reads FILE and then FILE.d/ *.conf in lexical order (a later
 * value replaces an earlier one; named rules from every file are collected), fills a fresh struct
 * with the defaults below, applies every key, runs the cross-field checks and returns either a
 * complete config or every problem found as "FILE:LINE: message".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "macro.h"
#include "policy-digest.h"

/* Where a value or rule was defined. file NULL means "built-in default" (line 0). */
struct config_place {
	char *file;
	unsigned line;
};

enum config_mode {
	CONFIG_MODE_ENFORCE,
	CONFIG_MODE_OBSERVE, /* record what would be done, change nothing */
	CONFIG_MODE_OFF,     /* the part does not run (and needs no capability) */
};

enum storage_action {
	STORAGE_ACTION_BLOCK,
	STORAGE_ACTION_READ_ONLY,
	STORAGE_ACTION_ALLOW,
};

enum while_locked {
	WHILE_LOCKED_BLOCK,
	WHILE_LOCKED_POLICY,
};

/* [storage] keyboards_while_locked: a new device that may type, at a seat that is locked or empty.
 */
enum keyboards_while_locked {
	KEYBOARDS_WHILE_LOCKED_ALLOW,	    /* authorised at once, as any harmless device */
	KEYBOARDS_WHILE_LOCKED_BLOCK_EXTRA, /* held back when the seat already has a keyboard */
	KEYBOARDS_WHILE_LOCKED_BLOCK,	    /* held back always */
};

enum lock_failure {
	LOCK_FAILURE_TERMINATE,
	LOCK_FAILURE_LOG,
};

/* [storage.allow "NAME"]: a named rule. vendor/product are 4 lower-case hex digits or NULL (any).
 */
struct storage_rule {
	char *name;
	char *vendor;
	char *product;
	char *serial;
	enum storage_action mode;  /* STORAGE_ACTION_ALLOW or STORAGE_ACTION_READ_ONLY */
	struct config_place place; /* the section header */
};

struct config {
	char **files; /* every file read, in order (strv) */
	/* SHA-256 of the files read (policy-digest.h); POLICY_DIGEST_EMPTY: the built-in default;
	 * "": not computed (config_load_no_digest) */
	char policy_digest[POLICY_DIGEST_HEX_SIZE];
	char **warnings; /* "FILE:LINE: warning: ..." for settings that have no effect (strv) */

	struct {
		char **admin_groups;
		struct config_place admin_groups_place;
		/* Who the person at the seat may ask (notify_user), NULL when unset: one line
		 * without control characters, at most CONFIG_CONTACT_MAX bytes. */
		char *contact;
		/* policy_reference: the clause of the written policy (free text; NULL = unset). The
		 * [vakt] one is the default of the sections that set none
		 * (config_policy_reference). */
		char *policy_reference;
	} vakt;

	struct {
		enum config_mode mode;
		char *policy_reference;
		enum storage_action default_action;
		struct config_place default_place;
		char **read_write_groups;
		struct config_place read_write_groups_place;
		char **read_only_groups;
		struct config_place read_only_groups_place;
		bool notify_user;
		enum while_locked while_locked;
		struct config_place while_locked_place;
		/* USB classes that cannot store (bit c set = class c harmless); every other class
		 * gets the storage policy. Always holds 03 and 09, never 06 or 08 (refused at
		 * load). */
		uint64_t harmless_classes[4];
		struct config_place harmless_classes_place;
		enum keyboards_while_locked keyboards_while_locked;
		struct config_place keyboards_while_locked_place;
		struct storage_rule *rules;
		size_t n_rules;
	} storage;

	struct {
		enum config_mode mode;
		char *policy_reference;
		uint64_t lock_after_usec;
		struct config_place lock_after_place;
		uint64_t grace_usec;
		struct config_place grace_place;
		enum lock_failure on_lock_failure;
		struct config_place on_lock_failure_place;
		uint64_t text_sessions_after_usec; /* 0 = never */
		struct config_place text_sessions_after_place;
		char **exempt_groups;
		struct config_place exempt_groups_place;
		bool notify_user;
	} idle;

	struct {
		enum config_mode mode;
		char *policy_reference;
		bool ensure_rules;
		char **watch;
		unsigned failed_auth_burst_count;
		uint64_t failed_auth_burst_window_usec;
	} audit;
};

/* The clause of the written policy the records of part serve: the section's policy_reference, else
 * [vakt]'s, else NULL. */
const char *config_policy_reference(const struct config *c, enum event_part part);

#define CONFIG_POLICY_REFERENCE_MAX 200

#define CONFIG_DEFAULT_PATH "/etc/vakt/vakt.conf"
#define CONFIG_CONTACT_MAX  80

/* Frees c and everything it owns; accepts NULL; returns NULL. */
struct config *config_free(struct config *c);
DEFINE_FREEP(struct config, config_free)

/* A config with every default applied and no files; NULL on OOM. */
struct config *config_new(void) _malloc_(config_free);

/*
 * Loads path and its path.d/ *.conf drop-ins. Each file must be a regular file owned by root or by
 * owner_uid and not group/world-writable. A missing drop-in directory is fine; a missing main file
 * is an error. A key set twice in one section of one file is an error; a later file's value
 * replaces an earlier file's.
 * Returns 0 and *ret_config (caller frees) when valid. Returns -EINVAL when the policy is invalid,
 * or another -errno, and then *reterr_messages (strv, caller frees) holds every problem, each as
 * "FILE:LINE: message" ("FILE: message" when no line applies), in file and line order.
 */
int config_load(const char *path,
		uid_t owner_uid,
		struct config **ret_config,
		char ***reterr_messages);

/* config_load() without the digest: policy_digest stays "" (not computed). For the callers that
 * report no digest (--check-config, --replay-audit): hashing initialises libgcrypt, which costs
 * about 650 KB of resident memory. */
int config_load_no_digest(const char *path,
			  uid_t owner_uid,
			  struct config **ret_config,
			  char ***reterr_messages);

/*
 * Parses one file's text as if it were the only file named name (no ownership checks, no
 * drop-ins): for tests and the fuzzer. Same results as config_load().
 */
int config_load_string(const char *text,
		       size_t len,
		       const char *name,
		       struct config **ret_config,
		       char ***reterr_messages);

/* Whether USB class cls is in [storage] harmless_classes: it cannot store, and a function of that
 * class is authorised without the storage policy. */
bool config_harmless_class(const struct config *c, uint8_t cls);

/* Names for the enums, as written in vakt.conf. */
const char *config_mode_to_string(enum config_mode m);
const char *config_action_to_string(enum storage_action a);

/* "FILE:LINE" of a place, or "built-in default". Writes into buf of size n; returns buf. */
const char *config_place_format(const struct config_place *p, char *buf, size_t n);
