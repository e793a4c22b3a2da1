#pragma once

/* NULL-terminated string arrays ("strv"), used for configuration lists and file lists. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Frees every string and the array; accepts NULL; returns NULL. */
char **strv_free(char **l);
DEFINE_FREEP(char *, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Number of strings in l (0 for NULL). */
size_t strv_length(char *const *l);

/* Appends a copy of s to *l. Returns 0 or -ENOMEM (then *l is unchanged). */
int strv_extend(char ***l, const char *s);

/* Appends s to *l, taking ownership of s (freed on failure too). Returns 0 or -ENOMEM. */
int strv_consume(char ***l, char *s);

/* Whether l contains s. */
bool strv_contains(char *const *l, const char *s);

/* Deep copy; NULL only on OOM (a NULL input gives an empty list). */
char **strv_copy(char *const *l);

/* Joins with sep into a new string; NULL only on OOM. */
char *strv_join(char *const *l, const char *sep);

/* NOLINTNEXTLINE(bugprone-macro-parentheses): s is the name of the loop variable it declares. */
#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
