#pragma once

/*
 * The policy digest (VAKT_POLICY_DIGEST in policy.loaded, vaktd(8)): SHA-256, in lowercase hex,
 * over every file of the effective policy in load order. For each file, in that order:
 *
 *   LABEL NUL LENGTH NUL CONTENT
 *
 * LABEL is "vakt.conf" for the main file (whatever its path) and the file name for a drop-in
 * ("10-usb.conf" for /etc/vakt/vakt.conf.d/10-usb.conf); LENGTH is the content's length in bytes
 * in decimal ASCII; CONTENT is the file's bytes as read. Paths are left out on purpose: the same
 * files give the same digest on every machine, with --config anywhere and when vaktd runs from its
 * saved copy of the policy. The built-in default (no file) has the digest of no input,
 * e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.
 */

#include <stddef.h>

#define POLICY_DIGEST_HEX_SIZE	 65 /* 64 hex digits and NUL */
#define POLICY_DIGEST_MAIN_LABEL "vakt.conf"
/* The digest of no file: the built-in default policy. */
#define POLICY_DIGEST_EMPTY	 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct policy_digest;

/* A new digest of no file. Returns 0 or -ENOMEM. */
int policy_digest_new(struct policy_digest **ret);

/* Adds one file (label and content as above). Returns 0 or -EIO. */
int policy_digest_add(struct policy_digest *d, const char *label, const void *text, size_t len);

/* Writes the digest so far into hex (without ending d, which stays usable). Returns 0 or -EIO. */
int policy_digest_hex(const struct policy_digest *d, char hex[POLICY_DIGEST_HEX_SIZE]);

/* Frees d; accepts NULL; returns NULL. */
struct policy_digest *policy_digest_free(struct policy_digest *d);
