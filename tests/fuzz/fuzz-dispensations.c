/* libFuzzer target: any bytes as the dispensations file vaktd reads at start (it may have been
 * edited by hand or damaged). Every input must parse into valid entries and faults with lines,
 * never crash, leak or trip a sanitizer; what it keeps must survive a write and a read unchanged.
 * The same bytes also go through the parsers vaktctl uses for --for, --until and --device. */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispensation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct dispensation_list *l)
{
	struct dispensation_list back = { 0 };
	struct dispensation_fault *faults = NULL;
	size_t n_faults = 0;
	char *text = NULL, *again = NULL;

	if (dispensation_list_format(l, &text) < 0)
		return;
	if (dispensation_list_parse(text, strlen(text), &back, &faults, &n_faults) == 0) {
		assert(n_faults == 0);
		assert(back.n == l->n);
		if (dispensation_list_format(&back, &again) == 0)
			assert(strcmp(text, again) == 0);
	}
	free(again);
	free(faults);
	free(text);
	dispensation_list_done(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dispensation_list l = { 0 };
	struct dispensation_fault *faults = NULL;
	size_t n_faults = 0;

	if (dispensation_list_parse((const char *)data, size, &l, &faults, &n_faults) == 0) {
		for (size_t i = 0; i < n_faults; i++)
			assert(faults[i].line > 0 && faults[i].why);
		for (size_t i = 0; i < l.n; i++) {
			const char *why;

			assert(dispensation_validate(&l.items[i], 0, true, &why) == 0);
			assert(i == 0 || l.items[i - 1].not_after <= l.items[i].not_after);
		}
		check_round_trip(&l);
	}
	free(faults);
	dispensation_list_done(&l);

	if (size < 512) {
		char *s = strndup((const char *)data, size);
		struct dispensation d = { 0 };
		const char *why;
		uint64_t u;

		if (s) {
			(void)dispensation_parse_duration(s, &u, &why);
			(void)dispensation_parse_until(s, &u, &why);
			(void)dispensation_parse_device(s, &d, &why);
			dispensation_done(&d);
			free(s);
		}
	}
	return 0;
}
