/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib/ctl: the control-socket protocol spoken by cohd and cohd-status (schema/ctl-v1.schema.json).
 * Newline-delimited JSON over a Unix stream socket, every message with "v": 1:
 *
 *   request   {"v": 1, "command": "status", "target": "acme-shop.pr-42", "args": {...}}
 *   response  {"v": 1, "ok": true, "result": {...}}
 *             {"v": 1, "ok": false, "error": {"code": "not-found", "message": "..."}}
 *   stream    {"v": 1, "event": {...}}   (events --follow: any number, until the peer closes)
 *
 * Pure codec: framing with a size cap, building and checking messages. No sockets, no loop, so
 * both the daemon (libuv) and cohd-status (plain poll) use it. Depends on lib/util and jansson.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "lib/util/buf.h"
#include "lib/util/error.h"

#define COHD_CTL_VERSION 1
/* The longest line either side accepts; a longer one is a protocol error. */
#define COHD_CTL_MAX_LINE ((size_t)4 << 20)

enum cohd_ctl_command {
	COHD_CTL_STATUS,    /* all app environments, or one with target */
	COHD_CTL_EVENTS,    /* args: {"follow": bool, "after": id}; target optional */
	COHD_CTL_RECONCILE, /* target: start a pass now */
	COHD_CTL_DIFF,      /* target: per-field differences */
	COHD_CTL_DELETE,    /* target, args {"confirm": true}: confirm deletion of stateful resources */
	COHD_CTL_GRAPH,     /* target: the desired graph (Graphviz dot in result.dot) */
	COHD_CTL_METRICS,   /* daemon counters */
	COHD_CTL_LOG_LEVEL, /* args {"level": "debug"} or {"group": "aws", "debug": true} */
	_COHD_CTL_COMMAND_MAX,
	_COHD_CTL_COMMAND_INVALID = -EINVAL,
};

const char *cohd_ctl_command_to_string(enum cohd_ctl_command c);
int cohd_ctl_command_from_string(const char *s);
/* Whether the command needs a target, may take one, and changes anything (the daemon checks the
 * peer's credentials for those). */
bool cohd_ctl_command_needs_target(enum cohd_ctl_command c);
bool cohd_ctl_command_takes_target(enum cohd_ctl_command c);
bool cohd_ctl_command_mutates(enum cohd_ctl_command c);

struct cohd_ctl_request {
	enum cohd_ctl_command command;
	const char *target; /* borrowed from the message; NULL if none */
	json_t *args;       /* borrowed; an object, never NULL after parsing */
};

/* Split a byte stream into messages. Feed what arrives, then take lines until it says 0. */
struct cohd_ctl_reader {
	struct cohd_buf buf;
};

void cohd_ctl_reader_init(struct cohd_ctl_reader *r);
void cohd_ctl_reader_done(struct cohd_ctl_reader *r);
/* Append received bytes: 0, or -EMSGSIZE when a line grows beyond COHD_CTL_MAX_LINE. */
int cohd_ctl_reader_feed(struct cohd_ctl_reader *r, const void *data, size_t len);
/* Take the next complete message: 1 and *ret (new reference), 0 when no full line is buffered,
 * -EBADMSG for a line that is not a JSON object with "v": 1 (reterr says why; the line is
 * consumed so the stream can go on). */
int cohd_ctl_reader_next(struct cohd_ctl_reader *r, json_t **ret, struct cohd_error *reterr);

/* Serialise a message as one line ending in '\n' (compact JSON, keys sorted). NULL on OOM. */
char *cohd_ctl_format(const json_t *msg);

/* New messages (new references; NULL on OOM). args and result may be NULL; they are not stolen. */
json_t *cohd_ctl_request_new(enum cohd_ctl_command c, const char *target, const json_t *args);
json_t *cohd_ctl_response_ok(const json_t *result);
json_t *cohd_ctl_response_error(const char *code, const char *fmt, ...) _printf_(2, 3);
json_t *cohd_ctl_stream_event(const json_t *event);

/* Check a request: known command, target present when needed and absent when not taken, args an
 * object (an empty one is added to msg when absent). Returns 0 and *ret (borrowing from msg), or
 * -EINVAL with reterr. */
int cohd_ctl_request_parse(json_t *msg, struct cohd_ctl_request *ret,
			   struct cohd_error *reterr);

/* Read a response: 0 and *ret_result (borrowed; JSON null if absent), or -EREMOTEIO with the
 * daemon's error message in reterr (and *ret_code borrowed), or -EBADMSG for a malformed one. */
int cohd_ctl_response_parse(const json_t *msg, json_t **ret_result, const char **ret_code,
			    struct cohd_error *reterr);
