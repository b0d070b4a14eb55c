/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's single context (like systemd's Manager): the loop, the config, the store, the
 * app registry, the control socket and the timers. Callbacks reach it through handle->data.
 * One thread; everything here runs on the loop.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "lib/config/daemon.h"
#include "lib/store/store.h"
#include "lib/util/time.h"

struct ctl_server;
struct cohd_app;
struct cohd_graph;
struct cohd_rec_engine;
struct cohd_aws_client;
struct aws_account;

/* One app file in the watch directory and what cohd made of it. */
struct app_entry {
	struct cohd_daemon *d;
	char *path;            /* watch_dir/<file> */
	bool present;          /* seen by the last scan */
	bool removed;          /* its removal was reported (the deletion path started) */
	bool deleted;          /* ... and finished: nothing of it is left */
	bool delete_confirmed; /* `cohd-status delete --confirm` since the last accepted file */
	/* the bytes last read: skip files that did not change */
	char sha256[65];
	/* the last accepted version (from this run or the store); app NULL if never accepted */
	char *app, *environment, *env_type;
	int64_t store_id, generation;
	size_t n_resources;
	/* the last rejection: array of {message, file, line, column}; empty when the file is good */
	json_t *errors;

	/* reconciling (reconciler.c): the accepted app and its graph, and the engine with what it
	 * borrows (the app and graph it runs on stay alive until it is idle and rebuilt) */
	struct cohd_app *app_doc;
	struct cohd_graph *graph;
	struct cohd_rec_engine *engine;
	struct aws_account *acct; /* where it is reconciled: the daemon's or its role_arn's */
	struct cohd_app *engine_app;
	struct cohd_graph *engine_graph;
	char **owned;          /* logical id prefixes this environment owns, NULL-terminated */
	bool running, wanted;  /* a pass is running / another is due when it ends */
	bool done;             /* --once: this app needs no more passes */
	unsigned passes;
	json_t *rec_status;    /* the last pass's status (cohd_rec_engine_status) */
	int64_t pass_id;       /* the store's row of the running pass */
	unsigned long pass_mutations; /* engine mutations before it */
	json_t *pass_observed; /* logical id -> observed item, written when the pass ends */
	json_t *pass_diffs;    /* logical id -> diff, written when the pass ends */
	json_t *generated;     /* logical id -> value made by the generate port, kept until the
				* resource exists so that retries send the same secret (never
				* written anywhere) */
	unsigned secret_reads; /* GetSecretValue in flight for generated values (reconciler.c) */
	bool secrets_read;     /* ... done for this graph */
	bool secret_read_failed;
	usec_t last_pass;
};

struct cohd_daemon {
	uv_loop_t loop;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_fs_event_t watch;
	uv_timer_t debounce, sweep, watchdog;
	bool watching, stopping;
	usec_t watchdog_usec;   /* 0 = no watchdog */
	usec_t last_scan;       /* monotonic, for the watchdog's progress check */

	const struct cohd_daemon_config *config; /* borrowed from main() */
	struct cohd_store *store;
	struct ctl_server *ctl;

	struct app_entry **apps; /* entries never move: engines point at them */
	size_t n_apps;

	/* AWS (reconciler.c): accounts[0] is the daemon's own credentials; apps with an
	 * x-cohd.role_arn get one account each (a client that assumes the role) */
	bool once;
	struct aws_account **accounts;
	size_t n_accounts;
	int exit_code;
};

/* Run the daemon until SIGTERM/SIGINT, or with once, until one converging pass over every app
 * file has ended. config is borrowed for the whole run. Returns the process exit code. */
int daemon_run(const struct cohd_daemon_config *config, bool once);

/* Re-read the watch directory now: new, changed and removed app files (apps.c). */
void apps_scan(struct cohd_daemon *d);
/* Load the app environments the store knows, so a broken file on disk keeps its last good
 * version across restarts (apps.c). */
int apps_load(struct cohd_daemon *d);
void apps_free(struct cohd_daemon *d);
/* Status documents for the control socket (schema/ctl-v1.schema.json status_result). */
json_t *apps_status(struct cohd_daemon *d, const char *target);
struct app_entry *apps_find(struct cohd_daemon *d, const char *target);

/* Record an event about app a (NULL: the daemon) in the store and the log, and push it to
 * `events --follow` clients. level is a syslog level; kind a short tag ("file-rejected"). */
void daemon_event(struct cohd_daemon *d, const struct app_entry *a, const char *logical_id,
		  int level, const char *kind, const char *fmt, ...) _printf_(6, 7);

/* Reconciling (reconciler.c). rec_start creates the AWS client and finds the account (async);
 * rec_kick asks for a pass over one app (now, or when the running one ends); rec_entry_done
 * frees an entry's engine state. */
int rec_start(struct cohd_daemon *d);
void rec_stop(struct cohd_daemon *d);
void rec_kick(struct app_entry *a);
void rec_kick_all(struct cohd_daemon *d);
void rec_entry_done(struct app_entry *a);
/* The accepted version changed: the next pass runs on this app and graph (both stolen). */
void rec_set_desired(struct app_entry *a, struct cohd_app *app, struct cohd_graph *graph);
void rec_removed(struct app_entry *a);

/* The control socket (ctl_server.c). */
int ctl_server_start(struct cohd_daemon *d, const char *path, struct ctl_server **ret);
void ctl_server_stop(struct ctl_server *s);
void ctl_server_push_event(struct ctl_server *s, const json_t *event);
