/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's life: open the state, load what it knew, watch the app directory, answer the
 * control socket, tell systemd how it is doing, and stop cleanly.
 *
 * What runs on the loop, and when (like Redis's serverCron, each with its own period):
 *   - the watch directory's inotify events (uv_fs_event) start a short debounce timer; when it
 *     fires, apps_scan() reads every new or changed app file, validates and compiles it, and
 *     records the accepted version (a rejected file keeps the previous good one in force);
 *   - the sweep timer (config sweep.interval with jitter) rescans even without events, so a
 *     missed notification costs at most one interval;
 *   - the watchdog timer (half of WatchdogSec) sends WATCHDOG=1 only when the last scan finished
 *     within two sweep intervals and the store answers, so a wedged daemon gets restarted;
 *   - SIGHUP rescans now; SIGTERM/SIGINT stop.
 * Reconciling against AWS (observe, diff, plan, act) plugs in at the scan and sweep points.
 */
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#if ENABLE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/cohd/daemon.h"
#include "lib/util/log.h"

#define DEBOUNCE_MS 300

static void notify(const char *state)
{
#if ENABLE_SYSTEMD
	(void)sd_notify(0, state);
#else
	(void)state;
#endif
}

static void notify_status(struct cohd_daemon *d)
{
	size_t good = 0, bad = 0;
	char s[128];

	for (size_t i = 0; i < d->n_apps; i++) {
		if (!d->apps[i]->present)
			continue;
		if (json_array_size(d->apps[i]->errors))
			bad++;
		else
			good++;
	}
	snprintf(s, sizeof s, "STATUS=%zu app files, %zu accepted, %zu rejected", good + bad, good,
		 bad);
	notify(s);
}

void daemon_event(struct cohd_daemon *d, const struct app_entry *a, const char *logical_id,
		  int level, const char *kind, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *app_env = NULL;
	struct cohd_log_fields f = { .resource = logical_id };
	json_auto_t *ev = NULL;
	int64_t id = 0;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	if (a && a->app && asprintf(&app_env, "%s.%s", a->app, a->environment) < 0)
		app_env = NULL;
	f.app = app_env;
	log_full_errno_fields(level, MAIN, 0, &f, "%s", msg);
	if (d->store &&
	    cohd_store_event_add(d->store, a ? a->store_id : 0, logical_id,
				 cohd_log_level_to_string(level < LOG_ERR ? LOG_ERR : level), kind,
				 msg, &id) < 0)
		log_warning(STORE, "cannot record event '%s', ignoring", kind);
	ev = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "level",
		       cohd_log_level_to_string(level < LOG_ERR ? LOG_ERR : level), "kind", kind,
		       "message", msg);
	if (ev && a && a->app) {
		json_object_set_new(ev, "app", json_string(a->app));
		json_object_set_new(ev, "environment", json_string(a->environment));
	}
	if (ev && logical_id)
		json_object_set_new(ev, "logical_id", json_string(logical_id));
	if (ev) {
		char now[COHD_ISO8601_MAX];

		json_object_set_new(ev, "time",
				    json_string(cohd_format_iso8601(now, cohd_now_realtime(), true)));
		if (d->ctl)
			ctl_server_push_event(d->ctl, ev);
	}
}

static void scan_now(struct cohd_daemon *d)
{
	apps_scan(d);
	d->last_scan = cohd_now_monotonic();
	notify_status(d);
}

static void on_debounce(uv_timer_t *t)
{
	scan_now(t->data);
}

static void on_watch(uv_fs_event_t *h, const char *filename, int events, int status)
{
	struct cohd_daemon *d = h->data;

	if (status < 0)
		log_warning_errno(MAIN, status, "watching %s failed: %s, relying on the sweep",
				  d->config->watch_dir, uv_strerror(status));
	/* a burst of events (editor saves, rsync) becomes one scan after it quiets down; a file
	 * still being written is read again by the event its last write causes */
	(void)uv_timer_start(&d->debounce, on_debounce, DEBOUNCE_MS, 0);
}

static uint64_t sweep_delay_ms(const struct cohd_daemon *d)
{
	usec_t jitter = d->config->sweep_jitter;

	/* spread sweeps of many daemons (and of restarts) instead of synchronising them */
	if (jitter)
		jitter = (usec_t)random() % jitter;
	return (d->config->sweep_interval + jitter) / USEC_PER_MSEC;
}

static void on_sweep(uv_timer_t *t)
{
	struct cohd_daemon *d = t->data;

	scan_now(d);
	for (size_t i = 0; i < d->n_apps; i++)
		rec_kick(d->apps[i]);
	(void)uv_timer_start(&d->sweep, on_sweep, sweep_delay_ms(d), 0);
}

#if ENABLE_SYSTEMD
static void on_watchdog(uv_timer_t *t)
{
	struct cohd_daemon *d = t->data;
	usec_t since = cohd_now_monotonic() - d->last_scan;

	if (since > 2 * (d->config->sweep_interval + d->config->sweep_jitter)) {
		log_error(MAIN, "no scan finished for %llu s, withholding the watchdog ping",
			  (unsigned long long)(since / USEC_PER_SEC));
		return;
	}
	if (cohd_store_ping(d->store) < 0) {
		log_error(STORE, "the state database does not answer, withholding the watchdog ping");
		return;
	}
	notify("WATCHDOG=1");
}
#endif

