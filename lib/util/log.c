/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#if ENABLE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "lib/util/log.h"

static int max_level = LOG_NOTICE;
static bool group_debug[_COHD_LOG_GROUP_MAX];
static enum cohd_log_target target = COHD_LOG_TARGET_AUTO;
static int use_journal = -1; /* resolved lazily for COHD_LOG_TARGET_AUTO */

static const char *const group_names[_COHD_LOG_GROUP_MAX] = {
	[COHD_LOG_MAIN] = "main",   [COHD_LOG_CONFIG] = "config",
	[COHD_LOG_MODEL] = "model", [COHD_LOG_AWS] = "aws",
	[COHD_LOG_HTTP] = "http",   [COHD_LOG_STORE] = "store",
	[COHD_LOG_RECONCILE] = "reconcile", [COHD_LOG_CTL] = "ctl",
};

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",	 [LOG_ALERT] = "alert",	 [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",	 [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	 [LOG_DEBUG] = "debug",
};

void cohd_log_set_max_level(int level)
{
	max_level = level < LOG_EMERG ? LOG_EMERG : level > LOG_DEBUG ? LOG_DEBUG : level;
}

int cohd_log_get_max_level(void)
{
	return max_level;
}

void cohd_log_set_group_debug(enum cohd_log_group g, bool on)
{
	if (g >= 0 && g < _COHD_LOG_GROUP_MAX)
		group_debug[g] = on;
}

void cohd_log_set_target(enum cohd_log_target t)
{
	target = t;
	use_journal = -1;
}

int cohd_log_level_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '7' && !s[1])
		return s[0] - '0';
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (streq(s, level_names[i]))
			return (int)i;
	if (streq(s, "error"))
		return LOG_ERR;
	if (streq(s, "warn"))
		return LOG_WARNING;
	return -EINVAL;
}

const char *cohd_log_level_to_string(int level)
{
	if (level < 0 || (size_t)level >= ELEMENTSOF(level_names))
		return NULL;
	return level_names[level];
}

int cohd_log_group_from_string(const char *s)
{
	for (int i = 0; s && i < _COHD_LOG_GROUP_MAX; i++)
		if (streq(s, group_names[i]))
			return i;
	return -EINVAL;
}

const char *cohd_log_group_to_string(enum cohd_log_group g)
{
	if (g < 0 || g >= _COHD_LOG_GROUP_MAX)
		return NULL;
	return group_names[g];
}

bool cohd_log_enabled(int level, enum cohd_log_group g)
{
	return level <= max_level || (g >= 0 && g < _COHD_LOG_GROUP_MAX && group_debug[g]);
}

/* systemd sets $JOURNAL_STREAM to "device:inode" of the stream it connected to stderr; if stderr
 * was redirected since, the values no longer match and we keep writing plain text. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

static bool journal_wanted(void)
{
	if (!ENABLE_SYSTEMD)
		return false;
	if (target != COHD_LOG_TARGET_AUTO)
		return target == COHD_LOG_TARGET_JOURNAL;
	if (use_journal < 0)
		use_journal = stderr_is_journal();
	return use_journal;
}

#if ENABLE_SYSTEMD
static int write_journal(int level, enum cohd_log_group g, int error,
			 const struct cohd_log_fields *f, const char *file, int line,
			 const char *func, const char *msg)
{
	char line_s[32], prio_s[32], errno_s[32];
	struct iovec iov[10];
	_cleanup_free_ char *m = NULL, *grp = NULL, *app = NULL, *res = NULL, *rid = NULL,
			    *cf = NULL, *cfn = NULL;
	size_t n = 0;

#define ADD(s)                                                                                     \
	do {                                                                                       \
		const char *_s_ = (s);                                                             \
		if (_s_) {                                                                         \
			iov[n].iov_base = (char *)_s_;                                             \
			iov[n++].iov_len = strlen(_s_);                                            \
		}                                                                                  \
	} while (0)
	if (asprintf(&m, "MESSAGE=%s", msg) < 0 || asprintf(&grp, "COHD_GROUP=%s", group_names[g]) < 0)
		return -ENOMEM;
	snprintf(prio_s, sizeof prio_s, "PRIORITY=%d", level);
	snprintf(line_s, sizeof line_s, "CODE_LINE=%d", line);
	if (asprintf(&cf, "CODE_FILE=%s", file) < 0 || asprintf(&cfn, "CODE_FUNC=%s", func) < 0)
		return -ENOMEM;
	if (f && f->app && asprintf(&app, "COHD_APP=%s", f->app) < 0)
		return -ENOMEM;
	if (f && f->resource && asprintf(&res, "COHD_RESOURCE=%s", f->resource) < 0)
		return -ENOMEM;
	if (f && f->request_id && asprintf(&rid, "AWS_REQUEST_ID=%s", f->request_id) < 0)
		return -ENOMEM;
	ADD(m);
	ADD(prio_s);
	ADD(grp);
	ADD(cf);
	ADD(line_s);
	ADD(cfn);
	ADD(app);
	ADD(res);
	ADD(rid);
#undef ADD
	if (error) {
		snprintf(errno_s, sizeof errno_s, "ERRNO=%d", error < 0 ? -error : error);
		iov[n].iov_base = errno_s;
		iov[n++].iov_len = strlen(errno_s);
	}
	return sd_journal_sendv(iov, (int)n);
}
#endif

static void write_stderr(int level, enum cohd_log_group g, const struct cohd_log_fields *f,
			 const char *msg)
{
	const char *app = f && f->app ? f->app : NULL;
	const char *res = f && f->resource ? f->resource : NULL;
	const char *rid = f && f->request_id ? f->request_id : NULL;

	/* one fprintf: a line is written whole even with other writers on the stream */
	fprintf(stderr, "<%d>[%s] %s%s%s%s%s%s%s%s\n", level, group_names[g],
		app ? app : "", app ? ": " : "", res ? res : "", res ? ": " : "", msg,
		rid ? " (request id " : "", rid ? rid : "", rid ? ")" : "");
}

int cohd_log_internal(int level, enum cohd_log_group g, int error,
		      const struct cohd_log_fields *fields, const char *file, int line,
		      const char *func, const char *fmt, ...)
{
	int saved = errno, ret = error < 0 ? error : -error;
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (g < 0 || g >= _COHD_LOG_GROUP_MAX)
		g = COHD_LOG_MAIN;
	errno = error < 0 ? -error : error; /* for %m */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		msg = strdup("(out of memory formatting log message)");

#if ENABLE_SYSTEMD
	if (journal_wanted() && write_journal(level, g, error, fields, file, line, func, msg) >= 0)
		goto out;
#else
	(void)journal_wanted;
	(void)file;
	(void)line;
	(void)func;
#endif
	write_stderr(level, g, fields, msg ? msg : "");
#if ENABLE_SYSTEMD
out:
#endif
	errno = saved;
	return ret;
}
