#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char **strv_free(char **l)
{
	if (!l)
		return NULL;
	for (char **s = l; *s; s++)
		free(*s);
	free(l);
	return NULL;
}

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

int strv_consume(char ***l, char *s)
{
	size_t n = strv_length(*l);
	char **t;

	if (!s)
		return -ENOMEM;
	t = realloc(*l, sizeof(char *) * (n + 2));
	if (!t) {
		free(s);
		return -ENOMEM;
	}
	t[n] = s;
	t[n + 1] = NULL;
	*l = t;
	return 0;
}

int strv_extend(char ***l, const char *s)
{
	return strv_consume(l, strdup(s));
}

bool strv_contains(char *const *l, const char *s)
{
	STRV_FOREACH (i, l)
		if (streq(*i, s))
			return true;
	return false;
}

char **strv_copy(char *const *l)
{
	_cleanup_strv_free_ char **c = calloc(1, sizeof(char *));

	if (!c)
		return NULL;
	STRV_FOREACH (i, l)
		if (strv_extend(&c, *i) < 0)
			return NULL;
	return TAKE_PTR(c);
}

char *strv_join(char *const *l, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	char *r, *p;

	STRV_FOREACH (i, l)
		len += strlen(*i) + seplen;
	r = malloc(len);
	if (!r)
		return NULL;
	p = r;
	*p = '\0';
	STRV_FOREACH (i, l) {
		if (i != l)
			p = stpcpy(p, sep);
		p = stpcpy(p, *i);
	}
	return r;
}
