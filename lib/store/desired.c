/* SPDX-License-Identifier: Apache-2.0 */
/* lib/store: the desired resource graph of each generation of an app environment. */
#include "lib/store/store_internal.h"

int cohd_store_desired_replace(struct cohd_store *s, int64_t app_env_id, int64_t generation,
			       const struct cohd_store_resource *res, size_t n)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *del = NULL, *ins = NULL;
	int r;

	cohd_assert_return(s && (res || n == 0), -EINVAL);
	r = store_prepare(s, "DELETE FROM desired_resource WHERE app_env_id = ? AND generation = ?",
			  &del);
	if (r < 0)
		return r;
	r = store_prepare(s,
			  "INSERT INTO desired_resource (app_env_id, generation, logical_id, type, "
			  "physical_name, properties, depends_on, deletion, region) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			  &ins);
	if (r < 0)
		return r;
	r = cohd_store_begin(s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(del, 1, app_env_id);
	sqlite3_bind_int64(del, 2, generation);
	r = store_step_done(s, del);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, app_env_id);
		sqlite3_bind_int64(ins, 2, generation);
		(void)store_bind_text(ins, 3, res[i].logical_id);
		(void)store_bind_text(ins, 4, res[i].type);
		(void)store_bind_text(ins, 5, res[i].physical_name);
		(void)store_bind_text(ins, 6, res[i].properties);
		(void)store_bind_text(ins, 7, res[i].depends_on ? res[i].depends_on : "[]");
		(void)store_bind_text(ins, 8, res[i].deletion ? res[i].deletion : "default");
		(void)store_bind_text(ins, 9, res[i].region);
		r = store_step_done(s, ins);
	}
	if (r >= 0)
		r = cohd_store_commit(s);
	if (r < 0)
		cohd_store_rollback(s);
	return r;
}

static int desired_walk(struct cohd_store *s, sqlite3_stmt *st,
			int (*cb)(const struct cohd_store_resource *r, void *userdata),
			void *userdata)
{
	int r, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cohd_store_resource res = {
			.logical_id = store_column_text(st, 0),
			.type = store_column_text(st, 1),
			.physical_name = store_column_text(st, 2),
			.properties = store_column_text(st, 3),
			.depends_on = store_column_text(st, 4),
			.deletion = store_column_text(st, 5),
			.region = store_column_text(st, 6),
		};

		r = cb(&res, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, NULL, "desired list");
}

int cohd_store_desired_foreach(struct cohd_store *s, int64_t app_env_id, int64_t generation,
			       int (*cb)(const struct cohd_store_resource *r, void *userdata),
			       void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	cohd_assert_return(s && cb, -EINVAL);
	r = store_prepare(s,
			  "SELECT logical_id, type, physical_name, properties, depends_on, deletion, region "
			  "FROM desired_resource WHERE app_env_id = ? AND generation = ? "
			  "ORDER BY logical_id",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	sqlite3_bind_int64(st, 2, generation);
	return desired_walk(s, st, cb, userdata);
}

int cohd_store_desired_foreach_previous(struct cohd_store *s, int64_t app_env_id, int64_t below,
					int (*cb)(const struct cohd_store_resource *r,
						  void *userdata),
					void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	cohd_assert_return(s && cb, -EINVAL);
	r = store_prepare(s,
			  "SELECT logical_id, type, physical_name, properties, depends_on, deletion, region "
			  "FROM desired_resource WHERE app_env_id = ?1 AND generation = "
			  "(SELECT max(generation) FROM desired_resource "
			  " WHERE app_env_id = ?1 AND generation < ?2) ORDER BY logical_id",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	sqlite3_bind_int64(st, 2, below);
	return desired_walk(s, st, cb, userdata);
}

int cohd_store_desired_prune(struct cohd_store *s, int64_t app_env_id, int64_t keep_generation)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	r = store_prepare(s, "DELETE FROM desired_resource WHERE app_env_id = ? AND generation < ?",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, app_env_id);
	sqlite3_bind_int64(st, 2, keep_generation);
	return store_step_done(s, st);
}
