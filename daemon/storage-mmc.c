/*
 * SD cards in readers that are not USB devices (a PCIe sdhci or rtsx_pci reader built into a
 * laptop), decided by the storage policy like a USB storage device.
 *
 * The kernel has no authorisation for mmc cards: a card is added to the mmc bus when it is
 * inserted, and the bus binds its block driver (mmcblk) right after the "add" uevent -- before
 * udevd or vaktd hear of it -- unless the bus's drivers_autoprobe is 0. That switch is the mmc door
 * (drivers/base/bus.c): vakt closes it (conf/udev/59-vakt-door.rules, vakt-door.service, and
 * vaktd at start in enforce mode), so a new card stays unbound -- no mmcblk disk, nothing to read
 * or write -- until vaktd decides:
 *   allow      the card is bound (/sys/bus/mmc/drivers_probe) and its disks are used as they are;
 *   read-only  RUNTIME_DIR/read-only/CARD is created first, so that the udev rule
 *              60-vakt-read-only.rules sets every disk of the card read-only while udevd processes
 *              its "add" (see storage_marker_create()), then the card is bound; vaktd sets and
 *              checks BLKROSET itself too, and re-binds a disk that was mounted read-write;
 *   block      the card stays unbound, or is unbound from its driver (DRIVER/unbind) when it was
 *              bound (found at start, allowed by an older policy): its disks disappear.
 * The mmc bus carries cards (drivers/mmc/core/bus.c, mmc_add_card()): memory cards (SD, SDcombo,
 * MMC) and SDIO cards (type SDIO: Wi-Fi, Bluetooth), whose functions are on the sdio bus with their
 * own drivers, which the door does not touch; no driver on the mmc bus binds an SDIO card (mmcblk
 * needs the block command class), so an SDIO card has nothing to decide and is not recorded as
 * storage. Other cards that are not decided here are bound at once: a built-in eMMC (type MMC: a
 * soldered system disk, never a card a person brings; the udev rule binds it even without vaktd)
 * and a card in a USB reader (rtsx_usb), which is bound when its USB function is authorised --
 * the USB device's decision covers it.
 *
 * Identity (drivers/mmc/core/bus.c and sd.c attributes): vendor = manfid, product = oemid (both as
 * 4 hex digits), serial = serial, name = name. These come from the card's CID register and are as
 * easily forged as a USB serial number.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "storage-usbsys.h"
#include "storage.h"
#include "udev-util.h"

#define MMC_BUS	 "/sys/bus/mmc"
#define ATTR_MAX ((size_t)4096)

bool storage_is_mmc_card(struct udev_device *d)
{
	const char *sub = udev_device_get_subsystem(d);

	return sub && streq(sub, "mmc");
}

/* The card's type attribute ("SD", "SDcombo", "MMC", ...), or NULL. Borrowed from d. */
static const char *card_type(struct udev_device *d)
{
	return udev_device_get_sysattr_value(d, "type");
}

/* Whether d is below a USB device (a USB card reader). */
static struct udev_device *usb_interface_above(struct udev_device *d)
{
	return udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_interface");
}

/* The name of the driver card is bound to, into buf; false when unbound. */
static bool bound_driver(const char *syspath, char *buf, size_t n)
{
	_cleanup_free_ char *link = NULL;
	char target[512];
	const char *slash;
	ssize_t k;

	if (asprintf(&link, "%s/driver", syspath) < 0)
		return false;
	k = readlink(link, target, sizeof(target) - 1);
	if (k <= 0)
		return false;
	target[k] = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (!*slash || streq(slash, ".") || streq(slash, "..") || strlen(slash) >= n)
		return false;
	(void)snprintf(buf, n, "%s", slash);
	return true;
}

static int bind_card(const char *name)
{
	return usbsys_write_attr(MMC_BUS, "drivers_probe", name);
}

