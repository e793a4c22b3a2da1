/* libFuzzer target: any bytes as one control request, as vaktd's control socket receives it
 * (lib/control-proto.h). Every input is parsed and checked or refused with a reason, never a crash,
 * a leak or a sanitizer finding; what parses formats back to text that parses to the same fields.
 */

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_msg *m = NULL, *back = NULL;
	char *error = NULL, *text = NULL;
	enum control_verb verb;
	size_t len = 0;
	int r;

	if (size > CONTROL_REQUEST_MAX)
		return 0; /* vaktd refuses those before parsing */
	r = control_parse((const char *)data, size, CONTROL_REQUEST_FIELDS_MAX, &m, &error);
	if (r < 0) {
		assert(!m && (r == -ENOMEM || (r == -EBADMSG && error && *error)));
		free(error);
		return 0;
	}
	assert(m && !error);
	r = control_request_check(m, &verb, &error);
	assert(r == 0 ? !error && control_verb_to_string(verb) : r == -ENOMEM || error);
	free(error);
	error = NULL;

	r = control_format(m, &text, &len);
	assert(r == 0);
	r = control_parse(text, len, CONTROL_REQUEST_FIELDS_MAX, &back, &error);
	assert(r == 0 && back->n == m->n);
	for (size_t i = 0; i < m->n; i++)
		assert(strcmp(m->fields[i].key, back->fields[i].key) == 0 &&
		       strcmp(m->fields[i].value, back->fields[i].value) == 0);
	control_msg_free(back);
	control_msg_free(m);
	free(text);
	return 0;
}
