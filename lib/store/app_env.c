/* SPDX-License-Identifier: Apache-2.0 */
/* lib/store: the app_env table, one row per environment of one app (one app file). */
#include "lib/store/store_internal.h"

#define APP_ENV_COLUMNS                                                                            \
	"id, app, environment, env_type, source_path, source_sha256, document, generation, "      \
	"state, sync, health, last_error, status, delete_confirmed_at IS NOT NULL"

void cohd_store_app_env_done(struct cohd_store_app_env *e)
{
	if (!e)
		return;
	free(e->app);
	free(e->environment);
	free(e->env_type);
	free(e->source_path);
	free(e->source_sha256);
	free(e->document);
	free(e->state);
	free(e->sync);
	free(e->health);
	free(e->last_error);
	free(e->status);
	*e = (struct cohd_store_app_env){ 0 };
}

static int read_row(sqlite3_stmt *st, struct cohd_store_app_env *ret)
{
	struct cohd_store_app_env e = {
		.id = sqlite3_column_int64(st, 0),
		.app = store_column_strdup(st, 1),
		.environment = store_column_strdup(st, 2),
		.env_type = store_column_strdup(st, 3),
		.source_path = store_column_strdup(st, 4),
		.source_sha256 = store_column_strdup(st, 5),
		.document = store_column_strdup(st, 6),
		.generation = sqlite3_column_int64(st, 7),
		.state = store_column_strdup(st, 8),
		.sync = store_column_strdup(st, 9),
		.health = store_column_strdup(st, 10),
		.last_error = store_column_strdup(st, 11),
		.status = store_column_strdup(st, 12),
		.delete_confirmed = sqlite3_column_int(st, 13) != 0,
	};

	if (!e.app || !e.environment || !e.env_type || !e.source_path || !e.source_sha256 ||
	    !e.document || !e.state || !e.sync || !e.health) {
		cohd_store_app_env_done(&e);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

int cohd_store_app_env_get(struct cohd_store *s, const char *app, const char *environment,
			   struct cohd_store_app_env *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	cohd_assert_return(s && app && environment && ret, -EINVAL);
	r = store_prepare(s, "SELECT " APP_ENV_COLUMNS " FROM app_env WHERE app = ? AND environment = ?",
			  &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, app);
	(void)store_bind_text(st, 2, environment);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, NULL, "app_env get");
	return read_row(st, ret);
}

int cohd_store_app_env_accept(struct cohd_store *s, const struct cohd_store_app_env *in,
			      int64_t *ret_id, int64_t *ret_generation, bool *ret_changed)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct cohd_store_app_env old = { 0 };
	char now[COHD_ISO8601_MAX];
	bool changed = true;
	int64_t id, gen;
	int r;

	cohd_assert_return(s && in && in->app && in->environment && in->env_type &&
				   in->source_path && in->source_sha256 && in->document,
			   -EINVAL);
	store_now(now);
	r = cohd_store_app_env_get(s, in->app, in->environment, &old);
	if (r == -ENOENT) {
		r = store_prepare(s,
				  "INSERT INTO app_env (app, environment, env_type, source_path, "
				  "source_sha256, document, created_at, updated_at) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				  &st);
		if (r < 0)
			return r;
		(void)store_bind_text(st, 1, in->app);
		(void)store_bind_text(st, 2, in->environment);
		(void)store_bind_text(st, 3, in->env_type);
		(void)store_bind_text(st, 4, in->source_path);
		(void)store_bind_text(st, 5, in->source_sha256);
		(void)store_bind_text(st, 6, in->document);
		(void)store_bind_text(st, 7, now);
		(void)store_bind_text(st, 8, now);
		r = store_step_done(s, st);
		if (r < 0)
			return r;
		id = sqlite3_last_insert_rowid(s->db);
		gen = 1;
	} else if (r < 0)
		return r;
	else {
		id = old.id;
		gen = old.generation;
		changed = !streq(old.source_sha256, in->source_sha256) ||
			  !streq(old.source_path, in->source_path) || !streq(old.env_type, in->env_type);
		/* a file that comes back after removal revives its app environment */
		if (!streq(old.state, "active"))
			changed = true;
		cohd_store_app_env_done(&old);
		if (changed) {
			r = store_prepare(s,
					  "UPDATE app_env SET env_type = ?, source_path = ?, "
					  "source_sha256 = ?, document = ?, generation = generation + 1, "
					  "state = 'active', delete_confirmed_at = NULL, updated_at = ? "
					  "WHERE id = ?",
					  &st);
			if (r < 0)
				return r;
			(void)store_bind_text(st, 1, in->env_type);
			(void)store_bind_text(st, 2, in->source_path);
			(void)store_bind_text(st, 3, in->source_sha256);
			(void)store_bind_text(st, 4, in->document);
			(void)store_bind_text(st, 5, now);
			sqlite3_bind_int64(st, 6, id);
			r = store_step_done(s, st);
			if (r < 0)
				return r;
			gen++;
		}
	}
	if (ret_id)
		*ret_id = id;
	if (ret_generation)
		*ret_generation = gen;
	if (ret_changed)
		*ret_changed = changed;
	return 0;
}

void cohd_store_app_env_list_free(struct cohd_store_app_env *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		cohd_store_app_env_done(&list[i]);
	free(list);
}

int cohd_store_app_env_list(struct cohd_store *s, struct cohd_store_app_env **ret, size_t *ret_n)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct cohd_store_app_env *list = NULL;
	size_t n = 0, alloc = 0;
	int r, rc;

	cohd_assert_return(s && ret && ret_n, -EINVAL);
	r = store_prepare(s, "SELECT " APP_ENV_COLUMNS " FROM app_env ORDER BY app, environment", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			size_t a = alloc ? alloc * 2 : 8;
			struct cohd_store_app_env *p = reallocarray(list, a, sizeof *p);

			if (!p) {
				r = -ENOMEM;
				goto fail;
			}
			list = p;
			alloc = a;
		}
		r = read_row(st, &list[n]);
		if (r < 0)
			goto fail;
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, NULL, "app_env list");
		goto fail;
	}
	*ret = list;
	*ret_n = n;
	return 0;
fail:
	cohd_store_app_env_list_free(list, n);
	return r;
}

int cohd_store_app_env_set_status(struct cohd_store *s, int64_t id, const char *state,
				  const char *sync, const char *health, const char *last_error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && sync && health, -EINVAL);
	r = store_prepare(s,
			  "UPDATE app_env SET state = coalesce(?, state), sync = ?, health = ?, "
			  "last_error = ?, updated_at = ? WHERE id = ?",
			  &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, state);
	(void)store_bind_text(st, 2, sync);
	(void)store_bind_text(st, 3, health);
	(void)store_bind_text(st, 4, last_error);
	(void)store_bind_text(st, 5, store_now(now));
	sqlite3_bind_int64(st, 6, id);
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int cohd_store_app_env_confirm_delete(struct cohd_store *s, int64_t id)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s, -EINVAL);
	r = store_prepare(s, "UPDATE app_env SET delete_confirmed_at = ?1, updated_at = ?1 WHERE id = ?2",
			  &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, store_now(now));
	sqlite3_bind_int64(st, 2, id);
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int cohd_store_app_env_set_pass_status(struct cohd_store *s, int64_t id, const char *status)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r;

	cohd_assert_return(s, -EINVAL);
	r = store_prepare(s, "UPDATE app_env SET status = ? WHERE id = ?", &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, id);
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}
