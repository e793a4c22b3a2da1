/* vaktctl's side of the control socket (lib/control-proto.h) and its JSON output. */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control-proto.h"
#include "macro.h"
#include "vaktctl.h"

/* vaktd answers at once; this only bounds a daemon that hangs. */
#define CALL_TIMEOUT_MS 10000

static int wait_for(int fd, short events, const char *socket_path)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, CALL_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		(void)fprintf(
			stderr, "vaktctl: vaktd at %s did not answer in time.\n", socket_path);
		return -ETIMEDOUT;
	}
	return r < 0 ? -errno : 0;
}

/* The whole reply: vaktctl asks once per run. */
static char buf[CONTROL_REPLY_MAX + 1];

int vaktctl_call(const char *socket_path,
		 const struct control_msg *req,
		 struct control_msg **ret_reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL, *error = NULL;
	_cleanup_(control_msg_freep) struct control_msg *reply = NULL;
	size_t len, got = 0;
	const char *status;
	int r;

	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		(void)fprintf(stderr, "vaktctl: socket path too long: %s\n", socket_path);
		return EXIT_REFUSED;
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	if (control_format(req, &text, &len) < 0) {
		(void)fputs("vaktctl: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	if (len > CONTROL_REQUEST_MAX) {
		(void)fprintf(stderr,
			      "vaktctl: the request is too large (%zu bytes, at most %d).\n",
			      len,
			      CONTROL_REQUEST_MAX);
		return EXIT_REFUSED;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		(void)fprintf(stderr,
			      "vaktctl: cannot reach vaktd at %s: %m (is vaktd running?)\n",
			      socket_path);
		return EXIT_UNREACHABLE;
	}
	if (send(fd, text, len, MSG_NOSIGNAL) != (ssize_t)len) {
		(void)fprintf(stderr, "vaktctl: cannot send the request to vaktd: %m\n");
		return EXIT_UNREACHABLE;
	}
	for (;;) {
		ssize_t n;

		r = wait_for(fd, POLLIN, socket_path);
		if (r < 0)
			return EXIT_UNREACHABLE;
		n = recv(fd, buf + got, CONTROL_REPLY_MAX + 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)fprintf(stderr, "vaktctl: cannot read vaktd's answer: %m\n");
			return EXIT_UNREACHABLE;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > CONTROL_REPLY_MAX) {
			(void)fputs("vaktctl: vaktd's answer is too large.\n", stderr);
			return EXIT_UNREACHABLE;
		}
	}
	r = control_parse(buf, got, CONTROL_REPLY_FIELDS_MAX, &reply, &error);
	if (r == -ENOMEM) {
		(void)fputs("vaktctl: out of memory\n", stderr);
		return EXIT_REFUSED;
	}
	status = r < 0 ? NULL : control_msg_get(reply, "status");
	if (!status || (!streq(status, "ok") && !streq(status, "error"))) {
		(void)fprintf(stderr,
			      "vaktctl: vaktd's answer cannot be read%s%s\n",
			      error ? ": " : "",
			      error ? error : "");
		return EXIT_UNREACHABLE;
	}
	if (streq(status, "error")) {
		const char *e = control_msg_get(reply, "error");

		(void)fprintf(stderr, "vaktctl: vaktd refused: %s\n", e ? e : "(no reason given)");
		return EXIT_REFUSED;
	}
	*ret_reply = TAKE_PTR(reply);
	return EXIT_OK;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void json_string(const char *s)
{
	(void)putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			(void)printf("\\%c", c);
		else if (c == '\n')
			(void)fputs("\\n", stdout);
		else if (c == '\t')
			(void)fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			(void)printf("\\u%04x", c);
		else
			(void)putchar(c); /* valid UTF-8: control_parse() checked */
	}
	(void)putchar('"');
}

static bool all_digits(const char *s)
{
	if (!*s || strlen(s) > 18)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Values: "yes"/"no" are booleans, decimal integers are numbers, the rest strings. */
static void json_value(const char *key, const char *v)
{
	/* Strings whatever they look like: ids, serials, names. */
	static const char *const strings[] = { "id",	       "serial",      "name",	 "vendor",
					       "product",      "sysname",     "tty",	 "user",
					       "version",      "rule",	      "syspath", "seat",
					       "manufacturer", "remote_host", "ticket",	 "reason",
					       "granted_by",   "device" };

	for (size_t i = 0; i < ELEMENTSOF(strings); i++)
		if (streq(key, strings[i])) {
			json_string(v);
			return;
		}
	if (streq(v, "yes") || streq(v, "no"))
		(void)fputs(streq(v, "yes") ? "true" : "false", stdout);
	else if (all_digits(v))
		(void)fputs(v, stdout);
	else
		json_string(v);
}

/* Whether key occurs more than once in [begin, end): then it is a list "KEYs". */
static bool repeated(const struct control_msg *m, size_t begin, size_t end, const char *key)
{
	unsigned n = 0;

	for (size_t i = begin; i < end; i++)
		if (streq(m->fields[i].key, key))
			n++;
	return n > 1 || streq(key, "policy_file");
}

static void json_fields(const struct control_msg *m, size_t begin, size_t end, bool *first)
{
	for (size_t i = begin; i < end; i++) {
		const char *k = m->fields[i].key;
		bool list = repeated(m, begin, end, k);

		if (streq(k, "record") || streq(k, "status") || control_msg_find(m, begin, i, k))
			continue;
		(void)fputs(*first ? "" : ",", stdout);
		*first = false;
		(void)printf("\"%s%s\":", k, list ? "s" : "");
		if (!list) {
			json_value(k, m->fields[i].value);
			continue;
		}
		(void)putchar('[');
		for (size_t j = i; j < end; j++)
			if (streq(m->fields[j].key, k)) {
				(void)fputs(j == i ? "" : ",", stdout);
				json_value(k, m->fields[j].value);
			}
		(void)putchar(']');
	}
}

void vaktctl_print_json(const struct control_msg *reply)
{
	size_t first_record = 0, pos = 0, b, e;
	bool first = true;

	while (first_record < reply->n && !streq(reply->fields[first_record].key, "record"))
		first_record++;
	(void)putchar('{');
	json_fields(reply, 0, first_record, &first);
	/* One array per record kind, in order of first appearance: "part" -> "parts". */
	while (control_msg_next_record(reply, &pos, &b, &e)) {
		const char *kind = reply->fields[b].value;
		size_t p2 = 0, b2, e2;
		bool seen = false, first_item = true;

		for (size_t q = 0; q < b; q++)
			if (streq(reply->fields[q].key, "record") &&
			    streq(reply->fields[q].value, kind))
				seen = true;
		if (seen)
			continue;
		(void)fputs(first ? "" : ",", stdout);
		first = false;
		{
			_cleanup_free_ char *plural = NULL;

			if (asprintf(&plural, "%ss", kind) < 0)
				return;
			json_string(plural);
		}
		(void)fputs(":[", stdout);
		while (control_msg_next_record(reply, &p2, &b2, &e2)) {
			bool f = true;

			if (!streq(reply->fields[b2].value, kind))
				continue;
			(void)fputs(first_item ? "{" : ",{", stdout);
			first_item = false;
			json_fields(reply, b2 + 1, e2, &f);
			(void)putchar('}');
		}
		(void)putchar(']');
	}
	(void)fputs("}\n", stdout);
}
