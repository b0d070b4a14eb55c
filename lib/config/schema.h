/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to lib/config: typed access to YAML nodes with located diagnostics, shared by the
 * app file, daemon config and accept_drift parsers. Each getter reports its own error (with the
 * node's line:column) and returns < 0, so callers just go on to the next key: every error of a
 * file is reported in one run. Depends on lib/config/{yaml,diag}.h.
 */
#pragma once

#include <stdbool.h>

#include "lib/config/diag.h"
#include "lib/config/drift.h"
#include "lib/config/yaml.h"

struct cohd_config_ctx {
	const char *file;
	struct cohd_diag_list *diags;
	bool oom;
};

void cohd_config_error(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *fmt,
		       ...) _printf_(3, 4);
void cohd_config_warn(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *fmt,
		      ...) _printf_(3, 4);

/* "unknown key 'x' in <where>, ignoring" as a warning at the key. */
void cohd_config_unknown_key(struct cohd_config_ctx *c, const struct cohd_yaml_node *key,
			     const char *where);

/* Is n a mapping (error naming `what` otherwise)? NULL/null counts as "absent": false, no error
 * when allow_null. */
bool cohd_config_expect_map(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			    const char *what, bool allow_null);
bool cohd_config_expect_seq(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			    const char *what, bool allow_null);

/* A scalar as a string (numbers and booleans as written). Returns 1 and *ret (replacing and
 * freeing the old value), 0 for null or "" (= use the default; *ret untouched), -EINVAL after an
 * error (a mapping or list), -ENOMEM. */
int cohd_config_string(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		       char **ret);
/* A whole number in [min, max] (quoted digits accepted). 1 set, 0 null/"", < 0 error. */
int cohd_config_uint(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		     unsigned min, unsigned max, unsigned *ret);
/* true/false (yes/no/on/off). 1 set, 0 null/"", < 0 error. */
int cohd_config_bool(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		     bool *ret);
/* A list of scalars (a single scalar counts as a list of one). NULL-terminated. 1 set, 0 null or
 * empty, < 0 error. */
int cohd_config_strv(struct cohd_config_ctx *c, const struct cohd_yaml_node *n, const char *what,
		     char ***ret, size_t *ret_n);

/* "1m30s", "90s", "5m", "2h", "1d", or a plain number of seconds -> seconds. */
int cohd_config_duration(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			 const char *what, unsigned long min_s, unsigned long max_s,
			 unsigned long *ret);

/* accept_drift (see drift.h). Appends to *rules. */
int cohd_config_drift_rules(struct cohd_config_ctx *c, const struct cohd_yaml_node *n,
			    struct cohd_drift_rule **rules, size_t *n_rules);

char **cohd_config_strv_free(char **v);
