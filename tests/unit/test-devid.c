#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devid.h"
#include "macro.h"
#include "usb-fixture.h"

static void copy_bytes(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	/* not memcpy(): clang-tidy's insecureAPI check asks for memcpy_s, which glibc lacks */
	while (n-- > 0)
		*d++ = *s++;
}

static void fill_bytes(void *dst, uint8_t v, size_t n)
{
	uint8_t *d = dst;

	while (n-- > 0)
		*d++ = v;
}

static void parse_fixture(const char *name, struct devid_descriptors *ret)
{
	_cleanup_free_ uint8_t *buf = NULL;
	const char *why = NULL;
	size_t len = 0;

	ck_assert_int_eq(usb_fixture_read(name, &buf, &len), 0);
	ck_assert_msg(
		devid_parse_descriptors(buf, len, ret, &why) == 0, "%s: %s", name, why ? why : "?");
}

/* A devid from a fixture; the caller calls devid_done(). */
static void devid_fixture(const char *name, struct devid *ret)
{
	_cleanup_free_ struct devid_descriptors *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	parse_fixture(name, d);
	*ret = (struct devid){ .device_class = 0 };
	devid_set_descriptors(ret, d);
}

static const char *summary(const struct devid_descriptors *d)
{
	static char buf[DEVID_CLASS_SUMMARY_MAX];

	return devid_class_summary(d, buf, sizeof(buf));
}

START_TEST(test_parse_stick_finds_storage_interface_and_bulk_endpoints)
{
	struct devid_descriptors d;

	parse_fixture("stick-kingston-0951-1666", &d);
	ck_assert_uint_eq(d.vendor_id, 0x0951);
	ck_assert_uint_eq(d.product_id, 0x1666);
	ck_assert_uint_eq(d.device_class, 0);
	ck_assert_uint_eq(d.n_configs, 1);
	ck_assert_uint_eq(d.n_interfaces, 1);
	ck_assert_uint_eq(d.interfaces[0].class, 0x08);
	ck_assert_uint_eq(d.interfaces[0].subclass, 0x06);
	ck_assert_uint_eq(d.interfaces[0].protocol, 0x50);
	ck_assert_uint_eq(d.interfaces[0].config_value, 1);
	ck_assert_uint_eq(d.interfaces[0].n_endpoints, 2);
	ck_assert_uint_eq(d.endpoints[0].address, 0x81);
	ck_assert_uint_eq(d.endpoints[0].attributes & 3, 2);
	ck_assert_uint_eq(d.endpoints[0].max_packet_size, 512);
	ck_assert_uint_eq(d.endpoints[1].address, 0x02);
	ck_assert_str_eq(summary(&d), "08");
}
END_TEST

START_TEST(test_parse_keyboard_skips_hid_descriptor)
{
	struct devid_descriptors d;

	parse_fixture("keyboard-dell-413c-2107", &d);
	ck_assert_uint_eq(d.n_interfaces, 1);
	ck_assert_uint_eq(d.interfaces[0].class, 0x03);
	ck_assert_uint_eq(d.interfaces[0].subclass, 0x01);
	ck_assert_uint_eq(d.interfaces[0].protocol, 0x01);
	ck_assert_uint_eq(d.interfaces[0].n_endpoints, 1);
	ck_assert_uint_eq(d.endpoints[0].address, 0x81);
	ck_assert_uint_eq(d.endpoints[0].attributes & 3, 3);
	ck_assert_str_eq(summary(&d), "03");
}
END_TEST

START_TEST(test_parse_composite_lists_both_interfaces)
{
	struct devid_descriptors d;

	parse_fixture("composite-keyboard-storage", &d);
	ck_assert_uint_eq(d.n_interfaces, 2);
	ck_assert_uint_eq(d.interfaces[0].number, 0);
	ck_assert_uint_eq(d.interfaces[0].n_endpoints, 1);
	ck_assert_uint_eq(d.interfaces[1].number, 1);
	ck_assert_uint_eq(d.interfaces[1].class, 0x08);
	ck_assert_uint_eq(d.interfaces[1].first_endpoint, 1);
	ck_assert_uint_eq(d.interfaces[1].n_endpoints, 2);
	ck_assert_str_eq(summary(&d), "03,08");
	ck_assert(devid_descriptors_has_class(&d, 0x08));
	ck_assert(!devid_descriptors_has_class(&d, 0x09));
}
END_TEST

START_TEST(test_parse_hub_is_hub_and_not_storage)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("hub-genesys-05e3-0608", &id);
	ck_assert(devid_is_hub(&id));
	ck_assert(!devid_is_storage(&id, c));
	ck_assert_str_eq(id.vendor, "05e3");
	ck_assert_str_eq(id.product, "0608");
	ck_assert_str_eq(summary(&id.desc), "09");
	devid_done(&id);
}
END_TEST

