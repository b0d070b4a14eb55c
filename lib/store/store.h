/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/store: cohd's state in SQLite (the migrations in schema/). One writer, the daemon, on its
 * loop thread; calls are synchronous and short. Opening creates the file 0600, turns on WAL, a
 * busy timeout and foreign keys, and applies the embedded migrations. Depends on lib/util and
 * SQLite only.
 *
 * Errors: SQLite's codes are mapped once here (BUSY -> -EBUSY, NOMEM -> -ENOMEM, CONSTRAINT ->
 * -EEXIST, else -EIO) and sqlite3_errmsg() goes into the optional reterr. No secret value is
 * ever written: callers pass references and redacted documents.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/util/error.h"

struct cohd_store;

/* Open (creating it 0600 if needed) and migrate the database at path; ":memory:" for tests.
 * Returns 0, or -errno with reterr saying why (including "written by a newer cohd" when the
 * file's schema is ahead of this build: -EPROTONOSUPPORT). */
int cohd_store_open(const char *path, struct cohd_store **ret, struct cohd_error *reterr);

/* Close; accepts NULL; returns NULL. */
struct cohd_store *cohd_store_close(struct cohd_store *s);

/* The schema version (PRAGMA user_version) and the newest this build knows. */
int cohd_store_schema_version(struct cohd_store *s);
unsigned cohd_store_schema_latest(void);

/* A cheap liveness query for the watchdog. */
int cohd_store_ping(struct cohd_store *s);

/* Transactions (BEGIN IMMEDIATE). Rollback never fails visibly. */
int cohd_store_begin(struct cohd_store *s);
int cohd_store_commit(struct cohd_store *s);
void cohd_store_rollback(struct cohd_store *s);

/* ---- app environments ---- */

struct cohd_store_app_env {
	int64_t id;
	char *app, *environment, *env_type; /* env_type: production | static | preview */
	char *source_path, *source_sha256;
	char *document;                      /* validated app, JSON */
	int64_t generation;
	char *state;                         /* active | deleting | deleted */
	char *sync, *health;                 /* DESIGN.md §7 status axes */
	char *last_error;                    /* may be NULL */
	char *status;                        /* the engine's status of the last pass (JSON), or
					      * NULL before the first */
	bool delete_confirmed;               /* `cohd-status delete --confirm` since the last
					      * accepted file */
};

void cohd_store_app_env_done(struct cohd_store_app_env *e);

/* Record an accepted (validated) app file. Inserts a new app environment at generation 1, or,
 * when source_sha256 differs from the stored one, replaces path/document and bumps generation;
 * an identical file changes nothing. in->id, generation and the status fields are ignored.
 * Returns 0 and *ret_id, *ret_generation; *ret_changed says whether anything was written. */
int cohd_store_app_env_accept(struct cohd_store *s, const struct cohd_store_app_env *in,
			      int64_t *ret_id, int64_t *ret_generation, bool *ret_changed);

/* Look one up by app and environment name: 0, or -ENOENT. */
int cohd_store_app_env_get(struct cohd_store *s, const char *app, const char *environment,
			   struct cohd_store_app_env *ret);

/* `cohd-status delete APP.ENV --confirm`: recorded until the next accepted file. */
int cohd_store_app_env_confirm_delete(struct cohd_store *s, int64_t id);

/* All app environments ordered by app, environment; free with cohd_store_app_env_list_free. */
int cohd_store_app_env_list(struct cohd_store *s, struct cohd_store_app_env **ret, size_t *ret_n);
void cohd_store_app_env_list_free(struct cohd_store_app_env *list, size_t n);

/* Update the status axes and last error (NULL clears it); state may be NULL to keep it. */
int cohd_store_app_env_set_status(struct cohd_store *s, int64_t id, const char *state,
				  const char *sync, const char *health, const char *last_error);

/* Keep the engine's status document of the last pass (JSON text, NULL clears it). */
int cohd_store_app_env_set_pass_status(struct cohd_store *s, int64_t id, const char *status);

/* ---- desired and observed resources, drift ---- */

struct cohd_store_resource {
	const char *logical_id, *type, *physical_name;
	const char *properties; /* JSON object text */
	const char *depends_on; /* JSON array text; NULL = "[]" */
	const char *deletion;   /* "default" or "confirm" (stateful: needs a confirmed delete);
				 * NULL = "default" */
	const char *region;     /* NULL = the app environment's */
};

/* Replace the desired graph of (app_env_id, generation) with the n resources given. */
int cohd_store_desired_replace(struct cohd_store *s, int64_t app_env_id, int64_t generation,
			       const struct cohd_store_resource *r, size_t n);

/* Call cb for each desired resource of the generation, ordered by logical id; a negative return
 * from cb stops the walk and is returned. */
int cohd_store_desired_foreach(struct cohd_store *s, int64_t app_env_id, int64_t generation,
			       int (*cb)(const struct cohd_store_resource *r, void *userdata),
			       void *userdata);

