/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cohd-status: asks a running cohd, over its control socket, what it manages and how each app
 * environment stands (DESIGN.md §7). A synchronous client: one request, one answer, with a
 * timeout. Exit codes: 0 healthy, 1 degraded, 2 daemon unreachable, 64 usage.
 */
#include <getopt.h>
#include <stdarg.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/util/macro.h"

#define EXIT_USAGE 64
#define EXIT_UNREACHABLE 2

struct status_args {
	const char *socket;
	bool json, follow, confirm;
	const char *command; /* NULL = overview, or "show" for APP.ENV */
	const char *target;  /* APP.ENV */
};

static const struct {
	const char *name;
	bool needs_target;
	bool takes_target;
} commands[] = {
	{ "events", false, true },   { "reconcile", true, true }, { "diff", true, true },
	{ "delete", true, true },    { "graph", true, true },     { "metrics", false, false },
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
	       "Exit status: 0 healthy, 1 degraded, 2 cohd unreachable, 64 usage error.\n",
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
	if (npos == 0)
		return 1;
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		if (!streq(pos[0], commands[i].name))
			continue;
		a->command = commands[i].name;
		if (npos > 2 || (npos == 2 && !commands[i].takes_target))
			return usage_error("too many arguments for '%s'", a->command);
		if (npos == 1 && commands[i].needs_target)
			return usage_error("'%s' needs an APP.ENV argument", a->command);
		a->target = npos == 2 ? pos[1] : NULL;
		break;
	}
	if (!a->command) {
		if (npos > 1)
			return usage_error("unknown command '%s'", pos[0]);
		if (!strchr(pos[0], '.'))
			return usage_error("'%s' is neither a command nor an APP.ENV name", pos[0]);
		a->command = "show";
		a->target = pos[0];
	}
	if (a->follow && !streq(a->command, "events"))
		return usage_error("--follow goes with 'events', not '%s'", a->command);
	if (streq(a->command, "delete") && !a->confirm)
		return usage_error("'delete %s' needs --confirm", a->target);
	if (a->confirm && !streq(a->command, "delete"))
		return usage_error("--confirm goes with 'delete', not '%s'", a->command);
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

int main(int argc, char **argv)
{
	struct status_args a = { .socket = COHD_RUNDIR "/cohd.sock" };
	_cleanup_close_ int fd = -1;
	int r;

	r = parse_args(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

	fd = connect_socket(a.socket, 5000);
	if (fd < 0) {
		fprintf(stderr, "cohd-status: cannot reach cohd at %s: %s\n", a.socket, strerror(-fd));
		return EXIT_UNREACHABLE;
	}
	/* The control protocol (lib/ctl, schema/ctl-v1.schema.json) lands with the daemon; a
	 * socket that answers before then is not one this cohd-status can speak to. */
	fprintf(stderr, "cohd-status: %s answers, but this build has no control protocol yet\n",
		a.socket);
	return EXIT_UNREACHABLE;
}
