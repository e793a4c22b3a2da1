#pragma once

/* Cleanup helpers for libudev objects (see STYLE.md: defined once, in daemon/). */

#include <libudev.h>

#include "macro.h"

DEFINE_FREEP(struct udev, udev_unref)
DEFINE_FREEP(struct udev_device, udev_device_unref)
DEFINE_FREEP(struct udev_monitor, udev_monitor_unref)
DEFINE_FREEP(struct udev_enumerate, udev_enumerate_unref)
