/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket: a Unix stream socket (mode 0660) speaking lib/ctl. Each connection sends
 * requests and gets one answer per request; `events --follow` keeps the connection and streams
 * new events. Buffers are capped by lib/ctl, idle connections time out, and commands that change
 * anything are refused unless the peer (SO_PEERCRED) is root or cohd's own user.
 *
 * Handles are embedded in their connection and freed only from the close callbacks (libuv's
 * rule); a connection counts its pending closes and frees itself at zero.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include "daemon/cohd/daemon.h"
#include "lib/ctl/ctl.h"
#include "lib/reconcile/reconcile.h"
#include "lib/util/log.h"

#define IDLE_TIMEOUT_MS 60000
#define MAX_CONNECTIONS 64
#define EVENTS_MAX 1000

struct ctl_conn {
	uv_pipe_t pipe;
	uv_timer_t idle;
	struct ctl_server *server;
	struct cohd_ctl_reader reader;
	struct ctl_conn *prev, *next;
	bool closing;
	int open_handles;
	/* events --follow: stream events of this app (store id; 0 = all) */
	bool follow;
	int64_t follow_app;
};

struct ctl_server {
	uv_pipe_t pipe;
	struct cohd_daemon *d;
	char *path;
	struct ctl_conn *conns;
	size_t n_conns;
	bool closed;
};

struct write_req {
	uv_write_t req;
	struct ctl_conn *conn;
	char *data;
};

static void conn_handle_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;

	if (--c->open_handles > 0)
		return;
	cohd_ctl_reader_done(&c->reader);
	free(c);
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_server *s = c->server;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = container_of(req, struct write_req, req);

	if (status < 0 && status != UV_ECANCELED)
		log_debug(CTL, "write to a control client failed: %s", uv_strerror(status));
	free(w->data);
	free(w);
}

/* Queue one message; the connection stays open for more requests. */
static void conn_send(struct ctl_conn *c, json_t *msg)
{
	struct write_req *w;
	uv_buf_t buf;

	if (c->closing || !msg)
		goto out;
	w = calloc(1, sizeof *w);
	if (!w)
		goto out;
	w->conn = c;
	w->data = cohd_ctl_format(msg);
	if (!w->data) {
		free(w);
		goto out;
	}
	buf = uv_buf_init(w->data, (unsigned)strlen(w->data));
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0) {
		free(w->data);
		free(w);
		conn_close(c);
	}
out:
	json_decref(msg);
}

/* A success response carrying result, which is consumed (the builders below make new ones). */
static json_t *respond_ok(json_t *result)
{
	json_t *resp = result ? cohd_ctl_response_ok(result) : NULL;

	json_decref(result);
	return resp;
}

static bool peer_may_change(struct ctl_conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static json_t *event_json(struct cohd_daemon *d, const struct cohd_store_event *e)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)e->id, "time", e->time,
			      "level", e->level, "kind", e->kind, "message", e->message);

	for (size_t i = 0; o && e->app_env_id && i < d->n_apps; i++)
		if (d->apps[i]->store_id == e->app_env_id && d->apps[i]->app) {
			json_object_set_new(o, "app", json_string(d->apps[i]->app));
			json_object_set_new(o, "environment", json_string(d->apps[i]->environment));
		}
	if (o && e->logical_id)
		json_object_set_new(o, "logical_id", json_string(e->logical_id));
	return o;
}

struct events_ctx {
	struct cohd_daemon *d;
	json_t *list;
};

static int collect_event(const struct cohd_store_event *e, void *userdata)
{
	struct events_ctx *ctx = userdata;

	return json_array_append_new(ctx->list, event_json(ctx->d, e)) < 0 ? -ENOMEM : 0;
}

static json_t *do_events(struct ctl_conn *c, const struct cohd_ctl_request *req, int64_t app_id)
{
	struct events_ctx ctx = { .d = c->server->d, .list = json_array() };
	json_int_t after = json_integer_value(json_object_get(req->args, "after"));
	int r;

	if (!ctx.list)
		return NULL;
	r = cohd_store_event_foreach(ctx.d->store, after, app_id, EVENTS_MAX, collect_event, &ctx);
	if (r < 0) {
		json_decref(ctx.list);
		return cohd_ctl_response_error("internal", "cannot read events: %s", strerror(-r));
	}
	if (json_is_true(json_object_get(req->args, "follow"))) {
		c->follow = true;
		c->follow_app = app_id;
		uv_timer_stop(&c->idle); /* a follower stays as long as it likes */
	}
	return respond_ok(json_pack("{s:o}", "events", ctx.list));
}

static void dot_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int dot_resource(const struct cohd_store_resource *r, void *userdata)
{
	FILE *f = userdata;
	json_auto_t *deps = json_loads(r->depends_on, 0, NULL);
	_cleanup_free_ char *label = NULL;
	json_t *dep;
	size_t i;

	if (asprintf(&label, "%s\\n%s\\n%s", r->type, r->logical_id, r->physical_name) < 0)
		return -ENOMEM;
	fputs("  ", f);
	dot_quote(f, r->logical_id);
	fprintf(f, " [label=\"%s\"];\n", label);
	json_array_foreach(deps, i, dep) {
		fputs("  ", f);
		dot_quote(f, r->logical_id);
		fputs(" -> ", f);
		dot_quote(f, json_string_value(dep));
		fputs(";\n", f);
	}
	return 0;
}

