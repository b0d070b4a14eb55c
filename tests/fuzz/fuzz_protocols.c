/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the response parsers of lib/aws/protocols: the first input byte picks a
 * protocol, the second a status class; the rest is the body, parsed against a small model with
 * lists, maps, nested structures, timestamps, blobs and header bindings. No network.
 */
#include <stdint.h>

#include "lib/aws/protocols/protocols.h"

static const char *const model_fmt =
	"{\"metadata\":{\"protocol\":\"%s\",\"apiVersion\":\"2020-01-01\",\"targetPrefix\":\"T\","
	"\"jsonVersion\":\"1.1\"},"
	"\"operations\":{\"Op\":{\"name\":\"Op\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/"
	"\"},"
	"\"output\":{\"shape\":\"Out\",\"resultWrapper\":\"OpResult\"}},"
	"\"CopyObject\":{\"name\":\"CopyObject\",\"http\":{\"method\":\"PUT\",\"requestUri\":\"/"
	"\"},"
	"\"output\":{\"shape\":\"Out\"}}},"
	"\"shapes\":{\"Out\":{\"type\":\"structure\",\"members\":{"
	"\"S\":{\"shape\":\"Str\"},\"I\":{\"shape\":\"Int\"},\"B\":{\"shape\":\"Bool\"},"
	"\"T\":{\"shape\":\"Ts\"},\"D\":{\"shape\":\"Blob\"},\"F\":{\"shape\":\"Dbl\"},"
	"\"L\":{\"shape\":\"List\"},\"FL\":{\"shape\":\"List\",\"flattened\":true,\"locationName\":"
	"\"fl\"},"
	"\"M\":{\"shape\":\"Map\"},\"N\":{\"shape\":\"Out\"},"
	"\"H\":{\"shape\":\"Str\",\"location\":\"header\",\"locationName\":\"x-h\"},"
	"\"HL\":{\"shape\":\"TsList\",\"location\":\"header\",\"locationName\":\"x-l\"},"
	"\"A\":{\"shape\":\"Str\",\"xmlAttribute\":true,\"locationName\":\"xsi:a\"}}},"
	"\"Str\":{\"type\":\"string\"},\"Int\":{\"type\":\"integer\"},\"Bool\":{\"type\":"
	"\"boolean\"},"
	"\"Ts\":{\"type\":\"timestamp\"},\"Blob\":{\"type\":\"blob\"},\"Dbl\":{\"type\":\"double\"}"
	","
	"\"List\":{\"type\":\"list\",\"member\":{\"shape\":\"Out\",\"locationName\":\"item\"}},"
	"\"TsList\":{\"type\":\"list\",\"member\":{\"shape\":\"Ts\"}},"
	"\"Map\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":\"Out\"}}}}";

static struct cohd_aws_service_model *models[_COHD_AWS_PROTOCOL_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = {200, 201, 204, 301, 400, 403, 404, 500, 503};
	struct cohd_aws_header hdrs[] = {
		{(char *)"x-h", (char *)"v"},
		{(char *)"x-l", (char *)"Mon, 16 Dec 2019 23:48:18 GMT, 1576540098"},
		{(char *)"X-Amzn-ErrorType", (char *)"ns#Foo:http://x"},
	};
	struct cohd_aws_error err = {};
	enum cohd_aws_protocol p;
	json_t *out = NULL;

	if (size < 2)
		return 0;
	p = (enum cohd_aws_protocol)(data[0] % _COHD_AWS_PROTOCOL_MAX);
	if (!models[p]) {
		char buf[4096];
		json_t *doc;

		snprintf(buf, sizeof buf, model_fmt, cohd_aws_protocol_to_string(p));
		doc = json_loads(buf, 0, NULL);
		if (!doc || cohd_aws_service_model_new(doc, NULL, &models[p], NULL) < 0)
			abort();
		json_decref(doc);
	}
	(void)cohd_aws_parse_response(models[p], (data[1] & 0x80) ? "CopyObject" : "Op",
				      statuses[(data[1] & 0x7f) % ELEMENTSOF(statuses)], hdrs,
				      (data[1] & 0x40) ? 3 : 2, data + 2, size - 2, &out, &err);
	json_decref(out);
	cohd_aws_error_done(&err);
	return 0;
}
