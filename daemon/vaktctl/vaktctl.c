/*
 * vaktctl: asks vaktd what it is doing and why (vaktctl(8)). Each verb is a function of the verb
 * table below; it parses its own options and returns an exit code.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control-proto.h"
#include "dispensation.h"
#include "macro.h"
#include "vaktctl.h"

struct verb {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *usage;
};

static const struct verb verbs[] = {
	{ "status", verb_status, "status [--json]" },
	{ "devices", verb_devices, "devices [--json]" },
	{ "sessions", verb_sessions, "sessions [--json]" },
	{ "explain", verb_explain, "explain DEVICE [--user USER] [--json]" },
	{ "rule", verb_rule, "rule DEVICE [--json]" },
	{ "grant",
	  verb_grant,
	  "grant storage --user USER [--device VID:PID[:SERIAL]] [--mode allow|read-only]\n"
	  "                (--until DATE | --for DURATION) --ticket ID --reason TEXT [--json]" },
	{ "revoke", verb_revoke, "revoke ID [--json]" },
	{ "dispensations", verb_dispensations, "dispensations [--json]" },
	{ "report",
	  verb_report,
	  "report [--since TIME] [--until TIME] [--json] [--directory DIR | --file FILE...] "
	  "[--config FILE]" },
};

static void usage(FILE *f)
{
	(void)fputs("Usage: vaktctl [--socket PATH] VERB [OPTIONS]\n"
		    "       vaktctl --help | --version\n\nVerbs:\n",
		    f);
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		(void)fprintf(f, "  vaktctl %s\n", verbs[i].usage);
	(void)fputs("\nDEVICE: a syspath, a sysname like 1-2, or VID:PID[:SERIAL] of a present USB "
		    "device.\nExit codes: 0 success, 1 usage or refused request, 2 vaktd "
		    "unreachable. See vaktctl(8).\n",
		    f);
}

/* --socket, for every verb (tests and a vaktd with another --runtime-dir). */
static const char *socket_path = VAKTCTL_DEFAULT_SOCKET;

/* Options of the verbs that talk to vaktd: --json, --user (when user is not NULL), --help.
 * Returns -1 to go on, else the exit code. Leaves optind at the first operand. */
static int parse_options(int argc, char *argv[], bool *json, const char **user)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'u' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 0; /* 0: glibc starts afresh (permuting), after main()'s "+" scan */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'u':
			if (!user) {
				(void)fprintf(stderr, "vaktctl %s: no option --user\n", argv[0]);
				return EXIT_REFUSED;
			}
			*user = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			(void)fprintf(stderr, "Try 'vaktctl --help'.\n");
			return EXIT_REFUSED;
		}
	return -1;
}

static int simple_request(const char *verb,
			  const char *device,
			  const char *user,
			  struct control_msg **ret_reply)
{
	_cleanup_(control_msg_freep) struct control_msg *req = control_msg_new();

