#pragma once

/*
 * The vakt-* kernel audit rules: the static ones of conf/audit/50-vakt.rules (a built-in copy) plus
 * one "-w PATH -p wa -k vakt-watch" rule per path of the [audit] watch key. Loading adds only what
 * is missing (the kernel refuses an identical rule with EEXIST) and never deletes anything.
 */

#include <stdbool.h>

struct config;

/* The static rule lines, in auditctl syntax, NULL-terminated. */
extern const char *const auditrules_static[];

/*
 * Parses one rule line of the auditctl subset used by 50-vakt.rules ("-a always,exit" with -F, -C,
 * -S, -k; or "-w PATH -p PERMS -k KEY") and adds it through the audit netlink socket fd (from
 * audit_open(), needs CAP_AUDIT_CONTROL). Returns 1 when added, 0 when it was already loaded,
 * -EINVAL when the line is not understood, or another -errno from the kernel.
 */
int auditrules_add_line(int fd, const char *line);

/*
 * Adds every rule c needs (static and watch) that is missing. Failures are logged per rule and
 * loading goes on. Returns how many were added (and, when ret_added is not NULL, their lines in
 * auditctl syntax as a strv the caller frees; NULL when none), or the first -errno when none could
 * be checked.
 */
int auditrules_ensure(int fd, const struct config *c, char ***ret_added);

/* Whether key (from a CONFIG_CHANGE record) names one of the rules auditrules_ensure() loads. */
bool auditrules_key_is_ours(const char *key);
