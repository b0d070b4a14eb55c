/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the EC2 network types (ec2_common.h). Pure; no I/O; loop thread only.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/reconcile/diff.h"
#include "lib/resources/ec2_common.h"
#include "lib/util/macro.h"

int cohd_ec2_lookup_by_name(const struct cohd_rec_type_ctx *ctx, json_t **ret)
{
	if (!ctx->resource || !ctx->resource->name)
		return -EINVAL;
	*ret = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "tag:Name", "Values",
			 ctx->resource->name);
	return *ret ? 0 : -ENOMEM;
}

json_t *cohd_ec2_cidr_normalise(const json_t *v)
{
	const char *s = json_string_value(v), *slash;
	unsigned char addr[16];
	char host[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN + 8];
	int family, bits, max;
	size_t l;

	if (!s)
		return json_incref((json_t *)v);
	slash = strchr(s, '/');
	l = slash ? (size_t)(slash - s) : strlen(s);
	if (l >= sizeof host)
		return json_incref((json_t *)v);
	memcpy(host, s, l);
	host[l] = 0;
	family = strchr(host, ':') ? AF_INET6 : AF_INET;
	max = family == AF_INET6 ? 128 : 32;
	if (inet_pton(family, host, addr) != 1)
		return json_incref((json_t *)v);
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);

		if (*end || end == slash + 1 || b < 0 || b > max)
			return json_incref((json_t *)v);
		bits = (int)b;
	} else
		bits = max;
	for (int i = 0; i < max / 8; i++) {
		int keep = bits - i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (unsigned char)(0xff << (8 - keep));
	}
	if (!inet_ntop(family, addr, host, sizeof host))
		return json_incref((json_t *)v);
	snprintf(out, sizeof out, "%s/%d", host, bits);
	return json_string(out);
}

json_t *cohd_ec2_always_equal(const json_t *v)
{
	return json_true();
}

bool cohd_ec2_set_has(const json_t *set, const json_t *x)
{
	const json_t *e;
	size_t i;

	json_array_foreach(set, i, e)
		if (json_equal(e, x))
			return true;
	return false;
}

const json_t *cohd_ec2_prop(const struct cohd_rec_type_ctx *ctx, const char *path)
{
	return cohd_rec_json_path(ctx->props, path);
}
