/* libFuzzer target: any bytes as one vakt.conf file. Every input must either load or give
 * messages, never crash, leak or trip a sanitizer. */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char **messages = NULL;
	int r;

	r = config_load_string((const char *)data, size, "fuzz.conf", &c, &messages);
	if (r == 0) {
		char buf[256];

		assert(c && !messages);
		for (size_t i = 0; i < c->storage.n_rules; i++)
			(void)config_place_format(&c->storage.rules[i].place, buf, sizeof(buf));
		(void)config_place_format(&c->storage.default_place, buf, sizeof(buf));
		(void)config_harmless_class(c, (uint8_t)size);
	} else
		assert(!c && (r == -ENOMEM || strv_length(messages) > 0));
	config_free(c);
	strv_free(messages);
	return 0;
}
