/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd-status: asks a running cohd, over its control socket, what it manages and how each app
 * environment stands (DESIGN.md §7). A synchronous client of lib/ctl: one request, one answer
 * (or a stream of events with --follow), each read with a timeout. Links only lib/ctl and
 * lib/util. Exit codes: 0 healthy, 1 degraded or refused, 2 cohd unreachable, 64 usage.
 */
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/ctl/ctl.h"
#include "lib/util/macro.h"

#define EXIT_DEGRADED 1
#define EXIT_UNREACHABLE 2
#define EXIT_USAGE 64
#define TIMEOUT_MS 30000

struct status_args {
	const char *socket;
	bool json, follow, confirm;
	enum cohd_ctl_command command;
	const char *target; /* APP.ENV or NULL */
};

static void help(void)
{
	printf("Usage: cohd-status [OPTIONS]                 one line per app environment\n"
	       "       cohd-status [OPTIONS] APP.ENV         its resources, drift, actions, waits, health\n"
	       "       cohd-status [OPTIONS] events [--follow] [APP.ENV]\n"
	       "       cohd-status [OPTIONS] reconcile APP.ENV | diff APP.ENV | graph APP.ENV\n"
	       "       cohd-status [OPTIONS] delete APP.ENV --confirm\n"
	       "       cohd-status [OPTIONS] metrics\n"
	       "\n"
	       "Ask a running cohd what it manages and how each app stands.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  control socket (default %s/cohd.sock)\n"
	       "      --json         machine-readable output (schema/ctl-v1.schema.json)\n"
	       "  -f, --follow       with events: keep printing new events\n"
	       "      --confirm      with delete: really delete stateful resources\n"
	       "  -h, --help         show this help\n"
	       "  -V, --version      show the version\n"
	       "\n"
	       "Exit status: 0 healthy, 1 degraded or refused, 2 cohd unreachable, 64 usage error.\n",
	       COHD_RUNDIR);
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cohd-status: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'cohd-status --help' for more information.\n", stderr);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct status_args *a)
{
	enum { ARG_SOCKET = 0x100, ARG_JSON, ARG_CONFIRM };
	static const struct option options[] = {
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "follow", no_argument, NULL, 'f' },
		{ "confirm", no_argument, NULL, ARG_CONFIRM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *name;
	int c, npos;
	char **pos;

	opterr = 0;
	/* options may follow the command ("events --follow", "delete x.y --confirm") */
	while ((c = getopt_long(argc, argv, ":fhV", options, NULL)) >= 0) {
		switch (c) {
		case ARG_SOCKET:
			a->socket = optarg;
			break;
		case ARG_JSON:
			a->json = true;
			break;
		case 'f':
			a->follow = true;
			break;
		case ARG_CONFIRM:
			a->confirm = true;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("cohd-status %s\n", COHD_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	pos = argv + optind;
	npos = argc - optind;
	a->command = COHD_CTL_STATUS;
	if (npos > 0) {
		c = cohd_ctl_command_from_string(pos[0]);
		/* "status" and "log-level" are protocol commands, not command-line ones */
		if (c < 0 || c == COHD_CTL_STATUS || c == COHD_CTL_LOG_LEVEL) {
			if (npos > 1)
				return usage_error("unknown command '%s'", pos[0]);
			if (!strchr(pos[0], '.'))
				return usage_error("'%s' is neither a command nor an APP.ENV name",
						   pos[0]);
			a->target = pos[0];
		} else {
			a->command = c;
			if (npos > 2 || (npos == 2 && !cohd_ctl_command_takes_target(c)))
				return usage_error("too many arguments for '%s'", pos[0]);
			if (npos == 1 && cohd_ctl_command_needs_target(c))
				return usage_error("'%s' needs an APP.ENV argument", pos[0]);
			a->target = npos == 2 ? pos[1] : NULL;
		}
	}
	name = cohd_ctl_command_to_string(a->command);
	if (a->follow && a->command != COHD_CTL_EVENTS)
		return usage_error("--follow goes with 'events', not '%s'", name);
	if (a->command == COHD_CTL_DELETE && !a->confirm)
		return usage_error("'delete %s' needs --confirm", a->target);
	if (a->confirm && a->command != COHD_CTL_DELETE)
		return usage_error("--confirm goes with 'delete', not '%s'", name);
	return 1;
}

/* Connect to the control socket, waiting at most timeout_ms. Returns the fd or -errno. */
static int connect_socket(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof err;

		if (errno != EINPROGRESS && errno != EAGAIN)
			return -errno;
		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -errno;
		if (err)
			return -err;
	}
	return TAKE_FD(fd);
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (poll(&p, 1, TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next message from the daemon: 1 and *ret, 0 at end of stream, -errno. timeout_ms < 0
 * waits for ever (events --follow). */
static int receive(int fd, struct cohd_ctl_reader *rd, int timeout_ms, json_t **ret)
{
	struct cohd_error e = { 0 };
	char chunk[16384];
	int r;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		r = cohd_ctl_reader_next(rd, ret, &e);
		if (r != 0) {
			if (r < 0)
				fprintf(stderr, "cohd-status: %s\n", cohd_error_str(&e));
			cohd_error_done(&e);
			return r;
		}
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		n = recv(fd, chunk, sizeof chunk, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		r = cohd_ctl_reader_feed(rd, chunk, (size_t)n);
		if (r < 0)
			return r;
	}
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static void print_app_line(const json_t *app)
{
	const json_t *res = json_object_get(app, "resources"), *errors = json_object_get(app, "errors");
	_cleanup_free_ char *name = NULL;

	if (asprintf(&name, "%s.%s", str(app, "app"), str(app, "environment")) < 0)
		return;
	printf("%-32s %-12s %-12s %4lld resources", name, str(app, "sync"), str(app, "health"),
	       json_integer_value(json_object_get(res, "total")));
	if (json_integer_value(json_object_get(res, "drifted")))
		printf(", %lld drifted", json_integer_value(json_object_get(res, "drifted")));
	if (json_integer_value(json_object_get(res, "accepted")))
		printf(", %lld accepted drift",
		       json_integer_value(json_object_get(res, "accepted")));
	if (json_array_size(errors))
		printf(", %zu errors", json_array_size(errors));
	if (streq_ptr(json_string_value(json_object_get(app, "state")), "deleting"))
		printf(", file removed: being deleted");
	else if (streq_ptr(json_string_value(json_object_get(app, "state")), "deleted"))
		printf(", file removed: deleted");
	printf("\n");
}

/* One app asked for: its file errors, then each resource of the last pass. */
static void print_detail(const json_t *app)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(app, "errors"), i, e)
		printf("  error: %s\n", str(e, "message"));
	json_array_foreach(json_object_get(app, "resource_status"), i, e) {
		const char *msg = json_string_value(json_object_get(e, "message"));
		const char *wait = json_string_value(json_object_get(e, "waiting_for"));

		printf("  %-12s %-12s %-34s %s%s%s%s%s\n", str(e, "sync"), str(e, "health"),
		       str(e, "type"), str(e, "id"), msg ? ": " : "", msg ? msg : "",
		       wait ? ", waiting for " : "", wait ? wait : "");
	}
}

static void print_event(const json_t *ev)
{
	const json_t *app = json_object_get(ev, "app"), *id = json_object_get(ev, "logical_id");

	printf("%s %-7s ", str(ev, "time"), str(ev, "level"));
	if (app)
		printf("%s.%s ", json_string_value(app), str(ev, "environment"));
	if (id)
		printf("%s ", json_string_value(id));
	printf("%s: %s\n", str(ev, "kind"), str(ev, "message"));
}

/* Human output of a result; returns the exit code it implies. */
static int print_result(const struct status_args *a, const json_t *result)
{
	int code = EXIT_SUCCESS;
	const json_t *apps, *app, *v;
	const char *key;
	size_t i;

	switch (a->command) {
	case COHD_CTL_STATUS:
		apps = json_object_get(result, "apps");
		if (json_array_size(apps) == 0)
			printf("no app environments (watching %s)\n", str(result, "watch_dir"));
		json_array_foreach(apps, i, app) {
			const char *health = str(app, "health"), *sync = str(app, "sync");

			print_app_line(app);
			if (a->target)
				print_detail(app);
			if (streq(health, "degraded") || streq(sync, "error") ||
			    streq(sync, "quarantined"))
				code = EXIT_DEGRADED;
		}
		break;
	case COHD_CTL_EVENTS:
		json_array_foreach(json_object_get(result, "events"), i, v)
			print_event(v);
		break;
	case COHD_CTL_GRAPH:
		fputs(str(result, "dot"), stdout);
		break;
	default:
		/* diff, metrics, reconcile, delete: key: value lines */
		json_object_foreach((json_t *)result, key, v) {
			_cleanup_free_ char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_SORT_KEYS);

			printf("%s: %s\n", key, s ? s : "?");
		}
	}
	return code;
}

int main(int argc, char **argv)
{
	struct status_args a = { .socket = COHD_RUNDIR "/cohd.sock" };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *line = NULL;
	json_auto_t *args = NULL, *req = NULL, *resp = NULL;
	struct cohd_ctl_reader rd;
	struct cohd_error e = { 0 };
	const char *code = NULL;
	json_t *result;
	int r;

	r = parse_args(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

	fd = connect_socket(a.socket, 5000);
	if (fd < 0) {
		fprintf(stderr, "cohd-status: cannot reach cohd at %s: %s\n", a.socket, strerror(-fd));
		return EXIT_UNREACHABLE;
	}
	args = json_pack("{s:b, s:b}", "follow", a.follow, "confirm", a.confirm);
	req = args ? cohd_ctl_request_new(a.command, a.target, args) : NULL;
	line = req ? cohd_ctl_format(req) : NULL;
	if (!line) {
		fprintf(stderr, "cohd-status: out of memory\n");
		return EXIT_FAILURE;
	}
	r = send_all(fd, line, strlen(line));
	if (r < 0) {
		fprintf(stderr, "cohd-status: cannot send to %s: %s\n", a.socket, strerror(-r));
		return EXIT_UNREACHABLE;
	}

	cohd_ctl_reader_init(&rd);
	r = receive(fd, &rd, TIMEOUT_MS, &resp);
	if (r <= 0) {
		fprintf(stderr, "cohd-status: no answer from %s: %s\n", a.socket,
			r == 0 ? "connection closed" : strerror(-r));
		cohd_ctl_reader_done(&rd);
		return EXIT_UNREACHABLE;
	}
	r = cohd_ctl_response_parse(resp, &result, &code, &e);
	if (r < 0) {
		fprintf(stderr, "cohd-status: %s%s%s\n", code ? code : "", code ? ": " : "",
			cohd_error_str(&e));
		cohd_error_done(&e);
		cohd_ctl_reader_done(&rd);
		return r == -EREMOTEIO ? EXIT_FAILURE : EXIT_UNREACHABLE;
	}
	if (a.json) {
		_cleanup_free_ char *s = json_dumps(result, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s ? s : "null");
	} else
		r = print_result(&a, result);

	/* events --follow: then every streamed event until cohd goes away */
	while (a.follow) {
		json_auto_t *m = NULL;

		if (receive(fd, &rd, -1, &m) <= 0)
			break;
		if (a.json) {
			_cleanup_free_ char *s = json_dumps(json_object_get(m, "event"),
							    JSON_COMPACT | JSON_SORT_KEYS);

			printf("%s\n", s ? s : "null");
		} else
			print_event(json_object_get(m, "event"));
		fflush(stdout);
	}
	cohd_ctl_reader_done(&rd);
	return r;
}
