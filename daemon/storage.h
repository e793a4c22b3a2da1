#pragma once

/*
 * Internal to the storage part: storage-part.c (the part, the udev monitor and the enumeration of
 * devices), storage-door.c (the USB door), storage-device.c (the decision for one device, its
 * interfaces and block devices, and the records), storage-usbsys.c (the kernel's switches) and
 * storage-person.c (the person at the seat, from logind's table), storage-mmc.c (SD cards in
 * readers that are not USB devices, and the mmc door) and storage-thunderbolt.c (Thunderbolt/USB4
 * devices, through the kernel's Thunderbolt authorisation).
 */

#include <libudev.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "devid.h"
#include "dispensation.h"
#include "policy.h"

struct logind;
struct manager;
struct storage;

/* The person at a seat, as a storage decision sees them. Strings are owned (NULL when unknown);
 * storage_person_done() frees them. */
struct storage_person {
	bool present; /* an active session of class "user" is on the seat */
	bool locked;  /* its LockedHint */
	bool unknown; /* logind's table is unknown (logind unreachable): nobody, fail closed */
	char *user;
	uid_t uid;
	char *session;
	char *seat; /* the seat looked at (always set) */
	char *tty;
	char *remote_host;
	char **groups; /* strv, primary group first; NULL when NSS does not know the user */
};

void storage_person_done(struct storage_person *p);

/* The person at seat_id (borrowed; NULL or "" = "seat0") from s's logind table into
 * *ret_person (caller calls storage_person_done()). Returns 0 or -ENOMEM. */
int storage_person_lookup(struct storage *s,
			  const char *seat_id,
			  struct storage_person *ret_person);

/* p as lib/policy sees it; *ret borrows p's strings. seat_has_keyboard is left false. */
void storage_person_to_policy(const struct storage_person *p, struct policy_person *ret);

/* ID_SEAT of dev or of its nearest parent that has one (udev's 71-seat.rules), else "seat0".
 * Borrowed from dev. */
const char *storage_device_seat(struct udev_device *dev);

/*
 * Whether seat (borrowed) has a working keyboard: an input device that udev's input_id marks
 * ID_INPUT_KEYBOARD=1 on that seat, whatever its bus (built in, PS/2, Bluetooth, USB), except
 * those below except_syspath (the device being decided; may be NULL). Returns 0 and *ret, or
 * -errno when the enumeration failed.
 */
int storage_seat_has_keyboard(struct storage *s,
			      const char *seat,
			      const char *except_syspath,
			      bool *ret);

/* A device vakt has decided: a USB device, an SD card (id.bus DEVID_BUS_MMC) or a Thunderbolt
 * device (DEVID_BUS_THUNDERBOLT). Its verdict borrows from the policy's config; every reload
 * re-decides every tracked device, so the borrow never outlives its config. */
struct tracked_device {
	struct tracked_device *next;
	char *syspath;
	struct devid id;
	struct policy_verdict verdict;
	enum storage_action effective; /* what is enforced on its storage interfaces */
	char *rule;		       /* "NAME FILE:LINE", kept for storage.removed */
	struct storage_person person;  /* at decision time */
	char *disk_node;   /* the last disk that appeared below a function judged harmless */
	bool deciding;	   /* storage_device_apply() is enumerating its disks */
	bool disk_pending; /* ... and found one below a function judged harmless */
	/* Thunderbolt only: the domain's security level (owned; NULL when it cannot be read), what
	 * vakt can and cannot do at that level (static English, NULL when it enforces the verdict)
	 * and the record's VAKT_RESULT when not "success" (static). */
	char *security;
	const char *limit;
	const char *result;
};

struct storage {
	struct manager *manager;
	struct udev *udev;
	struct udev_monitor *monitor;
	sd_event_source *source;
	struct policy *policy;
	struct logind *logind;	 /* the manager's, borrowed */
	sd_event_source *reseat; /* pending storage_seat_changed() work */
	bool keyboard_gone;	 /* ... and a keyboard left a seat since */
	struct tracked_device *devices;
	char *marker_dir; /* RUNTIME_DIR/read-only: see storage_marker_create() */
	bool enforce;
	/* The written dispensations (storage-dispensation.h), given to policy. */
	struct dispensation_list dispensations;
	char *dispensations_path; /* STATE_DIR/dispensations */
	sd_event_source *expiry;  /* CLOCK_REALTIME, at the first not_after */
};

