/*
 * vaktctl report: the weekly administrator review (vaktctl(8), REPORT). It reads vaktd's records
 * itself with sd-journal, from the system journal, a directory of journal files (a collector's
 * /var/log/journal/remote) or journal files, hands each record's fields to lib/report, asks NSS
 * on this machine who belongs to admin_groups, and prints the tables or the JSON of lib/report.
 * It never talks to vaktd, so it runs on a collector where no vaktd runs.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "config.h"
#include "macro.h"
#include "report.h"
#include "strv.h"
#include "vaktctl.h"

#define MAX_FILES  64
#define MAX_FIELDS 128

static void journal_closep(sd_journal **j)
{
	if (*j)
		sd_journal_close(*j);
}

struct options {
	const char *since, *until, *directory, *config;
	const char *files[MAX_FILES + 1];
	size_t n_files;
	bool json;
};

static const char *usage_text =
	"Usage: vaktctl report [--since TIME] [--until TIME] [--json]\n"
	"                      [--directory DIR | --file FILE...] [--config FILE]\n"
	"TIME: -7d, -12h, -30min, now, today, YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS][Z]. "
	"Default: --since -7d --until now.\n";

/* Returns -1 to go on, else the exit code. */
static int parse_report_options(int argc, char *argv[], struct options *o)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "directory", required_argument, NULL, 'D' },
		{ "file", required_argument, NULL, 'F' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
		switch (c) {
		case 'S':
			o->since = optarg;
			break;
		case 'U':
			o->until = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'D':
			o->directory = optarg;
			break;
		case 'F':
			if (o->n_files >= MAX_FILES) {
				(void)fprintf(
					stderr, "vaktctl report: at most %d --file\n", MAX_FILES);
				return EXIT_REFUSED;
			}
			o->files[o->n_files++] = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'h':
			(void)fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			(void)fputs(usage_text, stderr);
			return EXIT_REFUSED;
		}
	if (optind < argc) {
		(void)fprintf(stderr, "vaktctl report: takes no operand ('%s')\n", argv[optind]);
		return EXIT_REFUSED;
	}
	if (o->directory && o->n_files > 0) {
		(void)fputs("vaktctl report: --directory and --file exclude each other\n", stderr);
		return EXIT_REFUSED;
	}
	return -1;
}

static int parse_window(const struct options *o, uint64_t *since, uint64_t *until)
{
	struct timespec ts;
	uint64_t now;
	const char *why = NULL;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
	if (report_parse_time(o->since ? o->since : "-7d", now, false, since, &why) < 0) {
		(void)fprintf(stderr, "vaktctl report: --since '%s': %s\n", o->since, why);
		return EXIT_REFUSED;
	}
	if (report_parse_time(o->until ? o->until : "now", now, true, until, &why) < 0) {
		(void)fprintf(stderr, "vaktctl report: --until '%s': %s\n", o->until, why);
		return EXIT_REFUSED;
	}
	if (*since >= *until) {
		(void)fputs("vaktctl report: --since is not before --until\n", stderr);
		return EXIT_REFUSED;
	}
	return -1;
}

/* admin_groups from the policy: --config, else /etc/vakt/vakt.conf, else the built-in default
 * (a collector may have no vakt.conf). */