START_TEST(test_parse_iad_and_alternate_settings)
{
	struct devid_descriptors d;

	parse_fixture("webcam-iad-046d-0825", &d);
	ck_assert_uint_eq(d.device_class, 0xef);
	ck_assert_uint_eq(d.n_associations, 1);
	ck_assert_uint_eq(d.n_interfaces, 3);
	ck_assert_uint_eq(d.interfaces[0].n_endpoints, 1);
	ck_assert_uint_eq(d.interfaces[1].number, 1);
	ck_assert_uint_eq(d.interfaces[1].alternate, 0);
	ck_assert_uint_eq(d.interfaces[1].n_endpoints, 0);
	ck_assert_uint_eq(d.interfaces[2].number, 1);
	ck_assert_uint_eq(d.interfaces[2].alternate, 1);
	ck_assert_uint_eq(d.interfaces[2].n_endpoints, 1);
	ck_assert_uint_eq(d.endpoints[d.interfaces[2].first_endpoint].attributes & 3, 1);
	ck_assert_str_eq(summary(&d), "0e");
}
END_TEST

START_TEST(test_two_configurations_storage_in_second_counts)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("two-configs-hid-storage", &id);
	ck_assert_uint_eq(id.desc.n_configs, 2);
	ck_assert_uint_eq(id.desc.n_interfaces, 2);
	ck_assert(devid_is_storage(&id, c));
	ck_assert(!devid_interface_is_storage(&id, c, 1, 0));
	ck_assert(devid_interface_is_storage(&id, c, 2, 0));
	ck_assert(devid_interface_is_storage(&id, c, 0, 0));
	devid_done(&id);
}
END_TEST

START_TEST(test_lying_num_interfaces_still_finds_storage)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("lying-num-interfaces", &id);
	ck_assert_uint_eq(id.desc.n_interfaces_declared, 1);
	ck_assert_uint_eq(id.desc.n_interfaces, 2);
	ck_assert(devid_is_storage(&id, c));
	ck_assert(!devid_interface_is_storage(&id, c, 1, 0));
	ck_assert(devid_interface_is_storage(&id, c, 1, 1));
	devid_done(&id);
}
END_TEST

START_TEST(test_composite_storage_per_interface)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("composite-keyboard-storage", &id);
	ck_assert(devid_is_storage(&id, c));
	ck_assert(!devid_is_hub(&id));
	ck_assert(!devid_interface_is_storage(&id, c, 0, 0));
	ck_assert(devid_interface_is_storage(&id, c, 1, 1));
	/* an interface the descriptors do not have is treated as storage */
	ck_assert(devid_interface_is_storage(&id, c, 1, 7));
	ck_assert(devid_interface_is_storage(&id, c, 3, 0));
	devid_done(&id);
}
END_TEST

START_TEST(test_invalid_descriptors_count_as_storage)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id = { .device_class = 0 };

	ck_assert_ptr_nonnull(c);
	ck_assert(devid_is_storage(&id, c));
	ck_assert(devid_interface_is_storage(&id, c, 0, 0));
	ck_assert(!devid_is_hub(&id));
	id.device_class = DEVID_CLASS_HUB;
	ck_assert(devid_is_hub(&id));
}
END_TEST

/* Real devices (tests/data/usb/README): what the default policy makes of each. */
struct device_case {
	const char *fixture;
	const char *vendor, *product;
	const char *classes; /* devid_class_summary() */
	bool storage;	     /* devid_is_storage() with the default harmless_classes */
	bool may_type;	     /* devid_may_type() */
};

static const struct device_case devices[] = {
	/* vendor-specific functions that carry files: storage */
	{ "phone-mtp-adb-18d1-4ee2", "18d1", "4ee2", "ff", true, false },
	{ "iphone-05ac-12a8", "05ac", "12a8", "06,ff", true, false },
	{ "cardreader-rts5129-0bda-0129", "0bda", "0129", "ff", true, false },
	{ "wifi-rtl8188eus-0bda-8179", "0bda", "8179", "ff", true, false },
	{ "phone-ptp-18d1-4ee1", "18d1", "4ee1", "06", true, false },
	{ "camera-ptp-04b0-045a", "04b0", "045a", "06", true, false },
	{ "stick-kingston-0951-1666", "0951", "1666", "08", true, false },
	/* harmless classes */
	{ "headset-cmedia-0d8c-0014", "0d8c", "0014", "01,03", false, true },
	{ "printer-hp-03f0-2b17", "03f0", "2b17", "07", false, false },
	{ "smartcard-alcor-058f-9540", "058f", "9540", "0b", false, false },
	{ "keyboard-dell-413c-2107", "413c", "2107", "03", false, true },
	{ "hub-genesys-05e3-0608", "05e3", "0608", "09", false, false },
	{ "webcam-iad-046d-0825", "046d", "0825", "0e", false, false },
	/* a keyboard with a card reader: storage, and it may type */
	{ "composite-keyboard-storage", "1234", "5678", "03,08", true, true },
};