/* The graph before this one: cb for each resource of the newest generation below `below`,
 * ordered by logical id (none when there is no earlier generation). */
int cohd_store_desired_foreach_previous(struct cohd_store *s, int64_t app_env_id, int64_t below,
					int (*cb)(const struct cohd_store_resource *r,
						  void *userdata),
					void *userdata);

/* Drop desired graphs older than keep_generation (the engine keeps the last applied one). */
int cohd_store_desired_prune(struct cohd_store *s, int64_t app_env_id, int64_t keep_generation);

/* What the last pass saw of one resource, and the engine's memory of its corrections. */
struct cohd_store_observed {
	const char *logical_id, *type;
	const char *aws_id;            /* id or ARN; NULL while unknown */
	const char *properties;        /* JSON object text without secrets; NULL: missing in AWS */
	const char *sync, *health;     /* DESIGN.md §7 vocabularies */
	unsigned corrections;          /* identical corrections that did not converge */
	const char *correction_digest; /* of the last correction; NULL when none */
	bool quarantined;
};

/* Insert or replace the row of o->logical_id. */
int cohd_store_observed_put(struct cohd_store *s, int64_t app_env_id,
			    const struct cohd_store_observed *o);
/* Every row of the app environment, ordered by logical id. */
int cohd_store_observed_foreach(struct cohd_store *s, int64_t app_env_id,
				int (*cb)(const struct cohd_store_observed *o, void *userdata),
				void *userdata);

/* One field that differs: status "drift" or "accepted" (by rule). Values are JSON text; a
 * write-only (secret) field is recorded without values. */
struct cohd_store_drift {
	const char *field, *status, *desired, *observed, *rule;
};

/* The fields of logical_id that differ now (n may be 0): rows of its other fields go, fields
 * that still differ keep their first_seen. */
int cohd_store_drift_replace(struct cohd_store *s, int64_t app_env_id, const char *logical_id,
			     const struct cohd_store_drift *fields, size_t n);
int cohd_store_drift_foreach(struct cohd_store *s, int64_t app_env_id,
			     int (*cb)(const char *logical_id, const struct cohd_store_drift *d,
				       void *userdata),
			     void *userdata);

/* A reconcile pass: begin returns its id; end records the outcome (converged, progressing,
 * failed, cancelled) and its call counts. */
int cohd_store_pass_begin(struct cohd_store *s, int64_t app_env_id, int64_t generation,
			  const char *trigger, bool dry_run, int64_t *ret_id);
int cohd_store_pass_end(struct cohd_store *s, int64_t pass_id, const char *outcome,
			unsigned api_calls, unsigned mutating_calls);

/* An action of the pass's plan, inserted or updated by its number seq: kind create, update,
 * replace, delete or tag; status as the engine names it (pending, running, waiting, done,
 * failed, blocked, skipped, timeout). */
int cohd_store_action_put(struct cohd_store *s, int64_t pass_id, int64_t seq,
			  const char *logical_id, const char *kind, const char *status,
			  const char *detail, const char *error);

/* ---- the journal of mutating calls ---- */

struct cohd_store_journal_entry {
	int64_t id, app_env_id;
	const char *logical_id, *service, *operation, *idempotency_token, *request, *created_at;
};

/* Write the intent of a mutating call before making it: request is redacted JSON text. */
int cohd_store_journal_intent(struct cohd_store *s, int64_t app_env_id, const char *logical_id,
			      const char *service, const char *operation, const char *token,
			      const char *request, int64_t *ret_id);

/* Record the outcome of intent id: succeeded (result = JSON text of returned ids, may be NULL)
 * or failed (error_code). -ENOENT if id is not an open intent. */
int cohd_store_journal_complete(struct cohd_store *s, int64_t id, bool succeeded,
				const char *aws_request_id, const char *error_code,
				const char *result);

/* Call cb for every intent without an outcome (after a crash), oldest first. */
int cohd_store_journal_foreach_open(struct cohd_store *s,
				    int (*cb)(const struct cohd_store_journal_entry *e, void *userdata),
				    void *userdata);

/* ---- events ---- */

struct cohd_store_event {
	int64_t id, app_env_id; /* app_env_id 0 = daemon-wide */
	const char *time, *logical_id, *level, *kind, *message;
};

/* Append an event (app_env_id 0 and logical_id NULL when not about one). level is one of
 * err, warning, notice, info, debug. Returns 0 and *ret_id (ret_id may be NULL). */
int cohd_store_event_add(struct cohd_store *s, int64_t app_env_id, const char *logical_id,
			 const char *level, const char *kind, const char *message, int64_t *ret_id);

/* Events with id > after_id (of one app environment, or all when app_env_id is 0), oldest first,
 * at most limit of them. */
int cohd_store_event_foreach(struct cohd_store *s, int64_t after_id, int64_t app_env_id,
			     unsigned limit,
			     int (*cb)(const struct cohd_store_event *e, void *userdata),
			     void *userdata);
