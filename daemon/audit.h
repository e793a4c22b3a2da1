#pragma once

/*
 * Internal to the audit part: audit-part.c (the kernel's multicast stream, rules, lost counter),
 * audit-replay.c (--replay-audit), audit-pipe.c (records -> lib -> journal records),
 * audit-attribution.c (who and where) and audit-rules.c (the vakt-* rules).
 */

struct config;

/* Reads auditd text records (raw or enriched) from path ("-" = stdin), emits the records of every
 * sensitive action under config c, flushes everything at end of input. Returns the exit code:
 * EXIT_SUCCESS, or EXIT_RUNTIME when the input cannot be opened or read. */
int audit_replay(const struct config *c, const char *path);
