#include "parts.h"

#include <stddef.h>

/* One line per part; each part's adapter defines its part_ops. */
const struct part_ops *const parts_all[] = {
	&storage_part,
	&audit_part,
	NULL,
};
