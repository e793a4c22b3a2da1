#pragma once

/*
 * USB device identity: what vakt knows about a device before any driver binds.
 *
 * The interfaces come from the raw sysfs "descriptors" attribute (an unauthorised device exposes
 * no interface directories). That attribute is the 18-byte device descriptor followed by every
 * configuration's full descriptor set (wTotalLength bytes each). The bytes come from the device and
 * are treated as hostile: devid_parse_descriptors() bounds every length and count and either
 * returns a complete, consistent picture or -EBADMSG with a reason. It never truncates silently,
 * so an interface cannot hide behind a parse limit: a device that cannot be parsed is treated as
 * storage by every helper below (fail closed).
 *
 * String attributes (serial, manufacturer, product) are arbitrary bytes too:
 * devid_sanitize_string() makes them fit for records.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct config;

#define DEVID_MAX_CONFIGS	8   /* USB_MAXCONFIG in the kernel */
#define DEVID_MAX_INTERFACES	128 /* interface descriptors (all alternates, all configurations) */
#define DEVID_MAX_ENDPOINTS	512 /* endpoint descriptors in total */
#define DEVID_STRING_MAX	256 /* bytes kept of a sanitised string, without the NUL */
#define DEVID_CLASS_SUMMARY_MAX (256 * 3)

#define DEVID_CLASS_PER_INTERFACE 0x00
#define DEVID_CLASS_HID		  0x03
#define DEVID_CLASS_STORAGE	  0x08
#define DEVID_CLASS_HUB		  0x09
#define DEVID_CLASS_MISC	  0xef /* miscellaneous: interface association descriptors */

struct devid_endpoint {
	uint8_t address;    /* bEndpointAddress: bit 7 = IN */
	uint8_t attributes; /* bmAttributes: bits 0-1 = transfer type */
	uint16_t max_packet_size;
	uint8_t interval;
};

/* One interface descriptor: one alternate setting of one interface of one configuration. */
struct devid_interface {
	uint8_t config_value; /* bConfigurationValue of the configuration it belongs to */
	uint8_t number;	      /* bInterfaceNumber */
	uint8_t alternate;    /* bAlternateSetting */
	uint8_t class;
	uint8_t subclass;
	uint8_t protocol;
	uint8_t n_endpoints_declared; /* bNumEndpoints */
	uint16_t first_endpoint;      /* index into devid_descriptors.endpoints */
	uint16_t n_endpoints;	      /* endpoint descriptors actually following it */
};

struct devid_descriptors {
	uint16_t bcd_usb;
	uint8_t device_class;
	uint8_t device_subclass;
	uint8_t device_protocol;
	uint16_t vendor_id;
	uint16_t product_id;
	uint16_t bcd_device;
	uint8_t n_configs_declared; /* bNumConfigurations */
	uint8_t n_configs;	    /* configurations present in the buffer */
	/* Sum of bNumInterfaces over the configurations; may differ from the interfaces found
	 * (devices lie; like the kernel, every interface descriptor present counts). */
	unsigned n_interfaces_declared;
	unsigned n_associations; /* interface association descriptors seen */
	size_t n_interfaces;
	struct devid_interface interfaces[DEVID_MAX_INTERFACES];
	size_t n_endpoints;
	struct devid_endpoint endpoints[DEVID_MAX_ENDPOINTS];
};

/*
 * Parses the sysfs "descriptors" attribute (buf, len bytes, borrowed). On success fills
 * *ret_descriptors and returns 0. Returns -EBADMSG for anything malformed (truncated device
 * descriptor, a descriptor with bLength < 2 or running past its configuration, wTotalLength beyond
 * the buffer or smaller than the configuration descriptor, more configurations than declared or
 * than DEVID_MAX_CONFIGS, more interfaces or endpoints than the limits, trailing bytes) and then
 * *reterr_reason (may be NULL) points to a static English explanation. *ret_descriptors is written
 * only on success. A bNumInterfaces or bNumEndpoints that disagrees with the descriptors present is
 * not an error: the descriptors present are what the kernel binds drivers to, so they are recorded.
 * Returns -ENOMEM when out of memory.
 */
int devid_parse_descriptors(const uint8_t *buf,
			    size_t len,
			    struct devid_descriptors *ret_descriptors,
			    const char **reterr_reason);

/*
 * Writes the distinct interface classes present (all configurations and alternates), sorted,
 * as two lower-case hex digits each, comma-separated ("03,08"), into buf (size n, NUL-terminated,
 * truncated to fit). "" when there are no interfaces. Returns buf.
 */
const char *devid_class_summary(const struct devid_descriptors *d, char *buf, size_t n);

/* Whether class cls appears on any interface (any configuration, any alternate setting). */
bool devid_descriptors_has_class(const struct devid_descriptors *d, uint8_t cls);

/*
 * The bus a device came on. USB devices are identified by their descriptors; the others have
 * none, and every helper below treats them as one storage function that cannot type:
 *   DEVID_BUS_MMC          an SD card in a reader that is not a USB device (a PCIe sdhci or
 *                          rtsx_pci reader); vendor = manfid, product = oemid, serial = serial,
 *                          name = name (drivers/mmc/core/bus.c, sd.c).
 *   DEVID_BUS_THUNDERBOLT  a Thunderbolt/USB4 device (router); vendor = vendor, product = device,
 *                          serial = unique_id, name = device_name, manufacturer = vendor_name
 *                          (Documentation/ABI/testing/sysfs-bus-thunderbolt). Whether it carries
 *                          storage (an NVMe enclosure through a PCIe tunnel) cannot be known before
 *                          it is authorised.
 */
