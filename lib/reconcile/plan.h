/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan: a DAG of actions (create, update, replace = create + delete, delete, tag) built from
 * the per-resource diffs in dependency order. Cycle-free by construction: an action only ever
 * waits for actions of resources that come earlier in the graph's topological order (or, for
 * deletes, later: the reverse order). Plans are data: printable as JSON for --dry-run and status.
 * Pure; loop thread only.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/reconcile/diff.h"
#include "lib/reconcile/type.h"

enum cohd_rec_action_kind {
	COHD_REC_ACTION_CREATE,
	COHD_REC_ACTION_UPDATE,
	COHD_REC_ACTION_TAG,
	COHD_REC_ACTION_DELETE,
	_COHD_REC_ACTION_KIND_MAX,
	_COHD_REC_ACTION_KIND_INVALID = -EINVAL,
};

enum cohd_rec_action_state {
	COHD_REC_ACTION_PENDING, /* waiting for the actions it comes after */
	COHD_REC_ACTION_RUNNING, /* call in flight */
	COHD_REC_ACTION_WAITING, /* done calling; polling until the resource is ready or gone */
	COHD_REC_ACTION_DONE,
	COHD_REC_ACTION_FAILED,
	COHD_REC_ACTION_BLOCKED, /* an action it needs failed or is still progressing */
	COHD_REC_ACTION_SKIPPED, /* dry run, quarantine, or held */
	COHD_REC_ACTION_TIMEOUT, /* a wait reached its bound: progressing, retried next pass */
	_COHD_REC_ACTION_STATE_MAX,
	_COHD_REC_ACTION_STATE_INVALID = -EINVAL,
};

struct cohd_rec_action {
	size_t id; /* index in the plan */
	enum cohd_rec_action_kind kind;
	char *logical_id;
	const struct cohd_rec_type *type;
	const char *operation;
	json_t *values; /* UPDATE: field path -> value to write; TAG: tags */
	bool replace;	/* one half of a replacement */
	bool adopt;	/* TAG that adopts a resource found by name */
	bool untag;	/* TAG that removes the tags in values (the type's untag_op) */
	char *reason;	/* why (shown in --dry-run and status) */
	size_t *after;	/* ids of actions that must be done first */
	size_t n_after;
	uint64_t digest;		    /* identity of the correction (quarantine) */
	const struct cohd_rec_item *target; /* DELETE of a superseded item (not the current one) */

	/* Execution state (engine.c). */
	enum cohd_rec_action_state state;
	char *message;	   /* error, or what a wait waits for */
	char *token;	   /* idempotency token, persisted in the journal intent */
	json_t *steps;	   /* the calls: [{"Operation", "Params", "IgnoreCodes"}] */
	size_t step;	   /* the one in flight */
	int64_t intent_id; /* > 0 while an intent is open */
	unsigned polls;
	void *timer; /* a wait's next poll, and its callback argument */
	void *timer_arg;
	usec_t started;
};

struct cohd_rec_plan {
	struct cohd_rec_action *actions;
	size_t n, cap;
};

/* One resource as the planner sees it, in dependency order (desired resources in the graph's
 * topological order first, then the unmanaged ones). */
struct cohd_rec_plan_entry {
	const char *logical_id;
	const struct cohd_rec_type *type;
	const struct cohd_rec_res_diff *diff;
	const char *const *depends_on; /* desired: graph deps; unmanaged: deps remembered from
					* earlier graphs (may be none) */
	size_t n_depends_on;
	const char *hold;    /* non-NULL: no action, this is why (grace period,
			      * confirmation, foreign, replacement needs confirmation) */
	bool adopt;	     /* found by name with our tags but no cohd:id: tag it */
	const json_t *props; /* desired properties (placeholders and all): the values
			      * of after-create updates are taken from here */
	const struct cohd_rec_item *const *superseded; /* old halves of a replacement: deleted
							* after everything that depends on it */
	size_t n_superseded;
	bool keep_old; /* a replacement's old half (or the superseded ones) stays this pass: a
			* dependent that is held still uses it */
};

/* Build the plan (appends to *plan, which starts zeroed). Returns 0 or -ENOMEM. */
int cohd_rec_plan_build(const struct cohd_rec_plan_entry *entries, size_t n,
			struct cohd_rec_plan *plan);

void cohd_rec_plan_done(struct cohd_rec_plan *plan);

/* The plan as JSON: {"actions": [{"id", "kind", "resource", "type", "operation", "fields",
 * "after", "reason", "state", "message"}]} (new reference; values of write-only fields are never
 * included). */
json_t *cohd_rec_plan_to_json(const struct cohd_rec_plan *plan);

const char *cohd_rec_action_kind_to_string(enum cohd_rec_action_kind k) _pure_;
const char *cohd_rec_action_state_to_string(enum cohd_rec_action_state s) _pure_;
