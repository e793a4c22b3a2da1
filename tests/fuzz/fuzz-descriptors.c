/*
 * libFuzzer target: the sysfs "descriptors" attribute of a USB device, as a hostile device could
 * shape it. Whatever the bytes, the parser must return 0 or -EBADMSG with a reason, and the
 * helpers the daemon calls afterwards must stay within their buffers. Strings from sysfs go
 * through the sanitiser, which must return valid, bounded, printable text.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib
 *        tests/fuzz/fuzz-descriptors.c lib/devid.c lib/config.c lib/parse.c lib/strv.c -linih
 */

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_descriptors(const struct devid_descriptors *d, const struct config *c)
{
	char summary[DEVID_CLASS_SUMMARY_MAX], small[5];
	struct devid id = { .device_class = 0 };
	size_t endpoints = 0;

	assert(d->n_configs >= 1 && d->n_configs <= DEVID_MAX_CONFIGS);
	assert(d->n_interfaces <= DEVID_MAX_INTERFACES);
	assert(d->n_endpoints <= DEVID_MAX_ENDPOINTS);
	for (size_t i = 0; i < d->n_interfaces; i++) {
		assert(d->interfaces[i].first_endpoint == endpoints);
		endpoints += d->interfaces[i].n_endpoints;
	}
	assert(endpoints == d->n_endpoints);

	(void)devid_class_summary(d, summary, sizeof(summary));
	assert(strlen(summary) < sizeof(summary));
	(void)devid_class_summary(d, small, sizeof(small));
	assert(strlen(small) <= 2);

	devid_set_descriptors(&id, d);
	assert(strlen(id.vendor) == 4 && strlen(id.product) == 4);
	/* storage as a whole iff some interface, or a device class other than 00 and ef, is not
	 * harmless; an interface with a class that is not harmless is storage */
	bool any = d->device_class != DEVID_CLASS_PER_INTERFACE &&
		   d->device_class != DEVID_CLASS_MISC &&
		   !config_harmless_class(c, d->device_class);
	bool hid = d->device_class == DEVID_CLASS_HID;
	for (size_t i = 0; i < d->n_interfaces; i++) {
		bool s = devid_interface_is_storage(&id, c, 0, d->interfaces[i].number);

		any = any || !config_harmless_class(c, d->interfaces[i].class);
		hid = hid || d->interfaces[i].class == DEVID_CLASS_HID;
		assert(config_harmless_class(c, d->interfaces[i].class) || s);
	}
	assert(devid_is_storage(&id, c) == any);
	assert(devid_may_type(&id) == hid);
	(void)devid_is_hub(&id);
	devid_done(&id);
}

static void check_sanitize(const uint8_t *data, size_t size)
{
	char *s = NULL;

	if (devid_sanitize_string((const char *)data, size, &s) < 0)
		abort();
	assert(strlen(s) <= DEVID_STRING_MAX);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		assert(*p >= 0x20 && *p != 0x7f);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *c;
	struct devid_descriptors *d;
	const char *why = NULL;
	int r;

	if (!c) {
		c = config_new();
		if (!c)
			abort();
	}

	d = malloc(sizeof(*d));
	if (!d)
		abort();
	r = devid_parse_descriptors(data, size, d, &why);
	if (r == 0)
		check_descriptors(d, c);
	else if (r != -EBADMSG || !why)
		abort();
	free(d);

	check_sanitize(data, size);
	return 0;
}
