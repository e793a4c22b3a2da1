/*
 * The person at a seat, read from logind's table (logind.c): no bus call, so a USB decision
 * never waits for logind. Only an active session of class "user" is a person: a greeter (the
 * login screen), a lock screen, a background or manager session is nobody (SPEC.md).
 */

#include "storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logind.h"
#include "nss.h"
#include "strv.h"
#include "udev-util.h"

void storage_person_done(struct storage_person *p)
{
	if (!p)
		return;
	free(p->user);
	free(p->session);
	free(p->seat);
	free(p->tty);
	free(p->remote_host);
	strv_free(p->groups);
	*p = (struct storage_person){ 0 };
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = s && s[0] ? strdup(s) : NULL;
	return s && s[0] && !*ret ? -ENOMEM : 0;
}

int storage_person_lookup(struct storage *s, const char *seat_id, struct storage_person *ret_person)
{
	struct storage_person p = { 0 };
	const struct logind_session *session = NULL;
	enum logind_seat_answer a;

	if (dup_or_null(seat_id && seat_id[0] ? seat_id : "seat0", &p.seat) < 0)
		return -ENOMEM;
	a = logind_seat_active_session(s->logind, p.seat, &session);
	if (a == LOGIND_SEAT_UNKNOWN)
		p.unknown = true;
	/* The login screen is not a person, however it got the seat. */
	if (a != LOGIND_SEAT_SESSION || !streq(session->class, "user") || !session->user[0]) {
		*ret_person = p;
		return 0;
	}
	p.present = true;
	p.locked = session->locked_hint;
	p.uid = session->uid;
	if (dup_or_null(session->user, &p.user) < 0 || dup_or_null(session->id, &p.session) < 0 ||
	    dup_or_null(session->tty, &p.tty) < 0 ||
	    dup_or_null(session->remote_host, &p.remote_host) < 0) {
		storage_person_done(&p);
		return -ENOMEM;
	}
	/* Groups decide read-write or read-only: from NSS, as the login would have them. */
	if (nss_user_groups(p.user, p.uid, &p.groups) == -ENOMEM) {
		storage_person_done(&p);
		return -ENOMEM;
	}
	*ret_person = p;
	return 0;
}

void storage_person_to_policy(const struct storage_person *p, struct policy_person *ret)
{
	*ret = (struct policy_person){
		.user = p->user,
		.uid = p->uid,
		.groups = p->groups,
		.present = p->present,
		.locked = p->locked,
		.unknown = p->unknown,
		.session = p->session,
	};
}

const char *storage_device_seat(struct udev_device *dev)
{
	for (struct udev_device *p = dev; p; p = udev_device_get_parent(p)) {
		const char *seat = udev_device_get_property_value(p, "ID_SEAT");

		if (seat && seat[0])
			return seat;
	}
	return "seat0";
}

static bool below(const char *syspath, const char *parent)
{
	size_t n = strlen(parent);

	return strncmp(syspath, parent, n) == 0 && syspath[n] == '/';
}

/*
 * The keyboards of a seat, for the keyboard decision (lib/policy.h). udev's input_id builtin sets
 * ID_INPUT_KEYBOARD on an input device that has the keys of a keyboard, whichever bus it is on, so
 * a laptop's built-in keyboard counts as much as a USB one. A device vakt holds back has no input
 * device yet and does not count.
 */
int storage_seat_has_keyboard(struct storage *s,
			      const char *seat,
			      const char *except_syspath,
			      bool *ret)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
	struct udev_list_entry *item;

	e = udev_enumerate_new(s->udev);
	if (!e)
		return -ENOMEM;
	if (udev_enumerate_add_match_subsystem(e, "input") < 0 ||
	    udev_enumerate_add_match_property(e, "ID_INPUT_KEYBOARD", "1") < 0 ||
	    udev_enumerate_scan_devices(e) < 0)
		return -EIO;
	udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e))
	{
		_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
		const char *syspath = udev_list_entry_get_name(item);

		if (!syspath || (except_syspath && below(syspath, except_syspath)))
			continue;
		d = udev_device_new_from_syspath(s->udev, syspath);
		if (d && streq(storage_device_seat(d), seat)) {
			*ret = true;
			return 0;
		}
	}
	*ret = false;
	return 0;
}