START_TEST(test_real_device_storage_and_typing)
{
	_cleanup_(config_freep) struct config *c = config_new();
	const struct device_case *t = &devices[_i];
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture(t->fixture, &id);
	ck_assert_str_eq(id.vendor, t->vendor);
	ck_assert_str_eq(id.product, t->product);
	ck_assert_str_eq(summary(&id.desc), t->classes);
	ck_assert_msg(devid_is_storage(&id, c) == t->storage, "%s: storage", t->fixture);
	ck_assert_msg(devid_may_type(&id) == t->may_type, "%s: may type", t->fixture);
	/* a device is storage exactly when one of its interfaces is (device classes 00, ef) or
	 * its vendor-specific device class says so (the card reader) */
	for (size_t i = 0; i < id.desc.n_interfaces; i++) {
		const struct devid_interface *ifc = &id.desc.interfaces[i];

		if (devid_interface_is_storage(&id, c, ifc->config_value, ifc->number))
			ck_assert_msg(
				t->storage, "%s: storage interface %u", t->fixture, ifc->number);
	}
	devid_done(&id);
}
END_TEST

START_TEST(test_android_mtp_and_adb_interfaces_are_storage)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("phone-mtp-adb-18d1-4ee2", &id);
	ck_assert_uint_eq(id.desc.n_interfaces, 2);
	ck_assert_uint_eq(id.desc.interfaces[0].subclass, 0xff); /* MTP */
	ck_assert_uint_eq(id.desc.interfaces[1].subclass, 0x42); /* ADB */
	ck_assert_uint_eq(id.desc.interfaces[1].protocol, 0x01);
	ck_assert(devid_interface_is_storage(&id, c, 1, 0));
	ck_assert(devid_interface_is_storage(&id, c, 1, 1));
	devid_done(&id);
}
END_TEST

START_TEST(test_iphone_usbmux_is_storage_in_every_configuration)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("iphone-05ac-12a8", &id);
	ck_assert_uint_eq(id.desc.n_configs, 2);
	ck_assert_uint_eq(id.desc.n_interfaces, 3);
	ck_assert(devid_interface_is_storage(&id, c, 1, 0)); /* PTP */
	ck_assert(devid_interface_is_storage(&id, c, 2, 0)); /* PTP */
	ck_assert(devid_interface_is_storage(&id, c, 2, 1)); /* usbmux ff/fe/02 */
	ck_assert_uint_eq(id.desc.interfaces[2].class, 0xff);
	ck_assert_uint_eq(id.desc.interfaces[2].subclass, 0xfe);
	ck_assert_uint_eq(id.desc.interfaces[2].protocol, 0x02);
	devid_done(&id);
}
END_TEST

START_TEST(test_headset_alternate_settings_and_audio_endpoints)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id;

	ck_assert_ptr_nonnull(c);
	devid_fixture("headset-cmedia-0d8c-0014", &id);
	ck_assert_uint_eq(id.desc.n_interfaces, 6); /* 0, 1 (alt 0, 1), 2 (alt 0, 1), 3 */
	ck_assert_uint_eq(id.desc.n_endpoints, 3);
	ck_assert_uint_eq(id.desc.interfaces[2].alternate, 1);
	ck_assert_uint_eq(id.desc.endpoints[0].attributes & 3, 1); /* isochronous */
	for (uint8_t n = 0; n < 4; n++)
		ck_assert(!devid_interface_is_storage(&id, c, 1, n));
	devid_done(&id);
}
END_TEST

START_TEST(test_harmless_classes_config_honoured)
{
	/* an administrator who lists ff lets vendor-specific devices through: WiFi dongle and
	 * card reader alike, since vakt cannot tell them apart by class */
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid wifi, reader, camera;

	ck_assert_ptr_nonnull(c);
	devid_fixture("wifi-rtl8188eus-0bda-8179", &wifi);
	devid_fixture("cardreader-rts5129-0bda-0129", &reader);
	devid_fixture("camera-ptp-04b0-045a", &camera);
	ck_assert(devid_is_storage(&wifi, c));
	c->storage.harmless_classes[0xff / 64] |= UINT64_C(1) << (0xff % 64);
	ck_assert(!devid_is_storage(&wifi, c));
	ck_assert(!devid_is_storage(&reader, c));
	ck_assert(!devid_interface_is_storage(&wifi, c, 1, 0));
	ck_assert(devid_is_storage(&camera, c));
	c->storage.harmless_classes[0x06 / 64] |= UINT64_C(1) << (0x06 % 64);
	ck_assert(!devid_is_storage(&camera, c));
	devid_done(&wifi);
	devid_done(&reader);
	devid_done(&camera);
}
END_TEST

