/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the codecs: shape and trait lookup, base64 (OpenSSL), timestamps, headers.
 * Pure; no loop.
 */
#include <math.h>
#include <openssl/evp.h>
#include <strings.h>

#include "lib/aws/protocols/models.h"
#include "lib/util/time.h"

const json_t *shape_of(const struct cohd_aws_service_model *m, const json_t *ref)
{
	const char *n = json_string_value(json_object_get(ref, "shape"));

	return n ? json_object_get(m->shapes, n) : NULL;
}

const json_t *ref_trait(const struct cohd_aws_service_model *m, const json_t *ref, const char *k)
{
	const json_t *v = json_object_get(ref, k);

	if (v)
		return v;
	return json_object_get(shape_of(m, ref), k);
}

const char *ref_trait_str(const struct cohd_aws_service_model *m, const json_t *ref, const char *k)
{
	return json_string_value(ref_trait(m, ref, k));
}

bool ref_trait_bool(const struct cohd_aws_service_model *m, const json_t *ref, const char *k)
{
	return json_is_true(ref_trait(m, ref, k));
}

const char *shape_type(const json_t *shape)
{
	return json_string_value(json_object_get(shape, "type")) ?: "";
}

char *b64_encode(const void *p, size_t n)
{
	char *out;

	if (n > (SIZE_MAX / 4) - 4 || n > INT32_MAX)
		return NULL;
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int b64_decode(const char *s, size_t n, unsigned char **ret, size_t *ret_len)
{
	_cleanup_free_ char *clean = NULL;
	_cleanup_free_ unsigned char *out = NULL;
	size_t m = 0, pad = 0;
	int r;

	if (n > INT32_MAX)
		return -EINVAL;
	clean = malloc(n + 4);
	if (!clean)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]))
			clean[m++] = s[i];
	while (m % 4)
		clean[m++] = '='; /* tolerate missing padding */
	clean[m] = 0;
	if (m >= 1 && clean[m - 1] == '=')
		pad++;
	if (m >= 2 && clean[m - 2] == '=')
		pad++;
	out = malloc(m / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	r = m ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)m) : 0;
	if (r < 0 || (size_t)r < pad)
		return -EINVAL;
	out[r - pad] = 0;
	*ret_len = (size_t)r - pad;
	*ret = TAKE_PTR(out);
	return 0;
}

int ts_from_text(const char *s, double *ret)
{
	usec_t u;
	char *end;
	double d;

	if (!s)
		return -EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (cohd_parse_iso8601(s, &u) == 0 || cohd_parse_http_date(s, &u) == 0) {
		*ret = (double)(u / USEC_PER_SEC) + (double)(u % USEC_PER_SEC) / 1e6;
		return 0;
	}
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(d))
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (*end)
		return -EINVAL;
	*ret = d;
	return 0;
}

int ts_from_json(const json_t *v, double *ret)
{
	if (json_is_number(v)) {
		*ret = json_number_value(v);
		return 0;
	}
	if (json_is_string(v))
		return ts_from_text(json_string_value(v), ret);
	return -EINVAL;
}

json_t *ts_to_json(double t)
{
	double r = round(t * 1000.0) / 1000.0;

	if (r == floor(r) && fabs(r) < 9e15)
		return json_integer((json_int_t)r);
	return json_real(r);
}

const char *cohd_aws_header_get(const struct cohd_aws_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].name && strcasecmp(h[i].name, name) == 0)
			return h[i].value ?: "";
	return NULL;
}

void cohd_aws_http_request_done(struct cohd_aws_http_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	cohd_buf_done(&r->body);
	free(r->host_prefix);
	*r = (struct cohd_aws_http_request){};
}
