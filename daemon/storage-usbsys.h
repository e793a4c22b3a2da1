#pragma once

/*
 * The kernel's USB authorisation and block read-only switches, as plain file and ioctl
 * operations on paths libudev hands out (so that umockdev's preload can redirect them in tests).
 *
 * Kernel interfaces used (Documentation/usb/authorization.rst):
 *   usbN/authorized_default            0: a new device on this controller stays unauthorised
 *                                      (no configuration set, no interfaces, no driver)
 *   usbN/interface_authorized_default  0: interfaces of a newly configured device are created
 *                                      unauthorised (no driver binds until authorised)
 *   DEVICE/authorized                  1 authorises the device (the kernel picks a configuration
 *                                      and creates its interfaces), 0 takes it away
 *   INTERFACE/authorized               1 authorises one interface, 0 unbinds and de-authorises it
 *   /sys/bus/usb/drivers_probe         writing an interface name probes drivers for it (needed
 *                                      after authorising an interface)
 *   /sys/module/usbcore/parameters/authorized_default
 *                                      the authorized_default a controller gets when it is added
 *                                      (usb_add_hcd() copies it): 0 closes the door of every
 *                                      controller added later (a dock) before its root hub even
 *                                      exists. There is no such parameter for interfaces.
 * These files are root-owned: root needs no capability to write them. Block devices are set
 * read-only with ioctl(BLKROSET), which needs CAP_SYS_ADMIN.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads all of syspath/attr (a binary attribute such as "descriptors") into a new buffer, which
 * has room for a NUL after the *ret_len bytes. Returns 0 with *ret_data (caller frees) and
 * *ret_len, or -errno (-ENOENT/-ENODEV: the device is gone; -EFBIG: larger than max bytes). */
int usbsys_read_attr(
	const char *syspath, const char *attr, size_t max, uint8_t **ret_data, size_t *ret_len);

/* Writes value to syspath/attr (no create). Returns 0 or -errno. */
int usbsys_write_attr(const char *syspath, const char *attr, const char *value);

/* Reads a small attribute as an integer. Returns 0 and *ret_value, or -errno (-ENOENT when absent).
 */
int usbsys_read_int(const char *syspath, const char *attr, int *ret_value);

/*
 * Closes the door of one controller (its root hub at roothub_syspath): authorized_default = 0 and,
 * where the kernel has it, interface_authorized_default = 0. Returns 1 when interface-level
 * authorisation is in force, 0 when only device-level is, or -errno when authorized_default could
 * not be written.
 */
int usbsys_close_door(const char *roothub_syspath);

/* Opens the door again (authorized_default = 1, interface_authorized_default = 1): used when the
 * storage part stops enforcing (observe mode, part switched off). Returns 0 or -errno. */
int usbsys_open_door(const char *roothub_syspath);

/* Sets usbcore's authorized_default, the door of controllers added from now on: closed (0) or
 * open (1). Returns 0 or -errno (-ENOENT: usbcore is not loaded, or under a test bed without it).
 */
int usbsys_set_new_controller_door(bool closed);

/* Authorises interface at syspath (sysname is its kernel name, e.g. "1-1:1.0") and asks the
 * kernel to probe drivers for it. Returns 0 or -errno of the authorisation (a missing
 * drivers_probe, as under umockdev, is not an error). */
int usbsys_authorize_interface(const char *syspath, const char *sysname);

enum usbsys_ro_result {
	USBSYS_RO_SET,	     /* BLKROSET done and BLKROGET confirms it */
	USBSYS_RO_SIMULATED, /* a umockdev test bed: the node is a plain file, nothing to set */
};

/*
 * Sets the block device node devnode read-only with ioctl(BLKROSET). When ret_was_writable is
 * non-NULL it receives whether the device was writable before. Returns an enum usbsys_ro_result or
 * -errno (-ENOENT/-ENXIO/-ENODEV: the device is gone).
 */
int usbsys_set_read_only(const char *devnode, bool *ret_was_writable);

/* Whether a filesystem in this mount namespace is mounted from block device major:minor. */
bool usbsys_block_mounted(unsigned major, unsigned minor);
