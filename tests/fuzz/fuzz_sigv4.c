/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the SigV4 canonicaliser (lib/aws/sigv4): the input is split into a path,
 * a query and a header block (separated by NUL bytes; header lines "name:value" separated by
 * '\n'), which go through every canonicaliser and a full header + presign signing. Checks
 * only memory safety and a few invariants (canonical path starts with '/', no raw space).
 * Build with -Dfuzzing=true (CC=clang); tests/fuzz/meson.build links it from fuzz_targets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/sigv4/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cohd_http_header h[MAX_HEADERS + 1];
	char *copy, *path, *query, *hdrs, *end, *line, *save = NULL;
	struct cohd_sigv4_params p;
	struct cohd_sigv4_request req;
	struct cohd_sigv4_result res = {};
	size_t n = 0;

	if (size > 64 * 1024)
		return 0;
	copy = malloc(size + 3);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = copy[size + 1] = copy[size + 2] = 0;
	end = copy + size;
	path = copy;
	query = path + strlen(path) + 1;
	if (query > end)
		query = end;
	hdrs = query + strlen(query) + 1;
	if (hdrs > end)
		hdrs = end;

	for (int flags = 0; flags < 4; flags++) {
		char *s = NULL;

		if (cohd_sigv4_canonical_path(path, flags & 1, flags & 2, &s) == 0) {
			if (s[0] != '/' || strchr(s, ' '))
				abort();
			free(s);
		}
	}
	{
		char *s = NULL;

		if (cohd_sigv4_canonical_query(query, &s) == 0) {
			if (strchr(s, ' ') || strchr(s, '+'))
				abort();
			free(s);
		}
	}

	h[n++] = (struct cohd_http_header){ (char *)"Host", (char *)"example.amazonaws.com" };
	for (line = strtok_r(hdrs, "\n", &save); line && n < MAX_HEADERS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = 0;
		h[n++] = (struct cohd_http_header){ line, colon + 1 };
	}
	{
		char *block = NULL, *sh = NULL;

		if (cohd_sigv4_canonical_headers(h, n, &block, &sh) == 0) {
			free(block);
			free(sh);
		}
	}

	cohd_sigv4_params_init(&p, size & 1 ? "s3" : "ec2", "us-east-1", 1440938160ULL * 1000000);
	p.access_key_id = "AKIDEXAMPLE";
	p.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	p.session_token = size & 2 ? "token" : NULL;
	req = (struct cohd_sigv4_request){ .method = "GET", .path = path, .query = query,
					   .headers = h, .n_headers = n, .body = data,
					   .body_len = size };
	for (int presign = 0; presign < 2; presign++) {
		p.presign = presign;
		if (cohd_sigv4_sign(&req, &p, &res) == 0)
			cohd_sigv4_result_done(&res);
	}
	free(copy);
	return 0;
}