/* bDeviceClass: 00 and ef leave it to the interfaces; any other class counts itself. */
START_TEST(test_device_class_counts_unless_per_interface_or_misc)
{
	static const struct {
		uint8_t device_class;
		bool storage;
	} cases[] = {
		{ 0x00, false }, { 0xef, false }, { 0x03, false }, { 0x09, false },
		{ 0xff, true },	 { 0xdc, true },  { 0x08, true },  { 0x42, true },
	};
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_(config_freep) struct config *c = config_new();
	size_t len;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(usb_fixture_read("keyboard-dell-413c-2107", &buf, &len), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct devid_descriptors d;
		struct devid id = { .device_class = 0 };

		buf[4] = cases[i].device_class;
		ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, NULL), 0);
		devid_set_descriptors(&id, &d);
		ck_assert_msg(devid_is_storage(&id, c) == cases[i].storage,
			      "bDeviceClass %02x",
			      cases[i].device_class);
	}
}
END_TEST

START_TEST(test_unknown_interface_classes_are_storage)
{
	/* a class nobody has assigned yet, 00 on an interface, diagnostic, application specific */
	static const uint8_t classes[] = { 0x00, 0x04, 0x13, 0x77, 0xdc, 0xfe, 0xff };
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_(config_freep) struct config *c = config_new();
	size_t len;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(usb_fixture_read("keyboard-dell-413c-2107", &buf, &len), 0);
	for (size_t i = 0; i < ELEMENTSOF(classes); i++) {
		struct devid_descriptors d;
		struct devid id = { .device_class = 0 };

		buf[18 + 9 + 5] = classes[i]; /* bInterfaceClass */
		ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, NULL), 0);
		devid_set_descriptors(&id, &d);
		ck_assert_msg(devid_is_storage(&id, c), "class %02x", classes[i]);
		ck_assert(devid_interface_is_storage(&id, c, 1, 0));
		ck_assert(!devid_may_type(&id));
	}
}
END_TEST

START_TEST(test_may_type_hid_anywhere_and_fail_closed)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct devid_descriptors d;
	struct devid id = { .device_class = 0 };
	size_t len;

	/* descriptors not valid: it may type */
	ck_assert(devid_may_type(&id));
	/* HID only in a second configuration still counts */
	devid_fixture("two-configs-hid-storage", &id);
	ck_assert(devid_may_type(&id));
	devid_done(&id);
	/* bDeviceClass 03 with no HID interface */
	ck_assert_int_eq(usb_fixture_read("printer-hp-03f0-2b17", &buf, &len), 0);
	buf[4] = 0x03;
	ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, NULL), 0);
	devid_set_descriptors(&id, &d);
	ck_assert(devid_may_type(&id));
}
END_TEST

START_TEST(test_disks_below_are_recorded_and_kept)
{
	struct devid id = { .device_class = 0 }, again = { .device_class = 0 };

	ck_assert(!devid_has_disk(&id));
	ck_assert(!devid_disk_below(&id, 0));
	devid_add_disk(&id, 3);
	devid_add_disk(&id, 200);
	ck_assert(devid_has_disk(&id));
	ck_assert(devid_disk_below(&id, 3));
	ck_assert(devid_disk_below(&id, 200));
	ck_assert(!devid_disk_below(&id, 2));
	ck_assert(!devid_disk_below(&id, 67));

	devid_keep_disks(&again, &id);
	ck_assert(devid_disk_below(&again, 3));
	ck_assert(devid_disk_below(&again, 200));
	ck_assert(!devid_disk_below(&again, 4));

	/* below no interface vakt can name: every interface is suspect */
	devid_add_disk(&again, -1);
	ck_assert(devid_disk_below(&again, 4));
	devid_add_disk(&id, 256);
	ck_assert(id.disk_unplaced);
	devid_done(&id);
	ck_assert(!devid_has_disk(&id));
}
END_TEST

START_TEST(test_device_class_storage_counts)
{
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid_descriptors d;
	struct devid id = { .device_class = 0 };
	size_t len;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(usb_fixture_read("keyboard-dell-413c-2107", &buf, &len), 0);
	buf[4] = 0x08; /* bDeviceClass mass storage on a keyboard */
	ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, NULL), 0);
	devid_set_descriptors(&id, &d);
	ck_assert(devid_is_storage(&id, c));
}
END_TEST

struct malformed_case {
	const char *name;
	const char *reason;
};

static const struct malformed_case malformed[] = {
	{ "bad-truncated-device", "truncated device descriptor" },
	{ "bad-blength-zero", "descriptor with bLength below 2" },
	{ "bad-blength-past-end", "descriptor runs past wTotalLength" },
	{ "bad-total-length-large", "wTotalLength runs past the end of the descriptors" },
	{ "bad-total-length-small", "more configurations than bNumConfigurations" },
	{ "bad-total-length-cuts", "descriptor runs past wTotalLength" },
};

