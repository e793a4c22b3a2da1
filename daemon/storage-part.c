/*
 * The storage part: the udev monitor, coldplug, reload and re-enumeration. The USB door is in
 * storage-door.c, the per-device decision and its enforcement in storage-device.c.
 *
 * In enforce mode the part closes the door at start (it is usually closed already, by the udev
 * rule and vakt-door.service) and every controller that appears while it runs, then decides every
 * present device (coldplug) and every new one. In observe mode, and when the part is off, it opens
 * the door instead (storage-door.c says why) and writes nothing else: not a device, not a disk.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "logind.h"
#include "manager.h"
#include "part.h"
#include "storage-dispensation.h"
#include "storage-usbsys.h"
#include "storage.h"
#include "udev-util.h"

/* Kernel uevents come in bursts (a hub with many devices): a large receive buffer makes overflow
 * rare; when it happens anyway, on_monitor() re-enumerates. */
#define MONITOR_BUFFER_SIZE (16 * 1024 * 1024)

static enum config_mode storage_mode(const struct config *c)
{
	return c->storage.mode;
}

static int storage_capabilities(const struct config *c, cap_value_t ret_caps[8])
{
	/* Writing "authorized" and friends needs no capability: the files belong to root and vaktd
	 * runs as root. BLKROSET needs CAP_SYS_ADMIN. Observe mode only opens the door. */
	if (c->storage.mode != CONFIG_MODE_ENFORCE)
		return 0;
	ret_caps[0] = CAP_SYS_ADMIN;
	if (!c->storage.notify_user)
		return 1;
	/* notify_user: the child that tells the person becomes them (setgroups, setresgid,
	 * setresuid; notify-user.h). */
	ret_caps[1] = CAP_SETUID;
	ret_caps[2] = CAP_SETGID;
	return 3;
}

int storage_foreach_device(struct storage *s,
			   struct udev_device *parent,
			   const char *subsystem,
			   const char *devtype,
			   storage_device_fn fn)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	struct udev_list_entry *item;
	const char *parent_path = parent ? udev_device_get_syspath(parent) : NULL;
	int r = 0;

	e = udev_enumerate_new(s->udev);
	if (!e)
		return -ENOMEM;
	if ((parent && udev_enumerate_add_match_parent(e, parent) < 0) ||
	    udev_enumerate_add_match_subsystem(e, subsystem) < 0 ||
	    (devtype && udev_enumerate_add_match_property(e, "DEVTYPE", devtype) < 0) ||
	    udev_enumerate_scan_devices(e) < 0)
		return -EIO;
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e))
	{
		_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
		const char *syspath = udev_list_entry_get_name(item);
		int k;

		/* The parent matches its own filter: skipped before building a device for it. */
		if (!syspath || (parent_path && streq(syspath, parent_path)))
			continue;
		d = udev_device_new_from_syspath(s->udev, syspath);
		if (!d)
			continue;
		k = fn(s, d);
		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

static int for_each_usb_device(struct storage *s, storage_device_fn fn)
{
	return storage_foreach_device(s, NULL, "usb", "usb_device", fn);
}

static int coldplug_one(struct storage *s, struct udev_device *d)
{
	return storage_is_root_hub(d) ? 0 : storage_device_apply(s, d, STORAGE_COLDPLUG);
}

/* SD cards and Thunderbolt devices, each with why. */
static int other_buses(struct storage *s, enum storage_why why)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	struct udev_list_entry *item;
	int r = 0;

	e = udev_enumerate_new(s->udev);
	if (!e)
		return -ENOMEM;
	if (udev_enumerate_add_match_subsystem(e, "mmc") < 0 ||
	    udev_enumerate_add_match_subsystem(e, "thunderbolt") < 0 ||
	    udev_enumerate_scan_devices(e) < 0)
		return -EIO;
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e))
	{
		_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
		const char *syspath = udev_list_entry_get_name(item);

		d = syspath ? udev_device_new_from_syspath(s->udev, syspath) : NULL;
		if (!d)
			continue;
		if (storage_is_mmc_card(d))
			(void)storage_mmc_card_apply(s, d, why);
		else if (storage_is_thunderbolt_device(d))
			(void)storage_device_apply(s, d, why);
	}
	return r;
}

