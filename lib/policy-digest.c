#include "policy-digest.h"

#include <errno.h>
#include <gcrypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgcrypt's SHA-256 (the one every administrator's sha256sum agrees with). libsystemd already
 * loads libgcrypt into vaktd, so the digest costs no library of its own: OpenSSL's libcrypto
 * added 3.5 MB of resident memory to every vaktd, --replay-audit included. */
struct policy_digest {
	gcry_md_hd_t md;
};

/* libgcrypt wants its version checked once before use; no secure memory is needed (the policy
 * is no secret). Safe to call again. */
static void digest_init(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return;
	(void)gcry_check_version(NULL);
	(void)gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	(void)gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

int policy_digest_new(struct policy_digest **ret)
{
	struct policy_digest *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	digest_init();
	if (gcry_md_open(&d->md, GCRY_MD_SHA256, 0) != 0) {
		free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

int policy_digest_add(struct policy_digest *d, const char *label, const void *text, size_t len)
{
	char length[24];
	int n = snprintf(length, sizeof(length), "%zu", len);

	if (n < 0 || (size_t)n >= sizeof(length))
		return -EIO;
	gcry_md_write(d->md, label, strlen(label) + 1);
	gcry_md_write(d->md, length, (size_t)n + 1);
	if (len > 0)
		gcry_md_write(d->md, text, len);
	return 0;
}

int policy_digest_hex(const struct policy_digest *d, char hex[POLICY_DIGEST_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	gcry_md_hd_t copy = NULL;
	const unsigned char *md;
	size_t n = gcry_md_get_algo_dlen(GCRY_MD_SHA256);

	if (n * 2 + 1 != POLICY_DIGEST_HEX_SIZE)
		return -EIO;
	/* A copy, so that more can be added after a look at the digest so far. */
	if (gcry_md_copy(&copy, d->md) != 0)
		return -ENOMEM;
	md = gcry_md_read(copy, GCRY_MD_SHA256);
	if (!md) {
		gcry_md_close(copy);
		return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * n] = '\0';
	gcry_md_close(copy);
	return 0;
}

struct policy_digest *policy_digest_free(struct policy_digest *d)
{
	if (d) {
		gcry_md_close(d->md);
		free(d);
	}
	return NULL;
}
