#pragma once

/*
 * The audit part: a passive reader of the kernel audit multicast group (CAP_AUDIT_READ), the
 * vakt-* rules (CAP_AUDIT_CONTROL, ensure_rules) and the kernel's lost counter; and
 * --replay-audit, which runs saved auditd text through the same pipeline.
 */

#include "manager.h"

struct config;

extern const struct part_ops audit_part;

/* Reads auditd text records (raw or enriched) from path ("-" = stdin), emits the records of every
 * sensitive action under config c, flushes everything at end of input. Returns the exit code:
 * 0, or 2 when the input cannot be opened or read. */
int audit_replay(const struct config *c, const char *path);
