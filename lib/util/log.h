/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging. One call site gives a level, a group and a message; the backend is chosen once:
 * the journal (native protocol, structured fields) when $JOURNAL_STREAM says stderr is the
 * journal, else stderr with "<N>" priority prefixes that systemd and syslog understand.
 *
 * Rules (style.md §2.5): lib/ logs only at debug level and returns errors; daemon/ logs once,
 * where it decides what to do. log_*_errno() return -abs(error) so that
 *     return log_error_errno(AWS, r, "DescribeVpcs failed: %m");
 * logs and propagates in one step; %m is the error's strerror. Secrets never go to the log.
 * Not thread-safe (cohd has one thread).
 */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "lib/util/macro.h"

enum cohd_log_group {
	COHD_LOG_MAIN,
	COHD_LOG_CONFIG,
	COHD_LOG_MODEL,
	COHD_LOG_AWS,
	COHD_LOG_HTTP,
	COHD_LOG_STORE,
	COHD_LOG_RECONCILE,
	COHD_LOG_CTL,
	_COHD_LOG_GROUP_MAX,
	_COHD_LOG_GROUP_INVALID = -EINVAL,
};

/* Optional structured context; every field may be NULL. */
struct cohd_log_fields {
	const char *app;        /* "acme-shop.pr-42" -> COHD_APP= */
	const char *resource;   /* logical id -> COHD_RESOURCE= */
	const char *request_id; /* AWS request id -> AWS_REQUEST_ID= */
};

enum cohd_log_target {
	COHD_LOG_TARGET_AUTO,   /* journal if $JOURNAL_STREAM matches stderr, else stderr */
	COHD_LOG_TARGET_STDERR,
	COHD_LOG_TARGET_JOURNAL,
};

/* Messages above this level (LOG_ERR .. LOG_DEBUG) are dropped; default LOG_NOTICE. A group
 * switched to debug logs everything regardless of the level. */
void cohd_log_set_max_level(int level);
int cohd_log_get_max_level(void);
void cohd_log_set_group_debug(enum cohd_log_group g, bool on);
void cohd_log_set_target(enum cohd_log_target t);

/* "err", "warning", "notice", "info", "debug" (and the other syslog names, or 0..7) -> level;
 * -EINVAL otherwise. */
int cohd_log_level_from_string(const char *s);
const char *cohd_log_level_to_string(int level);
/* "main", "aws", ... -> group; -EINVAL otherwise. */
int cohd_log_group_from_string(const char *s);
const char *cohd_log_group_to_string(enum cohd_log_group g);

bool cohd_log_enabled(int level, enum cohd_log_group g);

/* The backend; use the macros. Returns -abs(error) if error != 0, else 0. */
int cohd_log_internal(int level, enum cohd_log_group g, int error,
		      const struct cohd_log_fields *fields, const char *file, int line,
		      const char *func, const char *fmt, ...) _printf_(8, 9);

#define log_full_errno_fields(level, group, error, fields, ...)                                    \
	({                                                                                         \
		int _l_ = (level), _e_ = (error);                                                  \
		cohd_log_enabled(_l_, COHD_LOG_##group)                                            \
			? cohd_log_internal(_l_, COHD_LOG_##group, _e_, (fields), __FILE__,        \
					    __LINE__, __func__, __VA_ARGS__)                        \
			: (_e_ < 0 ? _e_ : -_e_);                                                  \
	})
#define log_full_errno(level, group, error, ...)                                                   \
	log_full_errno_fields(level, group, error, NULL, __VA_ARGS__)
#define log_full(level, group, ...) ((void)log_full_errno(level, group, 0, __VA_ARGS__))

#define log_debug(group, ...) log_full(LOG_DEBUG, group, __VA_ARGS__)
#define log_info(group, ...) log_full(LOG_INFO, group, __VA_ARGS__)
#define log_notice(group, ...) log_full(LOG_NOTICE, group, __VA_ARGS__)
#define log_warning(group, ...) log_full(LOG_WARNING, group, __VA_ARGS__)
#define log_error(group, ...) log_full(LOG_ERR, group, __VA_ARGS__)

#define log_debug_errno(group, error, ...) log_full_errno(LOG_DEBUG, group, error, __VA_ARGS__)
#define log_info_errno(group, error, ...) log_full_errno(LOG_INFO, group, error, __VA_ARGS__)
#define log_warning_errno(group, error, ...) log_full_errno(LOG_WARNING, group, error, __VA_ARGS__)
#define log_error_errno(group, error, ...) log_full_errno(LOG_ERR, group, error, __VA_ARGS__)
