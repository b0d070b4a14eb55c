/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Schema migrations: schema/NNNN_*.sql, embedded at build time (schema/embed_sql.py), applied in
 * order by PRAGMA user_version, each in its own transaction. Part of lib/store.
 */
#pragma once

struct cohd_store_migration {
	unsigned version; /* 1, 2, 3, ... : the user_version after applying it */
	const char *name; /* file name, for messages */
	const char *sql;
};

extern const struct cohd_store_migration cohd_store_migrations[];
extern const unsigned cohd_store_n_migrations;
