/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>

#include "lib/ctl/ctl.h"
#include "lib/util/macro.h"

static const struct {
	const char *name;
	bool needs_target, takes_target, mutates;
} commands[_COHD_CTL_COMMAND_MAX] = {
	[COHD_CTL_STATUS] = { "status", false, true, false },
	[COHD_CTL_EVENTS] = { "events", false, true, false },
	[COHD_CTL_RECONCILE] = { "reconcile", true, true, true },
	[COHD_CTL_DIFF] = { "diff", true, true, false },
	[COHD_CTL_DELETE] = { "delete", true, true, true },
	[COHD_CTL_GRAPH] = { "graph", true, true, false },
	[COHD_CTL_METRICS] = { "metrics", false, false, false },
	[COHD_CTL_LOG_LEVEL] = { "log-level", false, false, true },
};

const char *cohd_ctl_command_to_string(enum cohd_ctl_command c)
{
	return c >= 0 && c < _COHD_CTL_COMMAND_MAX ? commands[c].name : NULL;
}

int cohd_ctl_command_from_string(const char *s)
{
	for (int i = 0; s && i < _COHD_CTL_COMMAND_MAX; i++)
		if (streq(s, commands[i].name))
			return i;
	return -EINVAL;
}

bool cohd_ctl_command_needs_target(enum cohd_ctl_command c)
{
	return c >= 0 && c < _COHD_CTL_COMMAND_MAX && commands[c].needs_target;
}

bool cohd_ctl_command_takes_target(enum cohd_ctl_command c)
{
	return c >= 0 && c < _COHD_CTL_COMMAND_MAX && commands[c].takes_target;
}

bool cohd_ctl_command_mutates(enum cohd_ctl_command c)
{
	return c >= 0 && c < _COHD_CTL_COMMAND_MAX && commands[c].mutates;
}

void cohd_ctl_reader_init(struct cohd_ctl_reader *r)
{
	/* one full line plus what may already follow it in the same read */
	cohd_buf_init(&r->buf, 2 * COHD_CTL_MAX_LINE);
}

void cohd_ctl_reader_done(struct cohd_ctl_reader *r)
{
	cohd_buf_done(&r->buf);
}

int cohd_ctl_reader_feed(struct cohd_ctl_reader *r, const void *data, size_t len)
{
	const char *nl;
	size_t pending;

	if (cohd_buf_append(&r->buf, data, len) < 0)
		return -EMSGSIZE;
	/* bytes after the last newline are an unfinished line: bound it */
	nl = memrchr(r->buf.data, '\n', r->buf.len);
	pending = nl ? r->buf.len - (size_t)(nl + 1 - r->buf.data) : r->buf.len;
	return pending > COHD_CTL_MAX_LINE ? -EMSGSIZE : 0;
}

int cohd_ctl_reader_next(struct cohd_ctl_reader *r, json_t **ret, struct cohd_error *reterr)
{
	json_error_t jerr;
	json_t *msg, *v;
	size_t n;
	char *nl;

	if (!r->buf.data)
		return 0;
	nl = memchr(r->buf.data, '\n', r->buf.len);
	if (!nl)
		return 0;
	n = (size_t)(nl - r->buf.data);
	if (n > COHD_CTL_MAX_LINE)
		msg = NULL;
	else
		msg = json_loadb(r->buf.data, n, JSON_REJECT_DUPLICATES, &jerr);
	/* consume the line whatever it held */
	memmove(r->buf.data, nl + 1, r->buf.len - n - 1);
	r->buf.len -= n + 1;
	r->buf.data[r->buf.len] = 0;

	if (!msg)
		return cohd_error_set(reterr, -EBADMSG, "malformed message: %s",
				      n > COHD_CTL_MAX_LINE ? "too long" : jerr.text);
	v = json_object_get(msg, "v");
	if (!json_is_object(msg) || !json_is_integer(v) || json_integer_value(v) != COHD_CTL_VERSION) {
		json_decref(msg);
		return cohd_error_set(reterr, -EBADMSG,
				      "message is not a protocol version %d object", COHD_CTL_VERSION);
	}
	*ret = msg;
	return 1;
}

