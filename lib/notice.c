#include "notice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

/*
 * The length of the character at s when it is one a person may be shown: printable ASCII, or a
 * well-formed UTF-8 sequence that is no C1 control (a terminal may read those as escapes) and no
 * bidirectional override (it could make a name read as another). 0 otherwise.
 */
static size_t shown_char(const unsigned char *s)
{
	size_t n;

	if (s[0] >= 0x20 && s[0] <= 0x7e)
		return 1;
	n = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
	    : s[0] >= 0xe0 && s[0] <= 0xef ? 3
	    : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
					   : 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	if ((s[0] == 0xc2 && s[1] < 0xa0) ||  /* U+0080..U+009F: C1 */
	    (s[0] == 0xe0 && s[1] < 0xa0) ||  /* overlong */
	    (s[0] == 0xed && s[1] >= 0xa0) || /* surrogates */
	    (s[0] == 0xf0 && s[1] < 0x90) ||  /* overlong */
	    (s[0] == 0xf4 && s[1] >= 0x90) || /* beyond U+10FFFF */
	    (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) || /* U+202A..E */
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9))   /* U+2066..9 */
		return 0;
	return n;
}

char *notice_printable(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0;

	while (*p) {
		size_t k = shown_char(p);

		if (n + (k ? k : 1) + 1 > size) {
			/* Cut on a character boundary, and say so. */
			while (n > 0 && n + 4 > size)
				do
					n--;
				while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80);
			memcpy(buf + n, "...", 4);
			return buf;
		}
		if (k) {
			memcpy(buf + n, p, k);
			n += k;
			p += k;
		} else {
			buf[n++] = '?';
			p++;
		}
	}
	buf[n] = '\0';
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
		const char *e = *c == '&'   ? "&amp;"
				: *c == '<' ? "&lt;"
				: *c == '>' ? "&gt;"
					    : NULL;

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

/* The one text both the desktop and the terminal show, printable (notice_printable()). */
static char *sentence(const struct notice_input *in)
{
	char device[NOTICE_FIELD_MAX + 1], contact[NOTICE_FIELD_MAX + 1];
	char clause[NOTICE_FIELD_MAX + 8] = "";
	const char *what = NULL, *ask;
	char *r = NULL, *w = NULL;

	notice_printable(
		in->device && in->device[0] ? in->device : "unnamed", device, sizeof(device));
	notice_printable(in->contact && in->contact[0] ? in->contact : NOTICE_DEFAULT_CONTACT,
			 contact,
			 sizeof(contact));
	if (in->policy_reference && in->policy_reference[0]) {
		char ref[NOTICE_FIELD_MAX + 1];

		(void)snprintf(clause,
			       sizeof(clause),
			       " (%s)",
			       notice_printable(in->policy_reference, ref, sizeof(ref)));
	}
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
