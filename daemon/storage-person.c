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
