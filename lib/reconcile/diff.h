/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure half of the engine: placeholder resolution, the one accept-drift rule engine, and
 * the per-resource, per-field diff. No I/O, no clock; unit-testable on plain JSON. The same
 * diff result feeds the planner and the status, so what status says is what the planner does.
 * Single-threaded; nothing here keeps global state.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/config/drift.h"
#include "lib/model/graph.h"
#include "lib/reconcile/type.h"

/* ---- JSON helpers ---- */

/* The value at a dotted path ("Endpoint.Address", "Subnets.0.SubnetId"; numbers index lists;
 * "tag:Name" reads a tag from a KEY_VALUE "Tags" list). Borrowed; NULL when absent. */
json_t *cohd_rec_json_path(const json_t *v, const char *path);
/* Set the value at a dotted path (steals value). Numbers index existing lists ("Routes.0.GatewayId"
 * stays a list; the list's size appends); missing containers are created: a list when the next
 * segment is a number, else an object. Returns 0, -EINVAL for a bad index or a scalar in the way, -ENOMEM.
 */
int cohd_rec_json_set_path(json_t *root, const char *path, json_t *value);
/* Text form for rules and messages: strings as is, numbers in decimal, else compact JSON.
 * Returns a new string (NULL on OOM). */
char *cohd_rec_json_text(const json_t *v);
/* FNV-1a 64 over the canonical (sorted, compact) JSON text. */
uint64_t cohd_rec_json_digest(const json_t *v);

/* ---- placeholders (graph.h) ---- */

struct cohd_rec_resolve_ctx {
	const char *account, *partition, *image_tag;
	const char *const *azs; /* zones sorted by name, NULL-terminated; NULL = none known */
	/* The known attributes of a resource (observed item or create result), or NULL. */
	const json_t *(*attrs)(void *userdata, const char *logical_id);
	/* The desired properties of a resource (unresolved), or NULL: a reference to a value the
	 * engine generates for that resource (Generate) resolves through the generate port under
	 * the owner's id, so both get the same value. May be NULL. */
	const json_t *(*desired)(void *userdata, const char *logical_id);
	/* Generate, Allocate and Zip: delegated (may be NULL: then unresolvable). */
	int (*generate)(void *userdata, const char *logical_id, const json_t *placeholder,
			json_t **ret_value);
	void *userdata;
	const char *self;    /* the resource being resolved (for generate) */
	bool keep_generated; /* diff: leave Generate/Allocate/Zip as they are (never compared) */
};

/* Resolve every placeholder in v into a new document (*ret, new reference). JSON-document
 * fields given as objects stay objects here (the diff compares them as documents; the create
 * builder serialises them). Returns 0; -EAGAIN when something refers to an attribute not known
 * yet (ret_missing: a new "id.Attr" string naming the first one, may be NULL); -EINVAL for a
 * malformed placeholder; -ENOMEM. */
int cohd_rec_resolve(const struct cohd_rec_resolve_ctx *ctx, const json_t *v, json_t **ret,
		     char **ret_missing);
/* Does v contain a placeholder made by the engine (Generate, Allocate, Zip)? Such values are
 * never compared: a generated secret is kept, not regenerated. */
bool cohd_rec_has_generated(const json_t *v);
/* Does v refer (Ref, or ${id.Attr} in Sub) to an attribute of the resource `id`? A resource whose
 * properties refer to itself (a security group's rule naming its own GroupId) is created without
 * those fields, which are set right after the create (graph.h: not a dependency). */
bool cohd_rec_refers_to(const json_t *v, const char *id);

/* ---- the accept-drift rule engine ---- */

/* A band governed by another resource (an autoscaling target): the field may be anywhere in
 * [min, max]. */
struct cohd_rec_band {
	const char *logical_id, *field;
	double min, max;
	const char *by; /* logical id of the governing resource */
	char text[160]; /* "autoscaling target <by>: 1..4", the rule shown in status */
};

struct cohd_rec_accept {
	const struct cohd_drift_rule *config_rules; /* daemon config, borrowed */
	size_t n_config_rules;
	const struct cohd_drift_rule *app_rules; /* the app file's x-cohd.accept_drift */
	size_t n_app_rules;
	unsigned env_bit; /* 1u << enum cohd_app_env_type */
	const struct cohd_rec_band *bands;
	size_t n_bands;
};

