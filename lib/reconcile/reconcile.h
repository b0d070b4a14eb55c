/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/reconcile: the engine that keeps one app environment's AWS resources equal to its desired
 * graph: observe (bulk, per type) -> diff (one accept-drift engine) -> plan (DAG) -> act (bounded
 * concurrency, journal first, idempotency tokens, bounded non-blocking waits) -> record.
 *
 * No I/O here: no uv.h, curl.h or sqlite3.h, no lib/store, no lib/aws/client. Everything outside
 * goes through the ports in struct cohd_rec_ops, which the daemon wires to lib/aws/client,
 * lib/store and its loop; the unit tests wire them to fakes. Loop thread only. Port callbacks
 * (AWS completions, timers) must run from the loop, never from inside the port call that started
 * them (the libuv convention; cohd_aws_call() already guarantees it).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/aws/error.h"
#include "lib/config/drift.h"
#include "lib/model/graph.h"
#include "lib/reconcile/diff.h"
#include "lib/reconcile/plan.h"
#include "lib/reconcile/type.h"
#include "lib/util/time.h"

/* The completion of an AWS call: the same contract as cohd_aws_call_cb in lib/aws/client: r == 0
 * and result (parsed output, pages merged), or r < 0 and err (-EREMOTEIO with AWS's code and
 * class, or a transport errno). result and err are borrowed for the call. Runs exactly once,
 * from the loop. */
typedef void (*cohd_rec_call_cb)(int r, json_t *result, const struct cohd_aws_error *err,
				 void *userdata);

/* One AWS call as the engine asks for it. Everything borrowed for the duration of aws_call(). */
struct cohd_rec_call {
	const char *region;    /* NULL = the app's region */
	const char *service;   /* "ec2" (aws CLI name) */
	const char *operation; /* "DescribeVpcs" */
	const json_t *params;
	bool all_pages; /* observe: follow the paginator (cohd_aws_call_ex max_pages) */
	bool mutating;	/* for the daemon's metrics; dry run never sends these */
	/* A bulk describe that does not depend on the app environment asking (its params name no
	 * app): the daemon may answer identical shared calls of several engines (same account,
	 * region, params) with one request while it is fresh. Waits and look-ups never are. */
	bool shared;
};

/* The ports. userdata is passed back to every function. All but aws_call, now and the timer
 * pair may be NULL. */
struct cohd_rec_ops {
	void *userdata;

	/* Start an AWS call; 0 and cb runs later exactly once, or < 0 and cb never runs. The
	 * daemon maps it to cohd_aws_call_ex() (region, max_pages = UINT_MAX if all_pages). */
	int (*aws_call)(void *userdata, const struct cohd_rec_call *call, cohd_rec_call_cb cb,
			void *cb_userdata);

	/* Monotonic clock. */
	usec_t (*now)(void *userdata);
	/* One-shot timer: cb(arg) runs once from the loop after delay (0 = next loop iteration),
	 * unless stopped first. Returns a handle (NULL on OOM). The handle is invalid after cb ran
	 * or after timer_stop(). */
	void *(*timer_start)(void *userdata, usec_t delay, void (*cb)(void *arg), void *arg);
	void (*timer_stop)(void *userdata, void *timer);

	/* Journal (lib/store journal): the intent of a mutating call is written before the call,
	 * with its idempotency token; then the outcome. request/result are redacted JSON (the
	 * engine never passes write-only values). A failing intent write aborts the call. */
	int (*journal_intent)(void *userdata, const char *logical_id, const char *service,
			      const char *operation, const char *token, const json_t *request,
			      int64_t *ret_id);
	int (*journal_complete)(void *userdata, int64_t id, bool succeeded,
				const char *aws_request_id, const char *error_code,
				const json_t *result);

	/* An idempotency token: fill buf with size-1 characters of [A-Za-z0-9] and a NUL. */
	int (*random_token)(void *userdata, char *buf, size_t size);

