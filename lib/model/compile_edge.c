/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The edge: Route53 zone of the base domain, ACM certificates and their DNS validation,
 * CloudFront cache/origin-request policies and logs bucket (application level); per
 * environment the distribution with one behaviour pair per url_path (longest first), the
 * frontends' S3 website buckets, the Lambda@Edge function (only when the app has a backend AND
 * a frontend, seed), alias records, and each custom domain (own zone, certificates, listener
 * certificate, distribution, records). coherence-resources.md §2.4-2.6.
 */
#include "lib/model/compile_internal.h"

static const char *const all_methods[] = { "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST",
					   "DELETE" };

/* CloudFront's XML lists are {Quantity, Items}. Steals items. */
static json_t *cf_list(json_t *items)
{
	if (!items)
		return NULL;
	if (json_array_size(items) == 0) {
		json_decref(items);
		return json_pack("{s:i}", "Quantity", 0);
	}
	return json_pack("{s:I, s:o}", "Quantity", (json_int_t)json_array_size(items), "Items",
			 items);
}

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The S3 website endpoint of a bucket: the older regions use "s3-website-<region>", the
 * others "s3-website.<region>". */
static const char *website_endpoint(struct model_ctx *c, const char *bucket)
{
	static const char *const dash[] = { "us-east-1",      "us-west-1",      "us-west-2",
					    "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
					    "eu-west-1",      "sa-east-1",      "us-gov-west-1" };

	for (size_t i = 0; i < ELEMENTSOF(dash); i++)
		if (streq(c->region, dash[i]))
			return model_str(c, "%s.s3-website-%s.amazonaws.com", bucket, c->region);
	return model_str(c, "%s.s3-website.%s.amazonaws.com", bucket, c->region);
}

static bool routed(const struct cohd_app_service *s)
{
	return !(s->kind == COHD_APP_SERVICE_BACKEND && s->internal);
}

static bool needs_edge_lambda(struct model_ctx *c)
{
	return c->has_backend && c->has_frontend;
}

/* ---- application level ---- */

static void cert(struct model_ctx *c, enum cohd_resource_scope scope, const char *id,
		 const char *region, const char *domain, const char *san)
{
	struct cohd_resource *r;

	r = model_add(c, "acm.certificate", scope, id, model_str(c, "%s", domain),
		      json_pack("{s:s, s:[s], s:s, s:s, s:{s:s}}", "DomainName", domain,
				"SubjectAlternativeNames", san, "ValidationMethod", "DNS",
				"KeyAlgorithm", "RSA_2048", "Options",
				"CertificateTransparencyLoggingPreference", "ENABLED"));
	if (r && region && cohd_resource_set_region(r, region) < 0)
		model_fail(c, -ENOMEM, "out of memory");
}

/* The validation CNAME of a certificate: a wildcard and its apex share one record, and the
 * same name in another region of the same account gets the same record, so one per name. */
static void validation(struct model_ctx *c, enum cohd_resource_scope scope, const char *id,
		       const char *cert_id, const char *zone_id, const char *domain)
{
	/* cnc: TTL 7200 on the collection cert, 60 on env certs; cohd: 300 everywhere */
	model_add(c, "route53.record_set", scope, id, model_str(c, "_validation.%s", domain),
		  json_pack("{s:o, s:o, s:s, s:i, s:[{s:o}]}", "HostedZoneId",
			    model_ref(zone_id, "Id"), "Name",
			    model_ref(cert_id, "DomainValidationOptions.0.ResourceRecord.Name"),
			    "Type", "CNAME", "TTL", 300, "ResourceRecords", "Value",
			    model_ref(cert_id, "DomainValidationOptions.0.ResourceRecord.Value")));
}

static void zone(struct model_ctx *c, enum cohd_resource_scope scope, const char *id,
		 const char *domain)
{
	struct cohd_resource *r;

	/* CallerReference is an idempotency token: the engine makes and keeps it */
	r = model_add(c, "route53.hosted_zone", scope, id, domain,
		      json_pack("{s:s, s:{s:s, s:b}}", "Name", domain, "HostedZoneConfig",
				"Comment", model_str(c, "cohd: %s", c->app->name), "PrivateZone",
				0));
	/* the parent domain delegates to this zone's name servers: keep it */
	if (r && c->protect)
		r->deletion = COHD_DELETION_CONFIRM;
}

