/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiler: one environment of one app (struct cohd_app, lib/config/app.h) -> the graph of
 * AWS resources it needs (DESIGN.md §4, coherence-resources.md §2 and §4; where the seed and
 * cnc differ the seed wins). Pure and deterministic: no clock, no randomness, no environment
 * variables, no I/O, and no account id (placeholders, see graph.h) -- the same input and options
 * give a byte-identical plan. Depends on lib/config (the app structs), lib/util and jansson.
 */
#pragma once

#include "lib/config/app.h"
#include "lib/model/graph.h"
#include "lib/util/error.h"

struct cohd_model_options {
	const char *region;         /* used when the app names none; one of the two is required */
	const char *name_seed;      /* installation seed mixed into the name hashes; NULL = "" */
	const char *default_domain; /* apps without base_domain get "<app>.<this>";
				     * NULL = "coherencesites.com" (Coherence's own scheme) */
	unsigned az_count;          /* availability zones for subnets: 2..4; 0 = 2 */
	const char *environment;    /* override the app's environment name (testing); or NULL */
	int env_type;               /* override: an enum cohd_app_env_type, or -1 for the app's */
};

#define COHD_MODEL_OPTIONS_INIT { .env_type = -1 }

/* Compile. Returns 0 and *ret (caller frees with cohd_graph_free) or a negative errno with the
 * reason in reterr: -EINVAL for an app the model cannot express (no region, a name clash after
 * slugging...); -EPROTO, -ELOOP, -ENOENT for internal errors (bugs); -ENOMEM. */
int cohd_model_compile(const struct cohd_app *app, const struct cohd_model_options *opts,
		       struct cohd_graph **ret, struct cohd_error *reterr);

/* The prefix of every logical id one environment owns, "env/<environment slug>/": its
 * environment-scoped resources and its services' ("env/<slug>/svc/<service>/..."). The
 * compiler builds the ids with the same slug, so an engine given this prefix claims exactly its
 * own environment's resources (and app/... only when told so). Returns 0 and *ret (caller
 * frees), -EINVAL for an empty name, -ENOMEM. */
int cohd_model_env_id_prefix(const char *environment, char **ret);

/* The plan document (schema/plan.schema.json): {"schema": "cohd-plan/1", "app", "environment",
 * "environment_type", "region", ..., "resources": [...] in topological order}. *ret is a new
 * reference. */
int cohd_model_plan_json(const struct cohd_graph *g, json_t **ret, struct cohd_error *reterr);

/* Graphviz: one node per resource (label: type, id, name), one edge per dependency. */
int cohd_model_plan_dot(const struct cohd_graph *g, FILE *f);

/* Human-readable plan: one block per resource in topological order. */
int cohd_model_plan_text(const struct cohd_graph *g, FILE *f);
