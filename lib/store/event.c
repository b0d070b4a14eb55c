/* SPDX-License-Identifier: Apache-2.0 */
/* lib/store: the event log behind `cohd-status events`. */
#include "lib/store/store_internal.h"

static bool valid_level(const char *l)
{
	return streq(l, "err") || streq(l, "warning") || streq(l, "notice") || streq(l, "info") ||
	       streq(l, "debug");
}

int cohd_store_event_add(struct cohd_store *s, int64_t app_env_id, const char *logical_id,
			 const char *level, const char *kind, const char *message, int64_t *ret_id)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && level && kind && message, -EINVAL);
	cohd_assert_return(valid_level(level), -EINVAL);
	r = store_prepare(s,
			  "INSERT INTO event (time, app_env_id, logical_id, level, kind, message) "
			  "VALUES (?, ?, ?, ?, ?, ?)",
			  &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, store_now(now));
	if (app_env_id > 0)
		sqlite3_bind_int64(st, 2, app_env_id);
	(void)store_bind_text(st, 3, logical_id);
	(void)store_bind_text(st, 4, level);
	(void)store_bind_text(st, 5, kind);
	(void)store_bind_text(st, 6, message);
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int cohd_store_event_foreach(struct cohd_store *s, int64_t after_id, int64_t app_env_id,
			     unsigned limit,
			     int (*cb)(const struct cohd_store_event *e, void *userdata),
			     void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	cohd_assert_return(s && cb, -EINVAL);
	r = store_prepare(s,
			  "SELECT id, coalesce(app_env_id, 0), time, logical_id, level, kind, message "
			  "FROM event WHERE id > ?1 AND (?2 = 0 OR app_env_id = ?2) "
			  "ORDER BY id LIMIT ?3",
			  &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, app_env_id);
	sqlite3_bind_int64(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cohd_store_event e = {
			.id = sqlite3_column_int64(st, 0),
			.app_env_id = sqlite3_column_int64(st, 1),
			.time = store_column_text(st, 2),
			.logical_id = store_column_text(st, 3),
			.level = store_column_text(st, 4),
			.kind = store_column_text(st, 5),
			.message = store_column_text(st, 6),
		};

		r = cb(&e, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, NULL, "event list");
}