static void policies(struct model_ctx *c, bool frontend, bool backend)
{
	static const char *const geo[] = { "CloudFront-Forwarded-Proto", "CloudFront-Is-Desktop-Viewer",
					   "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-Tablet-Viewer",
					   "CloudFront-Viewer-Country" };
	const char *n;

	if (!frontend)
		goto backend;
	n = model_name(c, COHD_NAME_CLOUDFRONT, "%s-frontend", c->prefix);
	model_add(c, "cloudfront.cache_policy", COHD_SCOPE_APPLICATION,
		  "app/cloudfront/cache-policy/frontend", n,
		  json_pack("{s:{s:s, s:s, s:i, s:i, s:i, s:{s:b, s:b, s:{s:s}, s:{s:s}, s:{s:s}}}}",
			    "CachePolicyConfig", "Name", n, "Comment",
			    "cohd: frontends (assets set their own Cache-Control)", "MinTTL", 0,
			    "DefaultTTL", 0, "MaxTTL", 31536000,
			    "ParametersInCacheKeyAndForwardedToOrigin", "EnableAcceptEncodingGzip", 1,
			    "EnableAcceptEncodingBrotli", 1, "HeadersConfig", "HeaderBehavior",
			    "none", "CookiesConfig", "CookieBehavior", "all", "QueryStringsConfig",
			    "QueryStringBehavior", "all"));
	n = model_name(c, COHD_NAME_CLOUDFRONT, "%s-frontend", c->prefix);
	model_add(c, "cloudfront.origin_request_policy", COHD_SCOPE_APPLICATION,
		  "app/cloudfront/origin-request-policy/frontend", n,
		  json_pack("{s:{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}}}",
			    "OriginRequestPolicyConfig", "Name", n, "Comment", "cohd: frontends",
			    "HeadersConfig", "HeaderBehavior", "none", "CookiesConfig",
			    "CookieBehavior", "all", "QueryStringsConfig", "QueryStringBehavior",
			    "all"));
backend:
	if (!backend)
		return;
	n = model_name(c, COHD_NAME_CLOUDFRONT, "%s-backend", c->prefix);
	model_add(c, "cloudfront.cache_policy", COHD_SCOPE_APPLICATION,
		  "app/cloudfront/cache-policy/backend", n,
		  json_pack("{s:{s:s, s:s, s:i, s:i, s:i, s:{s:b, s:b, s:{s:s}, s:{s:s}, s:{s:s}}}}",
			    "CachePolicyConfig", "Name", n, "Comment", "cohd: backends, no caching",
			    "MinTTL", 0, "DefaultTTL", 0, "MaxTTL", 0,
			    "ParametersInCacheKeyAndForwardedToOrigin", "EnableAcceptEncodingGzip", 0,
			    "EnableAcceptEncodingBrotli", 0, "HeadersConfig", "HeaderBehavior",
			    "none", "CookiesConfig", "CookieBehavior", "none", "QueryStringsConfig",
			    "QueryStringBehavior", "none"));
	n = model_name(c, COHD_NAME_CLOUDFRONT, "%s-backend", c->prefix);
	model_add(c, "cloudfront.origin_request_policy", COHD_SCOPE_APPLICATION,
		  "app/cloudfront/origin-request-policy/backend", n,
		  json_pack("{s:{s:s, s:s, s:{s:s, s:o}, s:{s:s}, s:{s:s}}}",
			    "OriginRequestPolicyConfig", "Name", n, "Comment",
			    "cohd: backends, every viewer header (Host included) and geo headers",
			    "HeadersConfig", "HeaderBehavior", "allViewerAndWhitelistCloudFront",
			    "Headers", cf_list(strings(geo, ELEMENTSOF(geo))), "CookiesConfig",
			    "CookieBehavior", "all", "QueryStringsConfig", "QueryStringBehavior",
			    "all"));
}

