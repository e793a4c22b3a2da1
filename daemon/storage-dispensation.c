/*
 * The store of written dispensations: see storage-dispensation.h. The list lives in struct storage
 * and s->policy borrows it (policy_set_dispensations()); every change of the list is followed by
 * a decision of every present USB device, so no verdict keeps pointing into an old list.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "part.h"
#include "storage-dispensation.h"
#include "storage.h"

#define FILE_NAME	 "dispensations"
#define CORRUPT_SUFFIX	 ".corrupt"
#define FILE_SIZE_MAX	 (UINT64_C(16) * 1024 * 1024)
#define EXPIRY_ACCURACY	 (100 * USEC_PER_MSEC)
#define TIME_FORMAT_SIZE 64

static uint64_t now_realtime(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* "2026-12-05T14:00:00Z" */
static const char *format_time(uint64_t usec, char buf[static TIME_FORMAT_SIZE])
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, TIME_FORMAT_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, TIME_FORMAT_SIZE, "@%" PRIu64, usec / USEC_PER_SEC);
	return buf;
}

/* ---- the file ---------------------------------------------------------------------------- */

/* Writes text to dir/name atomically: a temporary file in dir, fsync, rename over dir/name,
 * fsync of dir. Returns 0 or -errno. */
static int write_atomic(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *tmp = NULL, *path = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	size_t len = strlen(text), done = 0;
	int r;

	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, name) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
fail:
	(void)unlink(tmp);
	return r;
}

static const char *state_dir(const struct storage *s)
{
	return manager_options(s->manager)->state_dir;
}

/* Writes the list to the store. Logs why it failed; returns 0 or -errno. */
static int store_save(struct storage *s)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = dispensation_list_format(&s->dispensations, &text);
	if (r < 0)
		return log_error_errno(r, "Cannot write the dispensations: %m");
	r = write_atomic(state_dir(s), FILE_NAME, text);
	if (r < 0)
		return log_error_errno(
			r, "Cannot write the dispensations to %s: %m", s->dispensations_path);
	return 0;
}

/* Reads the whole file into *ret (NUL-terminated, *ret_size without it). -ENOENT when absent. */
static int read_file(const char *path, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t got = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size > FILE_SIZE_MAX)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_size = got;
	return 0;
}

/* ---- records ----------------------------------------------------------------------------- */

/* The fields every dispensation record carries. */
static void add_fields(struct log_event *e, const struct dispensation *d)
{
	char when[TIME_FORMAT_SIZE], dev[600];

	log_event_add(e, "VAKT_DISPENSATION_ID", d->id);
	log_event_add(e, "VAKT_TARGET_USER", d->user);
	log_event_addf(e, "VAKT_TARGET_UID", "%u", (unsigned)d->uid);
	log_event_add(e, "VAKT_GRANTED_BY", d->granted_by);
	log_event_addf(e, "VAKT_GRANTED_BY_UID", "%u", (unsigned)d->granted_by_uid);
	log_event_add(e, "VAKT_GRANTED_AT", format_time(d->granted_at, when));
	log_event_add(e, "VAKT_TICKET", d->ticket);
	log_event_add(e, "VAKT_DISPENSATION_REASON", d->reason);
	log_event_add(e, "VAKT_DECISION", dispensation_mode_to_string(d->mode));
	log_event_add(e, "VAKT_NOT_AFTER", format_time(d->not_after, when));
	log_event_addf(e, "VAKT_NOT_AFTER_USEC", "%" PRIu64, d->not_after);
	log_event_add(e,
		      "VAKT_DISPENSATION_DEVICE",
		      d->device ? dispensation_device_format(d, dev, sizeof(dev)) : "any");
	if (d->device) {
		log_event_add(e, "VAKT_DEVICE_VENDOR_ID", d->vendor);
		log_event_add(e, "VAKT_DEVICE_PRODUCT_ID", d->product);
		log_event_add(e, "VAKT_DEVICE_SERIAL", d->serial);
	}
}

static const char *what_of(const struct dispensation *d, char *buf, size_t n)
{
	char dev[600];

	(void)snprintf(buf,
		       n,
		       "%s USB storage (%s)",
		       d->mode == STORAGE_ACTION_ALLOW ? "read-write" : "read-only",
		       dispensation_device_format(d, dev, sizeof(dev)));
	return buf;
}

