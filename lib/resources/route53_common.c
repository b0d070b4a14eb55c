/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the two Route 53 types (hosted zone, record set) share: DNS names as Route 53 returns
 * them (absolute, with a trailing dot, octal escapes such as "\052" for '*', any case) brought
 * to the form the compiler writes ("*.production.acme.example.com"), and hosted zone ids without
 * the "/hostedzone/" prefix Route 53 puts on them (the REST paths take the bare id).
 * Pure; no I/O.
 */
#include <ctype.h>

#include "lib/resources/resources.h"
#include "lib/util/macro.h"

char *cohd_route53_name(const char *s)
{
	size_t n = s ? strlen(s) : 0, k = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[k++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
					  (s[i + 3] - '0'));
			i += 3;
		} else
			out[k++] = (char)tolower((unsigned char)s[i]);
	}
	if (k > 1 && out[k - 1] == '.')
		k--;
	out[k] = 0;
	return out;
}

json_t *cohd_route53_name_normalise(const json_t *v)
{
	_cleanup_free_ char *s = json_is_string(v) ? cohd_route53_name(json_string_value(v)) : NULL;

	if (!json_is_string(v))
		return json_deep_copy(v);
	return s ? json_string(s) : NULL;
}

const char *cohd_route53_zone_id(const char *id)
{
	if (id && strncmp(id, "/hostedzone/", STRLEN("/hostedzone/")) == 0)
		return id + STRLEN("/hostedzone/");
	return id;
}
