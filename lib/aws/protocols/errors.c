/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS error responses of every protocol into struct cohd_aws_error (aws-api.md §5): json
 * (X-Amzn-ErrorType, __type, code), query (<ErrorResponse><Error>), ec2 (<Response><Errors>),
 * rest-xml (S3's bare <Error> too) and bodiless errors mapped from the status code. Pure.
 */
#include <ctype.h>
#include <strings.h>

#include "lib/aws/protocols/models.h"
#include "lib/aws/protocols/xml.h"

static char *clean_code(const char *c)
{
	const char *h, *colon;

	if (!c)
		return NULL;
	h = strrchr(c, '#');
	if (h)
		c = h + 1;
	colon = strchr(c, ':');
	while (*c == ' ')
		c++;
	return strndup(c, colon ? (size_t)(colon - c) : strlen(c));
}

static const char *json_get_ci(const json_t *o, const char *key)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)o, k, v)
		if (strcasecmp(k, key) == 0 && json_is_string(v))
			return json_string_value(v);
	return NULL;
}

static void from_status(int status, const char **code, const char **msg)
{
	static const struct {
		int status;
		const char *code, *msg;
	} map[] = {
		{301, "PermanentRedirect", "Moved Permanently"},
		{304, "NotModified", "Not Modified"},
		{307, "TemporaryRedirect", "Temporary Redirect"},
		{400, "BadRequest", "Bad Request"},
		{401, "Unauthorized", "Unauthorized"},
		{403, "Forbidden", "Forbidden"},
		{404, "NotFound", "Not Found"},
		{405, "MethodNotAllowed", "Method Not Allowed"},
		{409, "Conflict", "Conflict"},
		{412, "PreconditionFailed", "Precondition Failed"},
		{413, "RequestEntityTooLarge", "Request Entity Too Large"},
		{429, "TooManyRequestsException", "Too Many Requests"},
		{500, "InternalError", "Internal Server Error"},
		{502, "BadGateway", "Bad Gateway"},
		{503, "ServiceUnavailable", "Service Unavailable"},
		{504, "GatewayTimeout", "Gateway Timeout"},
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (map[i].status == status) {
			*code = map[i].code;
			*msg = map[i].msg;
			return;
		}
	*code = NULL;
	*msg = NULL;
}

static int set_str(char **dst, const char *src)
{
	if (!src || *dst)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static const struct xml_node *xml_find_error(const struct xml_node *root)
{
	const struct xml_node *e;

	if (streq(root->name, "Error"))
		return root;
	e = xml_child(root, "Error");
	if (e)
		return e;
	e = xml_child(xml_child(root, "Errors"), "Error");
	return e;
}

int cohd_aws_parse_error(const struct cohd_aws_service_model *m, int http_status,
			 const struct cohd_aws_header *headers, size_t n_headers, const void *body,
			 size_t body_len, struct cohd_aws_error *reterr)
{
	struct cohd_aws_error e = {.http_status = http_status};
	const char *b = body ?: "", *hdr;
	int r = 0;

	cohd_assert_return(m, -EINVAL);

	hdr = cohd_aws_header_get(headers, n_headers, "x-amzn-RequestId")
		      ?: cohd_aws_header_get(headers, n_headers, "x-amz-request-id");
	r = set_str(&e.request_id, hdr);

	if (m->protocol == COHD_AWS_PROTOCOL_JSON || m->protocol == COHD_AWS_PROTOCOL_REST_JSON) {
		json_auto_t *j = body_len ? json_loadb(b, body_len, JSON_DECODE_ANY, NULL) : NULL;
		const char *code = cohd_aws_header_get(headers, n_headers, "X-Amzn-ErrorType");

		if (!code && json_is_object(j))
			code = json_get_ci(j, "__type") ?: json_string_value(json_object_get(j, "code")) ?:
			       json_string_value(json_object_get(j, "Code"));
		if (code && *code && !(e.code = clean_code(code)))
			r = -ENOMEM;
		if (r >= 0 && json_is_object(j))
			r = set_str(&e.message,
				    json_get_ci(j, "message") ?: json_get_ci(j, "errorMessage"));
	} else if (body_len > 0) {
		_cleanup_(xml_freep) struct xml_node *root = NULL;
		const char *why;

		if (xml_parse(b, body_len, &root, &why) == 0) {
			const struct xml_node *er = xml_find_error(root);

			if (er) {
				const char *c = xml_child_text(er, "Code");

				if (c && *c)
					r = set_str(&e.code, c);
				if (r >= 0)
					r = set_str(&e.message, xml_child_text(er, "Message"));
				if (r >= 0)
					r = set_str(&e.request_id,
						    xml_child_text(er, "RequestId")
							    ?: xml_child_text(er, "RequestID"));
			}
			if (r >= 0)
				r = set_str(&e.request_id,
					    xml_child_text(root, "RequestId")
						    ?: xml_child_text(root, "RequestID"));
		}
	}
	if (r >= 0 && !e.code) {
		const char *c, *msg;

		from_status(http_status, &c, &msg);
		if (c) {
			r = set_str(&e.code, c);
			if (r >= 0)
				r = set_str(&e.message, msg);
		} else if (asprintf(&e.code, "%d", http_status) < 0) {
			e.code = NULL;
			r = -ENOMEM;
		}
	}
	if (r < 0) {
		cohd_aws_error_done(&e);
		return r;
	}
	e.class = cohd_aws_error_classify(e.code, http_status, e.message);
	if (reterr) {
		cohd_aws_error_done(reterr);
		*reterr = e;
	} else
		cohd_aws_error_done(&e);
	return -EREMOTEIO;
}
