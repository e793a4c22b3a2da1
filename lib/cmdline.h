#pragma once

/*
 * What the command line of an administration tool says, for the words of a record: which account
 * a usermod changed and which groups it granted, whether a systemctl stops a unit. The input is a
 * command line as audit records give it (EXECVE arguments or a proctitle, joined with spaces), so
 * an argument containing a space is split: good enough for names of accounts, groups and units,
 * which have none. Pure functions: no NSS, no I/O.
 */

#include <stdbool.h>
#include <stddef.h>

/* What an account tool did, as a help desk says it. */
enum cmdline_account_action {
	CMDLINE_ACCOUNT_CHANGED, /* anything else, or an unknown tool */
	CMDLINE_ACCOUNT_CREATED,
	CMDLINE_ACCOUNT_DELETED,
	CMDLINE_ACCOUNT_PASSWORD, /* password set or changed */
	CMDLINE_ACCOUNT_LOCKED,	  /* passwd -l, usermod -L */
	CMDLINE_ACCOUNT_UNLOCKED, /* passwd -u, usermod -U */
	CMDLINE_ACCOUNT_AGEING,	  /* chage, passwd -n/-x/-w/-i/-e */
	CMDLINE_ACCOUNT_GROUPS,	  /* usermod -G/-aG/-rG, gpasswd -a/-d, adduser USER GROUP */
	CMDLINE_ACCOUNT_SHELL,	  /* chsh */
	CMDLINE_ACCOUNT_DETAILS,  /* chfn */
	CMDLINE_GROUP_CREATED,
	CMDLINE_GROUP_DELETED,
	CMDLINE_GROUP_CHANGED,
};

#define CMDLINE_NAME_MAX   64
#define CMDLINE_GROUPS_MAX 256

struct cmdline_account {
	enum cmdline_account_action action;
	bool is_group;			       /* the tool changes a group, not a user account */
	char account[CMDLINE_NAME_MAX];	       /* the user or group named; "" when unknown */
	char groups_added[CMDLINE_GROUPS_MAX]; /* groups granted, ", "-joined; "" when none */
	char groups_removed[CMDLINE_GROUPS_MAX];
	bool groups_replaced; /* usermod -G without -a: groups_added is now the whole list */
};

/*
 * What the account tool exe (a path or name: useradd, usermod, passwd, gpasswd, ...) did, read
 * from its command line command (NULL when unknown; its first word must name the same tool, else
 * only exe is used) and, when that says nothing, from ops (the op= texts of its records, e.g.
 * "adding user to group"; NULL when none). Always fills *ret.
 */
void cmdline_account(const char *exe,
		     const char *command,
		     const char *ops,
		     struct cmdline_account *ret);

/* The base name of the first word of command; "" for NULL or empty. Writes at most size bytes
 * (size > 0) to buf and returns buf. */
char *cmdline_program(const char *command, char *buf, size_t size);

/* The first simple command of a shell command line ("sh -c 'useradd x; usermod -aG sudo x'",
 * "a && b | c") that runs program (a base name), copied to buf (size > 0); NULL when none. */
const char *cmdline_find(const char *command, const char *program, char *buf, size_t size);

enum cmdline_stop {
	CMDLINE_STOP_NONE,
	CMDLINE_STOP_UNIT,   /* stops, restarts, kills or disables --now/masks --now the unit */
	CMDLINE_STOP_SYSTEM, /* shuts the system down or isolates a target: stops every unit */
};

/* Whether command (systemctl, service, an init script, killall, pkill, kill PID, shutdown, ...)
 * stops unit ("vaktd" or "vaktd.service"), whose main process is pid (0: unknown). */
enum cmdline_stop cmdline_stops_unit(const char *command, const char *unit, unsigned pid);