enum storage_why {
	STORAGE_HOTPLUG,      /* an add uevent */
	STORAGE_COLDPLUG,     /* present at start */
	STORAGE_RELOAD,	      /* the policy changed */
	STORAGE_RESCAN,	      /* after lost uevents */
	STORAGE_SEAT,	      /* another person (or nobody) is now at its seat */
	STORAGE_DISK,	      /* a disk appeared below a function judged harmless */
	STORAGE_KEYBOARD,     /* a keyboard left its seat (it was held back as one) */
	STORAGE_DISPENSATION, /* a dispensation was granted, revoked or expired */
};

typedef int (*storage_device_fn)(struct storage *s, struct udev_device *d);

/*
 * The one enumeration of devices: calls fn on every device of subsystem (and DEVTYPE devtype,
 * unless NULL) below parent (everywhere when parent is NULL; parent itself excluded), parents
 * before children (libudev sorts by syspath). Goes on after a failing fn and returns the first
 * failure, 0, or -errno when the enumeration itself failed.
 */
int storage_foreach_device(struct storage *s,
			   struct udev_device *parent,
			   const char *subsystem,
			   const char *devtype,
			   storage_device_fn fn);

/* Decides a usb_device (not a root hub) and enforces the decision on it and on its present
 * interfaces and block devices. Logs its own errors; returns 0. */
int storage_device_apply(struct storage *s, struct udev_device *dev, enum storage_why why);

/* A usb_interface appeared: authorise it or not, per its device's decision. Returns 0. */
int storage_interface_apply(struct storage *s, struct udev_device *intf);

/* A block device (disk or partition) appeared: read-only when its USB device is; read-only and
 * blocked when it appeared below a function judged harmless. Returns 0. */
int storage_block_apply(struct storage *s, struct udev_device *blk);

/* A usb_device went away: storage.removed for a storage device, forget it. */
void storage_device_removed(struct storage *s, const char *syspath);

/* Forgets every tracked device (no records). */
void storage_forget_all(struct storage *s);

struct tracked_device *storage_find(struct storage *s, const char *syspath);

/*
 * A seat's person may have changed (logind's table changed, or became known or unknown). Soon
 * after (changes come in bursts), every present storage device, or device held back as a
 * keyboard, whose seat now shows another person, nobody, or its person unlocked, is decided again
 * (policy_redecide_on_seat_change()); see storage-device.c.
 */
void storage_seat_changed(struct storage *s);

/*
 * A keyboard (an input device) went away: soon after, every device held back as a keyboard is
 * decided again (policy_redecide_on_keyboard_gone()), with the work of storage_seat_changed().
 */
void storage_keyboard_gone(struct storage *s);

/* ---- shared with storage-mmc.c and storage-thunderbolt.c (storage-device.c) ---- */

/* -ENOENT, -ENODEV, -ENXIO: the device went away. */
bool storage_gone(int r);

/* "USB storage device", "SD card" or "Thunderbolt device": how records name t. */
const char *storage_kind_label(const struct tracked_device *t);

/* A failed switch for t: storage.blocked with VAKT_RESULT failure, saying what could not be done,
 * and an error in the log. */
void storage_log_failure(struct storage *s,
			 const struct tracked_device *t,
			 const char *what,
			 int r);

/* storage.read_only for disk devnode of t; result "success" or "simulated". */
void storage_log_read_only(struct storage *s,
			   const struct tracked_device *t,
			   const char *devnode,
			   const char *result);

/* RUNTIME_DIR/read-only/PORT (a USB port, or an SD card's kernel name), read by
 * conf/udev/60-vakt-read-only.rules: created or removed. */
int storage_marker_create(struct storage *s, const char *port);
void storage_marker_remove(struct storage *s, const char *port);

/* ---- SD cards (storage-mmc.c) ---- */

/*
 * An mmc card appeared (or is found at start, or the policy changed): an SD card in a reader that
 * is not a USB device is decided (storage_device_apply()); a card below a USB device (rtsx_usb) is
 * bound to its driver when that USB function is authorised (the USB device's decision covers it);
 * a built-in eMMC (type MMC) is bound, never decided. Returns 0.
 */
int storage_mmc_card_apply(struct storage *s, struct udev_device *card, enum storage_why why);