static int rescan_one(struct storage *s, struct udev_device *d)
{
	return storage_is_root_hub(d) ? 0 : storage_device_apply(s, d, STORAGE_RESCAN);
}

/* Forgets (with storage.removed) tracked devices whose sysfs directory is gone. */
static void forget_vanished(struct storage *s)
{
	struct tracked_device *next;

	for (struct tracked_device *t = s->devices; t; t = next) {
		struct stat st;

		next = t->next;
		if (stat(t->syspath, &st) < 0)
			storage_device_removed(s, t->syspath);
	}
}

/* After lost uevents: forget what went away, decide what came. */
static void rescan(struct storage *s)
{
	forget_vanished(s);
	if (for_each_usb_device(s, rescan_one) < 0 || other_buses(s, STORAGE_RESCAN) < 0)
		log_error("Cannot enumerate devices after lost uevents.");
}

static void dispatch(struct storage *s, struct udev_device *dev)
{
	const char *action = udev_device_get_action(dev);
	const char *subsystem = udev_device_get_subsystem(dev);
	const char *devtype = udev_device_get_devtype(dev);

	if (!action || !subsystem)
		return;
	/* Input devices have no DEVTYPE. A keyboard that goes may leave a held one the seat's
	 * only keyboard; which input devices are keyboards is looked at when deciding. */
	if (streq(subsystem, "input")) {
		if (streq(action, "remove"))
			storage_keyboard_gone(s);
		return;
	}
	if (streq(subsystem, "mmc")) {
		if (streq(action, "remove"))
			storage_device_removed(s, udev_device_get_syspath(dev));
		else if (streq(action, "add"))
			(void)storage_mmc_card_apply(s, dev, STORAGE_HOTPLUG);
		return;
	}
	if (streq(subsystem, "thunderbolt")) {
		if (streq(action, "remove"))
			storage_device_removed(s, udev_device_get_syspath(dev));
		else if ((streq(action, "add") || streq(action, "change")) &&
			 storage_is_thunderbolt_device(dev))
			/* change: someone else (boltd) may have authorised it. */
			(void)storage_device_apply(
				s, dev, streq(action, "add") ? STORAGE_HOTPLUG : STORAGE_RESCAN);
		return;
	}
	if (!devtype)
		return;
	if (streq(subsystem, "block")) {
		if ((streq(action, "add") || streq(action, "change")) &&
		    (streq(devtype, "disk") || streq(devtype, "partition")))
			(void)storage_block_apply(s, dev);
		return;
	}
	if (streq(devtype, "usb_interface")) {
		if (streq(action, "add"))
			(void)storage_interface_apply(s, dev);
		return;
	}
	if (!streq(devtype, "usb_device"))
		return;
	if (streq(action, "remove")) {
		storage_device_removed(s, udev_device_get_syspath(dev));
	} else if (streq(action, "add")) {
		if (!storage_is_root_hub(dev))
			(void)storage_device_apply(s, dev, STORAGE_HOTPLUG);
		else if (s->enforce)
			/* A new controller (a dock, a Thunderbolt hub): usbcore's parameter closed
			 * its door when it was added, and the udev rule closes it too; its
			 * interface-level door needs this. */
			(void)storage_door_close_one(s, dev);
	}
}

static int on_monitor(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct storage *s = userdata;
	bool lost = false;

	(void)source;
	(void)fd;
	(void)revents;
	for (;;) {
		_cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;

		errno = 0;
		dev = udev_monitor_receive_device(s->monitor);
		if (dev) {
			dispatch(s, dev);
			continue;
		}
		if (errno == ENOBUFS) {
			/* The kernel dropped uevents for us: what we missed is in sysfs. */
			lost = true;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != 0)
			log_debug_errno(-errno, "Reading a uevent failed, ignoring: %m");
		break;
	}
	if (lost) {
		log_warning("The uevent queue overflowed; re-enumerating USB devices.");
		rescan(s);
	}
	return 0;
}

/* A seat's person may have changed: re-decide soon (storage_seat_changed()). An IdleHint alone
 * changes nothing for storage; logind becoming unknown is no news about the seat. */