static const char *logs_bucket_name(struct model_ctx *c)
{
	return model_name(c, COHD_NAME_S3_BUCKET, "%s-cdn-logs", c->prefix);
}

static int app_edge(struct model_ctx *c)
{
	const char *name = logs_bucket_name(c);
	json_t *p;

	zone(c, COHD_SCOPE_APPLICATION, "app/dns/zone", c->base_domain);
	/* The wildcard of the base domain serves the ALB (every environment's host is
	 * <env>.<base>). cnc also copies it to us-east-1; cohd's distributions use the
	 * environment certificates, so no copy is needed. */
	if (c->alb) {
		cert(c, COHD_SCOPE_APPLICATION, "app/acm/wildcard", NULL,
		     model_str(c, "*.%s", c->base_domain), c->base_domain);
		validation(c, COHD_SCOPE_APPLICATION, "app/acm/wildcard/validation",
			   "app/acm/wildcard", "app/dns/zone", c->base_domain);
	}
	{
		/* only the policy pairs some behaviour uses: caching ones for services with
		 * cdn.enabled (frontends by default), pass-through ones for the others */
		bool fe = false, be = false;

		for (size_t i = 0; i < c->app->n_services; i++) {
			const struct cohd_app_service *s = &c->app->services[i];

			if (!routed(s))
				continue;
			fe |= s->cdn_enabled;
			be |= !s->cdn_enabled;
		}
		policies(c, fe, be);
	}

	/* CloudFront standard logs are written with ACLs and cannot go to an SSE-KMS bucket
	 * under an AWS-managed key, so this one bucket uses SSE-S3. 90 days, then gone. */
	p = model_bucket_props(c, name, false);
	if (p) {
		json_object_set_new(p, "ObjectOwnership", json_string("BucketOwnerPreferred"));
		json_object_set_new(p, "LifecycleConfiguration",
				    json_pack("{s:[{s:s, s:s, s:{s:s}, s:{s:i}}]}", "Rules", "ID",
					      "expire", "Status", "Enabled", "Filter", "Prefix", "",
					      "Expiration", "Days", 90));
		json_object_set_new(p, "cohd:ForceDestroy", json_true());
	}
	model_add(c, "s3.bucket", COHD_SCOPE_APPLICATION, "app/s3/cdn-logs", name, p);
	return c->r;
}

/* ---- environment level ---- */

static const char *svc_origin(struct model_ctx *c, const struct cohd_app_service *s)
{
	return s->kind == COHD_APP_SERVICE_FRONTEND
		       ? model_str(c, "s3-%s", model_svc_slug(c, s))
		       : "alb";
}

static json_t *behaviour(struct model_ctx *c, const struct cohd_app_service *s,
			 const char *pattern)
{
	bool fe = s->kind == COHD_APP_SERVICE_FRONTEND;
	const char *pol = s->cdn_enabled ? "frontend" : "backend";
	json_t *b, *lambdas = json_array();

	if (lambdas && fe && needs_edge_lambda(c) && s->spa)
		json_array_append_new(
			lambdas,
			json_pack("{s:s, s:o, s:b}", "EventType", "origin-response",
				  "LambdaFunctionARN",
				  model_ref(model_str(c, "env/%s/edge-lambda", c->env_slug),
					    "VersionArn"),
				  "IncludeBody", 0));
	b = json_pack("{s:s, s:s, s:{s:I, s:o, s:o}, s:b, s:o, s:o, s:o, s:o}", "TargetOriginId",
		      svc_origin(c, s), "ViewerProtocolPolicy", "redirect-to-https",
		      "AllowedMethods", "Quantity", (json_int_t)ELEMENTSOF(all_methods), "Items",
		      strings(all_methods, ELEMENTSOF(all_methods)), "CachedMethods",
		      cf_list(json_pack("[s, s]", "GET", "HEAD")), "Compress", 1, "CachePolicyId",
		      model_ref(model_str(c, "app/cloudfront/cache-policy/%s", pol), "Id"),
		      "OriginRequestPolicyId",
		      model_ref(model_str(c, "app/cloudfront/origin-request-policy/%s", pol), "Id"),
		      "LambdaFunctionAssociations", cf_list(lambdas), "FunctionAssociations",
		      cf_list(json_array()));
	if (b && pattern)
		json_object_set_new(b, "PathPattern", json_string(pattern));
	if (b && fe && (s->n_custom_headers > 0 || s->n_cors > 0))
		json_object_set_new(
			b, "ResponseHeadersPolicyId",
			model_ref(model_str(c, "%s/response-headers-policy",
					    model_svc_id(c, model_svc_slug(c, s))),
				  "Id"));
	return b;
}