	/* Generate (passwords), Allocate (listener rule priorities), Zip (Lambda code): a value
	 * for a placeholder made by the daemon (OpenSSL RAND, listener state, zip writer). Called
	 * only when creating or setting the field; the value is never logged, recorded or
	 * journalled (the engine redacts it). It must return the same value for the same
	 * (logical_id, placeholder) until the resource exists, so that a create re-sent after a
	 * crash with the same idempotency token has the same parameters. -EAGAIN = not yet. */
	int (*generate)(void *userdata, const char *logical_id, const json_t *placeholder,
			json_t **ret_value);

	/* Record (lib/store): what was observed (the item, no secrets), the diff, the plan, one
	 * action's outcome, the status at the end of a pass, and events (level as syslog names:
	 * "err", "warning", "notice", "info"). Documents are borrowed. */
	void (*record_observed)(void *userdata, const char *logical_id, const char *type,
				const json_t *item);
	void (*record_diff)(void *userdata, const char *logical_id, const json_t *diff);
	void (*record_plan)(void *userdata, const json_t *plan);
	void (*record_action)(void *userdata, const json_t *action);
	void (*record_status)(void *userdata, const json_t *status);
	void (*record_event)(void *userdata, const char *logical_id, const char *level,
			     const char *kind, const char *message);
};

struct cohd_rec_config {
	/* The app environment; strings borrowed for the engine's lifetime. */
	const char *app, *environment;
	int env_type; /* enum cohd_app_env_type: 0 production, 1 static, 2 preview */
	const char *region, *account, *partition, *image_tag, *name_prefix;
	const char *const *azs; /* availability zones sorted by name, NULL-terminated */

	const struct cohd_rec_type *const *types; /* registered types, NULL-terminated */

	const struct cohd_drift_rule *config_rules; /* daemon config accept_drift */
	size_t n_config_rules;
	const struct cohd_drift_rule *app_rules; /* app file x-cohd.accept_drift */
	size_t n_app_rules;

	unsigned max_inflight;	   /* mutating calls + waits in flight; 0 = 8 */
	unsigned max_observe;	   /* describes in flight; 0 = 8 */
	unsigned quarantine_after; /* identical non-converging corrections; 0 = 3 */
	unsigned tag_reread_passes; /* tags read before matching are reused this many passes; 0 = 10 */
	usec_t deletion_grace;	   /* unmanaged resources wait this long before deletion */
	bool dry_run;		   /* observe, diff, plan, record; no mutating call */
	/* Logical id prefixes this environment owns; an observed resource with our Application tag
	 * but an id outside them (another environment's, or application-scoped ones still used by
	 * other environments) is never treated as unmanaged. NULL = every id is ours. */
	const char *const *owned_prefixes;
};

/* Status axes, DESIGN.md §7. */
enum cohd_rec_sync {
	COHD_REC_SYNC_SYNCED,
	COHD_REC_SYNC_DRIFTED,
	COHD_REC_SYNC_PROGRESSING,
	COHD_REC_SYNC_QUARANTINED,
	COHD_REC_SYNC_ERROR,
	COHD_REC_SYNC_DELETING,
	_COHD_REC_SYNC_MAX,
	_COHD_REC_SYNC_INVALID = -EINVAL,
};

struct cohd_rec_engine;

/* A journal intent left open by a crash (lib/store's journal_foreach_open), handed to the engine
 * before its first pass. Strings are copied. */
struct cohd_rec_intent {
	int64_t id;
	const char *logical_id, *service, *operation, *token;
};

/* Create an engine. ops and config are copied (the strings they point to are borrowed for the
 * engine's lifetime). Returns 0, -EINVAL for missing mandatory ports, -ENOMEM. */
int cohd_rec_engine_new(const struct cohd_rec_ops *ops, const struct cohd_rec_config *config,
			struct cohd_rec_engine **ret);

/* Free. A pass in flight is abandoned and its callback never runs: timers are stopped, and AWS
 * calls still in flight complete into a tombstone freed by the last of them (so free the engine
 * before the client; the client's shutdown completes them with -ECANCELED). No journal outcome
 * is written for them: to the journal this is a crash. Accepts NULL; returns NULL. Must not be
 * called from a callback of this engine. */
struct cohd_rec_engine *cohd_rec_engine_free(struct cohd_rec_engine *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_rec_engine *, cohd_rec_engine_free);