static int unbind_card(const char *driver, const char *name)
{
	_cleanup_free_ char *dir = NULL;

	if (asprintf(&dir, MMC_BUS "/drivers/%s", driver) < 0)
		return -ENOMEM;
	return usbsys_write_attr(dir, "unbind", name);
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

int storage_mmc_identify(struct udev_device *dev, struct devid *ret_id)
{
	const char *syspath = udev_device_get_syspath(dev);
	struct devid id = { .bus = DEVID_BUS_MMC };
	const char *v;

	if (access(syspath, F_OK) < 0)
		return -ENODEV;
	v = udev_device_get_sysattr_value(dev, "manfid");
	if (v)
		(void)devid_parse_sysfs_hex16(v, id.vendor);
	v = udev_device_get_sysattr_value(dev, "oemid");
	if (v)
		(void)devid_parse_sysfs_hex16(v, id.product);
	if (string_attr(syspath, "serial", &id.serial) < 0 ||
	    string_attr(syspath, "name", &id.name) < 0)
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

int storage_mmc_enforce(struct storage *s, struct tracked_device *t, struct udev_device *dev)
{
	const char *name = udev_device_get_sysname(dev);
	char driver[256];
	bool bound = bound_driver(t->syspath, driver, sizeof(driver));
	bool want = t->effective != STORAGE_ACTION_BLOCK;
	int r;

	if (t->effective == STORAGE_ACTION_READ_ONLY) {
		r = storage_marker_create(s, name);
		if (r < 0) {
			/* Without the marker udev cannot make the disk read-only in time. */
			t->effective = STORAGE_ACTION_BLOCK;
			want = false;
			storage_log_failure(s, t, "prepare read-only access", r);
		}
	} else
		storage_marker_remove(s, name);

	if (want == bound)
		return 0;
	if (want) {
		r = bind_card(name);
		if (r < 0) {
			if (access(t->syspath, F_OK) < 0)
				return -ENODEV;
			t->effective = STORAGE_ACTION_BLOCK;
			storage_log_failure(s, t, "bind the card to its driver", r);
			return r;
		}
		return 0;
	}
	r = unbind_card(driver, name);
	if (r < 0) {
		if (access(t->syspath, F_OK) < 0)
			return -ENODEV;
		storage_log_failure(s, t, "unbind the card from its driver", r);
		return r;
	}
	return 0;
}

int storage_mmc_block_apply(struct storage *s, struct udev_device *blk, struct udev_device *card)
{
	const char *devnode = udev_device_get_devnode(blk);
	struct tracked_device *t;
	bool was_writable = false;
	dev_t devnum;
	int r;

	t = storage_find(s, udev_device_get_syspath(card));
	if (!t)
		/* Not decided yet (its card's uevent comes later), or not decided at all. */
		return storage_mmc_card_apply(s, card, STORAGE_HOTPLUG);
	if (!s->enforce)
		return 0;
	if (t->effective == STORAGE_ACTION_BLOCK) {
		/* Bound although blocked (someone bound it by hand): unbind it again. */
		_cleanup_(udev_device_unrefp) struct udev_device *c =
			udev_device_new_from_syspath(s->udev, t->syspath);

		return c ? storage_mmc_enforce(s, t, c) : 0;
	}
	if (t->effective != STORAGE_ACTION_READ_ONLY)
		return 0;
	r = usbsys_set_read_only(devnode, &was_writable);
	if (r < 0) {
		char driver[256];

		if (storage_gone(r))
			return 0;
		storage_log_failure(s, t, "set the disk read-only", r);
		t->effective = STORAGE_ACTION_BLOCK;
		if (bound_driver(t->syspath, driver, sizeof(driver)))
			(void)unbind_card(driver, udev_device_get_sysname(card));
		return 0;
	}
	storage_log_read_only(s, t, devnode, r == USBSYS_RO_SIMULATED ? "simulated" : "success");

	/* Mounted read-write before it was made read-only: the filesystem keeps writing through
	 * BLKROSET; unbind and bind again, the marker makes the new disk read-only. */
	devnum = udev_device_get_devnum(blk);
	if (was_writable && usbsys_block_mounted(major(devnum), minor(devnum))) {
		char driver[256];
		const char *name = udev_device_get_sysname(card);

		log_warning("Disk %s was mounted read-write; re-attaching it read-only.", devnode);
		if (bound_driver(t->syspath, driver, sizeof(driver)) &&
		    unbind_card(driver, name) >= 0)
			(void)bind_card(name);
	}
	return 0;
}

/* A card vakt does not decide: bound, unless it is below a USB function that is not authorised.
 */
static int bind_undecided(struct storage *s, struct udev_device *card)
{
	struct udev_device *intf = usb_interface_above(card);
	const char *name = udev_device_get_sysname(card);
	char driver[256];
	int cur = 0, r;

	if (!s->enforce || bound_driver(udev_device_get_syspath(card), driver, sizeof(driver)))
		return 0;
	if (intf &&
	    !(usbsys_read_int(udev_device_get_syspath(intf), "authorized", &cur) >= 0 && cur != 0))
		return 0;
	r = bind_card(name);
	if (r < 0 && !storage_gone(r))
		log_error_errno(r, "Cannot bind card %s to its driver: %m", name);
	return 0;
}

int storage_mmc_card_apply(struct storage *s, struct udev_device *card, enum storage_why why)
{
	const char *type = card_type(card);

	if (usb_interface_above(card))
		return bind_undecided(s, card);
	if (type && streq(type, "MMC")) {
		log_debug("Card %s is an eMMC (type MMC): built in, bound, not decided.",
			  udev_device_get_sysname(card));
		return bind_undecided(s, card);
	}
	if (type && streq(type, "SDIO")) {
		log_debug("Card %s is an SDIO card: no memory, nothing to decide.",
			  udev_device_get_sysname(card));
		return 0;
	}
	/* SD, SDcombo (memory and SDIO functions), and any type the kernel may add: decided
	 * (fail closed). */
	return storage_device_apply(s, card, why);
}

int storage_mmc_door(struct storage *s, bool closed, bool bind_waiting)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	struct udev_list_entry *item;
	int r;

	r = usbsys_write_attr(MMC_BUS, "drivers_autoprobe", closed ? "0" : "1");
	if (r < 0) {
		if (r != -ENOENT)
			log_error_errno(r,
					"Cannot %s the mmc door (" MMC_BUS
					"/drivers_autoprobe): %m",
					closed ? "close" : "open");
		return r;
	}
	if (closed || !bind_waiting)
		return 0;
	/* What the machine would have done without vakt: bind every card left waiting. */
	e = udev_enumerate_new(s->udev);
	if (!e || udev_enumerate_add_match_subsystem(e, "mmc") < 0 ||
	    udev_enumerate_scan_devices(e) < 0)
		return -ENOMEM;
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e))
	{
		const char *syspath = udev_list_entry_get_name(item);
		const char *name;
		char driver[256];

		if (!syspath || bound_driver(syspath, driver, sizeof(driver)))
			continue;
		name = strrchr(syspath, '/');
		if (name && bind_card(name + 1) < 0)
			log_warning("Cannot bind card %s to its driver.", name + 1);
	}
	return 0;
}
