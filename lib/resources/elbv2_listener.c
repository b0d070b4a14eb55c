/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elbv2.listener: the ALB's :80 (redirect to HTTPS) and :443 (TLS, 404 for what no environment
 * claims) listeners (compile_network.c). Observe is one paginated DescribeListeners on the load
 * balancer its resolved properties name (the load balancer type is observed first); nothing is
 * asked while the load balancer does not exist. Listeners have no name: `project` gives each
 * "<load balancer name>:<port>", the name the compiler gives them. Tags come from a DescribeTags
 * detail. Port, protocol, TLS policy, default certificate and default actions are corrected by
 * one ModifyListener; actions are normalised for what ELB fills in (Order, redirect defaults,
 * ForwardConfig).
 *
 * The tag read runs before matching (the engine reads a detail whose merge_as is tags_path for
 * each described item first). Pure; no I/O.
 */
#include "lib/reconcile/diff.h"
#include "lib/resources/resources.h"
#include "lib/util/macro.h"

static int listener_observe(const struct cohd_rec_observe_ctx *ctx, json_t **ret)
{
	const char *lb = NULL;

	for (size_t i = 0; ctx->props && i < ctx->n_wanted && !lb; i++)
		lb = json_string_value(json_object_get(ctx->props[i], "LoadBalancerArn"));
	*ret = lb ? json_pack("{s:s}", "LoadBalancerArn", lb) : NULL;
	return lb && !*ret ? -ENOMEM : 0;
}

/* "arn:...:loadbalancer/app/<name>/<id>" + Port -> "<name>:<port>" as "cohd:Name". */
static json_t *listener_project(const json_t *raw)
{
	const char *arn = json_string_value(json_object_get(raw, "LoadBalancerArn"));
	const char *s = arn ? strstr(arn, ":loadbalancer/") : NULL, *n, *e;
	json_t *o = json_deep_copy(raw);

	if (!o || !s)
		return o;
	n = strchr(s + STRLEN(":loadbalancer/"), '/'); /* after "app" */
	e = n ? strchr(n + 1, '/') : NULL;
	if (e)
		json_object_set_new(o, "cohd:Name",
				    json_sprintf("%.*s:%" JSON_INTEGER_FORMAT, (int)(e - n - 1),
						 n + 1,
						 json_integer_value(json_object_get(raw, "Port"))));
	return o;
}

static void set_default(json_t *o, const char *key, const char *v)
{
	if (!json_object_get(o, key))
		json_object_set_new(o, key, json_string(v));
}

/* ELB fills Order, the redirect's #{...} defaults, and a ForwardConfig mirroring a plain
 * TargetGroupArn. */
static json_t *actions_normalise(const json_t *v)
{
	json_t *o = json_deep_copy(v), *a, *r;
	size_t i;

	json_array_foreach (o, i, a) {
		json_object_del(a, "Order");
		if (json_object_get(a, "TargetGroupArn"))
			json_object_del(a, "ForwardConfig");
		r = json_object_get(a, "RedirectConfig");
		if (json_is_object(r)) {
			set_default(r, "Host", "#{host}");
			set_default(r, "Path", "/#{path}");
			set_default(r, "Query", "#{query}");
			set_default(r, "Port", "#{port}");
			set_default(r, "Protocol", "#{protocol}");
		}
	}
	return o;
}

/* Only the default certificate is the listener's; the others are listener certificates
 * (elbv2.listener_certificate). DescribeListeners shows the default one alone; moto shows every
 * certificate, the default first: the first that is not IsDefault=false is the one compared
 * (else the listener would take the listener certificates off again with ModifyListener). */
static json_t *certs_normalise(const json_t *v)
{
	json_t *o = json_array(), *c;
	size_t i;

	json_array_foreach (v, i, c)
		if (!json_is_false(json_object_get(c, "IsDefault"))) {
			json_array_append_new(o, json_pack("{s:O?}", "CertificateArn",
							   json_object_get(c, "CertificateArn")));
			break;
		}
	return o;
}

static const struct cohd_rec_field listener_fields[] = {
	{.path = "LoadBalancerArn", .flags = COHD_REC_F_REPLACE},
	{.path = "Protocol"},
	{.path = "Port"},
	{.path = "SslPolicy"},
	{.path = "Certificates", .normalise = certs_normalise},
	{.path = "DefaultActions", .normalise = actions_normalise},
};

const struct cohd_rec_type cohd_resource_elbv2_listener = {
	.name = "elbv2.listener",
	.service = "elbv2",
	.tier = 3,

	.describe_op = "DescribeListeners",
	.observe_params = listener_observe,
	.list_path = "Listeners",
	.id_path = "ListenerArn",
	.name_path = "cohd:Name",
	.tags_path = "Tags",
	.tag_style = COHD_REC_TAGS_KEY_VALUE,
	.project = listener_project,
	.id_list_member = "ListenerArns",
	.details = &cohd_elbv2_tags_detail,
	.n_details = 1,

	.fields = listener_fields,
	.n_fields = ELEMENTSOF(listener_fields),

	.create_op = "CreateListener",
	.create_tag_style = COHD_REC_TAGS_KEY_VALUE,
	.create_result_path = "Listeners.0",

	.update_op = "ModifyListener", /* default builder: {ListenerArn, fields...} */
	.id_member = "ListenerArn",
	.tag_op = "AddTags",
	.tag_params = cohd_elbv2_tag_params,
	.delete_op = "DeleteListener",
};
