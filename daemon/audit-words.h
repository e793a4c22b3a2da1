#pragma once

/*
 * The words of the audit part's records: one sentence per action that a help desk can read
 * aloud ("alice (uid 1001) unmounted '/mnt/usb' on pts/0."), never a kernel name (umount2,
 * finit_module), and the audit time and ausearch command that find the source event. Facts come
 * from lib/auditclass and lib/auditcfg; who and where are formatted by audit-pipe.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auditcfg_change;
struct auditclass_facts;
struct cmdline_account;

/* What the sentence needs besides the facts. */
struct auditwords {
	const char *who;   /* "alice (uid 1001)", "Service 'cron.service'", ... */
	const char *where; /* " on pts/0 from '192.0.2.1'", or "" */
	bool person;	   /* who is a person (an audit uid), not a service or process */
	/* loginuid_changed: the new audit user's name, NULL when unknown */
	const char *target_name;
	/* account.changed: what the tool did, and the account's name (NULL when unknown) */
	const struct cmdline_account *account;
	const char *account_name;
	bool account_id_only; /* account_name is only the id= number (no name known) */
	char id_name[16];
	bool own_account; /* the account is the actor's own */
};

/* The MESSAGE of facts f into buf (size n). */
void auditwords_facts(const struct auditclass_facts *f,
		      const struct auditwords *w,
		      char *buf,
		      size_t n);

/* The MESSAGE of a coalesced change of the audit configuration. */
void auditwords_change(const struct auditcfg_change *ch,
		       const struct auditwords *w,
		       char *buf,
		       size_t n);

/* One second of audit time in the forms records use, computed once per second: records come in
 * bursts, and a replay writes tens of thousands per second. Zero-initialize, then
 * auditwords_clock_set(). */
struct auditwords_clock {
	bool set;
	uint64_t sec;
	char iso[24];	   /* 2026-11-23T09:15:03 */
	char search[40];   /* 11/23/26 09:15:03: what ausearch reads under LC_ALL=C */
	char readable[32]; /* 2026-11-23 09:15:03 UTC */
};

/* Makes c describe the second of usec (audit time, UTC); returns c. */
struct auditwords_clock *auditwords_clock_set(struct auditwords_clock *c, uint64_t usec);

#define AUDITWORDS_TIME_MAX 32

/* usec as "2026-11-23T09:15:03.543Z" (VAKT_AUDIT_TIME), c set to usec's second. Returns buf. */
char *auditwords_time(const struct auditwords_clock *c,
		      uint64_t usec,
		      char buf[static AUDITWORDS_TIME_MAX]);

#define AUDITWORDS_SEARCH_MAX 256

/*
 * A command that prints the source event from auditd's log (VAKT_AUSEARCH). `ausearch -a` takes
 * only the serial, which restarts at every boot: the time of the event (to the second, in UTC and
 * in the C locale's date format, which is what ausearch parses under LC_ALL=C) makes it unique.
 * audit_id is "SECONDS.MILLIS:SERIAL", c set to its second. Returns buf ("" without a serial).
 */
char *auditwords_search_event(const struct auditwords_clock *c,
			      const char *audit_id,
			      char buf[static AUDITWORDS_SEARCH_MAX]);

/* The same for the CONFIG_CHANGE records between two audit times (usec), of audit uid auid
 * (when set) or else of process pid. */
char *auditwords_search_changes(uint64_t first_usec,
				uint64_t last_usec,
				uint32_t auid,
				uint32_t pid,
				char buf[static AUDITWORDS_SEARCH_MAX]);