static void check_malformed(const struct malformed_case *t)
{
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_free_ struct devid_descriptors *d = malloc(sizeof(*d));
	const char *why = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(usb_fixture_read(t->name, &buf, &len), 0);
	fill_bytes(d, 0xaa, sizeof(*d));
	ck_assert_int_eq(devid_parse_descriptors(buf, len, d, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, t->reason);
	for (size_t i = 0; i < sizeof(*d); i++)
		ck_assert_msg(((const uint8_t *)d)[i] == 0xaa, "output written on failure");
}

START_TEST(test_malformed_fixture_rejected_with_reason)
{
	check_malformed(&malformed[_i]);
}
END_TEST

static const char *const valid[] = {
	"stick-kingston-0951-1666",  "keyboard-dell-413c-2107",	 "composite-keyboard-storage",
	"hub-genesys-05e3-0608",     "webcam-iad-046d-0825",	 "two-configs-hid-storage",
	"lying-num-interfaces",	     "camera-ptp-04b0-045a",	 "phone-mtp-adb-18d1-4ee2",
	"phone-ptp-18d1-4ee1",	     "iphone-05ac-12a8",	 "cardreader-rts5129-0bda-0129",
	"wifi-rtl8188eus-0bda-8179", "headset-cmedia-0d8c-0014", "printer-hp-03f0-2b17",
	"smartcard-alcor-058f-9540",
};

START_TEST(test_every_truncation_of_valid_fixture_rejected)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct devid_descriptors d;
	size_t len;

	ck_assert_int_eq(usb_fixture_read(valid[_i], &buf, &len), 0);
	ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, NULL), 0);
	for (size_t n = 0; n < len; n++) {
		const char *why = NULL;

		ck_assert_int_eq(devid_parse_descriptors(buf, n, &d, &why), -EBADMSG);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(test_null_buffer_rejected)
{
	struct devid_descriptors d;

	ck_assert_int_eq(devid_parse_descriptors(NULL, 0, &d, NULL), -EBADMSG);
}
END_TEST

/* Device descriptor (1 configuration) + one configuration holding n_intf interfaces with n_ep
 * endpoints each. Returns the length written to buf (cap bytes). */
static size_t build_config(uint8_t *buf, size_t cap, size_t n_intf, size_t n_ep)
{
	static const uint8_t dev[] = { 0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x34,
				       0x12, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01 };
	size_t w = 0, total = 9 + n_intf * (9 + 7 * n_ep);

	ck_assert_uint_le(18 + total, cap);
	ck_assert_uint_le(total, 0xffff);
	copy_bytes(buf, dev, sizeof(dev));
	w = sizeof(dev);
	buf[w++] = 9;
	buf[w++] = 2;
	buf[w++] = (uint8_t)(total & 0xff);
	buf[w++] = (uint8_t)(total >> 8);
	buf[w++] = (uint8_t)n_intf;
	buf[w++] = 1;
	buf[w++] = 0;
	buf[w++] = 0x80;
	buf[w++] = 0x32;
	for (size_t i = 0; i < n_intf; i++) {
		const uint8_t intf[] = { 9, 4, (uint8_t)i, 0, (uint8_t)n_ep, 0x03, 0, 0, 0 };

		copy_bytes(buf + w, intf, sizeof(intf));
		w += sizeof(intf);
		for (size_t e = 0; e < n_ep; e++) {
			const uint8_t ep[] = { 7, 5, (uint8_t)(0x81 + e), 3, 8, 0, 10 };

			copy_bytes(buf + w, ep, sizeof(ep));
			w += sizeof(ep);
		}
	}
	return w;
}

START_TEST(test_interface_limit_enforced_not_truncated)
{
	_cleanup_free_ uint8_t *buf = malloc(65536);
	_cleanup_free_ struct devid_descriptors *d = calloc(1, sizeof(*d));
	const char *why = NULL;
	size_t len;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(d);

	len = build_config(buf, 65536, DEVID_MAX_INTERFACES, 1);
	ck_assert_int_eq(devid_parse_descriptors(buf, len, d, NULL), 0);
	ck_assert_uint_eq(d->n_interfaces, DEVID_MAX_INTERFACES);

	len = build_config(buf, 65536, DEVID_MAX_INTERFACES + 1, 0);
	ck_assert_int_eq(devid_parse_descriptors(buf, len, d, &why), -EBADMSG);
	ck_assert_str_eq(why, "more interface descriptors than vakt accepts (128)");

	len = build_config(buf, 65536, 1, DEVID_MAX_ENDPOINTS + 1);
	ck_assert_int_eq(devid_parse_descriptors(buf, len, d, &why), -EBADMSG);
	ck_assert_str_eq(why, "more endpoint descriptors than vakt accepts (512)");
}
END_TEST

/* Stick fixture with bytes patched: offset, value, expected reason (NULL = valid). */
struct patch_case {
	size_t offset;
	uint8_t value;
	const char *reason;
};

static const struct patch_case patches[] = {
	{ 0, 0x11, "device descriptor bLength is not 18" },
	{ 1, 0x02, "expected a device descriptor" },
	{ 17, 0x00, "device declares no configuration" },
	{ 17, 0x09, "device declares more than 8 configurations" },
	{ 17, 0x02, "fewer configurations than bNumConfigurations" },
	{ 19, 0x04, "expected a configuration descriptor" },
	{ 18, 0x05, "configuration descriptor shorter than 9 bytes" },
	{ 20, 0x05, "wTotalLength smaller than the configuration descriptor" },
	{ 27, 0x05, "interface descriptor shorter than 9 bytes" },
	{ 28, 0x05, "endpoint descriptor before any interface descriptor" },
	{ 28, 0x02, "configuration descriptor inside a configuration" },
	{ 28, 0x01, "device descriptor inside a configuration" },
	{ 36, 0x05, "endpoint descriptor shorter than 7 bytes" },
	{ 22, 0x05, NULL }, /* bNumInterfaces lies: not an error */
	{ 31, 0x07, NULL }, /* bNumEndpoints lies: not an error */
	{ 37, 0x24, NULL }, /* a class-specific descriptor is skipped */
};

static void check_patch(const struct patch_case *t)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct devid_descriptors d;
	const char *why = NULL;
	size_t len = 0;
	int r;

	ck_assert_int_eq(usb_fixture_read("stick-kingston-0951-1666", &buf, &len), 0);
	ck_assert_uint_gt(len, t->offset);
	buf[t->offset] = t->value;
	r = devid_parse_descriptors(buf, len, &d, &why);
	if (!t->reason) {
		ck_assert_int_eq(r, 0);
		return;
	}
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_str_eq(why, t->reason);
}

