/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to lib/aws/http: the client and request structs shared by http.c (requests, options,
 * completion) and http_uv.c (the curl <-> libuv glue, multi-uv.c style). Loop thread only.
 */
#pragma once

/* lib/util first: its MIN/MAX must come before <sys/param.h>, which libuv pulls in */
#include "lib/aws/http/http.h"
#include "lib/util/macro.h"

#include <curl/curl.h>
#include <uv.h>

struct http_poll;

/* Idle easy handles kept for reuse: curl_easy_init() and the first transfer's buffers cost
 * more than curl_easy_reset(). */
#define HTTP_EASY_POOL 128

struct cohd_http {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;	     /* CURLMOPT_TIMERFUNCTION's timer; timer.data = this */
	struct cohd_http_config cfg; /* strings below are owned copies */
	char *ca_bundle;
	char *user_agent;

	struct cohd_http_req *reqs; /* in flight, doubly linked */
	unsigned n_in_flight;
	struct http_poll *polls;    /* one per socket curl watches */
	CURL *pool[HTTP_EASY_POOL]; /* idle easy handles, curl_easy_reset() */
	unsigned n_pool;
	unsigned pending_closes; /* uv_close()s not yet called back; free at 0 when closing */
	bool closing;
	bool in_curl; /* inside a curl callback: completions and curl_multi_* must not run */
};

/* One uv_poll_t per socket (style.md §2.6 fix 2), attached to curl with curl_multi_assign(). */
struct http_poll {
	uv_poll_t poll; /* poll.data = this */
	curl_socket_t fd;
	struct cohd_http *http;
	struct http_poll *prev, *next;
	bool closed; /* uv_close() called */
};

struct cohd_http_req {
	struct cohd_http *http;
	struct cohd_http_req *prev, *next;
	CURL *easy;
	CURLU *url;
	struct curl_slist *headers;
	cohd_http_cb cb;
	void *userdata;
	unsigned flags;
	int write_error;      /* -EMSGSIZE/-ENOMEM from the write or header callback */
	struct cohd_buf head; /* raw response header lines of the last response (capped) */
	struct cohd_http_response resp;
	char errbuf[CURL_ERROR_SIZE];
};

/* http_uv.c */
int http_uv_init(struct cohd_http *h);
void http_uv_check_multi_info(struct cohd_http *h);
void http_uv_shutdown(struct cohd_http *h);
void http_uv_maybe_free(struct cohd_http *h);
/* Per easy handle: CURLOPT_CLOSESOCKETFUNCTION (stop polling before curl closes an fd). */
CURLcode http_uv_setup_easy(struct cohd_http *h, CURL *easy);

/* http.c */
void http_req_done(struct cohd_http_req *req, CURLcode result);
void http_free_final(struct cohd_http *h);
int http_errno_from_curl(CURLcode c);
/* Write one redacted trace line of a header block into out (for tests): Authorization,
 * X-Amz-Security-Token and the IMDS token header keep their name, lose their value. */
void http_redact_line(const char *line, size_t len, struct cohd_buf *out);
