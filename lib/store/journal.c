/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/store: the journal of mutating AWS calls. The engine writes an intent (with the
 * idempotency token it will send) before each mutating call and its outcome after; after a crash
 * the open intents say which calls may or may not have happened (DESIGN.md §5, step 5).
 */
#include "lib/store/store_internal.h"

int cohd_store_journal_intent(struct cohd_store *s, int64_t app_env_id, const char *logical_id,
			      const char *service, const char *operation, const char *token,
			      const char *request, int64_t *ret_id)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s && logical_id && service && operation && request, -EINVAL);
	r = store_prepare(s,
			  "INSERT INTO journal (app_env_id, logical_id, service, operation, "
			  "idempotency_token, request, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			  &st);
	if (r < 0)
		return r;
	if (app_env_id > 0)
		sqlite3_bind_int64(st, 1, app_env_id);
	(void)store_bind_text(st, 2, logical_id);
	(void)store_bind_text(st, 3, service);
	(void)store_bind_text(st, 4, operation);
	(void)store_bind_text(st, 5, token);
	(void)store_bind_text(st, 6, request);
	(void)store_bind_text(st, 7, store_now(now));
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int cohd_store_journal_complete(struct cohd_store *s, int64_t id, bool succeeded,
				const char *aws_request_id, const char *error_code,
				const char *result)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char now[COHD_ISO8601_MAX];
	int r;

	cohd_assert_return(s, -EINVAL);
	r = store_prepare(s,
			  "UPDATE journal SET state = ?, aws_request_id = ?, error_code = ?, "
			  "result = ?, completed_at = ? WHERE id = ? AND state = 'intent'",
			  &st);
	if (r < 0)
		return r;
	(void)store_bind_text(st, 1, succeeded ? "succeeded" : "failed");
	(void)store_bind_text(st, 2, aws_request_id);
	(void)store_bind_text(st, 3, error_code);
	(void)store_bind_text(st, 4, result);
	(void)store_bind_text(st, 5, store_now(now));
	sqlite3_bind_int64(st, 6, id);
	r = store_step_done(s, st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int cohd_store_journal_foreach_open(struct cohd_store *s,
				    int (*cb)(const struct cohd_store_journal_entry *e, void *userdata),
				    void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	cohd_assert_return(s && cb, -EINVAL);
	r = store_prepare(s,
			  "SELECT id, coalesce(app_env_id, 0), logical_id, service, operation, "
			  "idempotency_token, request, created_at FROM journal "
			  "WHERE state = 'intent' ORDER BY id",
			  &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cohd_store_journal_entry e = {
			.id = sqlite3_column_int64(st, 0),
			.app_env_id = sqlite3_column_int64(st, 1),
			.logical_id = store_column_text(st, 2),
			.service = store_column_text(st, 3),
			.operation = store_column_text(st, 4),
			.idempotency_token = store_column_text(st, 5),
			.request = store_column_text(st, 6),
			.created_at = store_column_text(st, 7),
		};

		r = cb(&e, userdata);
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, NULL, "journal list");
}
