#pragma once

/*
 * Which of vakt's audit rules the rules loaded around them shadow: the kernel records only one
 * rule's key per event, so where a site's rules (a CIS or STIG baseline) match an event first,
 * vakt's key never appears on it. vaktd classifies those events anyway (auditclass.h), but says
 * at start which of its rules are shadowed; and a "never" rule, or an exclusion of a record type,
 * drops events no classification can see.
 *
 * How the kernel picks the key (kernel/auditsc.c, __audit_syscall_exit()): the syscall exit list
 * is searched in load order and the first matching rule decides; that includes -F dir= rules and
 * vakt's -w on a directory. Then the rules on watched inodes (-F path=, -w on a file) are searched;
 * a matching one replaces the key (when it has one) and the decision. Among the rules of one
 * watched file the order is the load order until the file is replaced (passwd, useradd do that),
 * after which the kernel may list them the other way round: any other keyed rule on the same path
 * may win.
 *
 * Input is the kernel's own list (AUDIT_LIST_RULES replies: struct audit_rule_data, in order, as
 * libaudit's audit_rule_*_data() functions build them too). Pure: no netlink here.
 */

#include <stddef.h>

struct audit_rule_data;

enum auditshadow_kind {
	AUDITSHADOW_NONE,
	AUDITSHADOW_PARTLY,	/* some of its events may carry another rule's key */
	AUDITSHADOW_WHOLLY,	/* every event it matches carries another rule's key */
	AUDITSHADOW_SUPPRESSED, /* a "never" rule drops some or all of its events */
};

struct auditshadow_result {
	size_t rule; /* index of the shadowed rule in the list */
	size_t by;   /* index of the (first) rule that shadows it */
	enum auditshadow_kind kind;
};

/* "partly", "wholly", "suppressed" ("none" for AUDITSHADOW_NONE); NULL when out of range. */
const char *auditshadow_kind_to_string(enum auditshadow_kind k);

/*
 * For each rule of the syscall exit list (rules[0..n_rules), in the kernel's order; rules of other
 * lists are skipped) whose key (any of its keys) starts with key_prefix ("vakt-"), finds whether
 * other rules shadow it, by comparing syscalls, arch, numeric fields (=, !=, <, <=, >, >=), perm=,
 * path= and dir= (a directory covers what lies below it), and other fields by equality. When it
 * cannot tell (bit masks, labels), it says "partly": a report that errs on the side of a check.
 * Writes at most max results (the most serious finding per rule) to ret (caller's storage).
 * Returns the number of shadowed rules found (may exceed max: only max are written).
 */
size_t auditshadow_find(const struct audit_rule_data *const *rules,
			size_t n_rules,
			const char *key_prefix,
			struct auditshadow_result *ret,
			size_t max);

/* The index of the first rule of the exclude or user filter lists that may drop records of type
 * msgtype (e.g. 1123, USER_CMD) before they are logged; -ENOENT when none. */
int auditshadow_excluded(const struct audit_rule_data *const *rules, size_t n_rules, int msgtype);