START_TEST(test_patched_stick)
{
	check_patch(&patches[_i]);
}
END_TEST

START_TEST(test_short_interface_and_iad_rejected)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct devid_descriptors d;
	const char *why = NULL;
	size_t len;

	ck_assert_int_eq(usb_fixture_read("webcam-iad-046d-0825", &buf, &len), 0);
	buf[18 + 9] = 0x07; /* IAD bLength 7: the next descriptor starts one byte early */
	ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, &why), -EBADMSG);
	ck_assert_str_eq(why, "interface association descriptor shorter than 8 bytes");

	buf[18 + 9] = 0x08;
	buf[18 + 9 + 8] = 0x08; /* interface descriptor bLength 8 */
	ck_assert_int_eq(devid_parse_descriptors(buf, len, &d, &why), -EBADMSG);
	ck_assert_str_eq(why, "interface descriptor shorter than 9 bytes");
}
END_TEST

START_TEST(test_extra_configuration_rejected)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint8_t twice[50 + 32];
	struct devid_descriptors d;
	const char *why = NULL;
	size_t len;

	ck_assert_int_eq(usb_fixture_read("stick-kingston-0951-1666", &buf, &len), 0);
	ck_assert_uint_eq(len, 50);
	copy_bytes(twice, buf, 50);
	copy_bytes(twice + 50, buf + 18, 32);
	ck_assert_int_eq(devid_parse_descriptors(twice, sizeof(twice), &d, &why), -EBADMSG);
	ck_assert_str_eq(why, "more configurations than bNumConfigurations");
	twice[17] = 2;
	ck_assert_int_eq(devid_parse_descriptors(twice, sizeof(twice), &d, NULL), 0);
	ck_assert_uint_eq(d.n_configs, 2);
	/* trailing garbage shorter than a configuration descriptor */
	twice[17] = 1;
	ck_assert_int_eq(devid_parse_descriptors(twice, 50 + 3, &d, &why), -EBADMSG);
}
END_TEST

START_TEST(test_class_summary_truncates_whole_entries)
{
	struct devid_descriptors d;
	char small[4];

	parse_fixture("composite-keyboard-storage", &d);
	ck_assert_str_eq(devid_class_summary(&d, small, sizeof(small)), "03");
	ck_assert_str_eq(devid_class_summary(&d, small, 1), "");
}
END_TEST

struct sanitize_case {
	const char *raw;
	size_t len; /* 0 = strlen */
	const char *want;
};

