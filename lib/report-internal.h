#pragma once

/* What lib/report.c builds and lib/report-render.c renders: the review's data, private to them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define NO_PERSON SIZE_MAX

struct entry {
	uint64_t usec;
	enum report_section section;
	size_t machine;
	size_t person; /* NO_PERSON: the machine's own record */
	bool failed;
	char *event;
	char *message;
	char **fields; /* "NAME=value" of every VAKT_* field, in order */
};

struct machine {
	char *id;
	char *hostname;
	char *digest; /* last VAKT_POLICY_DIGEST */
	char *parts;  /* last VAKT_PARTS */
	size_t records;
	unsigned counts[_REPORT_SECTION_MAX];
	unsigned failed;
};

struct person {
	char *user; /* NULL: only a uid is known */
	char *uid;  /* NULL, or the uids seen, comma-separated */
	enum report_admin admin;
	size_t records;
	unsigned counts[_REPORT_SECTION_MAX];
	unsigned failed;
	bool *on_machine; /* [n_machines_alloc] */
};

struct report {
	uint64_t since, until;
	size_t n_seen;
	struct entry *entries;
	size_t n_entries;
	struct machine *machines;
	size_t n_machines;
	struct person *persons;
	size_t n_persons;
	char **refs[_REPORT_SECTION_MAX]; /* distinct VAKT_POLICY_REF per section */
	char **admin_groups;
	char *admin_origin;
	char *resolved_on;
	char *source;
};

/* The column of section s in the tables ("PRIV", ...). */
const char *report_section_column(enum report_section s);