static int load_admin_groups(const char *path, char ***ret_groups, const char **ret_origin)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;

	if (!path && access(CONFIG_DEFAULT_PATH, F_OK) < 0 && errno == ENOENT) {
		c = config_new();
		*ret_origin = "the built-in default, as " CONFIG_DEFAULT_PATH " does not exist";
	} else {
		int r = config_load_no_digest(
			path ? path : CONFIG_DEFAULT_PATH, geteuid(), &c, &errors);
		if (r < 0) {
			(void)fprintf(
				stderr,
				"vaktctl report: cannot read admin_groups from the policy:\n");
			STRV_FOREACH (e, errors)
				(void)fprintf(stderr, "  %s\n", *e);
			return EXIT_REFUSED;
		}
		*ret_origin = path ? path : CONFIG_DEFAULT_PATH;
	}
	if (!c || !(*ret_groups = strv_copy(c->vakt.admin_groups))) {
		(void)fputs("vaktctl report: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	return -1;
}

struct admin_ctx {
	char *const *groups;
};

/* Whether user is in one of admin_groups, as this machine's NSS says (primary and supplementary
 * groups). A name this machine does not know is "unknown", never "no". */
static enum report_admin admin_of(const char *user, void *userdata)
{
	const struct admin_ctx *ctx = userdata;
	gid_t groups[256];
	int n = (int)ELEMENTSOF(groups);
	const struct passwd *pw = getpwnam(user);

	if (!pw)
		return REPORT_ADMIN_UNKNOWN;
	if (getgrouplist(user, pw->pw_gid, groups, &n) < 0)
		return REPORT_ADMIN_UNKNOWN;
	STRV_FOREACH (g, ctx->groups) {
		const struct group *gr = getgrnam(*g);

		if (!gr)
			continue;
		for (int i = 0; i < n; i++)
			if (groups[i] == gr->gr_gid)
				return REPORT_ADMIN_YES;
	}
	return REPORT_ADMIN_NO;
}

/* The fields a review uses, copied out of the journal entry (VAKT_* and a few others) into owned
 * (2 strings per field, freed by strings_free()) and pointed to by fields. */
static int entry_fields(sd_journal *j, struct report_field *fields, char **owned, size_t *n)
{
	const void *data;
	size_t len;
	int r;

	*n = 0;
	sd_journal_restart_data(j);
	while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0) {
		const char *d = data, *eq = memchr(d, '=', len);
		char *name, *value;

		if (!eq || *n >= MAX_FIELDS)
			continue;
		if (!(strncmp(d, "VAKT_", 5) == 0 || strncmp(d, "MESSAGE=", 8) == 0 ||
		      strncmp(d, "_HOSTNAME=", 10) == 0 || strncmp(d, "_MACHINE_ID=", 12) == 0))
			continue;
		name = strndup(d, (size_t)(eq - d));
		value = strndup(eq + 1, len - (size_t)(eq - d) - 1);
		if (!name || !value) {
			free(name);
			free(value);
			return -ENOMEM;
		}
		owned[2 * *n] = name;
		owned[2 * *n + 1] = value;
		fields[(*n)++] = (struct report_field){ name, value };
	}
	return r;
}

static void strings_free(char **owned, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
}

