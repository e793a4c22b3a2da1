/*
 * libFuzzer target: audit record text through the parser, the assembler, the classifier and the
 * burst counter. Input: lines; a line starting with '#' is fed as a netlink payload with the type
 * number from its second byte (1100 + byte), other lines as auditd text. Small limits make the
 * bounds and the forced flushes reachable.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auditasm.h"
#include "auditclass.h"
#include "auditrec.h"
#include "authburst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const char *text, size_t len, int type)
{
	struct auditrec_field fields[16];
	struct auditrec r;
	char buf[64];
	uint64_t v;

	if (auditrec_parse(text, len, type, fields, 16, &r) < 0)
		return;
	for (size_t i = 0; i < r.n_fields; i++) {
		(void)auditrec_field_string(&r.fields[i], buf, sizeof(buf));
		(void)auditrec_field_raw(&r.fields[i], buf, sizeof(buf));
		(void)auditrec_field_uint(&r.fields[i], 10, &v);
		(void)auditrec_field_uint(&r.fields[i], 16, &v);
	}
}

static void
drain(struct auditasm *a, struct auditclass *c, struct authburst *b, uint64_t now, bool all)
{
	const struct auditasm_event *ev;
	struct auditclass_facts f = { 0 };

	while ((ev = auditasm_next(a, now, all)))
		(void)auditclass_feed(c, ev, now);
	while (auditclass_next(c, now, all, &f) > 0) {
		if (f.counts_as_failure && f.target_user)
			(void)authburst_add(b, f.target_user, f.time_usec, NULL);
		auditclass_facts_done(&f);
	}
}

/* Watched paths, so that file.changed, relative names and ".." are reached. */
static char *const watch[] = { "/etc/shadow", "/etc/sudoers.d", "/tmp/w", "/", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auditasm_limits l = { .max_pending = 4,
				     .max_records = 8,
				     .max_event_bytes = 2048,
				     .max_record_len = 1024,
				     .max_age_usec = 1000 };
	struct auditasm *a = auditasm_new(&l);
	struct auditclass *c = auditclass_new();
	struct authburst *b = NULL;
	const char *p = (const char *)data, *end = p + size;
	uint64_t now = 0;

	if (!a || !c || authburst_new(2, 10 * USEC_PER_SEC, 4, &b) < 0 ||
	    auditclass_set_watch(c, watch) < 0)
		goto out;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int type = -1;
		const char *t = p;

		if (n >= 2 && p[0] == '#') {
			type = 1100 + (uint8_t)p[1];
			t += 2;
			n -= 2;
		}
		check_record(t, n, type);
		(void)auditasm_feed(a, t, n, type, now);
		drain(a, c, b, now, false);
		now += 300;
		p = t + n + 1;
	}
	drain(a, c, b, now, true);
out:
	authburst_free(b);
	auditclass_free(c);
	auditasm_free(a);
	return 0;
}