static void on_logind(struct logind *l, enum logind_change what, const char *id, void *userdata)
{
	struct storage *s = userdata;
	const struct logind_session *session;

	(void)l;
	switch (what) {
	case LOGIND_SESSION_CHANGED:
		session = logind_get_session(s->logind, id);
		if (session &&
		    !(session->changed & (LOGIND_FIELD_LOCKED_HINT | LOGIND_FIELD_ACTIVE |
					  LOGIND_FIELD_STATE | LOGIND_FIELD_OTHER)))
			return;
		break;
	case LOGIND_SEAT_CHANGED:
	case LOGIND_SESSION_NEW:
	case LOGIND_SESSION_REMOVED:
	case LOGIND_KNOWN:
		break;
	case LOGIND_UNKNOWN:
	case LOGIND_PREPARE_SLEEP:
	case LOGIND_RESUME:
		return;
	}
	storage_seat_changed(s);
}

static void storage_stop(void *state)
{
	struct storage *s = state;

	if (!s)
		return;
	s->source = sd_event_source_disable_unref(s->source);
	s->reseat = sd_event_source_disable_unref(s->reseat);
	s->monitor = udev_monitor_unref(s->monitor);
	storage_forget_all(s);
	storage_dispensations_stop(s);
	s->policy = policy_free(s->policy);
	if (s->logind)
		(void)logind_unsubscribe(s->logind, on_logind, s);
	s->udev = udev_unref(s->udev);
	free(s->marker_dir);
	free(s);
}

DEFINE_FREEP(struct storage, storage_stop)

