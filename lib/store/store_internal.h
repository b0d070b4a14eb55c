/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the lib/store source files only. */
#pragma once

#include <sqlite3.h>

#include "lib/store/store.h"
#include "lib/util/macro.h"
#include "lib/util/time.h"

struct cohd_store {
	sqlite3 *db;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_store *, cohd_store_close);
DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize);

/* SQLite result code -> negative errno (0 for OK/ROW/DONE). */
int store_errno(int rc);
/* Log at debug, fill reterr with what + sqlite3_errmsg, return the mapped errno (never 0). */
int store_fail(struct cohd_store *s, int rc, struct cohd_error *reterr, const char *what);
int store_exec(struct cohd_store *s, const char *sql, struct cohd_error *reterr);
int store_prepare(struct cohd_store *s, const char *sql, sqlite3_stmt **ret);
/* Bind text or NULL. */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
char *store_column_strdup(sqlite3_stmt *st, int i);
const char *store_column_text(sqlite3_stmt *st, int i);
/* Step a statement that returns no rows. */
int store_step_done(struct cohd_store *s, sqlite3_stmt *st);
/* The current wall-clock time as stored: ISO 8601 with microseconds. */
char *store_now(char buf[static COHD_ISO8601_MAX]);