static void log_granted(const struct dispensation *d)
{
	char when[TIME_FORMAT_SIZE], what[700];
	struct log_event e;

	log_event_begin(&e, EVENT_DISPENSATION_GRANTED);
	add_fields(&e, d);
	log_event_add(&e, "VAKT_USER", d->granted_by);
	log_event_addf(&e, "VAKT_UID", "%u", (unsigned)d->granted_by_uid);
	log_event_message(&e,
			  "%s granted dispensation %s to %s until %s: %s, ticket %s, because: %s.",
			  d->granted_by,
			  d->id,
			  d->user,
			  format_time(d->not_after, when),
			  what_of(d, what, sizeof(what)),
			  d->ticket,
			  d->reason);
	log_event_end(&e);
}

static void log_revoked(const struct dispensation *d, const char *by_user, uid_t by_uid)
{
	char what[700];
	struct log_event e;

	log_event_begin(&e, EVENT_DISPENSATION_REVOKED);
	add_fields(&e, d);
	log_event_add(&e, "VAKT_USER", by_user);
	log_event_addf(&e, "VAKT_UID", "%u", (unsigned)by_uid);
	log_event_message(&e,
			  "%s revoked dispensation %s of %s (%s, ticket %s, granted by %s).",
			  by_user,
			  d->id,
			  d->user,
			  what_of(d, what, sizeof(what)),
			  d->ticket,
			  d->granted_by);
	log_event_end(&e);
}

static void log_expired(const struct dispensation *d, bool while_down)
{
	char when[TIME_FORMAT_SIZE], what[700];
	struct log_event e;

	log_event_begin(&e, EVENT_DISPENSATION_EXPIRED);
	add_fields(&e, d);
	log_event_message(&e,
			  "Dispensation %s of %s (%s, ticket %s, granted by %s) expired at %s%s.",
			  d->id,
			  d->user,
			  what_of(d, what, sizeof(what)),
			  d->ticket,
			  d->granted_by,
			  format_time(d->not_after, when),
			  while_down ? ", while vaktd was not running" : "");
	log_event_end(&e);
}

/* ---- decisions and expiry ---------------------------------------------------------------- */

static int redecide_one(struct storage *s, struct udev_device *d)
{
	return storage_is_root_hub(d) ? 0 : storage_device_apply(s, d, STORAGE_DISPENSATION);
}

/* The list changed: the policy sees the new one, every present device is decided again (only
 * changed decisions are enforced and recorded). */
static void redecide_all(struct storage *s)
{
	policy_set_dispensations(s->policy, &s->dispensations);
	if (storage_foreach_device(s, NULL, "usb", "usb_device", redecide_one) < 0)
		log_error("Cannot enumerate USB devices to apply a dispensation change.");
}

static int on_expiry(sd_event_source *source, uint64_t usec, void *userdata);

/* Arms the timer at the first not_after, or disables it when the list is empty. */
static void arm_expiry(struct storage *s)
{
	uint64_t when;
	int r;

	if (s->dispensations.n == 0) {
		if (s->expiry)
			(void)sd_event_source_set_enabled(s->expiry, SD_EVENT_OFF);
		return;
	}
	when = s->dispensations.items[0].not_after;
	if (s->expiry) {
		r = sd_event_source_set_time(s->expiry, when);
		if (r >= 0)
			r = sd_event_source_set_enabled(s->expiry, SD_EVENT_ONESHOT);
	} else
		r = sd_event_add_time(manager_event(s->manager),
				      &s->expiry,
				      CLOCK_REALTIME,
				      when,
				      EXPIRY_ACCURACY,
				      on_expiry,
				      s);
	if (r < 0)
		log_error_errno(
			r,
			"Cannot arm the expiry timer of the dispensations; they will expire "
			"at the next change or restart: %m");
}

/* Removes (and records) every dispensation that ended by now. Returns how many. */
static size_t expire_due(struct storage *s, uint64_t now, bool while_down)
{
	size_t n = 0;

	while (s->dispensations.n > 0 && s->dispensations.items[0].not_after <= now) {
		log_expired(&s->dispensations.items[0], while_down);
		dispensation_list_remove(&s->dispensations, 0);
		n++;
	}
	return n;
}