/* Fills *ret_id for SD card dev. Returns 0, -ENODEV when gone, or -ENOMEM. */
int storage_mmc_identify(struct udev_device *dev, struct devid *ret_id);

/* Enforces t's decision on card dev: bound to its block driver (allow, read-only) or not (block).
 * Returns 0, -ENODEV when gone, or another -errno after recording it. */
int storage_mmc_enforce(struct storage *s, struct tracked_device *t, struct udev_device *dev);

/* A block device below SD card card (not below USB) appeared. Returns 0. */
int storage_mmc_block_apply(struct storage *s, struct udev_device *blk, struct udev_device *card);

/*
 * The mmc door: /sys/bus/mmc/drivers_autoprobe. Closed (0), no driver binds a new card by itself
 * and vakt binds what the policy lets in; open (1), the kernel binds every card. With
 * bind_waiting (opening at start), every card left unbound is bound. Returns 0 or -errno
 * (-ENOENT: no mmc bus, nothing to do).
 */
int storage_mmc_door(struct storage *s, bool closed, bool bind_waiting);

/* Whether d is an mmc card (subsystem mmc). */
bool storage_is_mmc_card(struct udev_device *d);

/* ---- Thunderbolt (storage-thunderbolt.c) ---- */

/* Whether d is a Thunderbolt device vakt decides: a thunderbolt_device with an "authorized"
 * attribute that is not a host router. */
bool storage_is_thunderbolt_device(struct udev_device *d);

/* Fills *ret_id for Thunderbolt device dev. Returns 0, -ENODEV when gone, or -ENOMEM. */
int storage_tb_identify(struct udev_device *dev, struct devid *ret_id);

/*
 * Reads the domain's security level into t and enforces t's decision where the level lets the
 * host decide (user, secure): authorized = 1 for allow; left 0 (written 0 where the kernel can
 * de-authorise) for block and read-only. Elsewhere writes nothing and sets t->limit and
 * t->result. In observe mode (enforce false) only reads. Returns 0 or -ENODEV when gone.
 */
int storage_tb_enforce(struct storage *s,
		       struct tracked_device *t,
		       struct udev_device *dev,
		       bool enforce);

/* Removes every read-only marker (at start: stale ones from an earlier run). */
void storage_markers_clear(struct storage *s);

/* ---- the USB door (storage-door.c) ---- */

/* Whether dev is a root hub (usbN): a controller, never decided as a device. */
bool storage_is_root_hub(struct udev_device *dev);

/*
 * Closes the door: usbcore's default for controllers added later, and every present root hub;
 * removes the marker that tells the udev rule to leave new root hubs open. Returns 0, or the first
 * -errno of a root hub that could not be closed (logged).
 */
int storage_door_close(struct storage *s);

/* Closes the door of d when it is a root hub (a controller that appeared). Returns 0 or -errno
 * (logged). */
int storage_door_close_one(struct storage *s, struct udev_device *d);

/*
 * Opens the door when storage is not enforced (observe, off): usbcore's default, every root hub,
 * and the marker for the udev rule. With authorize_waiting_devices (at start), also authorises the
 * devices and interfaces held at the door. s needs only its manager and udev. Logs its errors.
 */
void storage_door_open(struct storage *s, bool authorize_waiting_devices);

/* ---- for the control socket (control.c) ---- */

/* The storage part's state as manager_part_state() gives it. */
struct storage *storage_from_state(void *state);

/* The tracked devices: the first (prev NULL) or the one after prev; NULL at the end. */
const struct tracked_device *storage_tracked_next(struct storage *s,
						  const struct tracked_device *prev);

/* The tracked device whose syspath, sysname (1-2) or VID:PID[:SERIAL] (hex case-insensitive,
 * serial exact) is spec; NULL when none. -EEXIST in *ret_ambiguous when VID:PID matches more
 * than one device (then NULL). */
const struct tracked_device *
storage_tracked_find(struct storage *s, const char *spec, int *ret_error);

/* Every USB controller (root hub) into *ret: strv of "usbN" and its door ("closed" when
 * authorized_default is 0, "open" when 1 or 2, "unknown" when it cannot be read), alternating.
 * Returns 0, -ENOMEM or -EIO. */
int storage_door_states(struct storage *s, char ***ret);