static void on_signal(uv_signal_t *s, int signum)
{
	struct cohd_daemon *d = s->data;

	if (signum == SIGHUP) {
		log_info(MAIN, "SIGHUP: rescanning %s", d->config->watch_dir);
		scan_now(d);
		return;
	}
	log_notice(MAIN, "%s: stopping", strsignal(signum));
	d->stopping = true;
	uv_stop(&d->loop);
}

static int open_store(struct cohd_daemon *d)
{
	_cleanup_free_ char *path = NULL;
	struct cohd_error e = { 0 };
	int r;

	if (mkdir(d->config->state_dir, 0700) < 0 && errno != EEXIST)
		return log_error_errno(MAIN, errno, "cannot create state directory %s: %m",
				       d->config->state_dir);
	if (asprintf(&path, "%s/cohd.db", d->config->state_dir) < 0)
		return log_error_errno(MAIN, ENOMEM, "out of memory");
	r = cohd_store_open(path, &d->store, &e);
	if (r < 0)
		log_error_errno(STORE, r, "cannot open state database: %s", cohd_error_str(&e));
	cohd_error_done(&e);
	return r;
}

static int start_watching(struct cohd_daemon *d)
{
	int r;

	if (mkdir(d->config->watch_dir, 0750) < 0 && errno != EEXIST)
		return log_error_errno(MAIN, errno, "cannot create watch directory %s: %m",
				       d->config->watch_dir);
	r = uv_fs_event_start(&d->watch, on_watch, d->config->watch_dir, 0);
	if (r < 0)
		return log_error_errno(MAIN, r, "cannot watch %s: %s", d->config->watch_dir,
				       uv_strerror(r));
	d->watching = true;
	return 0;
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, close_cb);
}

int daemon_run(const struct cohd_daemon_config *config, bool once)
{
	struct cohd_daemon d = { .config = config, .once = once, .exit_code = EXIT_SUCCESS };
	int r;

	/* SIGPIPE: a cohd-status that goes away mid-answer must not kill us (libuv #45) */
	(void)signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)cohd_now_realtime() ^ (unsigned)getpid());

	r = uv_loop_init(&d.loop);
	if (r < 0)
		return log_error_errno(MAIN, r, "cannot create the event loop: %s", uv_strerror(r)),
		       EXIT_FAILURE;
	uv_loop_set_data(&d.loop, &d);
	uv_signal_init(&d.loop, &d.sig_term);
	uv_signal_init(&d.loop, &d.sig_int);
	uv_signal_init(&d.loop, &d.sig_hup);
	uv_fs_event_init(&d.loop, &d.watch);
	uv_timer_init(&d.loop, &d.debounce);
	uv_timer_init(&d.loop, &d.sweep);
	uv_timer_init(&d.loop, &d.watchdog);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = d.watch.data = &d;
	d.debounce.data = d.sweep.data = d.watchdog.data = &d;

	d.exit_code = EXIT_FAILURE;
	if (open_store(&d) < 0 || apps_load(&d) < 0 || rec_start(&d) < 0)
		goto out;
	if (!once && (start_watching(&d) < 0 || ctl_server_start(&d, d.config->socket_path,
								  &d.ctl) < 0))
		goto out;
	d.exit_code = EXIT_SUCCESS;
	uv_signal_start(&d.sig_term, on_signal, SIGTERM);
	uv_signal_start(&d.sig_int, on_signal, SIGINT);
	uv_signal_start(&d.sig_hup, on_signal, SIGHUP);

	daemon_event(&d, NULL, NULL, LOG_NOTICE, "started", "cohd %s %s %s, state in %s%s",
		     COHD_VERSION, once ? "reconciling" : "watching", d.config->watch_dir,
		     d.config->state_dir, d.config->dry_run ? " (dry run)" : "");
	scan_now(&d);
	if (!once) {
		(void)uv_timer_start(&d.sweep, on_sweep, sweep_delay_ms(&d), 0);
#if ENABLE_SYSTEMD
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
			d.watchdog_usec = usec;
			(void)uv_timer_start(&d.watchdog, on_watchdog, usec / 2 / 1000,
					     usec / 2 / 1000);
		}
#endif
		notify("READY=1");
		notify_status(&d);
	}

	uv_run(&d.loop, UV_RUN_DEFAULT);
	if (!once)
		notify("STOPPING=1");
	daemon_event(&d, NULL, NULL, LOG_INFO, "stopped", "cohd stopping");
out:
	/* teardown (style.md §2.6): stop accepting, cancel AWS calls, close every handle, let
	 * their callbacks run, then free */
	if (d.ctl)
		ctl_server_stop(d.ctl);
	rec_stop(&d);
	uv_walk(&d.loop, close_all, NULL);
	while (uv_run(&d.loop, UV_RUN_DEFAULT) != 0)
		;
	if (uv_loop_close(&d.loop) < 0)
		log_warning(MAIN, "event loop closed with handles still open, ignoring");
	apps_free(&d);
	d.store = cohd_store_close(d.store);
	return d.exit_code;
}
