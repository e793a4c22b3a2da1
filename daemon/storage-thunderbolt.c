/*
 * Thunderbolt and USB4 devices, through the kernel's Thunderbolt authorisation -- the interface
 * boltd uses (Documentation/admin-guide/thunderbolt.rst, Documentation/ABI/testing/
 * sysfs-bus-thunderbolt):
 *   domainN/security        the level the firmware (or the USB4 connection manager) runs at;
 *   DEVICE/authorized       0 = connected without tunnels; writing 1 authorises the device (the
 *                           PCIe tunnel is created and what is behind it -- an NVMe disk, a dock's
 *                           USB controller -- appears); 2 = authorised with key verification;
 *                           writing 0 de-authorises where domainN/deauthorization is 1;
 *   DEVICE/vendor, device, vendor_name, device_name, unique_id    its identity.
 * A Thunderbolt device may carry storage (an NVMe enclosure) and nothing says so before its PCIe
 * tunnel exists: every one gets the storage decision (devid_is_storage()), and a named rule
 * (vendor, product = device, serial = unique_id) lets an approved dock or disk in.
 *
 * What vakt can do depends on the level:
 *   user, secure  the kernel leaves a new device unauthorised until someone writes authorized:
 *                 vakt authorises an allowed device and leaves the others unauthorised
 *                 (de-authorises one that someone else authorised, where the kernel can). A
 *                 read-only verdict holds the device back too: a PCIe tunnel cannot be made
 *                 read-only, and the disks behind it appear below the PCIe hierarchy, not below
 *                 the Thunderbolt device, once it is too late to set them read-only first.
 *   none          the firmware connects every device with all its tunnels: vakt can hold
 *                 nothing back; the record says so (VAKT_RESULT not-enforced when the verdict
 *                 is block).
 *   dponly, usbonly, nopcie
 *                 the firmware never creates a PCIe tunnel: no PCIe storage can come through;
 *                 the USB devices behind a dock (usbonly) are USB devices, decided as such. vakt
 *                 writes nothing.
 * Devices are decided only in enforce mode: observe mode writes nothing, as for USB.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage-usbsys.h"
#include "storage.h"
#include "udev-util.h"

#define ATTR_MAX ((size_t)4096)

bool storage_is_thunderbolt_device(struct udev_device *d)
{
	const char *sub = udev_device_get_subsystem(d);
	const char *type = udev_device_get_devtype(d);
	const char *name = udev_device_get_sysname(d);
	size_t n;
	char path[4096];

	if (!sub || !streq(sub, "thunderbolt") || !type || !streq(type, "thunderbolt_device") ||
	    !name)
		return false;
	/* Host routers: route 0 ("0-0"), always there, never decided. */
	n = strlen(name);
	if (n >= 2 && streq(name + n - 2, "-0"))
		return false;
	if ((size_t)snprintf(path, sizeof(path), "%s/authorized", udev_device_get_syspath(d)) >=
	    sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

static int string_attr(const char *syspath, const char *attr, char **ret_value)
{
	_cleanup_free_ uint8_t *raw = NULL;
	size_t len = 0;
	int r;

	*ret_value = NULL;
	r = usbsys_read_attr(syspath, attr, ATTR_MAX, &raw, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	return devid_sanitize_string((const char *)raw, strnlen((const char *)raw, len), ret_value);
}

int storage_tb_identify(struct udev_device *dev, struct devid *ret_id)
{
	const char *syspath = udev_device_get_syspath(dev);
	struct devid id = { .bus = DEVID_BUS_THUNDERBOLT };
	const char *v;
	int cur = 0;

	if (access(syspath, F_OK) < 0)
		return -ENODEV;
	v = udev_device_get_sysattr_value(dev, "vendor");
	if (v)
		(void)devid_parse_sysfs_hex16(v, id.vendor);
	v = udev_device_get_sysattr_value(dev, "device");
	if (v)
		(void)devid_parse_sysfs_hex16(v, id.product);
	id.authorized = usbsys_read_int(syspath, "authorized", &cur) >= 0 && cur != 0;
	if (string_attr(syspath, "unique_id", &id.serial) < 0 ||
	    string_attr(syspath, "vendor_name", &id.manufacturer) < 0 ||
	    string_attr(syspath, "device_name", &id.name) < 0)
		goto oom;
	id.port = strdup(udev_device_get_sysname(dev));
	id.syspath = strdup(syspath);
	if (!id.port || !id.syspath)
		goto oom;
	*ret_id = id;
	return 0;
oom:
	devid_done(&id);
	return -ENOMEM;
}

enum level {
	LEVEL_UNKNOWN,
	LEVEL_HOST_DECIDES, /* user, secure */
	LEVEL_NONE,
	LEVEL_NO_PCIE, /* dponly, usbonly, nopcie */
};

static enum level parse_level(const char *v)
{
	if (!v)
		return LEVEL_UNKNOWN;
	if (streq(v, "user") || streq(v, "secure"))
		return LEVEL_HOST_DECIDES;
	if (streq(v, "none"))
		return LEVEL_NONE;
	if (streq(v, "dponly") || streq(v, "usbonly") || streq(v, "nopcie"))
		return LEVEL_NO_PCIE;
	return LEVEL_UNKNOWN;
}

/* The domain's security level into t->security (NULL when it cannot be read). */
static void read_security(struct tracked_device *t, struct udev_device *dev)
{
	struct udev_device *domain = udev_device_get_parent_with_subsystem_devtype(
		dev, "thunderbolt", "thunderbolt_domain");
	_cleanup_free_ char *level = NULL;

	free(t->security);
	t->security = NULL;
	if (domain)
		(void)string_attr(udev_device_get_syspath(domain), "security", &level);
	t->security = TAKE_PTR(level);
}

static bool can_deauthorize(struct udev_device *dev)
{
	struct udev_device *domain = udev_device_get_parent_with_subsystem_devtype(
		dev, "thunderbolt", "thunderbolt_domain");
	int v = 0;

	return domain &&
	       usbsys_read_int(udev_device_get_syspath(domain), "deauthorization", &v) >= 0 &&
	       v == 1;
}

int storage_tb_enforce(struct storage *s,
		       struct tracked_device *t,
		       struct udev_device *dev,
		       bool enforce)
{
	bool want;
	int cur = 0, r;

	read_security(t, dev);
	t->limit = NULL;
	t->result = NULL;
	if (t->effective == STORAGE_ACTION_READ_ONLY) {
		t->effective = STORAGE_ACTION_BLOCK;
		t->limit =
			"read-only cannot be enforced through a PCIe tunnel, so the device is held "
			"back";
	}
	switch (parse_level(t->security)) {
	case LEVEL_NONE:
		t->limit =
			"security level none: the firmware connects every Thunderbolt device with "
			"all its tunnels, PCIe included; vakt can hold nothing back (set the level "
			"to user or secure in the firmware setup)";
		if (t->effective != STORAGE_ACTION_ALLOW)
			t->result = "not-enforced";
		return 0;
	case LEVEL_NO_PCIE:
		t->limit = "this security level creates no PCIe tunnel, so no PCIe storage comes "
			   "through; USB devices behind it are decided as USB devices; vakt writes "
			   "nothing here";
		return 0;
	case LEVEL_UNKNOWN:
		t->limit = "the domain's security level cannot be read; vakt authorises nothing";
		if (t->effective == STORAGE_ACTION_ALLOW)
			t->result = "failure";
		t->effective = STORAGE_ACTION_BLOCK;
		return 0;
	case LEVEL_HOST_DECIDES:
		break;
	}
	if (!enforce)
		return 0;
	want = t->effective == STORAGE_ACTION_ALLOW;
	r = usbsys_read_int(t->syspath, "authorized", &cur);
	if (r < 0)
		return storage_gone(r)
			       ? -ENODEV
			       : log_error_errno(r, "Cannot read %s/authorized: %m", t->syspath);
	if (want == (cur != 0))
		return 0;
	if (!want && !can_deauthorize(dev)) {
		t->limit =
			"it was authorised before vakt decided, and this domain cannot de-authorise "
			"(deauthorization is not 1): it stays connected until unplugged";
		t->result = "not-enforced";
		return 0;
	}
	r = usbsys_write_attr(t->syspath, "authorized", want ? "1" : "0");
	if (r < 0) {
		if (access(t->syspath, F_OK) < 0)
			return -ENODEV;
		/* Not authorised: the policy's allow failed. Not de-authorised: it stays. */
		t->result = want ? "failure" : "not-enforced";
		t->effective = STORAGE_ACTION_BLOCK;
		log_error_errno(r,
				"Cannot %s Thunderbolt device %s: %m",
				want ? "authorise" : "de-authorise",
				t->syspath);
		t->limit =
			want ? "vaktd could not authorise it" : "vaktd could not de-authorise it";
	}
	(void)s;
	return 0;
}