	if (!req || control_msg_add(req, "verb", verb) < 0 ||
	    (device && control_msg_add(req, "device", device) < 0) ||
	    (user && control_msg_add(req, "user", user) < 0)) {
		(void)fputs("vaktctl: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	return vaktctl_call(socket_path, req, ret_reply);
}

/* ---- human output ---------------------------------------------------------------------------- */

static const char *get(const struct control_msg *m, size_t b, size_t e, const char *key)
{
	const char *v = control_msg_find(m, b, e, key);

	return v && *v ? v : "-";
}

static const char *fmt_time(const char *epoch, char *buf, size_t n)
{
	time_t t;
	struct tm tm;

	if (!epoch || !*epoch)
		return "-";
	t = (time_t)strtoll(epoch, NULL, 10);
	if (!localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return epoch;
	return buf;
}

#define MAX_COLS 12

/* A table: cols headers, then rows of n cells each (strings borrowed). */
struct table {
	size_t n;
	const char *head[MAX_COLS];
	char **cells; /* rows * n */
	size_t rows;
};

static void table_add(struct table *t, const char *const *row)
{
	char **c = reallocarray(t->cells, (t->rows + 1) * t->n, sizeof(char *));

	if (!c)
		return;
	t->cells = c;
	for (size_t i = 0; i < t->n; i++)
		c[t->rows * t->n + i] = strdup(row[i] ? row[i] : "-");
	t->rows++;
}

static void table_print(struct table *t)
{
	size_t w[MAX_COLS];

	for (size_t i = 0; i < t->n; i++)
		w[i] = strlen(t->head[i]);
	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->n; i++) {
			const char *s = t->cells[r * t->n + i];
			size_t l = s ? strlen(s) : 1;

			if (l > w[i])
				w[i] = l;
		}
	for (size_t i = 0; i < t->n; i++)
		(void)printf("%-*s%s",
			     i + 1 < t->n ? (int)w[i] : 0,
			     t->head[i],
			     i + 1 < t->n ? "  " : "\n");
	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->n; i++) {
			const char *s = t->cells[r * t->n + i];

			(void)printf("%-*s%s",
				     i + 1 < t->n ? (int)w[i] : 0,
				     s ? s : "-",
				     i + 1 < t->n ? "  " : "\n");
		}
	for (size_t r = 0; r < t->rows * t->n; r++)
		free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->rows = 0;
}

/* ---- verbs ---------------------------------------------------------------------------------- */

static const char *duration(const char *sec, char *buf, size_t n)
{
	uint64_t s = sec ? strtoull(sec, NULL, 10) : 0;

	if (s >= 86400)
		(void)snprintf(buf, n, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		(void)snprintf(buf, n, "%" PRIu64 "h %" PRIu64 "min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		(void)snprintf(buf, n, "%" PRIu64 "min %" PRIu64 "s", s / 60, s % 60);
	else
		(void)snprintf(buf, n, "%" PRIu64 "s", s);
	return buf;
}

/*
 * The common start of status, devices and sessions: options, no operand, one request. Returns -1
 * with *ret_reply set when the caller renders its table, else the exit code (the reply was
 * printed as JSON, or the error was said).
 */
static int query(const char *verb, int argc, char *argv[], struct control_msg **ret_reply)
{
	bool json = false;
	int k = parse_options(argc, argv, &json, NULL);

	if (k >= 0)
		return k;
	if (optind < argc) {
		(void)fprintf(stderr, "vaktctl %s: takes no operand\n", verb);
		return EXIT_REFUSED;
	}
	k = simple_request(verb, NULL, NULL, ret_reply);
	if (k != EXIT_OK)
		return k;
	if (json) {
		vaktctl_print_json(*ret_reply);
		return EXIT_OK;
	}
	return -1;
}

int verb_status(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *r = NULL;
	size_t pos = 0, b, e;
	char buf[64];
	bool first = true;
	int k = query("status", argc, argv, &r);

	if (k >= 0)
		return k;
	(void)printf("vaktd %s, pid %s, up %s\n",
		     get(r, 0, r->n, "version"),
		     get(r, 0, r->n, "pid"),
		     duration(control_msg_get(r, "uptime_sec"), buf, sizeof(buf)));
	(void)printf("State:       %s\n", get(r, 0, r->n, "state"));
	(void)printf("Policy:      %s, %s storage rule(s)\n",
		     get(r, 0, r->n, "policy_origin"),
		     get(r, 0, r->n, "storage_rules"));
	for (size_t i = 0; i < r->n; i++)
		if (streq(r->fields[i].key, "policy_file"))
			(void)printf("             %s\n", r->fields[i].value);
	(void)printf("logind:      %s\n", get(r, 0, r->n, "logind"));
	(void)printf("Counters:    %s device(s) decided, %s session(s)\n",
		     get(r, 0, r->n, "n_devices"),
		     get(r, 0, r->n, "n_sessions"));
	(void)printf("Audit lost:  %s\n", get(r, 0, r->n, "audit_lost"));
	(void)fputs("Parts:       ", stdout);
	while (control_msg_next_record(r, &pos, &b, &e))
		if (streq(r->fields[b].value, "part")) {
			(void)printf("%s%s %s%s",
				     first ? "" : ", ",
				     get(r, b, e, "name"),
				     get(r, b, e, "mode"),
				     streq(get(r, b, e, "running"), "yes") ? "" : " (not running)");
			first = false;
		}
	(void)fputs("\nUSB doors:   ", stdout);
	first = true;
	pos = 0;
	while (control_msg_next_record(r, &pos, &b, &e))
		if (streq(r->fields[b].value, "controller")) {
			(void)printf("%s%s %s",
				     first ? "" : ", ",
				     get(r, b, e, "name"),
				     get(r, b, e, "door"));
			first = false;
		}
	(void)puts(first ? "- (storage part not running, or no USB controller)" : "");
	return EXIT_OK;
}

int verb_devices(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *r = NULL;
	struct table t = { .n = 9,
			   .head = { "DEVICE",
				     "ID",
				     "SERIAL",
				     "DECISION",
				     "ENFORCED",
				     "RULE",
				     "FILE:LINE",
				     "USER",
				     "NAME" } };
	size_t pos = 0, b, e;
	int k = query("devices", argc, argv, &r);

	if (k >= 0)
		return k;
	if (streq(get(r, 0, r->n, "storage"), "off")) {
		(void)puts("The storage part is off: vaktd decides no USB device.");
		return EXIT_OK;
	}
	while (control_msg_next_record(r, &pos, &b, &e)) {
		char id[16];
		const char *row[9];

		if (!streq(r->fields[b].value, "device"))
			continue;
		(void)snprintf(
			id, sizeof(id), "%s:%s", get(r, b, e, "vendor"), get(r, b, e, "product"));
		row[0] = get(r, b, e, "sysname");
		row[1] = id;
		row[2] = get(r, b, e, "serial");
		row[3] = streq(get(r, b, e, "held_as_keyboard"), "yes") ? "held (keyboard)"
									: get(r, b, e, "decision");
		row[4] = get(r, b, e, "enforced");
		row[5] = get(r, b, e, "rule");
		row[6] = get(r, b, e, "place");
		row[7] = get(r, b, e, "user");
		row[8] = get(r, b, e, "name");
		table_add(&t, row);
	}
	if (t.rows == 0)
		(void)puts(streq(get(r, 0, r->n, "scope"), "all")
				   ? "No USB device present."
				   : "No USB device decided for you is present.");
	else
		table_print(&t);
	return EXIT_OK;
}

int verb_sessions(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *r = NULL;
	struct table t = { .n = 10,
			   .head = { "SESSION",
				     "USER",
				     "SEAT",
				     "TTY",
				     "CLASS",
				     "TYPE",
				     "IDLE",
				     "LOCKED",
				     "NEXT",
				     "AT" } };
	size_t pos = 0, b, e;
	int k = query("sessions", argc, argv, &r);

	if (k >= 0)
		return k;
	if (streq(get(r, 0, r->n, "logind"), "unknown"))
		(void)puts("logind cannot be reached now: vaktd knows no session.");
	while (control_msg_next_record(r, &pos, &b, &e)) {
		char at[64], idle[80];
		const char *row[10];

		if (!streq(r->fields[b].value, "session"))
			continue;
		if (streq(get(r, b, e, "idle"), "yes")) {
			char since[64];

			(void)snprintf(idle,
				       sizeof(idle),
				       "since %s",
				       fmt_time(control_msg_find(r, b, e, "idle_since"),
						since,
						sizeof(since)));
		} else
			(void)snprintf(idle, sizeof(idle), "no");
		row[0] = get(r, b, e, "id");
		row[1] = get(r, b, e, "user");
		row[2] = get(r, b, e, "seat");
		row[3] = get(r, b, e, "tty");
		row[4] = get(r, b, e, "class");
		row[5] = get(r, b, e, "type");
		row[6] = idle;
		row[7] = get(r, b, e, "locked");
		row[8] = get(r, b, e, "next_action");
		row[9] = fmt_time(control_msg_find(r, b, e, "next_action_at"), at, sizeof(at));
		table_add(&t, row);
	}
	if (t.rows == 0)
		(void)puts("No session.");
	else
		table_print(&t);
	if (streq(get(r, 0, r->n, "idle"), "off"))
		(void)puts("The idle part is off: no session is locked or ended.");
	return EXIT_OK;
}

static int device_verb(int argc, char *argv[], bool with_user, struct control_msg **ret, bool *json)
{
	const char *user = NULL;
	int k = parse_options(argc, argv, json, with_user ? &user : NULL);

	if (k >= 0)
		return k;
	if (optind + 1 != argc) {
		(void)fprintf(stderr, "vaktctl %s: needs exactly one DEVICE\n", argv[0]);
		return EXIT_REFUSED;
	}
	return simple_request(argv[0], argv[optind], user, ret);
}

int verb_explain(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *r = NULL;
	struct table t = { .n = 5, .head = { "STEP", "APPLIES", "ACTION", "FILE:LINE", "WHY" } };
	size_t pos = 0, b, e;
	bool json = false;
	int k = device_verb(argc, argv, true, &r, &json);

	if (k != EXIT_OK || !r)
		return k;
	if (json) {
		vaktctl_print_json(r);
		return EXIT_OK;
	}
	(void)printf("Device:   %s (%s:%s%s%s)\n",
		     get(r, 0, r->n, "syspath"),
		     get(r, 0, r->n, "vendor"),
		     get(r, 0, r->n, "product"),
		     *get(r, 0, r->n, "serial") != '-' ? ":" : "",
		     *get(r, 0, r->n, "serial") != '-' ? get(r, 0, r->n, "serial") : "");
	(void)printf("Person:   %s%s\n",
		     streq(get(r, 0, r->n, "user"), "-") ? "nobody" : get(r, 0, r->n, "user"),
		     streq(get(r, 0, r->n, "for"), "asked")
			     ? " (as asked: logged in and unlocked at the device's seat)"
			     : " (at the seat when vaktd decided)");
	(void)printf("Decision: %s by %s at %s: %s\n",
		     get(r, 0, r->n, "decision"),
		     get(r, 0, r->n, "rule"),
		     get(r, 0, r->n, "place"),
		     get(r, 0, r->n, "reason"));
	if (streq(get(r, 0, r->n, "held_as_keyboard"), "yes"))
		(void)puts("          and held back as a new keyboard (keyboards_while_locked)");
	(void)puts("\nPrecedence (the first step that applies decides; among the grants rule, "
		   "read_write_groups,\nread_only_groups and default the most permissive wins):");
	while (control_msg_next_record(r, &pos, &b, &e)) {
		char name[96], applies[32];
		const char *row[5];

		if (!streq(r->fields[b].value, "step"))
			continue;
		(void)snprintf(name,
			       sizeof(name),
			       "%s%s%s%s",
			       streq(get(r, b, e, "decided"), "yes") ? "> " : "  ",
			       get(r, b, e, "name"),
			       streq(get(r, b, e, "rule"), "-") ? "" : " ",
			       streq(get(r, b, e, "rule"), "-") ? "" : get(r, b, e, "rule"));
		(void)snprintf(applies,
			       sizeof(applies),
			       "%s%s",
			       get(r, b, e, "applies"),
			       streq(get(r, b, e, "decided"), "yes") ? " (decides)" : "");
		row[0] = name;
		row[1] = applies;
		row[2] = get(r, b, e, "action");
		row[3] = get(r, b, e, "place");
		row[4] = get(r, b, e, "why");
		table_add(&t, row);
	}
	table_print(&t);
	return EXIT_OK;
}

int verb_rule(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *r = NULL;
	bool json = false;
	int k = device_verb(argc, argv, false, &r, &json);

	if (k != EXIT_OK || !r)
		return k;
	if (json)
		vaktctl_print_json(r);
	else
		(void)fputs(get(r, 0, r->n, "snippet"), stdout);
	return EXIT_OK;
}

/* ---- dispensations -------------------------------------------------------------------------- */

/* "2026-12-05 18:00:00 CET" for epoch seconds. */
static const char *fmt_time_zone(const char *epoch, char *buf, size_t n)
{
	time_t t;
	struct tm tm;

	if (!epoch || !*epoch)
		return "-";
	t = (time_t)strtoll(epoch, NULL, 10);
	if (!localtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		return epoch;
	return buf;
}

int verb_grant(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "device", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "until", required_argument, NULL, 'U' },
		{ "for", required_argument, NULL, 'f' },
		{ "ticket", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(control_msg_freep) struct control_msg *req = control_msg_new(), *r = NULL;
	const char *user = NULL, *device = NULL, *mode = NULL, *until = NULL, *dur = NULL;
	const char *ticket = NULL, *reason = NULL, *why;
	struct dispensation probe = { 0 };
	char sec[32], when[80];
	bool json = false;
	uint64_t usec;
	int c, k;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'd':
			device = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'U':
			until = optarg;
			break;
		case 'f':
			dur = optarg;
			break;
		case 't':
			ticket = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			(void)fprintf(stderr, "Try 'vaktctl --help'.\n");
			return EXIT_REFUSED;
		}
	if (optind + 1 != argc || !streq(argv[optind], "storage")) {
		(void)fprintf(stderr,
			      "vaktctl grant: say what the dispensation is for: \"vaktctl grant "
			      "storage ...\" (USB storage is the only kind)\n");
		return EXIT_REFUSED;
	}
	if (!user || !ticket || !reason || !until == !dur) {
		(void)fprintf(stderr,
			      "vaktctl grant: needs --user, --ticket, --reason and exactly one of "
			      "--until DATE and --for DURATION\n");
		return EXIT_REFUSED;
	}
	/* The date is the administrator's, in their time zone: vaktd gets seconds. A duration is
	 * vaktd's to add to its clock. Either is checked here for a prompt message. */
	if (until) {
		if (dispensation_parse_until(until, &usec, &why) < 0) {
			(void)fprintf(stderr, "vaktctl grant: --until %s: %s\n", until, why);
			return EXIT_REFUSED;
		}
		(void)snprintf(sec, sizeof(sec), "%" PRIu64, usec / USEC_PER_SEC);
	} else if (dispensation_parse_duration(dur, &usec, &why) < 0) {
		(void)fprintf(stderr, "vaktctl grant: --for %s: %s\n", dur, why);
		return EXIT_REFUSED;
	}
	if (device) {
		k = dispensation_parse_device(device, &probe, &why);
		dispensation_done(&probe);
		if (k < 0) {
			(void)fprintf(stderr, "vaktctl grant: --device %s: %s\n", device, why);
			return EXIT_REFUSED;
		}
	}
	if (!req || control_msg_add(req, "verb", "grant") < 0 ||
	    control_msg_add(req, "user", user) < 0 || control_msg_add(req, "ticket", ticket) < 0 ||
	    control_msg_add(req, "reason", reason) < 0 ||
	    (until && control_msg_add(req, "until", sec) < 0) ||
	    (dur && control_msg_add(req, "for", dur) < 0) ||
	    (device && control_msg_add(req, "device", device) < 0) ||
	    (mode && control_msg_add(req, "mode", mode) < 0)) {
		(void)fputs("vaktctl: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	k = vaktctl_call(socket_path, req, &r);
	if (k != EXIT_OK)
		return k;
	if (json) {
		vaktctl_print_json(r);
		return EXIT_OK;
	}
	(void)printf("Granted %s: %s %s USB storage (%s) until %s.\n",
		     get(r, 0, r->n, "id"),
		     get(r, 0, r->n, "user"),
		     streq(get(r, 0, r->n, "mode"), "read-only") ? "read-only" : "read-write",
		     get(r, 0, r->n, "device"),
		     fmt_time_zone(control_msg_get(r, "until"), when, sizeof(when)));
	(void)printf("Revoke it with: vaktctl revoke %s\n", get(r, 0, r->n, "id"));
	return EXIT_OK;
}

int verb_revoke(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *req = control_msg_new(), *r = NULL;
	bool json = false;
	int k = parse_options(argc, argv, &json, NULL);

	if (k >= 0)
		return k;
	if (optind + 1 != argc) {
		(void)fputs(
			"vaktctl revoke: needs exactly one ID (see \"vaktctl dispensations\")\n",
			stderr);
		return EXIT_REFUSED;
	}
	if (!dispensation_id_valid(argv[optind])) {
		(void)fprintf(stderr,
			      "vaktctl revoke: '%s' is not a dispensation id (\"d-\" and 8 "
			      "lowercase hex digits, as \"vaktctl dispensations\" lists them)\n",
			      argv[optind]);
		return EXIT_REFUSED;
	}
	if (!req || control_msg_add(req, "verb", "revoke") < 0 ||
	    control_msg_add(req, "id", argv[optind]) < 0) {
		(void)fputs("vaktctl: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	k = vaktctl_call(socket_path, req, &r);
	if (k != EXIT_OK)
		return k;
	if (json)
		vaktctl_print_json(r);
	else
		(void)printf("Revoked %s.\n", get(r, 0, r->n, "id"));
	return EXIT_OK;
}

int verb_dispensations(int argc, char *argv[])
{
	_cleanup_(control_msg_freep) struct control_msg *r = NULL;
	struct table t = { .n = 8,
			   .head = { "ID",
				     "USER",
				     "DEVICE",
				     "MODE",
				     "UNTIL",
				     "TICKET",
				     "GRANTED BY",
				     "REASON" } };
	size_t pos = 0, b, e;
	int k = query("dispensations", argc, argv, &r);

	if (k >= 0)
		return k;
	if (streq(get(r, 0, r->n, "storage"), "off")) {
		(void)puts("The storage part is off: vaktd honours no dispensation.");
		return EXIT_OK;
	}
	while (control_msg_next_record(r, &pos, &b, &e)) {
		char until[80];
		const char *row[8];

		if (!streq(r->fields[b].value, "dispensation"))
			continue;
		row[0] = get(r, b, e, "id");
		row[1] = get(r, b, e, "user");
		row[2] = get(r, b, e, "device");
		row[3] = get(r, b, e, "mode");
		row[4] = fmt_time_zone(control_msg_find(r, b, e, "until"), until, sizeof(until));
		row[5] = get(r, b, e, "ticket");
		row[6] = get(r, b, e, "granted_by");
		row[7] = get(r, b, e, "reason");
		table_add(&t, row);
	}
	if (t.rows == 0)
		(void)puts(streq(get(r, 0, r->n, "scope"), "all") ? "No dispensation."
								  : "No dispensation for you.");
	else
		table_print(&t);
	return EXIT_OK;
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "socket", required_argument, NULL, 's' },
		{},
	};
	int c;

	/* "+": stop at the verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0)
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			(void)puts("vaktctl " VAKT_VERSION);
			return EXIT_OK;
		case 's':
			socket_path = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_REFUSED;
		}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_REFUSED;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(argv[optind], verbs[i].name))
			return verbs[i].run(argc - optind, argv + optind);
	(void)fprintf(stderr, "vaktctl: unknown verb '%s'. Try 'vaktctl --help'.\n", argv[optind]);
	return EXIT_REFUSED;
}
