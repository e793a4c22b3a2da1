/*
 * The USB door: whether the kernel authorises a new USB device by itself (open) or leaves it
 * unauthorised -- no configuration, no interfaces, no driver -- until vaktd decides (closed).
 *
 * Three switches make the door (storage-usbsys.h has the kernel files):
 *   - usbcore's authorized_default parameter, copied by the kernel into every controller when it
 *     is added: controllers added later (a dock) are born closed;
 *   - each root hub's authorized_default: controllers already present;
 *   - each root hub's interface_authorized_default (Linux >= 4.4): interfaces of an authorised
 *     device are created unauthorised, so that a composite device's keyboard can be authorised
 *     and its storage interface held back. Only the root hub has this switch: a new controller
 *     creates its interfaces authorised until someone writes 0 there.
 *
 * The mmc door (/sys/bus/mmc/drivers_autoprobe, storage-mmc.c) is closed and opened with it.
 *
 * The door is closed before vaktd runs, whatever the policy: conf/udev/59-vakt-door.rules closes
 * every root hub and usbcore's parameter as udevd sees them appear, and systemd/vakt-door.service
 * closes them once early at boot (README, vaktd(8)). In enforce mode vaktd closes them again at
 * start, and closes every root hub that appears while it runs. These are kernel settings: they stay
 * as they are when vaktd stops, crashes or is killed, and vaktd deliberately restores nothing on
 * exit; new devices simply wait, and vaktd decides them when it starts again (coldplug).
 *
 * When the policy in force does not enforce storage (observe, or off), nothing would ever
 * authorise a device held at the door, not even a keyboard: vaktd then opens the door --
 * usbcore's parameter and every root hub -- and creates RUNTIME_DIR/usb-door-open, which tells
 * the udev rule to leave new root hubs open while this vaktd runs (the directory disappears with
 * the service). At start it also authorises the devices and interfaces that waited at the door,
 * which is what the machine would have done without vakt; a reload that switches enforcement off
 * opens the door and leaves present devices as they are.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "storage-usbsys.h"
#include "storage.h"
#include "strv.h"
#include "udev-util.h"

#define DOOR_OPEN_MARKER "usb-door-open"

bool storage_is_root_hub(struct udev_device *dev)
{
	const char *name = udev_device_get_sysname(dev);

	return name && strncmp(name, "usb", 3) == 0;
}

static bool gone(int r)
{
	return r == -ENOENT || r == -ENODEV || r == -ENXIO;
}

/* RUNTIME_DIR/usb-door-open: created (true) or removed (false). */
static void door_marker(struct storage *s, bool open_door)
{
	const char *runtime_dir = manager_options(s->manager)->runtime_dir;
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/" DOOR_OPEN_MARKER, runtime_dir) < 0) {
		path = NULL;
		log_error_errno(-ENOMEM, "Out of memory.");
		return;
	}
	if (!open_door) {
		if (unlink(path) < 0 && errno != ENOENT)
			log_warning_errno(-errno, "Cannot remove %s, ignoring: %m", path);
		return;
	}
	(void)mkdir(runtime_dir, 0755);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		log_warning_errno(
			-errno,
			"Cannot create %s; controllers added later keep a closed door: %m",
			path);
	else
		(void)close(fd);
}

/* usbcore's authorized_default: the door of controllers added from now on. */
static void door_new_controllers(bool closed)
{
	int r = usbsys_set_new_controller_door(closed);

	if (r == -ENOENT)
		log_debug("usbcore has no authorized_default parameter here (not loaded).");
	else if (r < 0)
		log_warning_errno(r,
				  "Cannot %s the USB door of controllers added later, ignoring: %m",
				  closed ? "close" : "open");
}

