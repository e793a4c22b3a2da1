#pragma once

/*
 * vaktctl: the verbs (each `int verb_NAME(int argc, char *argv[])`, argv[0] the verb's name,
 * returning an exit code) and what they share: the request to vaktd and the output.
 */

#include <stdbool.h>

#include "control-proto.h"

/* Exit codes (vaktctl(8)). */
#define EXIT_OK		 0
#define EXIT_REFUSED	 1 /* usage, or vaktd refused the request */
#define EXIT_UNREACHABLE 2 /* vaktd cannot be reached */

#define VAKTCTL_DEFAULT_SOCKET "/run/vakt/" CONTROL_SOCKET_NAME

/*
 * Sends req to vaktd at socket_path and reads the whole reply into *ret_reply. Returns EXIT_OK
 * with a reply whose status is "ok"; EXIT_REFUSED after printing vaktd's error (status "error");
 * EXIT_UNREACHABLE after printing why vaktd could not be reached or answered garbage.
 */
int vaktctl_call(const char *socket_path,
		 const struct control_msg *req,
		 struct control_msg **ret_reply);

/* Prints reply as one JSON object (vaktctl(8), "JSON OUTPUT"). */
void vaktctl_print_json(const struct control_msg *reply);

int verb_status(int argc, char *argv[]);
int verb_devices(int argc, char *argv[]);
int verb_sessions(int argc, char *argv[]);
int verb_explain(int argc, char *argv[]);
int verb_rule(int argc, char *argv[]);
int verb_grant(int argc, char *argv[]);
int verb_revoke(int argc, char *argv[]);
int verb_dispensations(int argc, char *argv[]);
/* report.c: reads the journal itself, never vaktd. */
int verb_report(int argc, char *argv[]);