static const struct sanitize_case sanitize[] = {
	{ "Kingston\n", 0, "Kingston" },
	{ "  DataTraveler 3.0  \n", 0, "DataTraveler 3.0" },
	{ "", 0, "" },
	{ "\n\n", 0, "" },
	{ "a\tb", 0, "a?b" },
	{ "ab\0cd", 5, "ab?cd" },
	{ "x\x1b[31my", 0, "x?[31my" },
	{ "\x7f", 0, "?" },
	{ "\xff\xfe", 0, "??" },
	{ "S\xc3\xa4kerhet", 0, "S\xc3\xa4kerhet" },   /* ä kept */
	{ "\xc2\x85x", 0, "?x" },		       /* U+0085 NEL */
	{ "\xc0\xafx", 0, "??x" },		       /* overlong '/' */
	{ "\xed\xa0\x80", 0, "???" },		       /* surrogate */
	{ "\xe2\x82", 0, "??" },		       /* cut sequence */
	{ "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80" }, /* emoji kept */
	{ "1C6F654E5A\n", 0, "1C6F654E5A" },
};

static void check_sanitize(const struct sanitize_case *t)
{
	_cleanup_free_ char *s = NULL;
	size_t len = t->len ? t->len : strlen(t->raw);

	ck_assert_int_eq(devid_sanitize_string(t->raw, len, &s), 0);
	ck_assert_str_eq(s, t->want);
}

START_TEST(test_sanitize_string)
{
	check_sanitize(&sanitize[_i]);
}
END_TEST

START_TEST(test_sanitize_string_replaces_bidi_override)
{
	/* "\u202Eevil": U+202E RIGHT-TO-LEFT OVERRIDE reorders what a reader sees */
	static const char raw[] = { '\xe2', '\x80', '\xae', 'e', 'v', 'i', 'l' };
	_cleanup_free_ char *s = NULL;

	ck_assert_int_eq(devid_sanitize_string(raw, sizeof(raw), &s), 0);
	ck_assert_str_eq(s, "?evil");
}
END_TEST

START_TEST(test_sanitize_string_caps_length_on_character_boundary)
{
	_cleanup_free_ char *raw = malloc(1000);
	_cleanup_free_ char *s = NULL, *t = NULL;

	ck_assert_ptr_nonnull(raw);
	for (size_t i = 0; i < 1000; i++)
		raw[i] = 'a';
	ck_assert_int_eq(devid_sanitize_string(raw, 1000, &s), 0);
	ck_assert_uint_eq(strlen(s), DEVID_STRING_MAX);

	/* DEVID_STRING_MAX - 1 ASCII bytes, then a 2-byte character that does not fit */
	raw[DEVID_STRING_MAX - 1] = '\xc3';
	raw[DEVID_STRING_MAX] = '\xa4';
	ck_assert_int_eq(devid_sanitize_string(raw, DEVID_STRING_MAX + 1, &t), 0);
	ck_assert_uint_eq(strlen(t), DEVID_STRING_MAX - 1);
}
END_TEST

struct hex4_case {
	const char *in;
	const char *want; /* NULL = -EINVAL */
};

static const struct hex4_case hex4[] = {
	{ "0951\n", "0951" }, { "0951", "0951" },   { "ABCD", "abcd" }, { "095", NULL },
	{ "09512", NULL },    { "0951\n\n", NULL }, { "zz11", NULL },	{ "", NULL },
	{ " 951", NULL },     { "0x95", NULL },
};

static void check_hex4(const struct hex4_case *t)
{
	char out[5] = "xxxx";

	if (!t->want) {
		ck_assert_int_eq(devid_parse_hex4(t->in, out), -EINVAL);
		ck_assert_str_eq(out, "xxxx");
		return;
	}
	ck_assert_int_eq(devid_parse_hex4(t->in, out), 0);
	ck_assert_str_eq(out, t->want);
}

START_TEST(test_parse_hex4)
{
	check_hex4(&hex4[_i]);
}
END_TEST

START_TEST(test_parse_hex4_null_rejected)
{
	char out[5];

	ck_assert_int_eq(devid_parse_hex4(NULL, out), -EINVAL);
}
END_TEST

static const struct hex4_case hex16[] = {
	{ "0x000003\n", "0003" }, { "0x5344", "5344" }, { "0x8086\n", "8086" }, { "0x1", "0001" },
	{ "ABCD", "abcd" },	  { "0x10000", NULL },	{ "0x", NULL },		{ "", NULL },
	{ "0x00000000f", NULL },  { "0x12 ", NULL },	{ "0x12\n\n", NULL },	{ "-0x1", NULL },
	{ "0xg1", NULL },
};

START_TEST(test_parse_sysfs_hex16)
{
	const struct hex4_case *t = &hex16[_i];
	char out[5] = "xxxx";

	if (!t->want) {
		ck_assert_int_eq(devid_parse_sysfs_hex16(t->in, out), -EINVAL);
		ck_assert_str_eq(out, "xxxx");
		return;
	}
	ck_assert_int_eq(devid_parse_sysfs_hex16(t->in, out), 0);
	ck_assert_str_eq(out, t->want);
}
END_TEST

