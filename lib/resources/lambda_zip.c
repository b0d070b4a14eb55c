/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The zip archive of a Zip placeholder (lib/model/graph.h: {"Zip": {"<file>": "<contents>"}}),
 * the Lambda deployment package of Code.ZipFile, built with libzip in memory. Deterministic:
 * files in name order, stored (no compression: no dependence on the zlib version), every entry
 * dated 1980-01-01 00:00 with Unix mode 0644, so the same files always give the same bytes and
 * so the same CodeSha256. The generate port (daemon/cohd/zip.c) sends these bytes; lambda.function
 * compares their SHA-256 with the function's CodeSha256. Pure: no I/O, no clock.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zip.h>

#include "lib/resources/resources.h"
#include "lib/util/macro.h"

#define ZIP_MAX (16U * 1024U * 1024U) /* a Lambda@Edge package is at most 1 MB; a bound */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The archive's bytes from the source, after zip_close(). */
static int read_source(zip_source_t *src, unsigned char **ret, size_t *ret_len)
{
	zip_stat_t st;
	unsigned char *p;
	zip_int64_t n;

	if (zip_source_stat(src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > ZIP_MAX)
		return -EIO;
	p = malloc(st.size + 1);
	if (!p)
		return -ENOMEM;
	if (zip_source_open(src) < 0) {
		free(p);
		return -EIO;
	}
	n = zip_source_read(src, p, st.size);
	zip_source_close(src);
	if (n < 0 || (zip_uint64_t)n != st.size) {
		free(p);
		return -EIO;
	}
	p[st.size] = 0;
	*ret = p;
	*ret_len = st.size;
	return 0;
}

int cohd_lambda_zip_build(const json_t *files, unsigned char **ret, size_t *ret_len)
{
	_cleanup_free_ const char **names = NULL;
	zip_source_t *src = NULL;
	zip_error_t ze;
	zip_t *za = NULL;
	const char *key;
	json_t *v;
	size_t n = 0;
	int r = -EIO;

	if (!json_is_object(files) || json_object_size(files) == 0)
		return -EINVAL;
	names = calloc(json_object_size(files) + 1, sizeof(char *));
	if (!names)
		return -ENOMEM;
	json_object_foreach ((json_t *)files, key, v) {
		if (!json_is_string(v) || !*key)
			return -EINVAL;
		names[n++] = key;
	}
	qsort(names, n, sizeof(char *), cmp_name);

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (!src)
		goto out;
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (!za)
		goto out;
	zip_source_keep(src); /* read it back after zip_close() */
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_object_get(files, names[i]);
		zip_source_t *fs =
			zip_source_buffer(za, json_string_value(c), json_string_length(c), 0);
		zip_int64_t idx;

		if (!fs)
			goto out;
		idx = zip_file_add(za, names[i], fs, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			zip_source_free(fs);
			goto out;
		}
		/* 1980-01-01 00:00:00 (DOS date: day 1, month 1, year 0). */
		if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0 ||
		    zip_file_set_dostime(za, (zip_uint64_t)idx, 0, (1 << 5) | 1, 0) < 0 ||
		    zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
						     (zip_uint32_t)(S_IFREG | 0644) << 16) < 0)
			goto out;
	}
	if (zip_close(za) < 0)
		goto out;
	za = NULL;
	r = read_source(src, ret, ret_len);
out:
	if (za)
		zip_discard(za);
	if (src)
		zip_source_free(src);
	zip_error_fini(&ze);
	return r;
}

char *cohd_lambda_zip_sha256(const json_t *files)
{
	_cleanup_free_ unsigned char *zip = NULL;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *out;
	size_t n;

	if (cohd_lambda_zip_build(files, &zip, &n) < 0)
		return NULL;
	if (!EVP_Digest(zip, n, md, NULL, EVP_sha256(), NULL))
		return NULL;
	out = malloc(4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, md, SHA256_DIGEST_LENGTH);
	return out;
}
