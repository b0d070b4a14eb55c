/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/store: what reconcile passes found and did: observed resources (with the engine's
 * correction counters, so a quarantine survives a restart), per-field drift, passes and their
 * actions. The daemon writes a pass's results in one transaction when the pass ends.
 */
#include "lib/store/store_internal.h"

int cohd_store_observed_put(struct cohd_store *s, int64_t app_env_id,
			    const struct cohd_store_observed *o)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && o && o->logical_id && o->type && o->sync && o->health, -EINVAL);
	r = store_prepare(s,
			  "INSERT INTO observed_resource (app_env_id, logical_id, type, aws_id, "
			  "properties, sync, health, corrections, correction_digest, quarantined, "
			  "observed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
			  "ON CONFLICT (app_env_id, logical_id) DO UPDATE SET type = excluded.type, "
			  "aws_id = excluded.aws_id, properties = excluded.properties, "
			  "sync = excluded.sync, health = excluded.health, "
			  "corrections = excluded.corrections, "
			  "correction_digest = excluded.correction_digest, "
			  "quarantined = excluded.quarantined, observed_at = excluded.observed_at",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	(void)store_bind_text(st, 2, o->logical_id);
	(void)store_bind_text(st, 3, o->type);
	(void)store_bind_text(st, 4, o->aws_id);
	(void)store_bind_text(st, 5, o->properties);
	(void)store_bind_text(st, 6, o->sync);
	(void)store_bind_text(st, 7, o->health);
	sqlite3_bind_int(st, 8, (int)o->corrections);
	(void)store_bind_text(st, 9, o->correction_digest);
	sqlite3_bind_int(st, 10, o->quarantined);
	(void)store_bind_text(st, 11, store_now(now));
	return store_step_done(s, st);
}

int cohd_store_observed_foreach(struct cohd_store *s, int64_t app_env_id,
				int (*cb)(const struct cohd_store_observed *o, void *userdata),
				void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	cohd_assert_return(s && cb, -EINVAL);
	r = store_prepare(s,
			  "SELECT logical_id, type, aws_id, properties, sync, health, corrections, "
			  "correction_digest, quarantined FROM observed_resource "
			  "WHERE app_env_id = ? ORDER BY logical_id",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cohd_store_observed o = {
			.logical_id = store_column_text(st, 0),
			.type = store_column_text(st, 1),
			.aws_id = store_column_text(st, 2),
			.properties = store_column_text(st, 3),
			.sync = store_column_text(st, 4),
			.health = store_column_text(st, 5),
			.corrections = (unsigned)sqlite3_column_int(st, 6),
			.correction_digest = store_column_text(st, 7),
			.quarantined = sqlite3_column_int(st, 8) != 0,
		};

		r = cb(&o, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, NULL, "observed list");
}

int cohd_store_drift_replace(struct cohd_store *s, int64_t app_env_id, const char *logical_id,
			     const struct cohd_store_drift *fields, size_t n)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *up = NULL, *del = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && logical_id && (fields || n == 0), -EINVAL);
	store_now(now);
	r = store_prepare(s,
			  "INSERT INTO drift (app_env_id, logical_id, field, status, desired, "
			  "observed, rule, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
			  "ON CONFLICT (app_env_id, logical_id, field) DO UPDATE SET "
			  "status = excluded.status, desired = excluded.desired, "
			  "observed = excluded.observed, rule = excluded.rule, "
			  "last_seen = excluded.last_seen",
			  &up);
	if (r >= 0)
		/* what was not written just now no longer differs */
		r = store_prepare(s,
				  "DELETE FROM drift WHERE app_env_id = ? AND logical_id = ? "
				  "AND last_seen <> ?",
				  &del);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, app_env_id);
		(void)store_bind_text(up, 2, logical_id);
		(void)store_bind_text(up, 3, fields[i].field);
		(void)store_bind_text(up, 4, fields[i].status);
		(void)store_bind_text(up, 5, fields[i].desired);
		(void)store_bind_text(up, 6, fields[i].observed);
		(void)store_bind_text(up, 7, fields[i].rule);
		(void)store_bind_text(up, 8, now);
		(void)store_bind_text(up, 9, now);
		r = store_step_done(s, up);
	}
	if (r < 0)
		return r;
	sqlite3_bind_int64(del, 1, app_env_id);
	(void)store_bind_text(del, 2, logical_id);
	(void)store_bind_text(del, 3, now);
	return store_step_done(s, del);
}

