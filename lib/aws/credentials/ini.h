/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to lib/aws/credentials: the tiny INI dialect of ~/.aws/credentials and ~/.aws/config
 * (botocore reads them with Python's RawConfigParser). Lines: "[section]", "key = value",
 * comments starting with '#' or ';' (whole lines only: values keep '#' and ';', as in botocore),
 * blank lines; an indented line after a key is a continuation or a nested sub-property
 * ("s3 =\n  max_concurrent_requests = 20") and is skipped. Keys are lower-cased, keys and values
 * trimmed. Caps: COHD_AWS_INI_FILE_MAX bytes, COHD_AWS_INI_LINE_MAX per line. Errors read
 * "path:line: message". Memory holding values is wiped on free (credentials files hold secrets).
 */
#pragma once

#include <stddef.h>

#include "lib/util/error.h"
#include "lib/util/macro.h"

struct ini_kv {
	char *key;
	char *value;
	unsigned line;
};

struct ini_section {
	char *name; /* as written between the brackets, trimmed */
	unsigned line;
	struct ini_kv *kv;
	size_t n_kv;
};

struct ini_file {
	char *path;
	struct ini_section *sections;
	size_t n_sections;
};

/* Parse text (len bytes; need not be NUL-terminated). path is used in messages. A section that
 * appears twice is merged (later keys win). Returns 0, -EBADMSG (syntax, with reterr),
 * -EFBIG (over the caps), -ENOMEM. */
int ini_parse(const char *path, const char *text, size_t len, struct ini_file **ret,
	      struct cohd_error *reterr);

/* Read and parse a file. -ENOENT (no message) when it does not exist; other open/read errors
 * as -errno with "path: strerror" in reterr; not a regular file -> -EINVAL. */
int ini_load(const char *path, struct ini_file **ret, struct cohd_error *reterr);

struct ini_file *ini_free(struct ini_file *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ini_file *, ini_free);

/* Section by exact name, or NULL. f may be NULL. */
const struct ini_section *ini_section(const struct ini_file *f, const char *name);
/* The last value of key in s, or NULL. s may be NULL. */
const struct ini_kv *ini_get(const struct ini_section *s, const char *key);
