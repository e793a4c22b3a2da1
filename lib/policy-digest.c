#include "policy-digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL's EVP interface: the SHA-256 every administrator's tools (sha256sum) agree with. */
struct policy_digest {
	EVP_MD_CTX *ctx;
};

int policy_digest_new(struct policy_digest **ret)
{
	struct policy_digest *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		policy_digest_free(d);
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
	if (EVP_DigestUpdate(d->ctx, label, strlen(label) + 1) != 1 ||
	    EVP_DigestUpdate(d->ctx, length, (size_t)n + 1) != 1 ||
	    (len > 0 && EVP_DigestUpdate(d->ctx, text, len) != 1))
		return -EIO;
	return 0;
}

int policy_digest_hex(const struct policy_digest *d, char hex[POLICY_DIGEST_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	int r = -EIO;

	if (!copy)
		return -ENOMEM;
	if (EVP_MD_CTX_copy_ex(copy, d->ctx) == 1 && EVP_DigestFinal_ex(copy, md, &len) == 1 &&
	    (size_t)len * 2 + 1 == POLICY_DIGEST_HEX_SIZE) {
		size_t n = len;

		for (size_t i = 0; i < n; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 0xf];
		}
		hex[2 * n] = '\0';
		r = 0;
	}
	EVP_MD_CTX_free(copy);
	return r;
}

struct policy_digest *policy_digest_free(struct policy_digest *d)
{
	if (d) {
		EVP_MD_CTX_free(d->ctx);
		free(d);
	}
	return NULL;
}
