#include "devid.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define DT_DEVICE	 0x01
#define DT_CONFIG	 0x02
#define DT_INTERFACE	 0x04
#define DT_ENDPOINT	 0x05
#define DT_ASSOCIATION	 0x0b
#define DEVICE_DESC_SIZE 18
#define CONFIG_DESC_SIZE 9
#define INTF_DESC_SIZE	 9
#define EP_DESC_SIZE	 7
#define IAD_DESC_SIZE	 8

static int bad(const char **reterr_reason, const char *why)
{
	if (reterr_reason)
		*reterr_reason = why;
	return -EBADMSG;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static int add_interface(struct devid_descriptors *d,
			 const uint8_t *p,
			 uint8_t config_value,
			 const char **reterr_reason)
{
	struct devid_interface *i;

	if (p[0] < INTF_DESC_SIZE)
		return bad(reterr_reason, "interface descriptor shorter than 9 bytes");
	if (d->n_interfaces >= DEVID_MAX_INTERFACES)
		return bad(reterr_reason, "more interface descriptors than vakt accepts (128)");

	i = &d->interfaces[d->n_interfaces++];
	*i = (struct devid_interface){
		.config_value = config_value,
		.number = p[2],
		.alternate = p[3],
		.n_endpoints_declared = p[4],
		.class = p[5],
		.subclass = p[6],
		.protocol = p[7],
		.first_endpoint = (uint16_t)d->n_endpoints,
	};
	return 0;
}

static int add_endpoint(struct devid_descriptors *d, const uint8_t *p, const char **reterr_reason)
{
	if (p[0] < EP_DESC_SIZE)
		return bad(reterr_reason, "endpoint descriptor shorter than 7 bytes");
	if (d->n_interfaces == 0)
		return bad(reterr_reason, "endpoint descriptor before any interface descriptor");
	if (d->n_endpoints >= DEVID_MAX_ENDPOINTS)
		return bad(reterr_reason, "more endpoint descriptors than vakt accepts (512)");

	d->endpoints[d->n_endpoints++] = (struct devid_endpoint){
		.address = p[2],
		.attributes = p[3],
		.max_packet_size = le16(p + 4),
		.interval = p[6],
	};
	d->interfaces[d->n_interfaces - 1].n_endpoints++;
	return 0;
}

/* One descriptor inside a configuration; p has at least p[0] >= 2 valid bytes. */
static int parse_one(struct devid_descriptors *d,
		     const uint8_t *p,
		     uint8_t config_value,
		     const char **reterr_reason)
{
	switch (p[1]) {
	case DT_DEVICE:
		return bad(reterr_reason, "device descriptor inside a configuration");
	case DT_CONFIG:
		return bad(reterr_reason, "configuration descriptor inside a configuration");
	case DT_INTERFACE:
		return add_interface(d, p, config_value, reterr_reason);
	case DT_ENDPOINT:
		/* An endpoint belongs to the interface descriptor before it; the first endpoint of
		 * a configuration must therefore follow an interface of that configuration. */
		if (d->n_interfaces == 0 ||
		    d->interfaces[d->n_interfaces - 1].config_value != config_value)
			return bad(reterr_reason,
				   "endpoint descriptor before any interface descriptor");
		return add_endpoint(d, p, reterr_reason);
	case DT_ASSOCIATION:
		if (p[0] < IAD_DESC_SIZE)
			return bad(reterr_reason,
				   "interface association descriptor shorter than 8 bytes");
		d->n_associations++;
		return 0;
	default:
		return 0; /* class- or vendor-specific (HID, CS_INTERFACE, ...): skipped */
	}
}

/* Parses one configuration at p (n bytes left in the buffer); *ret_used = its wTotalLength. */
static int parse_config(struct devid_descriptors *d,
			const uint8_t *p,
			size_t n,
			size_t *ret_used,
			const char **reterr_reason)
{
	size_t total, off;
	uint8_t config_value;

	if (n < CONFIG_DESC_SIZE)
		return bad(reterr_reason, "truncated configuration descriptor");
	if (p[1] != DT_CONFIG)
		return bad(reterr_reason, "expected a configuration descriptor");
	if (p[0] < CONFIG_DESC_SIZE)
		return bad(reterr_reason, "configuration descriptor shorter than 9 bytes");
	total = le16(p + 2);
	if (total < p[0])
		return bad(reterr_reason, "wTotalLength smaller than the configuration descriptor");
	if (total > n)
		return bad(reterr_reason, "wTotalLength runs past the end of the descriptors");

	config_value = p[5];
	d->n_interfaces_declared += p[4];

	/* Each step consumes bLength >= 2 bytes, so the loop ends after at most total / 2 steps. */
	for (off = p[0]; off < total; off += p[off]) {
		int r;

		if (total - off < 2)
			return bad(reterr_reason, "descriptor header cut off by wTotalLength");
		if (p[off] < 2)
			return bad(reterr_reason, "descriptor with bLength below 2");
		if (p[off] > total - off)
			return bad(reterr_reason, "descriptor runs past wTotalLength");

		r = parse_one(d, p + off, config_value, reterr_reason);
		if (r < 0)
			return r;
	}

	*ret_used = total;
	return 0;
}

static int
parse_device(struct devid_descriptors *d, const uint8_t *p, size_t n, const char **reterr_reason)
{
	if (n < DEVICE_DESC_SIZE)
		return bad(reterr_reason, "truncated device descriptor");
	if (p[0] != DEVICE_DESC_SIZE)
		return bad(reterr_reason, "device descriptor bLength is not 18");
	if (p[1] != DT_DEVICE)
		return bad(reterr_reason, "expected a device descriptor");

	d->bcd_usb = le16(p + 2);
	d->device_class = p[4];
	d->device_subclass = p[5];
	d->device_protocol = p[6];
	d->vendor_id = le16(p + 8);
	d->product_id = le16(p + 10);
	d->bcd_device = le16(p + 12);
	d->n_configs_declared = p[17];

	if (d->n_configs_declared == 0)
		return bad(reterr_reason, "device declares no configuration");
	if (d->n_configs_declared > DEVID_MAX_CONFIGS)
		return bad(reterr_reason, "device declares more than 8 configurations");
	return 0;
}

int devid_parse_descriptors(const uint8_t *buf,
			    size_t len,
			    struct devid_descriptors *ret_descriptors,
			    const char **reterr_reason)
{
	_cleanup_free_ struct devid_descriptors *d = NULL;
	size_t off;

	assert(buf || len == 0);
	assert(ret_descriptors);

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;

	if (parse_device(d, buf, len, reterr_reason) < 0)
		return -EBADMSG;

	/* Each configuration consumes at least 9 bytes, so this ends. */
	for (off = DEVICE_DESC_SIZE; off < len;) {
		size_t used = 0;
		int r;

		if (d->n_configs >= d->n_configs_declared)
			return bad(reterr_reason, "more configurations than bNumConfigurations");
		r = parse_config(d, buf + off, len - off, &used, reterr_reason);
		if (r < 0)
			return r;
		d->n_configs++;
		off += used;
	}

	if (d->n_configs < d->n_configs_declared)
		return bad(reterr_reason, "fewer configurations than bNumConfigurations");

	*ret_descriptors = *d;
	return 0;
}

bool devid_descriptors_has_class(const struct devid_descriptors *d, uint8_t cls)
{
	assert(d);

	for (size_t i = 0; i < d->n_interfaces && i < DEVID_MAX_INTERFACES; i++)
		if (d->interfaces[i].class == cls)
			return true;
	return false;
}

const char *devid_class_summary(const struct devid_descriptors *d, char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	bool seen[256] = { false };
	size_t w = 0;

	assert(d);
	assert(buf);
	assert(n > 0);

	for (size_t i = 0; i < d->n_interfaces && i < DEVID_MAX_INTERFACES; i++)
		seen[d->interfaces[i].class] = true;

	for (unsigned c = 0; c < ELEMENTSOF(seen); c++) {
		size_t need = w > 0 ? 3 : 2;

		if (!seen[c])
			continue;
		if (w + need >= n)
			break; /* no half entries */
		if (w > 0)
			buf[w++] = ',';
		buf[w++] = hex[c >> 4];
		buf[w++] = hex[c & 0xf];
	}
	buf[w] = '\0';
	return buf;
}

void devid_done(struct devid *id)
{
	if (!id)
		return;
	free(id->serial);
	free(id->manufacturer);
	free(id->name);
	free(id->port);
	free(id->syspath);
	*id = (struct devid){ .device_class = 0 };
}

static void format_hex4(char dst[static 5], uint16_t v)
{
	static const char hex[] = "0123456789abcdef";

	dst[0] = hex[(v >> 12) & 0xf];
	dst[1] = hex[(v >> 8) & 0xf];
	dst[2] = hex[(v >> 4) & 0xf];
	dst[3] = hex[v & 0xf];
	dst[4] = '\0';
}

void devid_set_descriptors(struct devid *id, const struct devid_descriptors *d)
{
	assert(id);
	assert(d);

	id->desc = *d;
	id->descriptors_valid = true;
	id->device_class = d->device_class;
	format_hex4(id->vendor, d->vendor_id);
	format_hex4(id->product, d->product_id);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int devid_parse_hex4(const char *s, char dst[static 5])
{
	unsigned v = 0;

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		int h = hex_value(s[i]); /* stops at the NUL: hex_value('\0') < 0 */

		if (h < 0)
			return -EINVAL;
		v = (v << 4) | (unsigned)h;
	}
	if (!(s[4] == '\0' || (s[4] == '\n' && s[5] == '\0')))
		return -EINVAL;

	format_hex4(dst, (uint16_t)v);
	return 0;
}

int devid_parse_sysfs_hex16(const char *s, char dst[static 5])
{
	unsigned long v = 0;
	size_t n = 0;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; n < 9; n++) {
		int h = hex_value(s[n]);

		if (h < 0)
			break;
		v = (v << 4) | (unsigned long)h;
	}
	if (n == 0 || n > 8 || v > 0xffff)
		return -EINVAL;
	if (!(s[n] == '\0' || (s[n] == '\n' && s[n + 1] == '\0')))
		return -EINVAL;
	format_hex4(dst, (uint16_t)v);
	return 0;
}

