/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "lib/store/migrate.h"
#include "lib/store/store.h"
#include "lib/store/store_internal.h"
#include "lib/util/log.h"

/* Busy timeout: only the daemon writes, so waits come from a backup or an operator's sqlite3
 * shell holding a read transaction during a checkpoint. */
#define STORE_BUSY_TIMEOUT_MS 5000

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

int store_fail(struct cohd_store *s, int rc, struct cohd_error *reterr, const char *what)
{
	int r = store_errno(rc);

	if (r == 0)
		r = -EIO;
	log_debug(STORE, "%s: %s", what, sqlite3_errmsg(s->db));
	return cohd_error_set(reterr, r, "%s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct cohd_store *s, const char *sql, struct cohd_error *reterr)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, reterr, "SQL");
}

int store_prepare(struct cohd_store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, NULL, "prepare");
}

/* Create the file with mode 0600 before SQLite sees it, so that there is no moment in which it
 * exists with the umask's mode; SQLite gives its -wal and -shm files the database's mode. */
static int create_private(const char *path, struct cohd_error *reterr)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (streq(path, ":memory:"))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cohd_error_set(reterr, -errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return cohd_error_set(reterr, -errno, "cannot stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cohd_error_set(reterr, -EINVAL, "%s is not a regular file", path);
	/* an existing file with a wider mode is tightened, not trusted */
	if ((st.st_mode & 0077) && fchmod(fd, st.st_mode & 0700) < 0)
		return cohd_error_set(reterr, -errno, "cannot chmod %s: %s", path, strerror(errno));
	return 0;
}

static int store_migrate(struct cohd_store *s, struct cohd_error *reterr)
{
	int v = cohd_store_schema_version(s), r;

	if (v < 0)
		return cohd_error_set(reterr, v, "cannot read the schema version");
	if ((unsigned)v > cohd_store_n_migrations)
		return cohd_error_set(reterr, -EPROTONOSUPPORT,
				      "database schema version %d is newer than this cohd knows (%u); "
				      "it was written by a newer cohd",
				      v, cohd_store_n_migrations);
	for (unsigned i = (unsigned)v; i < cohd_store_n_migrations; i++) {
		const struct cohd_store_migration *m = &cohd_store_migrations[i];
		_cleanup_free_ char *pragma = NULL;

		log_debug(STORE, "applying migration %s", m->name);
		r = cohd_store_begin(s);
		if (r < 0)
			return cohd_error_set(reterr, r, "cannot begin migration %s: %s", m->name,
					      sqlite3_errmsg(s->db));
		if (asprintf(&pragma, "PRAGMA user_version = %u", m->version) < 0) {
			cohd_store_rollback(s);
			return cohd_error_set(reterr, -ENOMEM, "out of memory");
		}
		r = store_exec(s, m->sql, reterr);
		if (r >= 0)
			r = store_exec(s, pragma, reterr);
		if (r >= 0)
			r = cohd_store_commit(s);
		if (r < 0) {
			cohd_store_rollback(s);
			return cohd_error_set(reterr, r, "migration %s failed: %s", m->name,
					      sqlite3_errmsg(s->db));
		}
	}
	return 0;
}

int cohd_store_open(const char *path, struct cohd_store **ret, struct cohd_error *reterr)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	int rc, r;

	cohd_assert_return(path && ret, -EINVAL);
	r = create_private(path, reterr);
	if (r < 0)
		return r;
	s = calloc(1, sizeof *s);
	if (!s)
		return cohd_error_set(reterr, -ENOMEM, "out of memory");
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
				     SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		if (!s->db)
			return cohd_error_set(reterr, -ENOMEM, "out of memory");
		return store_fail(s, rc, reterr, path);
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	/* WAL: readers (backups, an operator's shell) never block the daemon. synchronous=FULL:
	 * a journal intent must be on disk before the AWS call it announces is made. */
	r = store_exec(s,
		       "PRAGMA journal_mode = WAL;"
		       "PRAGMA synchronous = FULL;"
		       "PRAGMA foreign_keys = ON;",
		       reterr);
	if (r < 0)
		return r;
	r = store_migrate(s, reterr);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

struct cohd_store *cohd_store_close(struct cohd_store *s)
{
	if (!s)
		return NULL;
	/* sqlite3_close_v2 defers the close until statements are finalised; we finalise all */
	(void)sqlite3_close_v2(s->db);
	free(s);
	return NULL;
}

int cohd_store_schema_version(struct cohd_store *s)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r = store_prepare(s, "PRAGMA user_version", &st);

	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EIO;
	return sqlite3_column_int(st, 0);
}

unsigned cohd_store_schema_latest(void)
{
	return cohd_store_n_migrations;
}

int cohd_store_ping(struct cohd_store *s)
{
	return store_exec(s, "SELECT 1", NULL);
}

int cohd_store_begin(struct cohd_store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE", NULL);
}

int cohd_store_commit(struct cohd_store *s)
{
	return store_exec(s, "COMMIT", NULL);
}

void cohd_store_rollback(struct cohd_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

char *store_now(char buf[static COHD_ISO8601_MAX])
{
	return cohd_format_iso8601(buf, cohd_now_realtime(), true);
}

int store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	int rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);

	return store_errno(rc);
}

char *store_column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

const char *store_column_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int store_step_done(struct cohd_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, NULL, "step");
}