/* Recovery: open intents of this app environment found at start. Creates among them are resolved
 * by the next pass: adopted if observe finds the resource (by tag or name), else re-sent with
 * the same token under the same intent. Other intents are closed as interrupted (the next
 * pass's diff redoes whatever is still needed). */
int cohd_rec_engine_recover(struct cohd_rec_engine *e, const struct cohd_rec_intent *intents,
			    size_t n);

/* Deletion protection the daemon keeps in its own state: a resource of an earlier graph (type,
 * deletion kind, dependencies), so that removing it from the file never loses its protection.
 * The engine also remembers every resource of every graph it ran. */
int cohd_rec_engine_remember(struct cohd_rec_engine *e, const char *logical_id, const char *type,
			     enum cohd_deletion deletion, const char *const *depends_on, size_t n);

/* The physical name and region (NULL = the app's) a remembered resource had: types found
 * through a list of names (observe_batch) ask for it by that name once it leaves the file, and
 * it is looked for in its region, so that it is found and deleted. -ENOENT when logical_id is
 * not remembered. */
int cohd_rec_engine_remember_name(struct cohd_rec_engine *e, const char *logical_id,
				  const char *name, const char *region);

/* The physical id a remembered resource had when last observed (the daemon keeps it in the
 * store): once it leaves the graph and the bulk observe cannot find it, it is described by
 * that id, so that it is still deleted. -ENOENT when logical_id is not remembered. */
int cohd_rec_engine_remember_physical_id(struct cohd_rec_engine *e, const char *logical_id,
					 const char *physical_id);

/* `cohd-status delete APP.ENV --confirm`: CONFIRM resources (and stateful replacements) may
 * now be deleted. The confirmation lasts until nothing that needed it is left. */
void cohd_rec_engine_confirm_delete(struct cohd_rec_engine *e);
/* Release a quarantined resource (by request): the next pass corrects it again. -ENOENT if it is
 * not quarantined. */
int cohd_rec_engine_release(struct cohd_rec_engine *e, const char *logical_id);

/* Restore the correction counter of a resource (what the status reported as "corrections":
 * digest as 16 hex digits, count, quarantined) after a restart, before the first pass, so that a
 * quarantine survives it. */
int cohd_rec_engine_restore_corrections(struct cohd_rec_engine *e, const char *logical_id,
					const char *type, uint64_t digest, unsigned count,
					bool quarantined);

typedef void (*cohd_rec_pass_cb)(struct cohd_rec_engine *e, int r, void *userdata);

/* Start one pass over graph g (borrowed until cb ran; finalized by cohd_graph_finalize()).
 * Returns 0 and cb runs later, from a port callback, exactly once, with r == 0 when the pass ran
 * (whatever it found: see the status), or < 0 when it could not run (-ENOMEM, -ELOOP). -EBUSY if
 * a pass is already running. */
int cohd_rec_engine_run(struct cohd_rec_engine *e, const struct cohd_graph *g, cohd_rec_pass_cb cb,
			void *userdata);

/* The status of the last pass (new reference; NULL before the first): {"app", "environment",
 * "sync", "health", "dry_run", "counts": {"synced": n, "drifted": n, ...}, "health_counts":
 * {"healthy": n, ...}, "resources": [{"id", "type", "physical_id", "sync", "health", "message"
 * (why: the error, what a wait waits for, the hold), "diff" (per field: state, desired, live,
 * rule, reason, target), "corrections": {"digest", "count", "quarantined"}}], "plan":
 * cohd_rec_plan_to_json()}. The app's sync and health are the worst of its resources' (error >
 * quarantined > drifted > progressing > deleting > synced; degraded > progressing > unknown >
 * healthy). */
json_t *cohd_rec_engine_status(const struct cohd_rec_engine *e);

/* How many mutating calls the engine has sent over its life (tests, metrics). */
unsigned long cohd_rec_engine_mutations(const struct cohd_rec_engine *e);

const char *cohd_rec_sync_to_string(enum cohd_rec_sync s) _pure_;
const char *cohd_rec_health_to_string(enum cohd_rec_health h) _pure_;
