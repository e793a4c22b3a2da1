#pragma once

/* The enforcement parts, in start order. Each lives in its own adapter file. */

#include "manager.h"

extern const struct part_ops storage_part; /* udev.c */
extern const struct part_ops audit_part;   /* audit.c */

/* NULL-terminated. */
extern const struct part_ops *const parts_all[];
