#pragma once

/* Users and groups from NSS, as a login would see them: shared by the parts that decide by group
 * (storage: read_write_groups; idle: exempt_groups). */

#include <sys/types.h>

/*
 * The group names of user (primary group first) into *ret_groups (strv, caller frees), when NSS
 * knows user with uid uid. Returns 0, -ENOENT when NSS does not know user or gives another uid,
 * -E2BIG beyond 1024 groups, -ENOMEM.
 */
int nss_user_groups(const char *user, uid_t uid, char ***ret_groups);

struct config;

/*
 * Appends "FILE:LINE: warning: ..." to *warnings (strv) for every group named in c's group lists
 * (read_write_groups, read_only_groups, exempt_groups, where a file sets them) that NSS does not
 * know: a typo there silently grants or exempts nobody. Returns 0 or -ENOMEM.
 */
int nss_unknown_groups(const struct config *c, char ***warnings);