enum cohd_rec_verdict {
	COHD_REC_VERDICT_DRIFT,	       /* correct it */
	COHD_REC_VERDICT_ACCEPTED,     /* leave it, show it, name the rule */
	COHD_REC_VERDICT_OUTSIDE_BAND, /* governed, but outside the band: correct into the band */
};

/* Decide one drifted field. *ret_rule is set to a static or rule-owned description ("built-in:
 * rds.db_instance:DBInstanceClass", "cohd.yaml:12:5", "autoscaling app/svc/api/scaling
 * 1..4"); the band, when one governs the field, to *ret_band. Built-in rules (DESIGN.md §5)
 * are tried first, then the config's, then the app file's. */
enum cohd_rec_verdict cohd_rec_accept_check(const struct cohd_rec_accept *a, const char *type,
					    const char *logical_id, const char *field,
					    const json_t *live, const char **ret_rule,
					    const char **ret_reason,
					    const struct cohd_rec_band **ret_band);

/* The built-in rules, for status and documentation. */
const struct cohd_drift_rule *cohd_rec_builtin_rules(size_t *ret_n);

/* ---- diff ---- */

enum cohd_rec_field_state {
	COHD_REC_FIELD_MATCH,
	COHD_REC_FIELD_DRIFT,
	COHD_REC_FIELD_ACCEPTED,
	COHD_REC_FIELD_UNCHECKED, /* write-only, or desired value not resolvable yet */
	_COHD_REC_FIELD_STATE_MAX,
	_COHD_REC_FIELD_STATE_INVALID = -EINVAL,
};

enum cohd_rec_res_state {
	COHD_REC_RES_PRESENT,	/* desired and observed: see fields */
	COHD_REC_RES_MISSING,	/* desired, not observed: create */
	COHD_REC_RES_UNMANAGED, /* observed with our tags, no longer desired: delete path */
	COHD_REC_RES_FOREIGN,	/* desired name taken by a resource that is not ours */
	_COHD_REC_RES_STATE_MAX,
	_COHD_REC_RES_STATE_INVALID = -EINVAL,
};

struct cohd_rec_field_diff {
	const struct cohd_rec_field *spec;
	json_t *desired; /* normalised, or NULL when not resolvable */
	json_t *live;	 /* normalised, or NULL when absent */
	json_t *target;	 /* what a correction writes (desired, or clamped into a band) */
	enum cohd_rec_field_state state;
	const char *rule;   /* accepted: which rule (borrowed from the rule set) */
	const char *reason; /* accepted: its reason, may be NULL */
};

struct cohd_rec_res_diff {
	enum cohd_rec_res_state state;
	struct cohd_rec_field_diff *fields;
	size_t n_fields;
	json_t *tags_wrong; /* desired tags missing or different on the live resource (object) */
	/* Tags that differ but a rule accepts: key -> {"desired", "live", "rule", "reason"}; NULL
	 * when none. */
	json_t *tags_accepted;
	/* Tags cohd owns (Environment, cohd:*) on the live resource but no longer desired: key ->
	 * live value; NULL when none. Identity tags (ManagedBy, Application, cohd:id) are never
	 * removed, and nobody else's tags are looked at. */
	json_t *tags_extra;
	bool replace; /* a drifted field forces replacement */
	size_t n_drift, n_accepted, n_unchecked;
};

void cohd_rec_res_diff_done(struct cohd_rec_res_diff *d);

/* Compare the resolved desired properties and tags (NULL props = not resolvable now) with the
 * observed item, field by field per the type's diff spec, through the accept engine. Fills
 * *ret (state PRESENT). Returns 0 or -ENOMEM. */
int cohd_rec_diff_resource(const struct cohd_rec_type *t, const struct cohd_rec_accept *a,
			   const char *logical_id, const json_t *props, const json_t *tags,
			   const struct cohd_rec_item *live, struct cohd_rec_res_diff *ret);

/* The diff as JSON for status and --dry-run (new reference): per field its state, desired and
 * live values, rule. Write-only fields never show values. */
json_t *cohd_rec_res_diff_to_json(const struct cohd_rec_res_diff *d);

const char *cohd_rec_field_state_to_string(enum cohd_rec_field_state s) _pure_;
const char *cohd_rec_res_state_to_string(enum cohd_rec_res_state s) _pure_;

/* Apply a field's normalisers (flags, default, callback) to a value: new reference or NULL. */
json_t *cohd_rec_normalise(const struct cohd_rec_field *f, const json_t *v, bool live);
