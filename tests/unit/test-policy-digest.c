/* The policy digest (lib/policy-digest.h): its exact definition and what config_load() hashes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "macro.h"
#include "policy-digest.h"
#include "strv.h"

#define MAIN_TEXT   "[storage]\nmode = observe\n"
#define DROPIN_TEXT "[idle]\nlock_after = 5min\n"
/* python3: sha256(b"vakt.conf\0" b"26\0" MAIN_TEXT b"10-idle.conf\0" b"24\0" DROPIN_TEXT) */
#define BOTH_DIGEST "cf7a5f2917615b8f3eee139406e93fd5805e6ed866cafb112c31012297e78abf"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
}

/* A policy in a new directory: DIR/MAIN and, when dropin is not NULL, DIR/MAIN.d/10-idle.conf. */
static char *make_policy(const char *main_name, const char *main_text, const char *dropin)
{
	char dir[] = "/tmp/vakt-digest-XXXXXX", path[512];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/%s", dir, main_name);
	write_file(path, main_text);
	if (dropin) {
		char d[600];

		(void)snprintf(d, sizeof(d), "%s.d", path);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		(void)snprintf(d, sizeof(d), "%s.d/10-idle.conf", path);
		write_file(d, dropin);
	}
	return strdup(path);
}

/* Removes what make_policy() made. */
static void remove_policy(char *path)
{
	char p[600];
	char *slash;

	(void)snprintf(p, sizeof(p), "%s.d/10-idle.conf", path);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s.d", path);
	(void)rmdir(p);
	ck_assert_int_eq(unlink(path), 0);
	slash = strrchr(path, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	ck_assert_int_eq(rmdir(path), 0);
	free(path);
}

static void digest_of(const char *path, char hex[POLICY_DIGEST_HEX_SIZE])
{
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;

	ck_assert_int_eq(config_load(path, getuid(), &c, &errors), 0);
	memcpy(hex, c->policy_digest, POLICY_DIGEST_HEX_SIZE);
}

START_TEST(test_no_file)
{
	struct policy_digest *d = NULL;
	char hex[POLICY_DIGEST_HEX_SIZE];
	_cleanup_(config_freep) struct config *c = config_new();

	ck_assert_int_eq(policy_digest_new(&d), 0);
	ck_assert_int_eq(policy_digest_hex(d, hex), 0);
	/* sha256sum </dev/null */
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_str_eq(hex, POLICY_DIGEST_EMPTY);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->policy_digest, POLICY_DIGEST_EMPTY);
	policy_digest_free(d);
}
END_TEST

START_TEST(test_framing)
{
	struct policy_digest *d = NULL;
	char hex[POLICY_DIGEST_HEX_SIZE];

	ck_assert_int_eq(policy_digest_new(&d), 0);
	ck_assert_int_eq(policy_digest_add(d, "vakt.conf", "abc", 3), 0);
	ck_assert_int_eq(policy_digest_hex(d, hex), 0);
	/* python3: hashlib.sha256(b"vakt.conf\0" b"3\0" b"abc").hexdigest() */
	ck_assert_str_eq(hex, "ee3b8eb733def99714c3b55da3384479da979c272e887eb777ee3152bc34ddcc");
	/* hex() does not end the digest: the same answer twice. */
	ck_assert_int_eq(policy_digest_hex(d, hex), 0);
	ck_assert_str_eq(hex, "ee3b8eb733def99714c3b55da3384479da979c272e887eb777ee3152bc34ddcc");
	policy_digest_free(d);
}
END_TEST

/* Same files, different places and main file names: same digest (two machines, a saved copy). */
START_TEST(test_same_files_same_digest)
{
	char *a = make_policy("vakt.conf", MAIN_TEXT, DROPIN_TEXT);
	char *b = make_policy("other.conf", MAIN_TEXT, DROPIN_TEXT);
	char ha[POLICY_DIGEST_HEX_SIZE], hb[POLICY_DIGEST_HEX_SIZE];

	digest_of(a, ha);
	digest_of(b, hb);
	ck_assert_str_eq(ha, BOTH_DIGEST);
	ck_assert_str_eq(hb, BOTH_DIGEST);
	remove_policy(a);
	remove_policy(b);
}
END_TEST

/* One byte, a missing drop-in, or content moved between files: another digest. */
START_TEST(test_differences_change_digest)
{
	char *a = make_policy("vakt.conf", MAIN_TEXT, DROPIN_TEXT);
	char *byte = make_policy("vakt.conf", MAIN_TEXT, "[idle]\nlock_after = 6min\n");
	char *none = make_policy("vakt.conf", MAIN_TEXT, NULL);
	char *moved = make_policy("vakt.conf", MAIN_TEXT DROPIN_TEXT, NULL);
	char h[4][POLICY_DIGEST_HEX_SIZE];

	digest_of(a, h[0]);
	digest_of(byte, h[1]);
	digest_of(none, h[2]);
	digest_of(moved, h[3]);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(strlen(h[i]), 64);
		for (int j = i + 1; j < 4; j++)
			ck_assert_str_ne(h[i], h[j]);
	}
	remove_policy(a);
	remove_policy(byte);
	remove_policy(none);
	remove_policy(moved);
}
END_TEST

/* config_load_string() hashes its text as the main file, as config_load() does. */
START_TEST(test_string_like_file)
{
	char *a = make_policy("vakt.conf", MAIN_TEXT, NULL);
	char hf[POLICY_DIGEST_HEX_SIZE];
	_cleanup_(config_freep) struct config *c = NULL;
	_cleanup_strv_free_ char **errors = NULL;

	digest_of(a, hf);
	ck_assert_int_eq(config_load_string(MAIN_TEXT, strlen(MAIN_TEXT), "x.conf", &c, &errors),
			 0);
	ck_assert_str_eq(c->policy_digest, hf);
	remove_policy(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_no_file);
	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_same_files_same_digest);
	tcase_add_test(tc, test_differences_change_digest);
	tcase_add_test(tc, test_string_like_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