int storage_door_close_one(struct storage *s, struct udev_device *d)
{
	const char *syspath = udev_device_get_syspath(d);
	int r;

	(void)s;
	if (!storage_is_root_hub(d))
		return 0;
	r = usbsys_close_door(syspath);
	if (r < 0)
		return log_error_errno(r, "Cannot close the USB door of %s: %m", syspath);
	log_info("USB controller %s: new devices wait for vaktd%s.",
		 udev_device_get_sysname(d),
		 r > 0 ? ", and so do new interfaces" : " (no interface-level authorisation here)");
	return 0;
}

int storage_door_close(struct storage *s)
{
	door_marker(s, false);
	door_new_controllers(true);
	/* The mmc door (storage-mmc.c). Where it cannot be closed a card binds by itself, and
	 * vaktd unbinds it when it decides block: logged, not a reason not to start. */
	(void)storage_mmc_door(s, true, false);
	return storage_foreach_device(s, NULL, "usb", "usb_device", storage_door_close_one);
}

static int open_one(struct storage *s, struct udev_device *d)
{
	(void)s;
	if (storage_is_root_hub(d) && usbsys_open_door(udev_device_get_syspath(d)) < 0)
		log_warning("Cannot open the USB door of %s again, ignoring.",
			    udev_device_get_sysname(d));
	return 0;
}

/* A device or interface at the door (authorized = 0): authorised, and an interface probed. */
static int authorize_waiting(struct storage *s, struct udev_device *d)
{
	const char *syspath = udev_device_get_syspath(d);
	const char *devtype = udev_device_get_devtype(d);
	bool interface = devtype && strcmp(devtype, "usb_interface") == 0;
	int cur = 1, r;

	(void)s;
	if (storage_is_root_hub(d) || usbsys_read_int(syspath, "authorized", &cur) < 0 || cur != 0)
		return 0;
	r = interface ? usbsys_authorize_interface(syspath, udev_device_get_sysname(d))
		      : usbsys_write_attr(syspath, "authorized", "1");
	if (r < 0 && !gone(r))
		log_warning_errno(r, "Cannot authorise %s, ignoring: %m", syspath);
	else if (r >= 0)
		log_info("USB %s %s waited at the closed door and is authorised: storage is not "
			 "enforced.",
			 interface ? "interface" : "device",
			 udev_device_get_sysname(d));
	return 0;
}

void storage_door_open(struct storage *s, bool authorize_waiting_devices)
{
	door_marker(s, true);
	door_new_controllers(false);
	(void)storage_foreach_device(s, NULL, "usb", "usb_device", open_one);
	if (!authorize_waiting_devices) {
		(void)storage_mmc_door(s, false, false);
		return;
	}
	/* Devices first (parents before children): an authorised device's interfaces are then
	 * created authorised; interfaces created while the door was closed come after. */
	(void)storage_foreach_device(s, NULL, "usb", "usb_device", authorize_waiting);
	(void)storage_foreach_device(s, NULL, "usb", "usb_interface", authorize_waiting);
	/* Then the cards, those of USB readers authorised just now included. */
	(void)storage_mmc_door(s, false, true);
}

int storage_door_states(struct storage *s, char ***ret)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	_cleanup_strv_free_ char **l = NULL;
	struct udev_list_entry *item;

	e = udev_enumerate_new(s->udev);
	if (!e)
		return -ENOMEM;
	if (udev_enumerate_add_match_subsystem(e, "usb") < 0 ||
	    udev_enumerate_add_match_property(e, "DEVTYPE", "usb_device") < 0 ||
	    udev_enumerate_scan_devices(e) < 0)
		return -EIO;
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e))
	{
		_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
		const char *syspath = udev_list_entry_get_name(item);
		int v = -1;

		d = syspath ? udev_device_new_from_syspath(s->udev, syspath) : NULL;
		if (!d || !storage_is_root_hub(d))
			continue;
		if (usbsys_read_int(syspath, "authorized_default", &v) < 0)
			v = -1;
		if (strv_extend(&l, udev_device_get_sysname(d)) < 0 ||
		    strv_extend(&l,
				v < 0	 ? "unknown"
				: v == 0 ? "closed"
					 : "open") < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}