/* An SD card or a Thunderbolt device has no descriptors: storage, never a keyboard or a hub. */
START_TEST(test_other_bus_is_storage_never_types)
{
	_cleanup_(config_freep) struct config *c = config_new();
	struct devid id = { .bus = DEVID_BUS_MMC, .device_class = DEVID_CLASS_HUB };

	ck_assert_ptr_nonnull(c);
	ck_assert(devid_is_storage(&id, c));
	ck_assert(!devid_may_type(&id));
	ck_assert(!devid_is_hub(&id));
	ck_assert_str_eq(devid_bus_name(id.bus), "mmc");
	id.bus = DEVID_BUS_THUNDERBOLT;
	ck_assert(devid_is_storage(&id, c));
	ck_assert(!devid_may_type(&id));
	ck_assert_str_eq(devid_bus_name(id.bus), "thunderbolt");
	/* The same without descriptors on USB: fail closed, it may type. */
	id.bus = DEVID_BUS_USB;
	ck_assert(devid_may_type(&id));
	ck_assert_str_eq(devid_bus_name(id.bus), "usb");
}
END_TEST

START_TEST(test_devid_done_frees_and_zeroes)
{
	struct devid id = { .device_class = 0 };

	ck_assert_int_eq(devid_sanitize_string("s", 1, &id.serial), 0);
	ck_assert_int_eq(devid_sanitize_string("m", 1, &id.manufacturer), 0);
	id.syspath = strdup("/sys/devices/x/1-1");
	id.descriptors_valid = true;
	devid_done(&id);
	ck_assert_ptr_null(id.serial);
	ck_assert(!id.descriptors_valid);
	devid_done(NULL);
}
END_TEST

static Suite *devid_suite(void)
{
	Suite *s = suite_create("devid");
	TCase *tc;

	tc = tcase_create("fixtures");
	tcase_add_test(tc, test_parse_stick_finds_storage_interface_and_bulk_endpoints);
	tcase_add_test(tc, test_parse_keyboard_skips_hid_descriptor);
	tcase_add_test(tc, test_parse_composite_lists_both_interfaces);
	tcase_add_test(tc, test_parse_hub_is_hub_and_not_storage);
	tcase_add_test(tc, test_parse_iad_and_alternate_settings);
	tcase_add_test(tc, test_two_configurations_storage_in_second_counts);
	tcase_add_test(tc, test_lying_num_interfaces_still_finds_storage);
	suite_add_tcase(s, tc);

	tc = tcase_create("storage");
	tcase_add_test(tc, test_composite_storage_per_interface);
	tcase_add_test(tc, test_invalid_descriptors_count_as_storage);
	tcase_add_test(tc, test_harmless_classes_config_honoured);
	tcase_add_test(tc, test_device_class_storage_counts);
	tcase_add_test(tc, test_device_class_counts_unless_per_interface_or_misc);
	tcase_add_test(tc, test_unknown_interface_classes_are_storage);
	suite_add_tcase(s, tc);

	tc = tcase_create("real devices");
	tcase_add_loop_test(tc, test_real_device_storage_and_typing, 0, ELEMENTSOF(devices));
	tcase_add_test(tc, test_android_mtp_and_adb_interfaces_are_storage);
	tcase_add_test(tc, test_iphone_usbmux_is_storage_in_every_configuration);
	tcase_add_test(tc, test_headset_alternate_settings_and_audio_endpoints);
	suite_add_tcase(s, tc);

	tc = tcase_create("typing and disks");
	tcase_add_test(tc, test_may_type_hid_anywhere_and_fail_closed);
	tcase_add_test(tc, test_disks_below_are_recorded_and_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(
		tc, test_malformed_fixture_rejected_with_reason, 0, ELEMENTSOF(malformed));
	tcase_add_loop_test(
		tc, test_every_truncation_of_valid_fixture_rejected, 0, ELEMENTSOF(valid));
	tcase_add_test(tc, test_null_buffer_rejected);
	tcase_add_test(tc, test_interface_limit_enforced_not_truncated);
	tcase_add_loop_test(tc, test_patched_stick, 0, ELEMENTSOF(patches));
	tcase_add_test(tc, test_short_interface_and_iad_rejected);
	tcase_add_test(tc, test_extra_configuration_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, test_class_summary_truncates_whole_entries);
	tcase_add_loop_test(tc, test_sanitize_string, 0, ELEMENTSOF(sanitize));
	tcase_add_test(tc, test_sanitize_string_replaces_bidi_override);
	tcase_add_test(tc, test_sanitize_string_caps_length_on_character_boundary);
	tcase_add_loop_test(tc, test_parse_hex4, 0, ELEMENTSOF(hex4));
	tcase_add_test(tc, test_parse_hex4_null_rejected);
	tcase_add_loop_test(tc, test_parse_sysfs_hex16, 0, ELEMENTSOF(hex16));
	tcase_add_test(tc, test_other_bus_is_storage_never_types);
	tcase_add_test(tc, test_devid_done_frees_and_zeroes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
