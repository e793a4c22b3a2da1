#include "notice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

char *notice_printable(const char *s, char *buf, size_t size)
{
	size_t n = 0, len = s ? strlen(s) : 0;

	for (; n < len && n + 1 < size; n++)
		buf[n] = s[n] >= 0x20 && s[n] <= 0x7e ? s[n] : '?';
	buf[n] = '\0';
	if (n < len && size > 3)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

bool notice_tty_name_ok(const char *tty)
{
	if (!tty || !tty[0] || tty[0] == '/' || strstr(tty, ".."))
		return false;
	for (const char *c = tty; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '/' || *c == '-' || *c == '_'))
			return false;
	return true;
}

/* s with & < > as entities: a notification server with body-markup reads the rest as text. */
static char *markup_escape(const char *s)
{
	size_t n = 0;
	char *r, *p;

	for (const char *c = s; *c; c++)
		n += *c == '&' ? 5 : *c == '<' || *c == '>' ? 4 : 1;
	r = malloc(n + 1);
	if (!r)
		return NULL;
	p = r;
	for (const char *c = s; *c; c++) {
		const char *e = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : NULL;

		if (e) {
			memcpy(p, e, strlen(e));
			p += strlen(e);
		} else
			*p++ = *c;
	}
	*p = '\0';
	return r;
}

static const char *const summaries[_NOTICE_KIND_MAX] = {
	[NOTICE_STORAGE_BLOCKED] = "USB storage device blocked",
	[NOTICE_STORAGE_READ_ONLY] = "USB storage device is read-only",
	[NOTICE_SESSION_LOCKED] = "Your session was locked",
	[NOTICE_SESSION_TERMINATE] = "Your session will be ended",
};

/* The one text both the desktop and the terminal show, plain printable ASCII. */
static char *sentence(const struct notice_input *in)
{
	char device[NOTICE_FIELD_MAX + 1], ref[NOTICE_FIELD_MAX + 1], contact[NOTICE_FIELD_MAX + 1];
	char clause[NOTICE_FIELD_MAX + 8] = "";
	const char *what = NULL, *ask;
	char *r = NULL, *w = NULL;

	notice_printable(in->device && in->device[0] ? in->device : "unnamed",
			 device,
			 sizeof(device));
	notice_printable(in->contact && in->contact[0] ? in->contact : NOTICE_DEFAULT_CONTACT,
			 contact,
			 sizeof(contact));
	if (in->policy_reference && in->policy_reference[0])
		(void)snprintf(clause,
			       sizeof(clause),
			       " (%s)",
			       notice_printable(in->policy_reference, ref, sizeof(ref)));
	/* Storage can be dispensed (vaktctl grant); idle cannot: then the contact is for
	 * questions. */
	ask = in->kind <= NOTICE_STORAGE_READ_ONLY ? "To ask for a dispensation, contact"
						   : "Questions: contact";
	switch (in->kind) {
	case NOTICE_STORAGE_BLOCKED:
		if (asprintf(&w, "USB storage device '%s' was blocked", device) < 0)
			return NULL;
		break;
	case NOTICE_STORAGE_READ_ONLY:
		if (asprintf(&w, "USB storage device '%s' can be read but not written", device) < 0)
			return NULL;
		break;
	case NOTICE_SESSION_LOCKED:
		what = "Your session was locked because it was left unattended";
		break;
	case NOTICE_SESSION_TERMINATE:
		what = "Your session was left unattended and could not be locked: it will be ended";
		break;
	default:
		return NULL;
	}
	if (asprintf(&r,
		     "%s, as the security policy requires%s. %s %s.",
		     w ? w : what,
		     clause,
		     ask,
		     contact) < 0)
		r = NULL;
	free(w);
	return r;
}

int notice_format(const struct notice_input *in, struct notice *ret)
{
	struct notice n = { 0 };
	_cleanup_free_ char *text = NULL;

	if ((unsigned)in->kind >= _NOTICE_KIND_MAX)
		return -EINVAL;
	text = sentence(in);
	if (!text)
		return -ENOMEM;
	n.summary = strdup(summaries[in->kind]);
	n.body = markup_escape(text);
	if (asprintf(&n.line, "\r\n\a*** vakt: %s ***\r\n", text) < 0)
		n.line = NULL;
	if (!n.summary || !n.body || !n.line) {
		notice_done(&n);
		return -ENOMEM;
	}
	*ret = n;
	return 0;
}

void notice_done(struct notice *n)
{
	if (!n)
		return;
	free(n->summary);
	free(n->body);
	free(n->line);
	*n = (struct notice){ 0 };
}