static int cmp_url_path(const void *a, const void *b)
{
	const struct cohd_app_service *x = *(const struct cohd_app_service *const *)a;
	const struct cohd_app_service *y = *(const struct cohd_app_service *const *)b;
	size_t lx = strlen(x->url_path), ly = strlen(y->url_path);

	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const struct cohd_app_service *default_service(struct model_ctx *c)
{
	const struct cohd_app_service *best = NULL;

	/* cnc: the frontend with the shortest url_path, else the first backend */
	for (size_t i = 0; i < c->app->n_services; i++) {
		const struct cohd_app_service *s = &c->app->services[i];

		if (s->kind == COHD_APP_SERVICE_FRONTEND &&
		    (!best || strlen(s->url_path) < strlen(best->url_path)))
			best = s;
	}
	for (size_t i = 0; !best && i < c->app->n_services; i++)
		if (c->app->services[i].kind == COHD_APP_SERVICE_BACKEND &&
		    !c->app->services[i].internal)
			best = &c->app->services[i];
	return best;
}

/* The distribution config of one set of aliases (the environment, or one custom domain). */
static json_t *distribution_config(struct model_ctx *c, const char *domain, const char *cert_id,
				   const char *log_prefix)
{
	_cleanup_free_ const struct cohd_app_service **sorted = NULL;
	const struct cohd_app_service *def = default_service(c);
	json_t *origins = json_array(), *behaviours = json_array(), *errors = json_array();
	json_t *dc;
	bool alb_origin = false;
	size_t n = 0;

	if (!def || !origins || !behaviours || !errors) {
		json_decref(origins);
		json_decref(behaviours);
		json_decref(errors);
		return NULL;
	}
	sorted = calloc(c->app->n_services + 1, sizeof(*sorted));
	if (!sorted)
		return NULL;
	for (size_t i = 0; i < c->app->n_services; i++)
		if (routed(&c->app->services[i]))
			sorted[n++] = &c->app->services[i];
	qsort(sorted, n, sizeof(*sorted), cmp_url_path);

	for (size_t i = 0; i < n; i++) {
		const struct cohd_app_service *s = sorted[i];

		if (s->kind == COHD_APP_SERVICE_FRONTEND)
			json_array_append_new(
				origins,
				json_pack("{s:s, s:s, s:{s:i, s:i, s:s, s:o, s:i, s:i}}", "Id",
					  svc_origin(c, s), "DomainName",
					  website_endpoint(c, model_name(c, COHD_NAME_S3_BUCKET,
									 "%s-%s-assets", c->eprefix,
									 model_svc_slug(c, s))),
					  "CustomOriginConfig", "HTTPPort", 80, "HTTPSPort", 443,
					  "OriginProtocolPolicy", "http-only", "OriginSslProtocols",
					  cf_list(json_pack("[s]", "TLSv1.2")), "OriginReadTimeout",
					  30, "OriginKeepaliveTimeout", 5));
		else if (!alb_origin) {
			alb_origin = true;
			json_array_append_new(
				origins,
				json_pack("{s:s, s:o, s:{s:i, s:i, s:s, s:o, s:i, s:i}}", "Id", "alb",
					  "DomainName", model_ref("app/alb", "DNSName"),
					  "CustomOriginConfig", "HTTPPort", 80, "HTTPSPort", 443,
					  "OriginProtocolPolicy", "https-only", "OriginSslProtocols",
					  cf_list(json_pack("[s]", "TLSv1.2")), "OriginReadTimeout",
					  60, "OriginKeepaliveTimeout", 60));
		}
		/* cnc: "/api" and "/api*" (which also catches "/apiary"); cohd: "/api" and
		 * "/api/" + "*", the same split the ALB rules use. */
		if (!streq(s->url_path, "/")) {
			json_array_append_new(behaviours, behaviour(c, s, s->url_path));
			json_array_append_new(behaviours,
					      behaviour(c, s, model_str(c, "%s/*", s->url_path)));
		}
	}

	/* Without a backend nothing can be swallowed, so a plain SPA fallback is safe; with a
	 * backend the Lambda@Edge on the frontend behaviours does it instead (seed). */
	if (!c->has_backend && def->kind == COHD_APP_SERVICE_FRONTEND && def->spa) {
		const char *page = streq(def->url_path, "/")
					   ? model_str(c, "/%s", def->index_file_name)
					   : model_str(c, "%s/%s", def->url_path, def->index_file_name);

		json_array_append_new(errors, json_pack("{s:i, s:s, s:s, s:i}", "ErrorCode", 404,
							"ResponsePagePath", page, "ResponseCode",
							"200", "ErrorCachingMinTTL", 0));
		json_array_append_new(errors, json_pack("{s:i, s:s, s:s, s:i}", "ErrorCode", 403,
							"ResponsePagePath", page, "ResponseCode",
							"200", "ErrorCachingMinTTL", 0));
	}

	dc = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:s, s:s, s:b, s:{s:b, s:b, s:s, "
		       "s:s}, s:{s:o, s:s, s:s, s:b}, s:{s:{s:s, s:i}}, s:s}",
		       "Aliases", cf_list(json_pack("[s, s]", domain, model_str(c, "*.%s", domain))),
		       "Comment", model_str(c, "cohd: %s/%s %s", c->app->name, c->env, domain),
		       "DefaultRootObject",
		       def->kind == COHD_APP_SERVICE_FRONTEND
			       ? (streq(def->url_path, "/") ? def->index_file_name : "")
			       : "",
		       "Origins", cf_list(origins), "DefaultCacheBehavior",
		       behaviour(c, def, NULL), "CacheBehaviors", cf_list(behaviours),
		       "CustomErrorResponses", cf_list(errors), "Enabled", 1, "HttpVersion",
		       "http2and3", "PriceClass", "PriceClass_100", "IsIPV6Enabled", 0, "Logging",
		       "Enabled", 1, "IncludeCookies", 0, "Bucket",
		       model_str(c, "%s.s3.amazonaws.com", logs_bucket_name(c)), "Prefix",
		       log_prefix, "ViewerCertificate", "ACMCertificateArn",
		       model_ref(cert_id, "CertificateArn"), "SSLSupportMethod", "sni-only",
		       "MinimumProtocolVersion", "TLSv1.2_2021", "CloudFrontDefaultCertificate", 0,
		       "Restrictions", "GeoRestriction", "RestrictionType", "none", "Quantity", 0,
		       "WebACLId", "");
	return dc;
}

static void distribution(struct model_ctx *c, const char *id, const char *domain,
			 const char *cert_id, const char *validation_id, const char *log_prefix)
{
	struct cohd_resource *r;

	/* PriceClass_100 (North America, Europe) where cnc uses all edge locations: cost.
	 * CallerReference is made by the engine. WebACLId is accepted drift. */
	r = model_add(c, "cloudfront.distribution", COHD_SCOPE_ENVIRONMENT, id, domain,
		      json_pack("{s:o}", "DistributionConfig",
				distribution_config(c, domain, cert_id, log_prefix)));
	model_depend(c, r, validation_id);
	model_depend(c, r, "app/s3/cdn-logs");
	/* the website origins are plain host names, not references */
	for (size_t i = 0; i < c->app->n_services; i++) {
		const struct cohd_app_service *s = &c->app->services[i];

		if (s->kind == COHD_APP_SERVICE_FRONTEND)
			model_depend(c, r, model_str(c, "%s/website-bucket",
						     model_svc_id(c, model_svc_slug(c, s))));
	}
}

static void alias_records(struct model_ctx *c, const char *id_prefix, const char *zone_id,
			  const char *cdn_id, const char *domain)
{
	for (int wild = 0; wild <= 1; wild++) {
		const char *name = wild ? model_str(c, "*.%s", domain) : domain;

		model_add(c, "route53.record_set", COHD_SCOPE_ENVIRONMENT,
			  model_str(c, "%s/%s", id_prefix, wild ? "wildcard" : "apex"), name,
			  json_pack("{s:o, s:s, s:s, s:{s:s, s:o, s:b}}", "HostedZoneId",
				    model_ref(zone_id, "Id"), "Name", name, "Type", "A",
				    "AliasTarget", "HostedZoneId", MODEL_CLOUDFRONT_ZONE_ID,
				    "DNSName", model_ref(cdn_id, "DomainName"),
				    "EvaluateTargetHealth", 0));
	}
}

/* A certificate for the ALB listener in the app's region (the us-east-1 one when the app
 * lives there), attached to the shared :443 listener. */
static void listener_cert(struct model_ctx *c, const char *id_prefix, const char *cdn_cert_id,
			  const char *validation_id, const char *domain)
{
	const char *cert_id = cdn_cert_id;
	struct cohd_resource *r;

	if (!c->alb)
		return;
	if (!streq(c->region, "us-east-1")) {
		cert_id = model_str(c, "%s/alb-cert", id_prefix);
		cert(c, COHD_SCOPE_ENVIRONMENT, cert_id, NULL, domain,
		     model_str(c, "*.%s", domain));
	}
	r = model_add(c, "elbv2.listener_certificate", COHD_SCOPE_ENVIRONMENT,
		      model_str(c, "%s/listener-certificate", id_prefix),
		      model_str(c, "%s:443:%s", c->prefix, domain),
		      json_pack("{s:o, s:[{s:o}]}", "ListenerArn",
				model_ref("app/alb/listener-https", "ListenerArn"), "Certificates",
				"CertificateArn", model_ref(cert_id, "CertificateArn")));
	/* the certificate must be issued, i.e. validated, before ELB takes it */
	model_depend(c, r, validation_id);
}

static const char edge_js[] =
	"'use strict';\n"
	"// cohd: single-page-app deep links. On frontend behaviours only: the S3 website\n"
	"// origin answers 404/403 for client-side routes with the index document as its\n"
	"// error page; make that a 200. Backend responses never pass through here, so their\n"
	"// errors reach the client unchanged.\n"
	"exports.handler = async (event) => {\n"
	"  const response = event.Records[0].cf.response;\n"
	"  if (response.status === '404' || response.status === '403') {\n"
	"    response.status = '200';\n"
	"    response.statusDescription = 'OK';\n"
	"  }\n"
	"  return response;\n"
	"};\n";

static void edge_lambda(struct model_ctx *c)
{
	const char *fn = model_name(c, COHD_NAME_LAMBDA, "%s-spa", c->eprefix);
	const char *role_id = model_str(c, "env/%s/iam/edge-role", c->env_slug);
	json_t *trust;
	struct cohd_resource *r;

	/* Lambda@Edge writes its logs in the region of the edge location that ran it */
	r = model_role(c, COHD_SCOPE_ENVIRONMENT, role_id,
		       model_name(c, COHD_NAME_IAM_ROLE, "%s-edge", c->eprefix),
		       "lambda.amazonaws.com", "cohd: Lambda@Edge SPA rewrite",
		       json_pack("[{s:s, s:[s, s, s], s:[o, o]}]", "Effect", "Allow", "Action",
				 "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
				 "Resource",
				 model_arn(c, "logs", "*", "log-group:/aws/lambda/us-east-1.%s", fn),
				 model_arn(c, "logs", "*", "log-group:/aws/lambda/us-east-1.%s:*",
					   fn)));
	trust = model_trust("lambda.amazonaws.com", "edgelambda.amazonaws.com");
	if (r && trust)
		json_object_set_new(r->properties, "AssumeRolePolicyDocument", trust);
	else
		json_decref(trust);

	/* cnc: nodejs16.x, which Lambda no longer accepts for new functions */
	r = model_add(c, "lambda.function", COHD_SCOPE_ENVIRONMENT,
		      model_str(c, "env/%s/edge-lambda", c->env_slug), fn,
		      json_pack("{s:s, s:s, s:s, s:o, s:{s:{s:{s:s}}}, s:b, s:i, s:i, s:s, s:[s]}",
				"FunctionName", fn, "Runtime", "nodejs20.x", "Handler",
				"index.handler", "Role", model_ref(role_id, "Arn"), "Code", "ZipFile",
				"Zip", "index.js", edge_js, "Publish", 1, "Timeout", 5, "MemorySize",
				128, "Description", "cohd: SPA 404 -> 200 on frontend behaviours",
				"Architectures", "x86_64"));
	if (r && cohd_resource_set_region(r, "us-east-1") < 0)
		model_fail(c, -ENOMEM, "out of memory");
}

static void website_bucket(struct model_ctx *c, const struct cohd_app_service *s)
{
	const char *slug = model_svc_slug(c, s);
	const char *name = model_name(c, COHD_NAME_S3_BUCKET, "%s-%s-assets", c->eprefix, slug);
	json_t *p = model_bucket_props(c, name, false);

	if (!p) {
		model_fail(c, -ENOMEM, "out of memory");
		return;
	}
	/* Served by the S3 website endpoint (index and error documents, as cnc), which only
	 * reads objects anonymously: the objects are public through a bucket policy (cnc uses
	 * the public-read ACL; cohd keeps ACLs disabled) and encrypted with SSE-S3, since the
	 * website endpoint cannot decrypt SSE-KMS objects. The bucket only holds build output,
	 * so it is emptied and deleted with the environment. */
	json_object_set_new(p, "PublicAccessBlockConfiguration",
			    json_pack("{s:b, s:b, s:b, s:b}", "BlockPublicAcls", 1,
				      "IgnorePublicAcls", 1, "BlockPublicPolicy", 0,
				      "RestrictPublicBuckets", 0));
	json_object_set_new(p, "WebsiteConfiguration",
			    json_pack("{s:{s:s}, s:{s:s}}", "IndexDocument", "Suffix",
				      s->index_file_name, "ErrorDocument", "Key",
				      s->index_file_name));
	json_object_set_new(p, "Policy",
			    json_pack("{s:s, s:[{s:s, s:s, s:s, s:s, s:o}]}", "Version",
				      "2012-10-17", "Statement", "Sid", "PublicRead", "Effect",
				      "Allow", "Principal", "*", "Action", "s3:GetObject",
				      "Resource", model_arn(c, "s3", "", "%s/*", name)));
	json_object_set_new(p, "cohd:ForceDestroy", json_true());
	model_add(c, "s3.bucket", COHD_SCOPE_SERVICE,
		  model_str(c, "%s/website-bucket", model_svc_id(c, slug)), name, p);

	if (s->n_custom_headers > 0 || s->n_cors > 0) {
		const char *pn = model_name(c, COHD_NAME_CLOUDFRONT, "%s-%s", c->eprefix, slug);
		json_t *cfg = json_pack("{s:s, s:s}", "Name", pn, "Comment",
					model_str(c, "cohd: headers of %s", s->name));
		json_t *items = json_array(), *origins = json_array();

		for (size_t i = 0; items && i < s->n_custom_headers; i++)
			json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "Header",
							       s->custom_headers[i].name, "Value",
							       s->custom_headers[i].value,
							       "Override", 1));
		if (cfg && json_array_size(items) > 0)
			json_object_set_new(cfg, "CustomHeadersConfig", cf_list(json_incref(items)));
		for (size_t i = 0; origins && i < s->n_cors; i++)
			for (size_t j = 0; j < s->cors[i].n_allowed_origins; j++)
				json_array_append_new(origins,
						      json_string(s->cors[i].allowed_origins[j]));
		if (cfg && json_array_size(origins) > 0)
			json_object_set_new(
				cfg, "CorsConfig",
				json_pack("{s:o, s:o, s:o, s:b, s:b}", "AccessControlAllowOrigins",
					  cf_list(json_incref(origins)), "AccessControlAllowHeaders",
					  cf_list(json_pack("[s]", "*")),
					  "AccessControlAllowMethods",
					  cf_list(json_pack("[s, s, s]", "GET", "HEAD", "OPTIONS")),
					  "AccessControlAllowCredentials", 0, "OriginOverride", 1));
		json_decref(items);
		json_decref(origins);
		model_add(c, "cloudfront.response_headers_policy", COHD_SCOPE_SERVICE,
			  model_str(c, "%s/response-headers-policy", model_svc_id(c, slug)), pn,
			  json_pack("{s:o}", "ResponseHeadersPolicyConfig", cfg));
	}
}