/* Opens the journal the options name; says why not. */
static int open_journal(struct options *o, sd_journal **ret, char **ret_source)
{
	struct stat st;
	int r;

	if (o->directory) {
		if (stat(o->directory, &st) < 0 || !S_ISDIR(st.st_mode)) {
			(void)fprintf(stderr,
				      "vaktctl report: --directory %s: %s\n",
				      o->directory,
				      errno && !S_ISDIR(st.st_mode) ? strerror(errno)
								    : "not a directory");
			return EXIT_REFUSED;
		}
		if (access(o->directory, R_OK | X_OK) < 0) {
			(void)fprintf(stderr,
				      "vaktctl report: --directory %s: %s\n",
				      o->directory,
				      strerror(errno));
			return EXIT_REFUSED;
		}
		r = sd_journal_open_directory(ret, o->directory, 0);
		if (asprintf(ret_source, "directory %s", o->directory) < 0)
			*ret_source = NULL;
	} else if (o->n_files > 0) {
		for (size_t i = 0; i < o->n_files; i++) {
			int fd = open(o->files[i], O_RDONLY | O_CLOEXEC);

			if (fd < 0) {
				(void)fprintf(stderr,
					      "vaktctl report: --file %s: %s\n",
					      o->files[i],
					      strerror(errno));
				return EXIT_REFUSED;
			}
			(void)close(fd);
		}
		r = sd_journal_open_files(ret, o->files, 0);
		if (asprintf(ret_source,
			     "%s %s%s",
			     o->n_files > 1 ? "files" : "file",
			     o->files[0],
			     o->n_files > 1 ? ", ..." : "") < 0)
			*ret_source = NULL;
	} else {
		r = sd_journal_open(ret, 0);
		*ret_source = strdup("the journal of this machine");
	}
	if (r < 0) {
		(void)fprintf(stderr,
			      "vaktctl report: cannot open %s as a journal: %s\n",
			      o->directory ? o->directory
			      : o->n_files ? o->files[0]
					   : "the journal",
			      strerror(-r));
		return EXIT_REFUSED;
	}
	if (!*ret_source) {
		(void)fputs("vaktctl report: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	return -1;
}

static bool in_group(const char *name)
{
	const struct group *gr = getgrnam(name);
	gid_t groups[256];
	int n;

	if (!gr)
		return false;
	if (getegid() == gr->gr_gid)
		return true;
	n = getgroups((int)ELEMENTSOF(groups), groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
}

/* When no vaktd record at all can be read: why, as far as vaktctl can tell. */
static int say_nothing_readable(sd_journal *j, const struct options *o, const char *source)
{
	bool any;

	sd_journal_flush_matches(j);
	any = sd_journal_seek_head(j) >= 0 && sd_journal_next(j) > 0;
	if (!any && !o->directory && o->n_files == 0 && geteuid() != 0 && !in_group("adm") &&
	    !in_group("systemd-journal"))
		(void)fputs("vaktctl report: you can read nothing of the system journal: vaktd's "
			    "records are read by root and by members of the groups adm and "
			    "systemd-journal.\n",
			    stderr);
	else if (!any)
		(void)fprintf(stderr,
			      "vaktctl report: %s holds no journal record%s.\n",
			      source,
			      geteuid() != 0 ? " readable by you" : "");
	else
		(void)fprintf(
			stderr,
			"vaktctl report: %s holds no record of vaktd (SYSLOG_IDENTIFIER=vaktd)%s.\n",
			source,
			geteuid() != 0 && !o->directory && o->n_files == 0
				? " that you can read (root and the groups adm and "
				  "systemd-journal read the system journal)"
				: "");
	return EXIT_REFUSED;
}

/* Feeds the vaktd records between since and until into rep. Returns -1 or the exit code. */
static int read_records(sd_journal *j, struct report *rep, uint64_t since, uint64_t until)
{
	int r;

	r = sd_journal_seek_realtime_usec(j, since);
	while (r >= 0 && (r = sd_journal_next(j)) > 0) {
		struct report_field fields[MAX_FIELDS];
		char *owned[2 * MAX_FIELDS];
		size_t n = 0;
		uint64_t t;

		r = sd_journal_get_realtime_usec(j, &t);
		if (r < 0)
			break;
		if (t < since)
			continue;
		if (t > until)
			break;
		r = entry_fields(j, fields, owned, &n);
		if (r >= 0)
			r = report_add(rep, fields, n, t);
		strings_free(owned, 2 * n);
	}
	if (r < 0) {
		(void)fprintf(
			stderr, "vaktctl report: reading the journal failed: %s\n", strerror(-r));
		return EXIT_REFUSED;
	}
	return -1;
}

int verb_report(int argc, char *argv[])
{
	_cleanup_(journal_closep) sd_journal *j = NULL;
	_cleanup_(report_freep) struct report *rep = NULL;
	_cleanup_strv_free_ char **groups = NULL;
	_cleanup_free_ char *source = NULL;
	struct options o = { 0 };
	const char *origin = NULL;
	struct admin_ctx ctx;
	char host[256] = "this machine";
	uint64_t since, until;
	int k, r;

	k = parse_report_options(argc, argv, &o);
	if (k < 0)
		k = parse_window(&o, &since, &until);
	if (k < 0)
		k = load_admin_groups(o.config, &groups, &origin);
	if (k < 0)
		k = open_journal(&o, &j, &source);
	if (k >= 0)
		return k;

	r = sd_journal_add_match(j, "SYSLOG_IDENTIFIER=vaktd", 0);
	rep = report_new(since, until);
	if (r < 0 || !rep) {
		(void)fputs("vaktctl report: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	k = read_records(j, rep, since, until);
	if (k >= 0)
		return k;
	if (report_n_seen(rep) == 0) {
		/* Nothing in the window: is there anything at all? */
		bool any = sd_journal_seek_head(j) >= 0 && sd_journal_next(j) > 0;

		if (!any)
			return say_nothing_readable(j, &o, source);
	}

	(void)gethostname(host, sizeof(host) - 1);
	ctx.groups = groups;
	report_resolve_admins(rep, admin_of, &ctx);
	if (report_set_admin_groups(rep, groups, origin, host) < 0 ||
	    report_set_source(rep, source) < 0) {
		(void)fputs("vaktctl report: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	r = o.json ? report_write_json(rep, stdout) : report_write_text(rep, stdout);
	if (r < 0 || fflush(stdout) != 0) {
		(void)fprintf(stderr,
			      "vaktctl report: cannot write the report: %s\n",
			      strerror(r < 0 ? -r : errno));
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}