int cohd_store_drift_foreach(struct cohd_store *s, int64_t app_env_id,
			     int (*cb)(const char *logical_id, const struct cohd_store_drift *d,
				       void *userdata),
			     void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	cohd_assert_return(s && cb, -EINVAL);
	r = store_prepare(s,
			  "SELECT logical_id, field, status, desired, observed, rule FROM drift "
			  "WHERE app_env_id = ? ORDER BY logical_id, field",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cohd_store_drift d = {
			.field = store_column_text(st, 1),
			.status = store_column_text(st, 2),
			.desired = store_column_text(st, 3),
			.observed = store_column_text(st, 4),
			.rule = store_column_text(st, 5),
		};

		r = cb(store_column_text(st, 0), &d, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, NULL, "drift list");
}

int cohd_store_pass_begin(struct cohd_store *s, int64_t app_env_id, int64_t generation,
			  const char *trigger, bool dry_run, int64_t *ret_id)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && trigger, -EINVAL);
	r = store_prepare(s,
			  "INSERT INTO pass (app_env_id, generation, trigger, dry_run, started_at) "
			  "VALUES (?, ?, ?, ?, ?)",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	sqlite3_bind_int64(st, 2, generation);
	(void)store_bind_text(st, 3, trigger);
	sqlite3_bind_int(st, 4, dry_run);
	(void)store_bind_text(st, 5, store_now(now));
	r = store_step_done(s, st);
	if (r >= 0 && ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db);
	return r;
}

int cohd_store_pass_end(struct cohd_store *s, int64_t pass_id, const char *outcome,
			unsigned api_calls, unsigned mutating_calls)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && outcome, -EINVAL);
	r = store_prepare(s,
			  "UPDATE pass SET finished_at = ?, outcome = ?, api_calls = ?, "
			  "mutating_calls = ? WHERE id = ?",
			  &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, store_now(now));
	(void)store_bind_text(st, 2, outcome);
	sqlite3_bind_int(st, 3, (int)api_calls);
	sqlite3_bind_int(st, 4, (int)mutating_calls);
	sqlite3_bind_int64(st, 5, pass_id);
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int cohd_store_action_put(struct cohd_store *s, int64_t pass_id, int64_t seq,
			  const char *logical_id, const char *kind, const char *status,
			  const char *detail, const char *error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	bool done;
	int r;

	cohd_assert_return(s && logical_id && kind && status, -EINVAL);
	done = !streq(status, "pending") && !streq(status, "running") && !streq(status, "waiting");
	r = store_prepare(s,
			  "INSERT INTO action (pass_id, seq, logical_id, kind, status, detail, error, "
			  "started_at, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
			  "ON CONFLICT (pass_id, seq) DO UPDATE SET status = excluded.status, "
			  "detail = coalesce(excluded.detail, detail), error = excluded.error, "
			  "finished_at = excluded.finished_at",
			  &st);
	if (r < 0)
		return r;
	store_now(now);
	sqlite3_bind_int64(st, 1, pass_id);
	sqlite3_bind_int64(st, 2, seq);
	(void)store_bind_text(st, 3, logical_id);
	(void)store_bind_text(st, 4, kind);
	(void)store_bind_text(st, 5, status);
	(void)store_bind_text(st, 6, detail);
	(void)store_bind_text(st, 7, error);
	(void)store_bind_text(st, 8, now);
	(void)store_bind_text(st, 9, done ? now : NULL);
	return store_step_done(s, st);
}