static int env_edge(struct model_ctx *c)
{
	const char *e = c->env_slug;
	const char *cert_id = model_str(c, "env/%s/acm/cdn", e);
	const char *val_id = model_str(c, "env/%s/acm/cdn/validation", e);

	for (size_t i = 0; i < c->app->n_services; i++)
		if (c->app->services[i].kind == COHD_APP_SERVICE_FRONTEND)
			website_bucket(c, &c->app->services[i]);
	if (needs_edge_lambda(c))
		edge_lambda(c);
	if (!default_service(c))
		return c->r; /* only internal backends: nothing public to serve */

	/* cnc: "*.<base>" + SAN "*.<env domain>"; cohd: the environment's own names, which is
	 * what the distribution serves. CloudFront takes certificates from us-east-1 only. */
	cert(c, COHD_SCOPE_ENVIRONMENT, cert_id, "us-east-1", c->env_domain,
	     model_str(c, "*.%s", c->env_domain));
	validation(c, COHD_SCOPE_ENVIRONMENT, val_id, cert_id, "app/dns/zone", c->env_domain);
	listener_cert(c, model_str(c, "env/%s/acm", e), cert_id, val_id, c->env_domain);
	distribution(c, model_str(c, "env/%s/cdn", e), c->env_domain, cert_id, val_id,
		     model_str(c, "%s/", e));
	alias_records(c, model_str(c, "env/%s/dns", e), "app/dns/zone",
		      model_str(c, "env/%s/cdn", e), c->env_domain);

	/* custom domains: own zone (its NS records go to the owner's DNS provider, seed),
	 * certificates, a distribution of their own (as cnc: one viewer certificate each) */
	for (size_t i = 0; i < c->app->n_custom_domains; i++) {
		const char *d = c->app->custom_domains[i];
		_cleanup_free_ char *ds = cohd_naming_slug(d, 60);
		const char *p = model_str(c, "env/%s/domain/%s", e, ds);
		const char *zid = model_str(c, "%s/zone", p), *cid = model_str(c, "%s/cert", p);
		const char *vid = model_str(c, "%s/validation", p);

		if (!ds)
			return model_fail(c, -ENOMEM, "out of memory"), c->r;
		zone(c, COHD_SCOPE_ENVIRONMENT, zid, d);
		cert(c, COHD_SCOPE_ENVIRONMENT, cid, "us-east-1", d, model_str(c, "*.%s", d));
		validation(c, COHD_SCOPE_ENVIRONMENT, vid, cid, zid, d);
		listener_cert(c, p, cid, vid, d);
		distribution(c, model_str(c, "%s/cdn", p), d, cid, vid,
			     model_str(c, "%s/%s/", e, ds));
		alias_records(c, model_str(c, "%s/dns", p), zid, model_str(c, "%s/cdn", p), d);
	}
	return c->r;
}

int model_compile_edge(struct model_ctx *c)
{
	if (c->app->n_services == 0)
		return c->r;
	if (app_edge(c) < 0 || env_edge(c) < 0)
		return c->r;
	return c->r;
}
