#pragma once

/*
 * Reads a descriptor fixture from tests/data/usb/NAME.hex: hex bytes separated by any white
 * space, '#' starts a comment to the end of the line. See tests/data/usb/README.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"

static inline int usb_fixture_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads path into *ret_buf (caller frees) and *ret_len. Returns 0, -errno when the file cannot be
 * read, -EINVAL for a stray character or an odd number of hex digits, -ENOMEM.
 */
static inline int usb_fixture_read_path(const char *path, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int hi = -1, c;

	f = fopen(path, "re");
	if (!f)
		return -errno;

	while ((c = fgetc(f)) != EOF) {
		int v;

		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		v = usb_fixture_hex_value(c);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (len == cap) {
			uint8_t *n;

			cap = cap ? cap * 2 : 64;
			n = realloc(buf, cap);
			if (!n)
				return -ENOMEM;
			buf = n;
		}
		buf[len++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;

	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

#ifdef TEST_DATA_DIR
/* Reads TEST_DATA_DIR/usb/NAME.hex. */
static inline int usb_fixture_read(const char *name, uint8_t **ret_buf, size_t *ret_len)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/usb/%s.hex", TEST_DATA_DIR, name) < 0)
		return -ENOMEM;
	return usb_fixture_read_path(path, ret_buf, ret_len);
}
#endif
