/*
 * The storage decision for one USB device, enforced through the kernel's USB authorisation and
 * block read-only switches, and its records.
 *
 * Order of events on real hardware, with the door closed (storage-part.c):
 *   1. usb_device "add": unauthorised, no interfaces in sysfs; its raw "descriptors" attribute
 *      still lists them. vakt identifies it, asks lib/policy and writes "authorized".
 *   2. usb_interface "add" (only once the device is authorised): created unauthorised where the
 *      kernel has interface authorisation; vakt authorises each one except a storage interface
 *      the verdict blocks, then asks the kernel to probe drivers for it.
 *   3. block "add" (disk, then partitions) once usb-storage/uas bound: for a read-only device,
 *      BLKROSET on each. See storage_marker_create() for how that beats automounters.
 *      A disk below a function judged harmless (a card reader bound by vendor and product, a
 *      device that lied) is not foreseen by its verdict: it is made read-only, recorded on the
 *      device, and the device is decided again (lib/policy.h, step 0): blocked.
 */

#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "logind.h"
#include "manager.h"
#include "notify-user.h"
#include "storage-usbsys.h"
#include "strv.h"
#include "udev-util.h"

#define DESCRIPTORS_MAX ((size_t)512 * 1024)
/* sysfs shows at most a page; a USB string descriptor is at most 126 UTF-16 characters. */
#define STRING_ATTR_MAX ((size_t)64 * 1024)

bool storage_gone(int r)
{
	return r == -ENOENT || r == -ENODEV || r == -ENXIO;
}

static bool gone(int r)
{
	return storage_gone(r);
}

const char *storage_kind_label(const struct tracked_device *t)
{
	return t->id.bus == DEVID_BUS_MMC	    ? "SD card"
	       : t->id.bus == DEVID_BUS_THUNDERBOLT ? "Thunderbolt device"
						    : "USB storage device";
}

struct tracked_device *storage_find(struct storage *s, const char *syspath)
{
	for (struct tracked_device *t = s->devices; t; t = t->next)
		if (streq(t->syspath, syspath))
			return t;
	return NULL;
}

static void tracked_free(struct tracked_device *t)
{
	if (!t)
		return;
	free(t->syspath);
	devid_done(&t->id);
	free(t->rule);
	storage_person_done(&t->person);
	free(t->disk_node);
	free(t->security);
	free(t);
}

void storage_forget_all(struct storage *s)
{
	while (s->devices) {
		struct tracked_device *t = s->devices;

		s->devices = t->next;
		tracked_free(t);
	}
}

/* ---- read-only markers ---------------------------------------------------------------------- */

/*
 * The read-only race. A block device node exists from the moment the kernel adds the disk, and
 * udisks (and every other libudev listener) hears of it as soon as udevd has run its rules for
 * that "add". vaktd itself only hears of it at that same moment, so its own BLKROSET alone would
 * race an automounter. The race is closed inside udevd instead: before vaktd authorises the
 * storage interface of a read-only device it creates RUNTIME_DIR/read-only/PORT, and the shipped
 * rule conf/udev/60-vakt-read-only.rules runs "blockdev --setro" as a PROGRAM match for every
 * block device below a USB device with such a marker. udevd runs that synchronously while
 * processing the block device's "add", before it applies the node's group permissions, creates
 * the /dev/disk/by-* links and broadcasts the event to udisks: no unprivileged process can open
 * the node, and no automounter knows of it, before it is read-only. Root can always undo
 * BLKROSET; that is outside what any policy daemon can prevent. vaktd then sets and checks the
 * same flag itself when the event reaches it (a second line, and the only one where the rule is
 * not installed), and blocks the interface if it cannot.
 */
static int marker_path(struct storage *s, const char *port, char **ret_path)
{
	if (!s->marker_dir || strchr(port, '/') || port[0] == '.')
		return -EINVAL;
	if (asprintf(ret_path, "%s/%s", s->marker_dir, port) < 0) {
		*ret_path = NULL;
		return -ENOMEM;
	}
	return 0;
}

int storage_marker_create(struct storage *s, const char *port)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = marker_path(s, port, &path);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	return fd < 0 ? -errno : 0;
}

void storage_marker_remove(struct storage *s, const char *port)
{
	_cleanup_free_ char *path = NULL;

	if (marker_path(s, port, &path) >= 0)
		(void)unlink(path);
}

void storage_markers_clear(struct storage *s)
{
	DIR *d;

	if (!s->marker_dir)
		return;
	d = opendir(s->marker_dir);
	if (!d)
		return;
	for (const struct dirent *de = readdir(d); de; de = readdir(d))
		if (de->d_name[0] != '.')
			(void)unlinkat(dirfd(d), de->d_name, 0);
	(void)closedir(d);
}

/* ---- identity and person -------------------------------------------------------------------- */

