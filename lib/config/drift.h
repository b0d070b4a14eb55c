/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Accepted-drift rules: the one syntax shared by the daemon config (`accept_drift:` in
 * /etc/cohd/cohd.yaml) and an app's `x-cohd.accept_drift`. Parsing and validation only; the
 * rule engine that applies them lives with the diff. Depends only on lib/util.
 *
 * YAML forms (a list of either):
 *
 *   accept_drift:
 *     - rds.db_instance:BackupRetentionPeriod      # short form "RESOURCE_GLOB:FIELD_GLOB"
 *     - resource: ecs.service                      # fnmatch(3) glob over cohd resource types
 *       field: DesiredCount                        # glob over the dotted field path, in AWS's
 *                                                  # own field names ("Tags.*", "*.Ttl")
 *       id: "api*"                                 # optional glob over the logical id
 *       when: ">= 1"                               # optional condition on the LIVE value:
 *                                                  # == != < <= > >= VALUE (numbers compare as
 *                                                  # numbers), or "~ GLOB" (string match)
 *       environments: [static, production]         # optional: only these env types
 *       reason: "DBAs resize by hand"              # optional, shown in status
 *
 * A drift is accepted when resource, field (and id, when, environments if given) all match.
 * Globs: '*' matches within and across '.' ("Tags.*" matches "Tags.Owner"), '?' one char,
 * "[...]" classes; matching is case-sensitive.
 */
#pragma once

#include <stdbool.h>

#include "lib/util/macro.h"

enum cohd_drift_op {
	COHD_DRIFT_OP_NONE, /* no condition: any live value */
	COHD_DRIFT_OP_EQ,
	COHD_DRIFT_OP_NE,
	COHD_DRIFT_OP_LT,
	COHD_DRIFT_OP_LE,
	COHD_DRIFT_OP_GT,
	COHD_DRIFT_OP_GE,
	COHD_DRIFT_OP_MATCH, /* "~ GLOB" */
	_COHD_DRIFT_OP_MAX,
	_COHD_DRIFT_OP_INVALID = -EINVAL,
};

/* Bit per environment type (enum cohd_app_env_type in app.h: 1u << type). */
#define COHD_DRIFT_ENV_ALL 0x7u

struct cohd_drift_rule {
	char *resource; /* glob over resource type, e.g. "rds.db_instance", "ecs.*" */
	char *field;	/* glob over the dotted field path, e.g. "MultiAZ", "Tags.*" */
	char *id;	/* glob over logical id; NULL = any */
	enum cohd_drift_op op;
	char *operand;	   /* the condition's value; NULL when op == NONE */
	unsigned env_mask; /* COHD_DRIFT_ENV_ALL unless `environments:` narrowed it */
	char *reason;	   /* free text or NULL */
	char *source;	   /* "file:line:column" where the rule was written (owned) */
};

void cohd_drift_rule_done(struct cohd_drift_rule *r);
/* Free an array of n rules and the array itself; returns NULL. */
struct cohd_drift_rule *cohd_drift_rules_free(struct cohd_drift_rule *rules, size_t n);

/* Parse "== 3", ">=1", "~ db.t3.*" into op + operand (owned, trimmed). Returns 0 or -EINVAL. */
int cohd_drift_parse_condition(const char *s, enum cohd_drift_op *ret_op, char **ret_operand);

/* Does the rule match (type, field path, logical id, env type bit)? The value condition is
 * checked separately with cohd_drift_rule_value_ok(). */
bool cohd_drift_rule_matches(const struct cohd_drift_rule *r, const char *resource_type,
			     const char *field, const char *logical_id, unsigned env_bit);
/* Does the live value (its textual form; numbers as decimal) satisfy the condition? */
bool cohd_drift_rule_value_ok(const struct cohd_drift_rule *r, const char *live_value);

const char *cohd_drift_op_to_string(enum cohd_drift_op op);