static int on_expiry(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct storage *s = userdata;

	(void)source;
	(void)usec;
	/* The timer may fire a little early (its accuracy) or the clock may have been set back:
	 * only what ended by the clock now goes; the timer is armed again for the rest. */
	if (expire_due(s, now_realtime(), false) > 0) {
		(void)store_save(s);
		redecide_all(s);
	}
	arm_expiry(s);
	return 0;
}

/* ---- start and stop ---------------------------------------------------------------------- */

/* The file could not be read or had faults: keep it as FILE.corrupt for the administrator. */
static void keep_corrupt(struct storage *s, const char *text)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s" CORRUPT_SUFFIX, s->dispensations_path) < 0)
		return;
	r = write_atomic(state_dir(s), FILE_NAME CORRUPT_SUFFIX, text);
	if (r < 0)
		log_error_errno(r, "Cannot keep a copy of the faulty file as %s: %m", path);
	else
		log_warning("A copy of the faulty file %s is kept as %s; it is rewritten with the "
			    "valid dispensations only.",
			    s->dispensations_path,
			    path);
}

int storage_dispensations_start(struct storage *s)
{
	const char *dir = state_dir(s);
	_cleanup_free_ char *text = NULL;
	struct dispensation_fault *faults = NULL;
	size_t size = 0, n_faults = 0, n_expired;
	bool rewrite = false;
	int r;

	if (asprintf(&s->dispensations_path, "%s/" FILE_NAME, dir) < 0) {
		s->dispensations_path = NULL;
		return log_error_errno(-ENOMEM, "Out of memory.");
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		log_warning_errno(
			-errno, "Cannot create %s, dispensations cannot be stored: %m", dir);

	r = read_file(s->dispensations_path, &text, &size);
	if (r == -ENOMEM)
		return log_error_errno(r, "Out of memory.");
	if (r == -ENOENT)
		log_debug("No dispensations (%s does not exist).", s->dispensations_path);
	else if (r < 0)
		log_error_errno(r,
				"Cannot read the dispensations from %s, none is honoured until it "
				"is fixed or a dispensation is granted: %m",
				s->dispensations_path);
	else {
		r = dispensation_list_parse(text, size, &s->dispensations, &faults, &n_faults);
		if (r < 0)
			return log_error_errno(r, "Out of memory.");
		for (size_t i = 0; i < n_faults; i++)
			log_error("%s:%u: %s; that dispensation is ignored.",
				  s->dispensations_path,
				  faults[i].line,
				  faults[i].why);
		free(faults);
		if (n_faults > 0) {
			log_error(
				"The dispensations file %s is damaged: %zu fault(s); the %zu valid "
				"dispensation(s) in it are honoured.",
				s->dispensations_path,
				n_faults,
				s->dispensations.n);
			keep_corrupt(s, text);
			rewrite = true;
		}
	}

	n_expired = expire_due(s, now_realtime(), true);
	if (rewrite || n_expired > 0)
		(void)store_save(s);
	if (s->dispensations.n > 0)
		log_info("%zu dispensation(s) loaded from %s.",
			 s->dispensations.n,
			 s->dispensations_path);
	policy_set_dispensations(s->policy, &s->dispensations);
	arm_expiry(s);
	return 0;
}

void storage_dispensations_stop(struct storage *s)
{
	s->expiry = sd_event_source_disable_unref(s->expiry);
	dispensation_list_done(&s->dispensations);
	free(s->dispensations_path);
	s->dispensations_path = NULL;
}

/* ---- the daemon API ---------------------------------------------------------------------- */

static struct storage *running_storage(struct manager *m)
{
	return manager_part_state(m, &storage_part);
}

static int refuse(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int refuse(char **ret_error, int r, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	if (vasprintf(ret_error, format, ap) < 0)
		*ret_error = NULL;
	va_end(ap);
	return r;
}

static int new_id(const struct storage *s, char ret[static 11])
{
	for (int attempt = 0; attempt < 16; attempt++) {
		uint32_t v;

		if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
			v = (uint32_t)now_realtime() ^ (uint32_t)getpid() ^ (uint32_t)attempt;
		(void)snprintf(ret, 11, "d-%08x", v);
		if (dispensation_list_find(&s->dispensations, ret) < 0)
			return 0;
	}
	return -EEXIST;
}

int storage_dispensation_grant(struct manager *m,
			       const struct dispensation *d,
			       char **ret_id,
			       char **ret_error)
{
	struct storage *s = running_storage(m);
	struct dispensation copy = { 0 };
	char id[11];
	const char *why;
	ssize_t i;
	int r;

	*ret_id = NULL;
	*ret_error = NULL;
	if (!s)
		return refuse(ret_error,
			      -ENOTCONN,
			      "The storage part is off ([storage] mode = off), so no dispensation "
			      "can be granted.");
	copy = *d;
	copy.id = NULL;
	if (copy.granted_at == 0)
		copy.granted_at = now_realtime();
	r = dispensation_validate(&copy, now_realtime(), false, &why);
	if (r < 0)
		return refuse(ret_error, r, "The dispensation is refused: %s.", why);
	if (s->dispensations.n >= DISPENSATION_LIST_MAX)
		return refuse(ret_error,
			      -E2BIG,
			      "There are already %d dispensations; revoke some first.",
			      DISPENSATION_LIST_MAX);
	r = new_id(s, id);
	if (r < 0)
		return refuse(ret_error, r, "No free dispensation id could be found.");
	copy.id = id;
	r = dispensation_list_add(&s->dispensations, &copy);
	if (r < 0)
		return refuse(ret_error, r, "Cannot store the dispensation: %s.", strerror(-r));
	r = store_save(s);
	if (r < 0) {
		i = dispensation_list_find(&s->dispensations, id);
		if (i >= 0)
			dispensation_list_remove(&s->dispensations, (size_t)i);
		policy_set_dispensations(s->policy, &s->dispensations);
		return refuse(ret_error,
			      r,
			      "Cannot write the dispensation to %s: %s.",
			      s->dispensations_path,
			      strerror(-r));
	}
	i = dispensation_list_find(&s->dispensations, id);
	if (i >= 0)
		log_granted(&s->dispensations.items[i]);
	*ret_id = strdup(id);
	redecide_all(s);
	arm_expiry(s);
	return *ret_id ? 0 : -ENOMEM;
}

int storage_dispensation_revoke(
	struct manager *m, const char *id, const char *by_user, uid_t by_uid, char **ret_error)
{
	struct storage *s = running_storage(m);
	struct dispensation removed;
	ssize_t i;
	int r;

	*ret_error = NULL;
	if (!s)
		return refuse(ret_error,
			      -ENOTCONN,
			      "The storage part is off ([storage] mode = off): there are no "
			      "dispensations to revoke.");
	if (!dispensation_id_valid(id))
		return refuse(ret_error,
			      -EINVAL,
			      "'%s' is not a dispensation id (\"d-\" and 8 hex digits, as "
			      "\"vaktctl dispensations\" lists them).",
			      id ? id : "");
	i = dispensation_list_find(&s->dispensations, id);
	if (i < 0)
		return refuse(ret_error,
			      -ENOENT,
			      "There is no dispensation %s (it may have expired or been revoked).",
			      id);
	r = dispensation_copy(&s->dispensations.items[i], &removed);
	if (r < 0)
		return refuse(ret_error, r, "Out of memory.");
	dispensation_list_remove(&s->dispensations, (size_t)i);
	r = store_save(s);
	if (r < 0) {
		/* Not written: keep it, so that what is honoured is what is stored. */
		(void)dispensation_list_add(&s->dispensations, &removed);
		dispensation_done(&removed);
		policy_set_dispensations(s->policy, &s->dispensations);
		return refuse(ret_error,
			      r,
			      "Cannot write %s, the dispensation stays: %s.",
			      s->dispensations_path,
			      strerror(-r));
	}
	log_revoked(&removed, by_user && *by_user ? by_user : "unknown", by_uid);
	dispensation_done(&removed);
	redecide_all(s);
	arm_expiry(s);
	return 0;
}

const struct dispensation *storage_dispensation_next(struct manager *m,
						     const struct dispensation *prev)
{
	struct storage *s = running_storage(m);
	size_t i;

	if (!s || s->dispensations.n == 0)
		return NULL;
	if (!prev)
		return &s->dispensations.items[0];
	if (prev < s->dispensations.items || prev >= s->dispensations.items + s->dispensations.n)
		return NULL;
	i = (size_t)(prev - s->dispensations.items) + 1;
	return i < s->dispensations.n ? &s->dispensations.items[i] : NULL;
}