/* A string attribute (serial, product, ...) into *ret_value, sanitised; NULL when it cannot be
 * read. Read directly rather than through libudev, which would also lstat() and fstat() it and keep
 * a copy; like libudev's value, it ends at a NUL. Returns 0 or -ENOMEM. */
static int string_attr(const char *syspath, const char *attr, char **ret_value)
{
	_cleanup_free_ uint8_t *raw = NULL;
	size_t len = 0;
	int r;

	*ret_value = NULL;
	r = usbsys_read_attr(syspath, attr, STRING_ATTR_MAX, &raw, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	return devid_sanitize_string((const char *)raw, strnlen((const char *)raw, len), ret_value);
}

/* Fills *ret_id from sysfs. Returns 0, -ENODEV when the device is gone, or -ENOMEM. */
static int identify(struct udev_device *dev, struct devid *ret_id)
{
	const char *syspath = udev_device_get_syspath(dev);
	_cleanup_free_ struct devid_descriptors *d = NULL;
	_cleanup_free_ uint8_t *raw = NULL;
	struct devid id = { 0 };
	const char *v, *why = NULL;
	size_t len = 0;
	int cur = 0, r;

	r = usbsys_read_attr(syspath, "descriptors", DESCRIPTORS_MAX, &raw, &len);
	if (r < 0 && access(syspath, F_OK) < 0)
		return -ENODEV;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (r >= 0 && devid_parse_descriptors(raw, len, d, &why) >= 0)
		devid_set_descriptors(&id, d);
	else
		/* Fail closed: policy treats a device it cannot see into as storage. */
		log_warning("USB device %s has %s descriptors (%s); treating it as storage.",
			    syspath,
			    r < 0 ? "no readable" : "malformed",
			    why ? why : strerror(-r));

	/* The kernel's idVendor, idProduct and bDeviceClass are fields of the device descriptor
	 * that opens "descriptors": read apart only when those could not be parsed. */
	if (!id.descriptors_valid) {
		v = udev_device_get_sysattr_value(dev, "idVendor");
		if (v)
			(void)devid_parse_hex4(v, id.vendor);
		v = udev_device_get_sysattr_value(dev, "idProduct");
		if (v)
			(void)devid_parse_hex4(v, id.product);
		v = udev_device_get_sysattr_value(dev, "bDeviceClass");
		if (v)
			id.device_class = (uint8_t)strtoul(v, NULL, 16);
	}
	/* Authorised already: in use, whoever let it in (lib/policy.h, the keyboard decision). */
	id.authorized = usbsys_read_int(syspath, "authorized", &cur) >= 0 && cur != 0;
	if (string_attr(syspath, "serial", &id.serial) < 0 ||
	    string_attr(syspath, "manufacturer", &id.manufacturer) < 0 ||
	    string_attr(syspath, "product", &id.name) < 0)
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

/* ---- records -------------------------------------------------------------------------------- */

static const char *decision_name(enum storage_action a)
{
	return a == STORAGE_ACTION_ALLOW       ? "allow"
	       : a == STORAGE_ACTION_READ_ONLY ? "read-only"
					       : "block";
}

static enum event_id decision_event(enum storage_action a)
{
	return a == STORAGE_ACTION_ALLOW       ? EVENT_STORAGE_ALLOWED
	       : a == STORAGE_ACTION_READ_ONLY ? EVENT_STORAGE_READ_ONLY
					       : EVENT_STORAGE_BLOCKED;
}

static const char *person_label(const struct tracked_device *t)
{
	return t->person.present   ? t->person.user
	       : t->person.unknown ? "an unknown person (logind cannot be reached)"
				   : "nobody";
}

/* Begins a storage record of event id with the fields every one carries: device, person, rule,
 * mode. */
static void begin_record(struct storage *s,
			 const struct tracked_device *t,
			 enum event_id id,
			 struct log_event *e)
{
	log_event_begin(e, id);
	log_event_add(e, "VAKT_DEVICE_VENDOR_ID", t->id.vendor);
	log_event_add(e, "VAKT_DEVICE_PRODUCT_ID", t->id.product);
	log_event_add(e, "VAKT_DEVICE_SERIAL", t->id.serial);
	log_event_add(e, "VAKT_DEVICE_NAME", t->id.name);
	log_event_add(e, "VAKT_DEVICE_MANUFACTURER", t->id.manufacturer);
	log_event_add(e, "VAKT_DEVICE_PORT", t->id.port);
	log_event_add(e, "VAKT_DEVICE_SYSPATH", t->id.syspath);
	log_event_add(e, "VAKT_DEVICE_BUS", devid_bus_name(t->id.bus));
	log_event_add(e, "VAKT_THUNDERBOLT_SECURITY", t->security);
	if (t->id.descriptors_valid) {
		char classes[DEVID_CLASS_SUMMARY_MAX];

		log_event_add(e,
			      "VAKT_DEVICE_CLASSES",
			      devid_class_summary(&t->id.desc, classes, sizeof(classes)));
	}
	log_event_add(e, "VAKT_RULE", t->rule);
	log_event_add(e, "VAKT_SEAT", t->person.seat);
	/* Always there, so that the catalog can say who was at the seat, also "nobody". */
	log_event_add(e, "VAKT_PERSON", person_label(t));
	if (t->person.present) {
		log_event_add(e, "VAKT_USER", t->person.user);
		log_event_addf(e, "VAKT_UID", "%u", (unsigned)t->person.uid);
		log_event_add(e, "VAKT_SESSION", t->person.session);
		log_event_add(e, "VAKT_TTY", t->person.tty);
		log_event_add(e, "VAKT_REMOTE_HOST", t->person.remote_host);
	}
	log_event_add(e, "VAKT_MODE", s->enforce ? "enforce" : "observe");
}

static const char *device_label(const struct tracked_device *t)
{
	return t->id.name ? t->id.name : "unnamed";
}

/* Whether the device keeps functions that do not get the storage action (lib/policy.h). */
static bool composite(const struct storage *s, const struct tracked_device *t)
{
	return policy_keeps_other_functions(s->policy, &t->id, &t->verdict);
}

/* The decision record. result is NULL (done), "failure" or "observe". */
static void log_decision(struct storage *s, const struct tracked_device *t, const char *result)
{
	enum storage_action a = t->effective;
	bool observe = result && streq(result, "observe");
	bool disk = t->verdict.step == POLICY_STEP_DISK_BELOW_HARMLESS;
	struct log_event e;
	const char *what;

	what = a == STORAGE_ACTION_ALLOW       ? "allowed"
	       : a == STORAGE_ACTION_READ_ONLY ? "made read-only"
	       : composite(s, t)	       ? "blocked (its other functions stay usable)"
					       : "blocked";
	begin_record(s, t, decision_event(a), &e);
	log_event_add(&e, "VAKT_DECISION", decision_name(a));
	log_event_add(&e, "VAKT_REASON", t->verdict.reason);
	log_event_add(&e, "VAKT_LIMIT", t->limit);
	log_event_add(&e, "VAKT_RESULT", result ? result : "success");
	if (disk)
		log_event_add(&e, "VAKT_FILE", t->disk_node);
	if (t->verdict.step == POLICY_STEP_DISPENSATION)
		log_event_message(&e,
				  "%s%s '%s' (%s:%s) %s %s for %s at %s, as decided by %s%s%s.",
				  observe ? "Observe mode, nothing changed: " : "",
				  disk ? "USB device with an unexpected disk"
				       : storage_kind_label(t),
				  device_label(t),
				  t->id.vendor,
				  t->id.product,
				  observe ? "would have been" : "was",
				  what,
				  person_label(t),
				  t->person.seat,
				  t->rule ? t->rule : "a dispensation",
				  t->limit ? "; " : "",
				  t->limit ? t->limit : "");
	else {
		char place[512];

		log_event_message(
			&e,
			"%s%s '%s' (%s:%s) %s %s for %s at %s, as decided by '%s' (%s)%s%s.",
			observe ? "Observe mode, nothing changed: " : "",
			disk ? "USB device with an unexpected disk" : storage_kind_label(t),
			device_label(t),
			t->id.vendor,
			t->id.product,
			observe ? "would have been" : "was",
			what,
			person_label(t),
			t->person.seat,
			t->verdict.rule_name ? t->verdict.rule_name : "?",
			config_place_format(&t->verdict.place, place, sizeof(place)),
			t->limit ? "; " : "",
			t->limit ? t->limit : "");
	}
	log_event_end(&e);
}

/*
 * notify_user: tells the person at the seat that a device they just plugged in, or whose
 * dispensation ended, was blocked or made read-only. Not after a reload, a rescan, start-up or a
 * change of person: those are nothing the person just did. Not in observe mode (nothing was
 * done), and not at a locked seat (nobody is looking; the device is decided again at unlock).
 */
static void tell_person(struct storage *s, const struct tracked_device *t, enum storage_why why)
{
	const struct config *c = manager_config(s->manager);
	const struct logind_session *session;

	if (!s->enforce || !c->storage.notify_user || !t->person.present || t->person.locked ||
	    t->effective == STORAGE_ACTION_ALLOW)
		return;
	if (why != STORAGE_HOTPLUG && why != STORAGE_DISK && why != STORAGE_DISPENSATION)
		return;
	session = t->person.session ? logind_get_session(s->logind, t->person.session) : NULL;
	if (!session)
		return;
	notifier_tell(manager_notifier(s->manager),
		      &(struct notify_target){ .session = session->id,
					       .user = session->user,
					       .uid = session->uid,
					       .type = session->type,
					       .tty = session->tty },
		      &(struct notice_input){
			      .kind = t->effective == STORAGE_ACTION_READ_ONLY
					      ? NOTICE_STORAGE_READ_ONLY
					      : NOTICE_STORAGE_BLOCKED,
			      .device = device_label(t),
			      .policy_reference = config_policy_reference(c, EVENT_PART_STORAGE),
			      .contact = c->vakt.contact });
}

/* The keyboard record: the device is held back as a new keyboard at a locked or empty seat. */
static void log_input_held(struct storage *s, const struct tracked_device *t)
{
	struct log_event e;
	char place[512];

	config_place_format(&t->verdict.input_place, place, sizeof(place));
	begin_record(s, t, EVENT_INPUT_BLOCKED, &e);
	log_event_addf(&e, "VAKT_RULE", "keyboards_while_locked %s", place);
	log_event_add(&e, "VAKT_DECISION", "block");
	log_event_add(&e, "VAKT_REASON", t->verdict.input_reason);
	log_event_add(&e, "VAKT_RESULT", s->enforce ? "success" : "observe");
	log_event_message(
		&e,
		"%sUSB device '%s' (%s:%s), which can type, %s held back for %s at %s "
		"until the seat is unlocked, as decided by 'keyboards_while_locked' (%s).",
		s->enforce ? "" : "Observe mode, nothing changed: ",
		device_label(t),
		t->id.vendor,
		t->id.product,
		s->enforce ? "was" : "would have been",
		person_label(t),
		t->person.seat,
		place);
	log_event_end(&e);
}

/* A failed switch: the device ends up blocked. */
void storage_log_failure(struct storage *s, const struct tracked_device *t, const char *what, int r)
{
	struct log_event e;

	begin_record(s, t, EVENT_STORAGE_BLOCKED, &e);
	log_event_add(&e, "VAKT_DECISION", "block");
	log_event_addf(&e, "VAKT_REASON", "vaktd could not %s (%s)", what, strerror(-r));
	log_event_add(&e, "VAKT_RESULT", "failure");
	log_event_message(&e,
			  "%s '%s' (%s:%s) stays blocked: vaktd could not %s (%s).",
			  storage_kind_label(t),
			  device_label(t),
			  t->id.vendor,
			  t->id.product,
			  what,
			  strerror(-r));
	log_event_end(&e);
	log_error_errno(r, "Cannot %s for %s: %m", what, t->syspath);
}

static void log_failure(struct storage *s, const struct tracked_device *t, const char *what, int r)
{
	storage_log_failure(s, t, what, r);
}

/* ---- enforcement ---------------------------------------------------------------------------- */

/* Whether the device's controller creates interfaces unauthorised (interface_authorized_default
 * = 0): only then can vakt authorise a composite device and hold back its storage interface. */
static bool interface_level(struct udev_device *dev)
{
	for (struct udev_device *p = dev; p; p = udev_device_get_parent(p)) {
		const char *name = udev_device_get_sysname(p);
		int v;

		if (name && strncmp(name, "usb", 3) == 0)
			return usbsys_read_int(udev_device_get_syspath(p),
					       "interface_authorized_default",
					       &v) >= 0 &&
			       v == 0;
	}
	return false;
}

/* The configuration value and bInterfaceNumber of interface intf. Returns false when its number
 * cannot be read. */
static bool interface_place(struct udev_device *intf, uint8_t *ret_config, uint8_t *ret_number)
{
	struct udev_device *usb = udev_device_get_parent(intf);
	const char *cv = usb ? udev_device_get_sysattr_value(usb, "bConfigurationValue") : NULL;
	const char *num = udev_device_get_sysattr_value(intf, "bInterfaceNumber");

	if (!num)
		return false;
	*ret_config = cv ? (uint8_t)strtoul(cv, NULL, 10) : 0;
	*ret_number = (uint8_t)strtoul(num, NULL, 16);
	return true;
}

static enum storage_action
interface_action(struct storage *s, const struct tracked_device *t, struct udev_device *intf)
{
	struct policy_verdict v = t->verdict;
	uint8_t cv, number;

	if (!interface_place(intf, &cv, &number))
		return t->effective; /* unknown interface: treat as storage (fail closed) */
	v.action = t->effective;
	return policy_interface_action(s->policy, &t->id, &v, cv, number);
}

int storage_interface_apply(struct storage *s, struct udev_device *intf)
{
	struct udev_device *usb =
		udev_device_get_parent_with_subsystem_devtype(intf, "usb", "usb_device");
	const char *syspath = udev_device_get_syspath(intf);
	struct tracked_device *t;
	int cur = 1, r;

	if (!usb)
		return 0;
	t = storage_find(s, udev_device_get_syspath(usb));
	if (!t)
		/* Its device was not seen (yet): deciding it handles its interfaces too. */
		return storage_device_apply(s, usb, STORAGE_HOTPLUG);
	if (!s->enforce)
		return 0;

	r = usbsys_read_int(syspath, "authorized", &cur);
	if (r < 0 && gone(r) && access(syspath, F_OK) < 0)
		return 0;
	if (interface_action(s, t, intf) != STORAGE_ACTION_BLOCK) {
		if (cur != 0)
			return 0;
		r = usbsys_authorize_interface(syspath, udev_device_get_sysname(intf));
		if (r < 0 && !gone(r))
			log_error_errno(r, "Cannot authorise USB interface %s: %m", syspath);
		return 0;
	}
	if (cur == 0)
		return 0;
	/* Authorised although its storage is blocked (the door was open when it came): take the
	 * interface away, or the whole device when that fails. */
	r = usbsys_write_attr(syspath, "authorized", "0");
	if (r < 0 && !gone(r)) {
		log_failure(s, t, "de-authorise the storage interface", r);
		(void)usbsys_write_attr(t->syspath, "authorized", "0");
	}
	return 0;
}

void storage_log_read_only(struct storage *s,
			   const struct tracked_device *t,
			   const char *devnode,
			   const char *result)
{
	struct log_event e;

	begin_record(s, t, EVENT_STORAGE_READ_ONLY, &e);
	log_event_add(&e, "VAKT_DECISION", "read-only");
	/* The disk is read-only because the device's verdict is: the same why. */
	log_event_add(&e, "VAKT_REASON", t->verdict.reason);
	log_event_add(&e, "VAKT_FILE", devnode);
	log_event_add(&e, "VAKT_RESULT", result);
	log_event_message(&e,
			  "Disk %s of %s '%s' (%s:%s) is read-only%s.",
			  devnode,
			  storage_kind_label(t),
			  device_label(t),
			  t->id.vendor,
			  t->id.product,
			  streq(result, "simulated") ? " (simulated device, no ioctl possible)"
						     : "");
	log_event_end(&e);
}

static void log_read_only(struct storage *s,
			  const struct tracked_device *t,
			  const char *devnode,
			  const char *result)
{
	storage_log_read_only(s, t, devnode, result);
}

/*
 * A disk below a device or function judged harmless (policy_disk_expected() false): defence in
 * depth for what the classes could not see -- a driver matched by vendor and product (Realtek's
 * rtsx_usb, the usb-storage unusual-devices table) or a device that lied. The disk is made
 * read-only at once (as for a read-only device; the udev rule did it already where installed,
 * see policy_disks_read_only()), recorded on the device, and the device is decided again: the
 * verdict blocks the function the disk is below, or the whole device when that function cannot be
 * named or the kernel cannot take one interface away, and says why in storage.blocked.
 */
static int disk_below_harmless(struct storage *s,
			       struct tracked_device *t,
			       struct udev_device *usb,
			       const char *devnode,
			       int number)
{
	char *node;

	if (s->enforce) {
		int r = usbsys_set_read_only(devnode, NULL);

		if (r < 0 && !gone(r))
			log_warning_errno(
				r, "Cannot set unexpected disk %s read-only: %m", devnode);
	}
	log_warning("USB device %s has a disk %s below a function judged harmless%s.",
		    t->syspath,
		    devnode,
		    s->enforce ? "; blocking it" : "");
	devid_add_disk(&t->id, number);
	node = strdup(devnode);
	if (node) {
		free(t->disk_node);
		t->disk_node = node;
	}
	if (t->deciding) {
		t->disk_pending = true; /* storage_device_apply() is enumerating its disks */
		return 0;
	}
	return storage_device_apply(s, usb, STORAGE_DISK);
}

int storage_block_apply(struct storage *s, struct udev_device *blk)
{
	struct udev_device *usb =
		udev_device_get_parent_with_subsystem_devtype(blk, "usb", "usb_device");
	struct udev_device *intf =
		udev_device_get_parent_with_subsystem_devtype(blk, "usb", "usb_interface");
	const char *devnode = udev_device_get_devnode(blk);
	struct tracked_device *t;
	bool was_writable = false;
	uint8_t cv = 0, number = 0;
	int n = -1;
	dev_t devnum;
	int r;

	if (!usb) {
		struct udev_device *card =
			udev_device_get_parent_with_subsystem_devtype(blk, "mmc", NULL);

		return card && devnode ? storage_mmc_block_apply(s, blk, card) : 0;
	}
	if (!devnode)
		return 0;
	t = storage_find(s, udev_device_get_syspath(usb));
	if (!t)
		return storage_device_apply(s, usb, STORAGE_HOTPLUG);
	if (intf && interface_place(intf, &cv, &number))
		n = number;
	if (!policy_disk_expected(s->policy, &t->id, &t->verdict, cv, n))
		return disk_below_harmless(s, t, usb, devnode, n);
	/* Below no interface: the verdict holds the whole device back (policy_disk_expected()). */
	if (!s->enforce || !intf)
		return 0;
	if (interface_action(s, t, intf) == STORAGE_ACTION_BLOCK)
		return storage_interface_apply(s, intf);
	if (t->effective != STORAGE_ACTION_READ_ONLY)
		return 0;

	r = usbsys_set_read_only(devnode, &was_writable);
	if (r < 0) {
		if (gone(r))
			return 0;
		log_failure(s, t, "set the disk read-only", r);
		(void)usbsys_write_attr(udev_device_get_syspath(intf), "authorized", "0");
		return 0;
	}
	log_read_only(s, t, devnode, r == USBSYS_RO_SIMULATED ? "simulated" : "success");

	/* Made read-only only now, yet mounted (the policy became stricter, or it was mounted
	 * before vaktd ran): a mounted filesystem keeps writing through BLKROSET, so detach the
	 * storage interface and let it come back read-only; the marker is in place. */
	devnum = udev_device_get_devnum(blk);
	if (was_writable && usbsys_block_mounted(major(devnum), minor(devnum))) {
		const char *ip = udev_device_get_syspath(intf);

		log_warning("Disk %s was mounted read-write; re-attaching it read-only.", devnode);
		if (usbsys_write_attr(ip, "authorized", "0") >= 0)
			(void)usbsys_authorize_interface(ip, udev_device_get_sysname(intf));
	}
	return 0;
}

/* Authorises or de-authorises the device itself. Returns 0, or -errno after logging. */
static int enforce_device(struct storage *s, struct tracked_device *t, struct udev_device *dev)
{
	bool blocked, want;
	int cur = 0, r;

	if (policy_disks_read_only(&t->verdict, t->effective)) {
		r = storage_marker_create(s, t->id.port);
		if (r < 0 && t->verdict.storage && t->effective == STORAGE_ACTION_READ_ONLY) {
			/* Without the marker udev cannot make the disk read-only in time. */
			t->effective = STORAGE_ACTION_BLOCK;
			log_failure(s, t, "prepare read-only access", r);
		} else if (r < 0)
			/* Defence in depth only: vaktd still sets any disk read-only itself. */
			log_debug_errno(
				r, "Cannot create the read-only marker of %s: %m", t->syspath);
	} else
		storage_marker_remove(s, t->id.port);
	blocked = t->verdict.storage && t->effective == STORAGE_ACTION_BLOCK;
	/* A keyboard held back stays unauthorised as a whole, whatever its storage verdict. */
	want = !t->verdict.input_held && (!blocked || (composite(s, t) && interface_level(dev)));

	r = usbsys_read_int(t->syspath, "authorized", &cur);
	if (r < 0)
		return gone(r) ? -ENODEV
			       : log_error_errno(r, "Cannot read %s/authorized: %m", t->syspath);
	if (want == (cur != 0))
		return 0;
	/* cur != 0 && !want: authorised before (door open, or allowed by an older policy) and no
	 * longer allowed: the policy wins, the device is taken away. */
	r = usbsys_write_attr(t->syspath, "authorized", want ? "1" : "0");
	if (r < 0) {
		if (gone(r))
			return -ENODEV;
		if (want && t->verdict.storage) {
			t->effective = STORAGE_ACTION_BLOCK;
			log_failure(s, t, "authorise the device", r);
			return r;
		}
		return log_error_errno(r,
				       "Cannot %s USB device %s: %m",
				       want ? "authorise" : "de-authorise",
				       t->syspath);
	}
	return 0;
}

static int
tracked_new(struct storage *s, struct udev_device *dev, struct tracked_device **ret_device)
{
	struct tracked_device *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->syspath = strdup(udev_device_get_syspath(dev));
	if (!t->syspath) {
		free(t);
		return -ENOMEM;
	}
	t->next = s->devices;
	s->devices = t;
	*ret_device = t;
	return 0;
}

static void remove_tracked(struct storage *s, struct tracked_device *t)
{
	for (struct tracked_device **p = &s->devices; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			tracked_free(t);
			return;
		}
}

/*
 * Identity, the person at its seat and the verdict for dev into t (replacing what t held). The
 * person comes from logind's table (no bus call): the device does not wait for logind.
 */
static int decide(struct storage *s, struct udev_device *dev, struct tracked_device *t)
{
	struct storage_person person;
	struct policy_person pp;
	struct devid id;
	char place[512];
	char *rule = NULL;
	int r;

	r = storage_is_mmc_card(dev)		 ? storage_mmc_identify(dev, &id)
	    : storage_is_thunderbolt_device(dev) ? storage_tb_identify(dev, &id)
						 : identify(dev, &id);
	if (r < 0)
		return r;
	r = storage_person_lookup(s, storage_device_seat(dev), &person);
	if (r < 0) {
		devid_done(&id);
		return r;
	}
	devid_keep_disks(&id, &t->id);
	devid_done(&t->id);
	t->id = id;
	storage_person_done(&t->person);
	t->person = person;
	storage_person_to_policy(&t->person, &pp);
	if (policy_wants_seat_keyboard(s->policy, &t->id, &pp)) {
		r = storage_seat_has_keyboard(s, t->person.seat, t->syspath, &pp.seat_has_keyboard);
		if (r < 0) {
			/* Unknown: say there is one. The worst case is a keyboard held back until
			 * the seat is unlocked, never a door left open. */
			log_warning_errno(r,
					  "Cannot list the keyboards of %s, assuming one: %m",
					  t->person.seat);
			pp.seat_has_keyboard = true;
		}
	}
	(void)policy_decide(s->policy, &t->id, &pp, &t->verdict);
	if (t->verdict.dispensation) {
		/* The verdict borrows the dispensation from a list that changes: named here, and
		 * not kept. */
		if (asprintf(&rule,
			     "dispensation %s (ticket %s, granted by %s)",
			     t->verdict.dispensation->id,
			     t->verdict.dispensation->ticket,
			     t->verdict.dispensation->granted_by) < 0)
			rule = NULL;
		t->verdict.dispensation = NULL;
	} else if (asprintf(&rule,
			    "%s %s",
			    t->verdict.rule_name ? t->verdict.rule_name : "?",
			    config_place_format(&t->verdict.place, place, sizeof(place))) < 0)
		rule = NULL;
	free(t->rule);
	t->rule = rule;
	return 0;
}

/* storage_device_apply() once; *ret_again when a disk below a function judged harmless was found
 * while enumerating the device's disks: the device is to be decided again. */
static int
device_apply_once(struct storage *s, struct udev_device *dev, enum storage_why why, bool *ret_again)
{
	struct tracked_device *t = storage_find(s, udev_device_get_syspath(dev));
	bool known = t != NULL, changed;
	enum storage_action before = t ? t->effective : STORAGE_ACTION_BLOCK;
	bool was_storage = t && t->verdict.storage;
	bool was_held = t && t->verdict.input_held;
	int r;

	if (!t && tracked_new(s, dev, &t) < 0)
		return log_error_errno(-ENOMEM, "Out of memory.");
	r = decide(s, dev, t);
	if (r < 0) {
		if (r != -ENODEV)
			log_error_errno(
				r, "Cannot identify USB device %s, ignoring: %m", t->syspath);
		else
			log_debug("USB device %s vanished before it was decided.", t->syspath);
		remove_tracked(s, t);
		return 0;
	}
	t->effective = t->verdict.storage ? t->verdict.action : STORAGE_ACTION_ALLOW;
	if (t->id.bus == DEVID_BUS_THUNDERBOLT) {
		/* May turn read-only into block: a PCIe tunnel cannot be made read-only. */
		r = storage_tb_enforce(s, t, dev, s->enforce);
		changed = !known || before != t->effective;
		if (r == -ENODEV) {
			remove_tracked(s, t);
			return 0;
		}
		if (changed || why == STORAGE_SEAT) {
			log_decision(s, t, s->enforce ? t->result : "observe");
			tell_person(s, t, why);
		}
		return 0;
	}
	changed = !known || before != t->effective || was_storage != t->verdict.storage;

	if (s->enforce && t->id.bus == DEVID_BUS_MMC) {
		r = storage_mmc_enforce(s, t, dev);
		if (r == -ENODEV) {
			remove_tracked(s, t);
			return 0;
		}
	} else if (s->enforce) {
		r = enforce_device(s, t, dev);
		if (r == -ENODEV) {
			log_debug("USB device %s vanished while being decided.", t->syspath);
			remove_tracked(s, t);
			return 0;
		}
	}
	if (r < 0)
		return 0; /* logged, and recorded for storage devices */
	if (s->enforce && t->id.bus == DEVID_BUS_USB)
		(void)storage_foreach_device(
			s, dev, "usb", "usb_interface", storage_interface_apply);
	/* Also in observe mode: a disk below a function judged harmless is recorded. One found
	 * now is decided right after this enumeration, not from inside it: see
	 * disk_below_harmless(). */
	t->deciding = true;
	(void)storage_foreach_device(s, dev, "block", NULL, storage_block_apply);
	t->deciding = false;
	if (t->disk_pending) {
		t->disk_pending = false;
		*ret_again = true;
		return 0;
	}

	if (t->verdict.input_held && (!known || !was_held || why == STORAGE_SEAT))
		log_input_held(s, t);
	else if (was_held && !t->verdict.input_held)
		log_info(
			"USB device '%s' (%s:%s) is no longer held back as a keyboard: %s is at %s.",
			device_label(t),
			t->id.vendor,
			t->id.product,
			person_label(t),
			t->person.seat);

	if (!t->verdict.storage) {
		if (!known)
			log_info("USB device '%s' (%s:%s) at %s has no storage function%s.",
				 device_label(t),
				 t->id.vendor,
				 t->id.product,
				 t->id.port,
				 s->enforce && !t->verdict.input_held ? " and is authorised" : "");
		return 0;
	}
	/* A reload or rescan that changes nothing for a device records nothing; another person at
	 * the seat is always recorded, as the device is now theirs, and so is a disk that appeared
	 * below a function judged harmless, whatever the verdict was before. */
	if (changed || why == STORAGE_SEAT || why == STORAGE_DISK) {
		log_decision(s, t, s->enforce ? NULL : "observe");
		tell_person(s, t, why);
	}
	return 0;
}

int storage_device_apply(struct storage *s, struct udev_device *dev, enum storage_why why)
{
	/* Each round that asks for another has recorded one more disk on the device, and a
	 * recorded disk is expected the next time: this ends. */
	for (;;) {
		bool again = false;
		int r = device_apply_once(s, dev, why, &again);

		if (!again)
			return r;
		why = STORAGE_DISK;
	}
}

void storage_device_removed(struct storage *s, const char *syspath)
{
	struct tracked_device *t = storage_find(s, syspath);

	if (!t)
		return;
	storage_marker_remove(s, t->id.port);
	if (t->verdict.storage) {
		struct log_event e;

		begin_record(s, t, EVENT_STORAGE_REMOVED, &e);
		log_event_add(&e, "VAKT_DECISION", decision_name(t->effective));
		log_event_message(&e,
				  "%s '%s' (%s:%s) was %s %s.",
				  storage_kind_label(t),
				  device_label(t),
				  t->id.vendor,
				  t->id.product,
				  t->id.bus == DEVID_BUS_USB ? "unplugged from port"
							     : "removed from",
				  t->id.port);
		log_event_end(&e);
	}
	remove_tracked(s, t);
}

/* ---- another person at the seat ------------------------------------------------------------- */

/*
 * Rights belong to the person at the seat, not to the device. When logind's table shows another
 * person at a device's seat, nobody, or the same person back from a lock, the present storage
 * devices there are decided again, enforced and recorded like new ones, as far as
 * policy_redecide_on_seat_change() says (lib/policy.h has the rule and why a lock alone changes
 * nothing); so are devices held back as keyboards, and those also when a keyboard left
 * (policy_redecide_on_keyboard_gone()). Changes come in bursts (a login changes several
 * properties, an unplugged keyboard removes several input devices): the work runs once,
 * RESEAT_DELAY_USEC after the first, when udev has also dropped what went away.
 */
#define RESEAT_DELAY_USEC (50 * USEC_PER_MSEC)

static void reseat_one(struct storage *s, const char *syspath, bool keyboard_gone)
{
	_cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
	struct tracked_device *t = storage_find(s, syspath);
	struct storage_person now;
	struct policy_person then_pp, now_pp;
	bool seat, keyboard;

	if (!t || storage_person_lookup(s, t->person.seat, &now) < 0)
		return;
	storage_person_to_policy(&t->person, &then_pp);
	storage_person_to_policy(&now, &now_pp);
	seat = policy_redecide_on_seat_change(&t->verdict, &then_pp, &now_pp);
	keyboard = keyboard_gone && policy_redecide_on_keyboard_gone(&t->verdict);
	storage_person_done(&now);
	if (!seat && !keyboard)
		return;
	dev = udev_device_new_from_syspath(s->udev, syspath);
	if (!dev)
		return; /* gone: its remove uevent follows */
	(void)storage_device_apply(s, dev, seat ? STORAGE_SEAT : STORAGE_KEYBOARD);
}

static int on_reseat(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct storage *s = userdata;
	_cleanup_strv_free_ char **paths = NULL;
	bool keyboard_gone = s->keyboard_gone;

	(void)source;
	(void)usec;
	s->reseat = sd_event_source_unref(s->reseat);
	s->keyboard_gone = false;
	/* Copied first: deciding may forget a device that vanished meanwhile. Which devices are
	 * decided again is policy_redecide_on_seat_change()'s call, in reseat_one(). */
	for (const struct tracked_device *t = s->devices; t; t = t->next)
		if (strv_extend(&paths, t->syspath) < 0) {
			log_error_errno(-ENOMEM, "Cannot look at the seat again, ignoring: %m");
			return 0;
		}
	STRV_FOREACH (p, paths)
		reseat_one(s, *p, keyboard_gone);
	return 0;
}

void storage_keyboard_gone(struct storage *s)
{
	s->keyboard_gone = true;
	storage_seat_changed(s);
}

void storage_seat_changed(struct storage *s)
{
	int r;

	if (s->reseat)
		return;
	r = sd_event_add_time_relative(manager_event(s->manager),
				       &s->reseat,
				       CLOCK_MONOTONIC,
				       RESEAT_DELAY_USEC,
				       0,
				       on_reseat,
				       s);
	if (r < 0)
		log_warning_errno(r, "Cannot look at the seat again, ignoring: %m");
}
