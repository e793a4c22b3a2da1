/* vaktd: option parsing, exit codes, and the three modes (daemon, --check-config, --replay-audit).
 */

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "nss.h"
#include "reload.h"
#include "strv.h"

enum run_mode {
	RUN_DAEMON,
	RUN_CHECK_CONFIG,
	RUN_REPLAY_AUDIT,
	RUN_RELOAD,
};

struct args {
	enum run_mode mode;
	const char *config_path;
	const char *replay_path;
	pid_t reload_pid;
	const char *state_dir;
	const char *runtime_dir;
	int log_target; /* -1 = default */
};

static void usage(FILE *f)
{
	(void)fprintf(f,
		      "Usage: vaktd [--config FILE] [--log-target journal|console|json]\n"
		      "             [--state-dir DIR] [--runtime-dir DIR]\n"
		      "       vaktd --check-config [--config FILE]\n"
		      "       vaktd --replay-audit FILE|- [--config FILE] [--log-target ...]\n"
		      "       vaktd --reload PID [--runtime-dir DIR]\n"
		      "       vaktd --help | --version\n"
		      "\n"
		      "Enforces the workstation security policy in " CONFIG_DEFAULT_PATH ".\n"
		      "See vaktd(8) and vakt.conf(5).\n");
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum {
		OPT_CHECK = 0x100,
		OPT_REPLAY,
		OPT_TARGET,
		OPT_STATE,
		OPT_RUNTIME,
		OPT_VERSION,
		OPT_RELOAD,
	};
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "replay-audit", required_argument, NULL, OPT_REPLAY },
		{ "reload", required_argument, NULL, OPT_RELOAD },
		{ "log-target", required_argument, NULL, OPT_TARGET },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "runtime-dir", required_argument, NULL, OPT_RUNTIME },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
		switch (c) {
		case 'c':
			a->config_path = optarg;
			break;
		case OPT_CHECK:
			a->mode = RUN_CHECK_CONFIG;
			break;
		case OPT_REPLAY:
			a->mode = RUN_REPLAY_AUDIT;
			a->replay_path = optarg;
			break;
		case OPT_RELOAD: {
			char *end = NULL;
			long pid;

			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno != 0 || !end || *end != '\0' || pid <= 0 || pid > INT32_MAX) {
				(void)fprintf(
					stderr,
					"vaktd: --reload: expected the daemon's pid, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			a->mode = RUN_RELOAD;
			a->reload_pid = (pid_t)pid;
			break;
		}
		case OPT_TARGET:
			a->log_target = log_target_from_string(optarg);
			if (a->log_target < 0) {
				(void)fprintf(
					stderr,
					"vaktd: --log-target: expected journal, console or json, got "
					"'%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_STATE:
			a->state_dir = optarg;
			break;
		case OPT_RUNTIME:
			a->runtime_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			(void)printf("vaktd " VAKT_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return -EINVAL;
		}
	if (optind < argc) {
		(void)fprintf(stderr, "vaktd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 1;
}

/* The loader the daemon runs; prints every problem as FILE:LINE: message on stderr. */
static int load_config(const char *path, struct config **ret_config)
{
	_cleanup_strv_free_ char **errors = NULL;
	int r;

	/* Neither --check-config nor --replay-audit reports the policy's digest. */
	r = config_load_no_digest(path, geteuid(), ret_config, &errors);
	if (r == -ENOMEM) {
		(void)fprintf(stderr, "vaktd: out of memory\n");
		return r;
	}
	STRV_FOREACH (e, errors)
		(void)fprintf(stderr, "%s\n", *e);
	return r;
}

static int check_config(const char *path)
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_free_ char *files = NULL;

	if (load_config(path, &c) < 0)
		return EXIT_INVALID;
	/* Exactly what the daemon logs when it loads this policy. */
	if (nss_unknown_groups(c, &c->warnings) < 0) {
		(void)fputs("vaktd: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	STRV_FOREACH (w, c->warnings)
		(void)fprintf(stderr, "%s\n", *w);
	files = strv_join(c->files, ", ");
	(void)printf("%s: valid (%zu file%s read: %s; %zu storage rule%s)\n",
		     path,
		     strv_length(c->files),
		     strv_length(c->files) == 1 ? "" : "s",
		     files ? files : "?",
		     c->storage.n_rules,
		     c->storage.n_rules == 1 ? "" : "s");
	return EXIT_SUCCESS;
}

static int run(const struct args *a)
{
	_cleanup_(manager_freep) struct manager *m = NULL;
	struct manager_options o = {
		.config_path = a->config_path,
		.state_dir = a->state_dir,
		.runtime_dir = a->runtime_dir,
	};

	if (a->mode == RUN_REPLAY_AUDIT) {
		_cleanup_(config_freep) struct config *c = NULL;

		/* Replay only reads: an invalid policy is an error, as for --check-config. */
		if (load_config(a->config_path, &c) < 0)
			return EXIT_INVALID;
		return audit_replay(c, a->replay_path);
	}

	/* The daemon runs whatever the policy: an invalid one is reported and replaced by the last
	 * valid one or the built-in default (manager.c). */
	if (manager_new(&o, &m) < 0)
		return EXIT_RUNTIME;
	return manager_run(m);
}

int main(int argc, char **argv)
{
	struct args a = {
		.mode = RUN_DAEMON,
		.config_path = CONFIG_DEFAULT_PATH,
		.state_dir = "/var/lib/vakt",
		.runtime_dir = "/run/vakt",
		.log_target = -1,
	};
	int r;

	r = parse_args(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? EXIT_INVALID : EXIT_SUCCESS;

	/* Replay is an investigation: its records go to whoever asked, never into this machine's
	 * journal (where they would look like events of this machine) unless asked for. */
	if (a.mode == RUN_REPLAY_AUDIT) {
		log_set_target(a.log_target >= 0 ? (enum log_target)a.log_target
						 : LOG_TARGET_CONSOLE);
		log_set_console_stdout(true);
	} else
		log_set_target(a.log_target >= 0 ? (enum log_target)a.log_target
						 : log_target_default());

	if (a.mode == RUN_RELOAD)
		return reload_request(a.runtime_dir, a.reload_pid);
	if (a.mode == RUN_CHECK_CONFIG)
		return check_config(a.config_path);
	return run(&a);
}