const char *devid_bus_name(enum devid_bus bus)
{
	return bus == DEVID_BUS_MMC ? "mmc" : bus == DEVID_BUS_THUNDERBOLT ? "thunderbolt" : "usb";
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Code points that must not reach a record: C1 controls, bidi overrides, separators, BOM,
 * non-characters. */
static bool codepoint_unwanted(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff ||
	       (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left), or 0 when it is not one (invalid,
 * overlong, surrogate, out of range). *ret_wanted says whether its code point may be kept.
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, bool *ret_wanted)
{
	uint32_t cp, min;
	size_t k;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_wanted = !codepoint_unwanted(cp);
	return k;
}

int devid_sanitize_string(const char *raw, size_t len, char **ret_string)
{
	const unsigned char *s = (const unsigned char *)raw;
	size_t start = 0, end = len, w = 0;
	char *out;

	assert(raw || len == 0);
	assert(ret_string);

	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;

	out = malloc(DEVID_STRING_MAX + 1);
	if (!out)
		return -ENOMEM;

	for (size_t i = start; i < end;) {
		bool wanted = false;
		size_t k = 0;

		if (s[i] >= 0x20 && s[i] < 0x7f)
			k = 1, wanted = true;
		else if (s[i] >= 0x80)
			k = utf8_sequence(s + i, end - i, &wanted);

		if (wanted) {
			if (w + k > DEVID_STRING_MAX)
				break;
			for (size_t j = 0; j < k; j++)
				out[w++] = (char)s[i + j];
		} else {
			/* one '?' per unwanted character or per byte that is not UTF-8 */
			if (w + 1 > DEVID_STRING_MAX)
				break;
			out[w++] = '?';
		}
		i += k > 0 ? k : 1;
	}
	out[w] = '\0';

	*ret_string = out;
	return 0;
}

/* A class that gets the storage policy: anything not in harmless_classes. */
static bool storage_class(const struct config *c, uint8_t cls)
{
	return !config_harmless_class(c, cls);
}

bool devid_interface_is_storage(const struct devid *id,
				const struct config *c,
				uint8_t config_value,
				uint8_t number)
{
	bool found = false;

	assert(id);
	assert(c);

	if (!id->descriptors_valid)
		return true;

	for (size_t i = 0; i < id->desc.n_interfaces && i < DEVID_MAX_INTERFACES; i++) {
		const struct devid_interface *intf = &id->desc.interfaces[i];

		if (intf->number != number)
			continue;
		if (config_value != 0 && intf->config_value != config_value)
			continue;
		found = true;
		if (storage_class(c, intf->class))
			return true;
	}
	return !found;
}

bool devid_is_storage(const struct devid *id, const struct config *c)
{
	uint8_t dc;

	assert(id);
	assert(c);

	if (id->bus != DEVID_BUS_USB)
		return true;
	if (!id->descriptors_valid)
		return true;
	dc = id->desc.device_class;
	if (dc != DEVID_CLASS_PER_INTERFACE && dc != DEVID_CLASS_MISC && storage_class(c, dc))
		return true;
	for (size_t i = 0; i < id->desc.n_interfaces && i < DEVID_MAX_INTERFACES; i++)
		if (storage_class(c, id->desc.interfaces[i].class))
			return true;
	return false;
}

bool devid_is_hub(const struct devid *id)
{
	assert(id);

	if (id->bus != DEVID_BUS_USB)
		return false;
	if (id->descriptors_valid)
		return id->desc.device_class == DEVID_CLASS_HUB;
	return id->device_class == DEVID_CLASS_HUB;
}

bool devid_may_type(const struct devid *id)
{
	assert(id);

	if (id->bus != DEVID_BUS_USB)
		return false;
	if (!id->descriptors_valid)
		return true;
	return id->desc.device_class == DEVID_CLASS_HID ||
	       devid_descriptors_has_class(&id->desc, DEVID_CLASS_HID);
}

void devid_add_disk(struct devid *id, int number)
{
	assert(id);

	if (number < 0 || number > UINT8_MAX) {
		id->disk_unplaced = true;
		return;
	}
	id->disk_interfaces[number / 64] |= UINT64_C(1) << (number % 64);
}

bool devid_has_disk(const struct devid *id)
{
	assert(id);

	if (id->disk_unplaced)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(id->disk_interfaces); i++)
		if (id->disk_interfaces[i] != 0)
			return true;
	return false;
}

bool devid_disk_below(const struct devid *id, uint8_t number)
{
	assert(id);

	return id->disk_unplaced || ((id->disk_interfaces[number / 64] >> (number % 64)) & 1);
}

void devid_keep_disks(struct devid *to, const struct devid *from)
{
	assert(to);
	assert(from);

	for (size_t i = 0; i < ELEMENTSOF(to->disk_interfaces); i++)
		to->disk_interfaces[i] |= from->disk_interfaces[i];
	to->disk_unplaced = to->disk_unplaced || from->disk_unplaced;
}