static int make_marker_dir(struct storage *s, const char *runtime_dir)
{
	if (asprintf(&s->marker_dir, "%s/read-only", runtime_dir) < 0) {
		s->marker_dir = NULL;
		return -ENOMEM;
	}
	if (mkdir(runtime_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(s->marker_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int start_monitor(struct storage *s, sd_event *event)
{
	int r;

	s->monitor = udev_monitor_new_from_netlink(s->udev, "udev");
	if (!s->monitor)
		return errno > 0 ? -errno : -ENOMEM;
	if (udev_monitor_filter_add_match_subsystem_devtype(s->monitor, "usb", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(s->monitor, "block", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(s->monitor, "input", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(s->monitor, "mmc", NULL) < 0 ||
	    udev_monitor_filter_add_match_subsystem_devtype(s->monitor, "thunderbolt", NULL) < 0)
		return -ENOMEM;
	(void)udev_monitor_set_receive_buffer_size(s->monitor, MONITOR_BUFFER_SIZE);
	r = udev_monitor_enable_receiving(s->monitor);
	if (r < 0)
		return r;
	return sd_event_add_io(
		event, &s->source, udev_monitor_get_fd(s->monitor), EPOLLIN, on_monitor, s);
}

static int storage_start(struct manager *m, void **ret_state)
{
	_cleanup_(storage_stopp) struct storage *s = NULL;
	const struct config *c = manager_config(m);
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_error_errno(-ENOMEM, "Out of memory.");
	s->manager = m;
	s->enforce = c->storage.mode == CONFIG_MODE_ENFORCE;
	s->policy = policy_new(c);
	s->logind = manager_logind(m);
	s->udev = udev_new();
	if (!s->policy || !s->udev || logind_subscribe(s->logind, on_logind, s) < 0)
		/* cppcheck-suppress memleak ; s is freed by its _cleanup_(storage_stopp) */
		return log_error_errno(-ENOMEM, "Out of memory.");

	if (s->enforce) {
		r = make_marker_dir(s, manager_options(m)->runtime_dir);
		if (r < 0)
			log_warning_errno(r,
					  "Cannot create %s; read-only devices will be blocked: %m",
					  s->marker_dir ? s->marker_dir : "the marker directory");
		storage_markers_clear(s);
	}

	/* Before coldplug: a dispensation decides present devices too. */
	r = storage_dispensations_start(s);
	if (r < 0)
		return r;

	/* Listen first, then close the door and look: a device arriving in between is seen by
	 * both, and deciding a device twice changes nothing. */
	r = start_monitor(s, manager_event(m));
	if (r < 0)
		return log_error_errno(r, "Cannot listen to udev: %m");
	if (s->enforce) {
		r = storage_door_close(s);
		if (r < 0)
			return log_error_errno(
				r, "Cannot hold new USB devices back, not starting: %m");
	} else
		storage_door_open(s, true);
	r = for_each_usb_device(s, coldplug_one);
	if (r < 0)
		return log_error_errno(r, "Cannot enumerate USB devices: %m");
	r = other_buses(s, STORAGE_COLDPLUG);
	if (r < 0)
		return log_error_errno(r, "Cannot enumerate SD cards and Thunderbolt devices: %m");

	*ret_state = TAKE_PTR(s);
	return 0;
}

static int reload_one(struct storage *s, struct udev_device *d)
{
	return storage_is_root_hub(d) ? 0 : storage_device_apply(s, d, STORAGE_RELOAD);
}

static int storage_reload(struct manager *m, void *state, const struct config *old)
{
	struct storage *s = state;
	const struct config *c = manager_config(m);
	struct policy *p;
	bool enforce = c->storage.mode == CONFIG_MODE_ENFORCE;
	int r, k;

	(void)old;
	p = policy_new(c);
	if (!p)
		return log_error_errno(-ENOMEM, "Out of memory.");
	/* Every tracked verdict borrows from the old config: re-decide them all now. */
	forget_vanished(s);
	policy_free(s->policy);
	s->policy = p;
	policy_set_dispensations(p, &s->dispensations);
	if (enforce && !s->enforce) {
		s->enforce = true;
		(void)make_marker_dir(s, manager_options(m)->runtime_dir);
		(void)storage_door_close(s);
	} else if (!enforce && s->enforce) {
		s->enforce = false;
		storage_door_open(s, false);
	}
	/* Devices the new policy decides as before are left alone (a mounted disk stays
	 * mounted); only changed decisions are enforced and recorded. */
	r = for_each_usb_device(s, reload_one);
	k = other_buses(s, STORAGE_RELOAD);
	return r < 0 ? r : k;
}

/* mode = off: the door must not stay closed with nobody to decide (storage-door.c). */
static void storage_off(struct manager *m, bool at_start)
{
	struct storage s = { .manager = m, .udev = udev_new() };

	if (!s.udev) {
		log_error_errno(-ENOMEM, "Cannot open the USB door: %m");
		return;
	}
	storage_door_open(&s, at_start);
	udev_unref(s.udev);
}

const struct part_ops storage_part = {
	.name = "storage",
	.mode = storage_mode,
	.capabilities = storage_capabilities,
	.start = storage_start,
	.reload = storage_reload,
	.stop = storage_stop,
	.off = storage_off,
};

struct storage *storage_from_state(void *state)
{
	return state;
}

const struct tracked_device *storage_tracked_next(struct storage *s,
						  const struct tracked_device *prev)
{
	return prev ? prev->next : s->devices;
}

static bool id_matches(const struct tracked_device *t, const char *spec)
{
	const char *sysname = strrchr(t->syspath, '/');
	char vid[5], pid[5];
	const char *serial;

	if (streq(t->syspath, spec) || (sysname && streq(sysname + 1, spec)))
		return true;
	/* VID:PID[:SERIAL] */
	if (strlen(spec) < 9 || spec[4] != ':' || (spec[9] != '\0' && spec[9] != ':'))
		return false;
	memcpy(vid, spec, 4);
	vid[4] = '\0';
	memcpy(pid, spec + 5, 4);
	pid[4] = '\0';
	if (strcasecmp(vid, t->id.vendor) != 0 || strcasecmp(pid, t->id.product) != 0)
		return false;
	serial = spec[9] == ':' ? spec + 10 : NULL;
	return !serial || (t->id.serial && streq(t->id.serial, serial));
}

const struct tracked_device *
storage_tracked_find(struct storage *s, const char *spec, int *ret_error)
{
	const struct tracked_device *found = NULL;

	*ret_error = 0;
	for (const struct tracked_device *t = s->devices; t; t = t->next) {
		if (!id_matches(t, spec))
			continue;
		if (found) {
			*ret_error = -EEXIST;
			return NULL;
		}
		found = t;
	}
	if (!found)
		*ret_error = -ENOENT;
	return found;
}
