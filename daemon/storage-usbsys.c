#include "storage-usbsys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

#define USB_DRIVERS_PROBE  "/sys/bus/usb/drivers_probe"
#define USBCORE_PARAMETERS "/sys/module/usbcore/parameters"

static int attr_path(const char *syspath, const char *attr, char **ret_path)
{
	if (asprintf(ret_path, "%s/%s", syspath, attr) < 0) {
		*ret_path = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The first read: sysfs text attributes are one page at most, and a device's "descriptors" a
 * few hundred bytes. A larger attribute grows the buffer, up to the caller's limit. */
#define READ_ATTR_FIRST ((size_t)4096)

int usbsys_read_attr(
	const char *syspath, const char *attr, size_t max, uint8_t **ret_data, size_t *ret_len)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0, size;
	int r;

	r = attr_path(syspath, attr, &path);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* One byte more than max, so that a larger attribute is seen (and room for a NUL). */
	size = (max < READ_ATTR_FIRST ? max : READ_ATTR_FIRST) + 1;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (len == size) {
			uint8_t *bigger;

			if (len > max)
				return -EFBIG;
			size = size - 1 > max / 2 ? max + 1 : 2 * (size - 1) + 1;
			bigger = realloc(buf, size);
			if (!bigger)
				return -ENOMEM;
			buf = bigger;
		}
		k = read(fd, buf + len, size - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	*ret_data = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int usbsys_write_attr(const char *syspath, const char *attr, const char *value)
{
	_cleanup_free_ char *path = NULL;
	size_t n = strlen(value);
	ssize_t k;
	int fd, r;

	r = attr_path(syspath, attr, &path);
	if (r < 0)
		return r;
	/* O_TRUNC: sysfs ignores it; a test bed's plain file then holds exactly value. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* sysfs reports the store function's error at write(); close() is checked anyway. */
	k = write(fd, value, n);
	r = k < 0 ? -errno : (size_t)k != n ? -EIO : 0;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int usbsys_read_int(const char *syspath, const char *attr, int *ret_value)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char *end;
	size_t len = 0;
	long v;
	int r;

	r = usbsys_read_attr(syspath, attr, 64, &buf, &len);
	if (r < 0)
		return r;
	if (!buf)
		return -EIO;
	buf[len] = '\0';
	errno = 0;
	v = strtol((const char *)buf, &end, 10);
	if (errno != 0 || end == (const char *)buf || v < -1000000 || v > 1000000)
		return -EINVAL;
	*ret_value = (int)v;
	return 0;
}

int usbsys_close_door(const char *roothub_syspath)
{
	int r;

	r = usbsys_write_attr(roothub_syspath, "authorized_default", "0");
	if (r < 0)
		return r;
	/* Since Linux 4.4. Without it a composite device's interfaces all bind at once when the
	 * device is authorised; the caller then keeps such devices unauthorised as a whole. */
	r = usbsys_write_attr(roothub_syspath, "interface_authorized_default", "0");
	return r < 0 ? 0 : 1;
}

int usbsys_open_door(const char *roothub_syspath)
{
	(void)usbsys_write_attr(roothub_syspath, "interface_authorized_default", "1");
	return usbsys_write_attr(roothub_syspath, "authorized_default", "1");
}

int usbsys_set_new_controller_door(bool closed)
{
	return usbsys_write_attr(USBCORE_PARAMETERS, "authorized_default", closed ? "0" : "1");
}

int usbsys_authorize_interface(const char *syspath, const char *sysname)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = usbsys_write_attr(syspath, "authorized", "1");
	if (r < 0)
		return r;
	/* Authorising an interface does not probe it; binding happens on this request. */
	fd = open(USB_DRIVERS_PROBE, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* -ENODEV etc. here means no driver wanted the interface: not our error. */
	(void)!write(fd, sysname, strlen(sysname));
	return 0;
}

static bool in_test_bed(void)
{
	const char *d = getenv("UMOCKDEV_DIR");

	return d && d[0];
}

int usbsys_set_read_only(const char *devnode, bool *ret_was_writable)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int ro = 1, before = 0;

	/* O_RDONLY: the ioctl needs no write access, and opening for writing must not happen.
	 * O_NONBLOCK: a card reader without a card opens too. */
	fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		/* umockdev can fake a device tree but not a block device: its nodes are plain
		 * files. Anywhere else a non-block node here is an error. */
		return in_test_bed() ? USBSYS_RO_SIMULATED : -ENOTBLK;
	if (ioctl(fd, BLKROGET, &before) < 0)
		before = 0;
	if (ioctl(fd, BLKROSET, &ro) < 0)
		return -errno;
	ro = 0;
	if (ioctl(fd, BLKROGET, &ro) < 0)
		return -errno;
	if (!ro)
		return -EIO;
	if (ret_was_writable)
		*ret_was_writable = !before;
	return USBSYS_RO_SET;
}

bool usbsys_block_mounted(unsigned major, unsigned minor)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *want = NULL;
	size_t n = 0;

	if (asprintf(&want, " %u:%u ", major, minor) < 0)
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	/* Field 3 is MAJOR:MINOR of the mounted device. */
	while (getline(&line, &n, f) > 0)
		if (strstr(line, want))
			return true;
	return false;
}
