/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cohd/args.h"
#include "daemon/cohd/commands.h"
#include "lib/util/log.h"
#include "lib/util/macro.h"

static void help(void)
{
	printf("Usage: cohd [OPTIONS]\n"
	       "       cohd COMMAND [ARGS...]\n"
	       "\n"
	       "Keep the AWS infrastructure of web apps equal to their coherence.yml.\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config FILE       daemon configuration (default %s/cohd.yaml)\n"
	       "  -w, --watch-dir DIR     directory of app files (default %s/apps.d)\n"
	       "  -s, --state-dir DIR     state database directory (default %s)\n"
	       "      --socket PATH       control socket (default %s/cohd.sock)\n"
	       "  -i, --interval SECONDS  time between full reconcile sweeps\n"
	       "      --once              one pass over every app file, then exit (0 = all converged)\n"
	       "  -n, --dry-run           observe and plan only; make no changes\n"
	       "  -l, --log-level LEVEL   err, warning, notice, info or debug\n"
	       "  -h, --help              show this help\n"
	       "  -V, --version           show the version\n"
	       "\n"
	       "Commands:\n",
	       COHD_SYSCONFDIR, COHD_SYSCONFDIR, COHD_STATEDIR, COHD_RUNDIR);
	for (const struct cohd_command *c = cohd_commands; c->name; c++)
		printf("  %-30s %s\n", c->synopsis, c->summary);
	printf("\nSee 'cohd COMMAND --help' for a command's options.\n");
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cohd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'cohd --help' for more information.\n", stderr);
	return -EINVAL;
}

static int parse_seconds(const char *s, usec_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > 7 * 24 * 3600)
		return -EINVAL;
	*ret = (usec_t)v * USEC_PER_SEC;
	return 0;
}

int cohd_args_parse(int argc, char **argv, struct cohd_args *ret)
{
	enum { ARG_SOCKET = 0x100, ARG_ONCE };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "watch-dir", required_argument, NULL, 'w' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, ARG_ONCE },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct cohd_args a = { .log_level = -1 };
	int c;

	opterr = 0; /* we print our own one-line errors */
	optind = 0;
	/* '+': stop at the first non-option, which names a subcommand with options of its own */
	while ((c = getopt_long(argc, argv, "+:c:w:s:i:nl:hV", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			a.config = optarg;
			break;
		case 'w':
			a.watch_dir = optarg;
			break;
		case 's':
			a.state_dir = optarg;
			break;
		case ARG_SOCKET:
			a.socket = optarg;
			break;
		case 'i':
			if (parse_seconds(optarg, &a.interval) < 0)
				return usage_error("--interval needs whole seconds from 1 to 604800, not '%s'",
						   optarg);
			break;
		case ARG_ONCE:
			a.once = true;
			break;
		case 'n':
			a.dry_run = true;
			break;
		case 'l':
			a.log_level = cohd_log_level_from_string(optarg);
			if (a.log_level < 0)
				return usage_error("unknown log level '%s' (err, warning, notice, info, debug)",
						   optarg);
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("cohd %s\n", COHD_VERSION);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (optind < argc) {
		a.command = argv[optind];
		a.sub_argc = argc - optind;
		a.sub_argv = argv + optind;
		if (!cohd_command_find(a.command))
			return usage_error("unknown command '%s'", a.command);
	}
	*ret = a;
	return 1;
}