/* The desired graph of the app's current generation, as Graphviz. */
static json_t *do_graph(struct cohd_daemon *d, const struct app_entry *a)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	json_t *resp;
	int r;

	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "digraph \"%s.%s\" {\n  rankdir=RL;\n  node [shape=box];\n", a->app,
		a->environment);
	r = cohd_store_desired_foreach(d->store, a->store_id, a->generation, dot_resource, f);
	fputs("}\n", f);
	fclose(f);
	if (r < 0)
		resp = cohd_ctl_response_error("internal", "cannot read the desired graph: %s",
					       strerror(-r));
	else
		resp = respond_ok(json_pack("{s:s}", "dot", text));
	free(text);
	return resp;
}

static json_t *do_log_level(const struct cohd_ctl_request *req)
{
	const char *level = json_string_value(json_object_get(req->args, "level"));
	const char *group = json_string_value(json_object_get(req->args, "group"));
	int l, g;

	if (level) {
		l = cohd_log_level_from_string(level);
		if (l < 0)
			return cohd_ctl_response_error("bad-request", "unknown log level \"%s\"", level);
		cohd_log_set_max_level(l);
	}
	if (group) {
		g = cohd_log_group_from_string(group);
		if (g < 0)
			return cohd_ctl_response_error("bad-request", "unknown log group \"%s\"", group);
		cohd_log_set_group_debug(g, json_is_true(json_object_get(req->args, "debug")));
	}
	return respond_ok(json_pack("{s:s}", "level",
					      cohd_log_level_to_string(cohd_log_get_max_level())));
}

static json_t *do_metrics(struct ctl_server *s)
{
	struct cohd_daemon *d = s->d;
	size_t files = 0, accepted = 0, rejected = 0, resources = 0;

	for (size_t i = 0; i < d->n_apps; i++) {
		if (!d->apps[i]->present)
			continue;
		files++;
		if (d->apps[i]->app)
			accepted++;
		if (json_array_size(d->apps[i]->errors))
			rejected++;
		resources += d->apps[i]->n_resources;
	}
	return respond_ok(json_pack("{s:I, s:I, s:I, s:I, s:I}", "app_files",
					      (json_int_t)files, "app_files_accepted",
					      (json_int_t)accepted, "app_files_rejected",
					      (json_int_t)rejected, "desired_resources",
					      (json_int_t)resources, "control_connections",
					      (json_int_t)s->n_conns));
}

/* The per-field differences of the last pass: resources whose diff is not all "match". */
static json_t *do_diff(const struct app_entry *a)
{
	json_t *list = json_array(), *res;
	size_t i;

	json_array_foreach(json_object_get(a->rec_status, "resources"), i, res) {
		json_t *diff = json_object_get(res, "diff");

		if (diff && !json_is_null(diff))
			json_array_append_new(list, json_pack("{s:O, s:O, s:O}", "id",
							      json_object_get(res, "id"), "type",
							      json_object_get(res, "type"), "diff",
							      diff));
	}
	return respond_ok(json_pack("{s:o, s:b}", "resources", list, "observed",
				    a->rec_status != NULL));
}