char *cohd_ctl_format(const json_t *msg)
{
	_cleanup_free_ char *s = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	char *line;

	if (!s || asprintf(&line, "%s\n", s) < 0)
		return NULL;
	return line;
}

json_t *cohd_ctl_request_new(enum cohd_ctl_command c, const char *target, const json_t *args)
{
	json_t *m = json_pack("{s:i, s:s}", "v", COHD_CTL_VERSION, "command",
			      cohd_ctl_command_to_string(c));

	if (!m)
		return NULL;
	if ((target && json_object_set_new(m, "target", json_string(target)) < 0) ||
	    (args && json_object_set(m, "args", (json_t *)args) < 0)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cohd_ctl_response_ok(const json_t *result)
{
	return json_pack("{s:i, s:b, s:O}", "v", COHD_CTL_VERSION, "ok", 1,
			 "result", result ? result : json_null());
}

json_t *cohd_ctl_response_error(const char *code, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	if (!message)
		return NULL;
	return json_pack("{s:i, s:b, s:{s:s, s:s}}", "v", COHD_CTL_VERSION, "ok", 0, "error",
			 "code", code, "message", message);
}

json_t *cohd_ctl_stream_event(const json_t *event)
{
	return json_pack("{s:i, s:O}", "v", COHD_CTL_VERSION, "event", event);
}

int cohd_ctl_request_parse(json_t *msg, struct cohd_ctl_request *ret,
			   struct cohd_error *reterr)
{
	json_t *cmd = json_object_get(msg, "command"), *target = json_object_get(msg, "target");
	json_t *args = json_object_get(msg, "args");
	int c;

	if (!json_is_string(cmd))
		return cohd_error_set(reterr, -EINVAL, "request has no \"command\" string");
	c = cohd_ctl_command_from_string(json_string_value(cmd));
	if (c < 0)
		return cohd_error_set(reterr, -EINVAL, "unknown command \"%s\"",
				      json_string_value(cmd));
	if (target && !json_is_string(target))
		return cohd_error_set(reterr, -EINVAL, "\"target\" must be a string");
	if (!target && cohd_ctl_command_needs_target(c))
		return cohd_error_set(reterr, -EINVAL, "\"%s\" needs a target APP.ENV",
				      json_string_value(cmd));
	if (target && !cohd_ctl_command_takes_target(c))
		return cohd_error_set(reterr, -EINVAL, "\"%s\" takes no target",
				      json_string_value(cmd));
	if (args && !json_is_object(args))
		return cohd_error_set(reterr, -EINVAL, "\"args\" must be an object");
	if (!args) {
		/* "args is never NULL": an empty object owned by the message */
		args = json_object();
		if (!args || json_object_set_new(msg, "args", args) < 0)
			return cohd_error_set(reterr, -ENOMEM, "out of memory");
	}
	*ret = (struct cohd_ctl_request){
		.command = c,
		.target = target ? json_string_value(target) : NULL,
		.args = args,
	};
	return 0;
}

int cohd_ctl_response_parse(const json_t *msg, json_t **ret_result, const char **ret_code,
			    struct cohd_error *reterr)
{
	json_t *ok = json_object_get(msg, "ok"), *err = json_object_get(msg, "error");
	json_t *result = json_object_get(msg, "result");

	if (!json_is_boolean(ok))
		return cohd_error_set(reterr, -EBADMSG, "response has no \"ok\" boolean");
	if (json_is_true(ok)) {
		*ret_result = result ? result : json_null();
		return 0;
	}
	if (ret_code)
		*ret_code = json_string_value(json_object_get(err, "code"));
	return cohd_error_set(reterr, -EREMOTEIO, "%s",
			      json_string_value(json_object_get(err, "message"))
				      ?: "cohd reported an error without a message");
}