enum devid_bus {
	DEVID_BUS_USB,
	DEVID_BUS_MMC,
	DEVID_BUS_THUNDERBOLT,
};

/* "usb", "mmc" or "thunderbolt". */
const char *devid_bus_name(enum devid_bus bus);

/*
 * A device as the daemon hands it to policy. Strings are owned (free with devid_done()) and
 * already sanitised; NULL when the attribute is missing. vendor/product are 4 lower-case hex
 * digits, "" when unknown.
 */
struct devid {
	char vendor[5];
	char product[5];
	char *serial;
	char *manufacturer;
	char *name;	      /* product string */
	char *port;	      /* port path, e.g. "1-1.2" */
	char *syspath;	      /* e.g. "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.2" */
	uint8_t device_class; /* bDeviceClass */
	enum devid_bus bus;
	bool descriptors_valid; /* desc holds the parsed descriptors */
	bool authorized;	/* the kernel lets it work now (sysfs authorized = 1): in use */
	/* Disks that appeared below functions judged harmless (devid_add_disk()): bit n of
	 * disk_interfaces = bInterfaceNumber n; disk_unplaced = below no interface vakt could
	 * name. What this plugged-in device has shown; kept across decisions (devid_keep_disks()).
	 */
	uint64_t disk_interfaces[4];
	bool disk_unplaced;
	struct devid_descriptors desc;
};

/* Frees the strings of id and zeroes it; the struct itself is the caller's. Accepts NULL. */
void devid_done(struct devid *id);

/*
 * Copies the parsed descriptors into id: sets desc, descriptors_valid, device_class and
 * vendor/product (from idVendor/idProduct).
 */
void devid_set_descriptors(struct devid *id, const struct devid_descriptors *d);

/*
 * Sets dst (5 bytes) from a sysfs idVendor/idProduct value: 4 hex digits, optionally followed by
 * a newline; written lower-case. Returns 0, or -EINVAL (dst unchanged).
 */
int devid_parse_hex4(const char *s, char dst[static 5]);

/*
 * Sets dst (5 bytes) from a sysfs number printed in hex with or without "0x" (mmc manfid
 * "0x000003", oemid "0x5344"; thunderbolt vendor "0x8086", "0x1"), optionally followed by a
 * newline: 1 to 8 hex digits whose value fits 16 bits, written as 4 lower-case digits. Returns 0,
 * or -EINVAL (dst unchanged) for anything else, a value above 0xffff included.
 */
int devid_parse_sysfs_hex16(const char *s, char dst[static 5]);

/*
 * Makes a record-safe copy of a string attribute read from sysfs (raw, len bytes, borrowed, may
 * hold any byte, need not be NUL-terminated). Trailing newline and surrounding white space are
 * dropped; valid printable UTF-8 is kept; control characters, DEL, invalid UTF-8 and non-characters
 * become '?'; the result is cut at DEVID_STRING_MAX bytes on a character boundary. Returns 0 and
 * *ret_string (caller frees; may be ""), or -ENOMEM.
 */
int devid_sanitize_string(const char *raw, size_t len, char **ret_string);

/*
 * Storage is what can store. A class gets the storage policy unless config_harmless_class() says
 * it is harmless ([storage] harmless_classes): vendor-specific ff (Android MTP, Apple usbmux,
 * Realtek card readers), still image 06, mass storage 08, and every class not listed all do.
 * bDeviceClass 00 (per interface) and ef (miscellaneous, used with interface association
 * descriptors) say nothing themselves: the interfaces decide. Any other bDeviceClass counts like
 * an interface's, since a driver may bind to a vendor-specific device as a whole.
 */

/*
 * Whether interface number (of configuration config_value; 0 = any configuration) gets the
 * storage policy: any of its alternate settings has a class that is not harmless. True also when
 * the descriptors are not valid or the interface is not in them (fail closed).
 */
bool devid_interface_is_storage(const struct devid *id,
				const struct config *c,
				uint8_t config_value,
				uint8_t number);

/*
 * Whether the device gets the storage policy: always for a device not on USB (an SD card is
 * storage; a Thunderbolt device may carry it and cannot be seen into), else any interface (any
 * configuration, any alternate) or its bDeviceClass (other than 00 and ef) is not harmless, or the
 * descriptors are not valid (fail closed). Disks seen below it (devid_has_disk()) are not counted
 * here: lib/policy decides what they mean.
 */
bool devid_is_storage(const struct devid *id, const struct config *c);

/* Whether the device is a hub (bDeviceClass 09). False for a device not on USB. */
bool devid_is_hub(const struct devid *id);

/*
 * Whether the device may be able to type: it has an HID interface (class 03, any configuration or
 * alternate setting) or bDeviceClass 03, or its descriptors are not valid (fail closed). Never
 * for a device not on USB: an SD card has no keyboard, and a Thunderbolt device's keyboards come
 * as USB devices behind it, decided as such. Which
 * HID interface is a keyboard only its report descriptor says, and the kernel reads that after
 * authorisation; a "boot mouse" may still send keys. So every HID function counts, a mouse too.
 */
bool devid_may_type(const struct devid *id);

/*
 * Records that a disk appeared below interface number of the device (number < 0: below no
 * interface vakt could name).
 */
void devid_add_disk(struct devid *id, int number);

/* Whether a disk was recorded below the device (devid_add_disk()). */
bool devid_has_disk(const struct devid *id);

/* Whether a disk was recorded below interface number, or below an unnamed one. */
bool devid_disk_below(const struct devid *id, uint8_t number);

/* Copies the disks recorded in from into to (the same device, identified again). */
void devid_keep_disks(struct devid *to, const struct devid *from);
