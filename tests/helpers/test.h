/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared helpers for the Check unit tests: where test data lives, temporary directories, and
 * the main() every test program uses. Each test program is one Suite per module with one TCase
 * per function under test (style.md §2.9). For debugging: CK_RUN_CASE=name, CK_FORK=no.
 */
#pragma once

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/util/macro.h"

/* tests/data in the source tree (set by tests/unit/meson.build). */
#ifndef COHD_TEST_DATA_DIR
#error "COHD_TEST_DATA_DIR must be defined by the build"
#endif

/* Path of a file under tests/data; returns a static buffer overwritten by the next call. */
static inline const char *test_data_path(const char *rel)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", COHD_TEST_DATA_DIR, rel);
	return p;
}

/* Read a whole file into a NUL-terminated malloc'd buffer; aborts the test on failure. */
static inline char *test_read_file(const char *path, size_t *ret_len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *data;
	long n;

	ck_assert_msg(f, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = 0;
	if (ret_len)
		*ret_len = (size_t)n;
	return data;
}

/* A fresh directory under $TMPDIR (or /tmp); caller removes it (test_rm_rf). */
static inline char *test_mkdtemp(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/cohd-test.XXXXXX", t ? t : "/tmp"), 0);
	ck_assert_ptr_nonnull(mkdtemp(p));
	return p;
}

static inline void test_rm_rf(const char *dir)
{
	_cleanup_free_ char *cmd = NULL;

	if (!dir)
		return;
	ck_assert_int_ge(asprintf(&cmd, "rm -rf -- '%s'", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
}

/* Every test program ends with COHD_TEST_MAIN(make_suite): runs the suite, prints Check's
 * summary line, and exits non-zero on any failure. */
#define COHD_TEST_MAIN(make_suite)                                                                 \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(make_suite());                                        \
		int failed;                                                                        \
                                                                                                   \
		srunner_run_all(sr, CK_NORMAL);                                                    \
		failed = srunner_ntests_failed(sr);                                                \
		srunner_free(sr);                                                                  \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                  \
	}