/* Answer one request. */
static json_t *dispatch(struct ctl_conn *c, json_t *msg)
{
	struct cohd_daemon *d = c->server->d;
	struct cohd_ctl_request req;
	struct cohd_error e = { 0 };
	struct app_entry *a = NULL;
	json_t *resp;

	if (cohd_ctl_request_parse(msg, &req, &e) < 0) {
		resp = cohd_ctl_response_error("bad-request", "%s", cohd_error_str(&e));
		cohd_error_done(&e);
		return resp;
	}
	if (cohd_ctl_command_mutates(req.command) && !peer_may_change(c))
		return cohd_ctl_response_error("permission-denied",
					       "\"%s\" changes cohd; only root or cohd's own user may "
					       "use it",
					       cohd_ctl_command_to_string(req.command));
	if (req.target) {
		a = apps_find(d, req.target);
		if (!a)
			return cohd_ctl_response_error("not-found", "no app environment %s",
						       req.target);
	}

	switch (req.command) {
	case COHD_CTL_STATUS:
		return respond_ok(apps_status(d, req.target));
	case COHD_CTL_EVENTS:
		return do_events(c, &req, a ? a->store_id : 0);
	case COHD_CTL_GRAPH:
		return do_graph(d, a);
	case COHD_CTL_METRICS:
		return do_metrics(c->server);
	case COHD_CTL_LOG_LEVEL:
		return do_log_level(&req);
	case COHD_CTL_DIFF:
		return do_diff(a);
	case COHD_CTL_RECONCILE:
		rec_kick(a);
		return respond_ok(json_pack("{s:b}", "scheduled", 1));
	case COHD_CTL_DELETE:
		if (!json_is_true(json_object_get(req.args, "confirm")))
			return cohd_ctl_response_error("bad-request", "delete needs \"confirm\": true");
		if (!a->engine)
			return cohd_ctl_response_error("conflict", "%s has not been reconciled yet",
						       req.target);
		if (cohd_store_app_env_confirm_delete(d->store, a->store_id) < 0)
			return cohd_ctl_response_error("internal", "cannot record the confirmation");
		a->delete_confirmed = true;
		cohd_rec_engine_confirm_delete(a->engine);
		daemon_event(d, a, NULL, LOG_WARNING, "delete-confirmed",
			     "deletion of stateful resources confirmed by request");
		rec_kick(a);
		return respond_ok(json_pack("{s:b}", "confirmed", 1));
	default:
		return cohd_ctl_response_error("bad-request", "unknown command");
	}
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char chunk[65536]; /* one loop thread: reads are consumed before the next alloc */

	(void)h;
	(void)suggested;
	*buf = uv_buf_init(chunk, sizeof chunk);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_conn *c = stream->data;
	struct cohd_error e = { 0 };
	json_t *msg;
	int r;

	if (nread < 0) {
		conn_close(c); /* EOF or error */
		return;
	}
	if (nread == 0)
		return;
	if (!c->follow)
		(void)uv_timer_again(&c->idle);
	if (cohd_ctl_reader_feed(&c->reader, buf->base, (size_t)nread) < 0) {
		conn_send(c, cohd_ctl_response_error("bad-request", "message too long"));
		conn_close(c);
		return;
	}
	while ((r = cohd_ctl_reader_next(&c->reader, &msg, &e)) != 0) {
		if (r < 0) {
			conn_send(c, cohd_ctl_response_error("bad-request", "%s", cohd_error_str(&e)));
			cohd_error_done(&e);
			continue;
		}
		conn_send(c, dispatch(c, msg));
		json_decref(msg);
		if (c->closing)
			return;
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	struct ctl_conn *c;

	if (status < 0) {
		log_warning(CTL, "accepting a control connection failed: %s, ignoring",
			    uv_strerror(status));
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->server = s;
	cohd_ctl_reader_init(&c->reader);
	uv_pipe_init(server->loop, &c->pipe, 0);
	uv_timer_init(server->loop, &c->idle);
	c->pipe.data = c->idle.data = c;
	c->open_handles = 2;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 || s->n_conns > MAX_CONNECTIONS) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, IDLE_TIMEOUT_MS, IDLE_TIMEOUT_MS);
	if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		conn_close(c);
}

void ctl_server_push_event(struct ctl_server *s, const json_t *event)
{
	for (struct ctl_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (!c->follow)
			continue;
		if (c->follow_app) {
			const struct app_entry *a = NULL;

			for (size_t i = 0; i < s->d->n_apps; i++)
				if (s->d->apps[i]->store_id == c->follow_app)
					a = s->d->apps[i];
			if (!a || !streq_ptr(a->app, json_string_value(json_object_get(event, "app"))) ||
			    !streq_ptr(a->environment,
				       json_string_value(json_object_get(event, "environment"))))
				continue;
		}
		conn_send(c, cohd_ctl_stream_event(event));
	}
}

static void server_closed(uv_handle_t *h)
{
	struct ctl_server *s = h->data;

	free(s->path);
	free(s);
}

int ctl_server_start(struct cohd_daemon *d, const char *path, struct ctl_server **ret)
{
	struct ctl_server *s = calloc(1, sizeof *s);
	_cleanup_free_ char *dir = NULL;
	char *slash;
	int r;

	if (!s)
		return log_error_errno(CTL, ENOMEM, "out of memory");
	s->d = d;
	s->path = strdup(path);
	dir = strdup(path);
	if (!s->path || !dir) {
		free(s->path);
		free(s);
		return log_error_errno(CTL, ENOMEM, "out of memory");
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			log_warning_errno(CTL, errno, "cannot create %s: %m, trying anyway", dir);
	}
	uv_pipe_init(&d->loop, &s->pipe, 0);
	s->pipe.data = s;
	/* a socket file left by a previous run (cohd was killed) is ours to replace */
	(void)unlink(path);
	r = uv_pipe_bind(&s->pipe, path);
	if (r >= 0 && chmod(path, 0660) < 0)
		r = -errno;
	if (r >= 0)
		r = uv_listen((uv_stream_t *)&s->pipe, 16, on_connection);
	if (r < 0) {
		log_error_errno(CTL, r, "cannot listen on %s: %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)&s->pipe, server_closed);
		return r;
	}
	log_info(CTL, "control socket %s", path);
	*ret = s;
	return 0;
}

void ctl_server_stop(struct ctl_server *s)
{
	while (s->conns)
		conn_close(s->conns);
	(void)unlink(s->path);
	uv_close((uv_handle_t *)&s->pipe, server_closed);
}
