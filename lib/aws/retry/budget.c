/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client-side token buckets per (account, region, API category). AWS's figures come from
 * anchors.md §3.3 (EC2, ECS, ELB, Route 53, Secrets Manager API throttling docs: burst capacity
 * and refill per second, per account per Region). Where AWS publishes nothing (IAM, STS, KMS,
 * RDS, ... and operations outside the tables) we use a conservative default of 20 burst /
 * 5 per second, marked published = false. Pure; depends on lib/util.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <strings.h>

#include "lib/aws/retry/budget.h"
#include "lib/util/log.h"

#define DEFAULT_BURST 20.0
#define DEFAULT_REFILL 5.0

/* AWS's buckets (anchors.md §3.3). */
static const struct cohd_aws_budget_category categories[] = {
	/* EC2 request tokens */
	{ "ec2:describe", 100, 20, true },            /* non-mutating Describe*, List*, Get*, Search* */
	{ "ec2:describe-unfiltered", 50, 10, true },  /* unfiltered, unpaginated describes */
	{ "ec2:mutate", 50, 5, true },                /* mutating (default) */
	{ "ec2:resource-intensive", 50, 5, true },    /* security group rules, key pairs, peering */
	{ "ec2:tags", 100, 10, true },                /* CreateTags / DeleteTags */
	{ "ec2:vpc-endpoint", 4, 0.3, true },         /* Create/ModifyVpcEndpoint */
	/* ECS (each category is one bucket shared by its operations) */
	{ "ecs:service-read", 100, 20, true },
	{ "ecs:service-modify", 50, 5, true },
	{ "ecs:cluster-read", 50, 20, true },
	{ "ecs:cluster-resource-read", 100, 20, true },
	{ "ecs:task-definition-read", 50, 20, true },
	{ "ecs:task-definition-modify", 20, 1, true },
	{ "ecs:tag-read", 50, 20, true },
	{ "ecs:tag-modify", 20, 10, true },
	{ "ecs:deployment-read", 50, 20, true },
	{ "ecs:list-services-by-namespace", 10, 1, true },
	/* ELB v2 (separate from classic ELB) */
	{ "elbv2:describe", 40, 10, true },
	/* Route 53: the account-wide bucket over all APIs, and the stricter per-operation ones */
	{ "route53:account", 50, 10, true },
	{ "route53:create-hosted-zone", 40, 2, true },
	{ "route53:create-health-check", 50, 0.5, true },
	/* Secrets Manager: published as requests per second; burst taken equal to one second */
	{ "secretsmanager:get-secret-value", 10000, 10000, true },
	{ "secretsmanager:describe-secret", 40000, 40000, true },
	{ "secretsmanager:write", 50, 50, true },
	{ "secretsmanager:tagging", 50, 50, true },
	{ "secretsmanager:batch-get-secret-value", 100, 100, true },
};

struct op_map {
	const char *service;
	const char *operation;
	const char *category;
};

/* Exact operations; checked before the prefix rules below. */
static const struct op_map ops[] = {
	{ "ec2", "DescribeInstances", "ec2:describe-unfiltered" },
	{ "ec2", "DescribeSecurityGroups", "ec2:describe-unfiltered" },
	{ "ec2", "DescribeNetworkInterfaces", "ec2:describe-unfiltered" },
	{ "ec2", "DescribeVolumes", "ec2:describe-unfiltered" },
	{ "ec2", "DescribeSnapshots", "ec2:describe-unfiltered" },
	{ "ec2", "CreateTags", "ec2:tags" },
	{ "ec2", "DeleteTags", "ec2:tags" },
	{ "ec2", "CreateVpcEndpoint", "ec2:vpc-endpoint" },
	{ "ec2", "ModifyVpcEndpoint", "ec2:vpc-endpoint" },
	{ "ec2", "AuthorizeSecurityGroupIngress", "ec2:resource-intensive" },
	{ "ec2", "AuthorizeSecurityGroupEgress", "ec2:resource-intensive" },
	{ "ec2", "RevokeSecurityGroupIngress", "ec2:resource-intensive" },
	{ "ec2", "RevokeSecurityGroupEgress", "ec2:resource-intensive" },
	{ "ec2", "ModifySecurityGroupRules", "ec2:resource-intensive" },
	{ "ec2", "CreateKeyPair", "ec2:resource-intensive" },
	{ "ec2", "CreateVpcPeeringConnection", "ec2:resource-intensive" },
	{ "ec2", "AcceptVpcPeeringConnection", "ec2:resource-intensive" },
	{ "ec2", "RunInstances", "ec2:mutate" },
	{ "ec2", "TerminateInstances", "ec2:mutate" },

	{ "ecs", "DescribeServices", "ecs:service-read" },
	{ "ecs", "ListServices", "ecs:service-read" },
	{ "ecs", "CreateService", "ecs:service-modify" },
	{ "ecs", "UpdateService", "ecs:service-modify" },
	{ "ecs", "DeleteService", "ecs:service-modify" },
	{ "ecs", "DescribeClusters", "ecs:cluster-read" },
	{ "ecs", "ListClusters", "ecs:cluster-read" },
	{ "ecs", "DescribeTasks", "ecs:cluster-resource-read" },
	{ "ecs", "ListTasks", "ecs:cluster-resource-read" },
	{ "ecs", "DescribeContainerInstances", "ecs:cluster-resource-read" },
	{ "ecs", "ListContainerInstances", "ecs:cluster-resource-read" },
	{ "ecs", "DescribeTaskDefinition", "ecs:task-definition-read" },
	{ "ecs", "ListTaskDefinitions", "ecs:task-definition-read" },
	{ "ecs", "ListTaskDefinitionFamilies", "ecs:task-definition-read" },
	{ "ecs", "RegisterTaskDefinition", "ecs:task-definition-modify" },
	{ "ecs", "DeregisterTaskDefinition", "ecs:task-definition-modify" },
	{ "ecs", "DeleteTaskDefinitions", "ecs:task-definition-modify" },
	{ "ecs", "ListTagsForResource", "ecs:tag-read" },
	{ "ecs", "TagResource", "ecs:tag-modify" },
	{ "ecs", "UntagResource", "ecs:tag-modify" },
	{ "ecs", "DescribeServiceDeployments", "ecs:deployment-read" },
	{ "ecs", "ListServiceDeployments", "ecs:deployment-read" },
	{ "ecs", "DescribeServiceRevisions", "ecs:deployment-read" },
	{ "ecs", "ListServicesByNamespace", "ecs:list-services-by-namespace" },

	{ "route53", "CreateHostedZone", "route53:create-hosted-zone" },
	{ "route53", "CreateHealthCheck", "route53:create-health-check" },

	{ "secretsmanager", "GetSecretValue", "secretsmanager:get-secret-value" },
	{ "secretsmanager", "DescribeSecret", "secretsmanager:describe-secret" },
	{ "secretsmanager", "BatchGetSecretValue", "secretsmanager:batch-get-secret-value" },
	{ "secretsmanager", "TagResource", "secretsmanager:tagging" },
	{ "secretsmanager", "UntagResource", "secretsmanager:tagging" },
	{ "secretsmanager", "PutSecretValue", "secretsmanager:write" },
	{ "secretsmanager", "UpdateSecret", "secretsmanager:write" },
	{ "secretsmanager", "UpdateSecretVersionStage", "secretsmanager:write" },
	{ "secretsmanager", "ReplicateSecretToRegions", "secretsmanager:write" },
	{ "secretsmanager", "RemoveRegionsFromReplication", "secretsmanager:write" },
};

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool non_mutating(const char *op)
{
	return has_prefix(op, "Describe") || has_prefix(op, "List") || has_prefix(op, "Get") ||
	       has_prefix(op, "Search");
}

/* "<service>:default" categories, created on first use and kept for the life of the process. */
struct default_category {
	struct cohd_aws_budget_category cat;
	struct default_category *next;
};
static struct default_category *defaults;
static const struct cohd_aws_budget_category fallback = { "default", DEFAULT_BURST,
							  DEFAULT_REFILL, false };

static const struct cohd_aws_budget_category *static_by_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(categories); i++)
		if (streq(categories[i].name, name))
			return &categories[i];
	return NULL;
}

const struct cohd_aws_budget_category *cohd_aws_budget_category_by_name(const char *name)
{
	const struct cohd_aws_budget_category *c;

	if (!name)
		return NULL;
	c = static_by_name(name);
	if (c)
		return c;
	for (struct default_category *d = defaults; d; d = d->next)
		if (streq(d->cat.name, name))
			return &d->cat;
	if (streq(name, fallback.name))
		return &fallback;
	return NULL;
}

static const struct cohd_aws_budget_category *default_for(const char *service);

/* by_name, plus "<service>:default" names created on first sight (a caller may build a key
 * from a name it stored earlier, in this process or in its config). */
static const struct cohd_aws_budget_category *lookup(const char *name)
{
	const struct cohd_aws_budget_category *c = cohd_aws_budget_category_by_name(name);
	const char *suffix;
	_cleanup_free_ char *service = NULL;

	if (c || !name)
		return c;
	suffix = strrchr(name, ':');
	if (!suffix || suffix == name || !streq(suffix, ":default"))
		return NULL;
	service = strndup(name, (size_t)(suffix - name));
	if (!service)
		return NULL;
	c = default_for(service);
	return c != &fallback ? c : NULL;
}

static const struct cohd_aws_budget_category *default_for(const char *service)
{
	_cleanup_free_ char *name = NULL;
	const struct cohd_aws_budget_category *c;
	struct default_category *d;

	if (asprintf(&name, "%s:default", service) < 0)
		return &fallback;
	c = cohd_aws_budget_category_by_name(name);
	if (c)
		return c;
	d = calloc(1, sizeof *d);
	if (!d)
		return &fallback;
	d->cat = (struct cohd_aws_budget_category){ TAKE_PTR(name), DEFAULT_BURST, DEFAULT_REFILL,
						    false };
	d->next = defaults;
	defaults = d;
	return &d->cat;
}

const struct cohd_aws_budget_category *cohd_aws_budget_category_for(const char *service,
								     const char *operation)
{
	if (isempty(service))
		return &fallback;
	operation = strempty(operation);
	for (size_t i = 0; i < ELEMENTSOF(ops); i++)
		if (streq(ops[i].service, service) && streq(ops[i].operation, operation))
			return static_by_name(ops[i].category);
	if (streq(service, "ec2"))
		return static_by_name(non_mutating(operation) ? "ec2:describe" : "ec2:mutate");
	if (streq(service, "elasticloadbalancing") && has_prefix(operation, "Describe"))
		return static_by_name("elbv2:describe");
	if (streq(service, "route53"))
		return static_by_name("route53:account");
	return default_for(service);
}

/* ---- buckets ---- */

struct bucket {
	char *account;
	char *region;
	const struct cohd_aws_budget_category *cat;
	double tokens;
	usec_t last;
};

struct cohd_aws_budget {
	double share;
	struct bucket *buckets;
	size_t n, alloc;
};

struct cohd_aws_budget *cohd_aws_budget_new(double share)
{
	struct cohd_aws_budget *b;

	if (!(share > 0.0 && share <= 1.0))
		return NULL;
	b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->share = share;
	return b;
}

struct cohd_aws_budget *cohd_aws_budget_free(struct cohd_aws_budget *b)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n; i++) {
		free(b->buckets[i].account);
		free(b->buckets[i].region);
	}
	free(b->buckets);
	free(b);
	return NULL;
}

static double capacity(const struct cohd_aws_budget *b, const struct cohd_aws_budget_category *c)
{
	/* at least one token, or a small bucket with a small share could never serve a call */
	return MAX(1.0, c->burst * b->share);
}

static double rate(const struct cohd_aws_budget *b, const struct cohd_aws_budget_category *c)
{
	return c->refill * b->share;
}

static struct bucket *bucket_find(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *k,
				  const struct cohd_aws_budget_category *cat)
{
	const char *account = strempty(k->account), *region = k->region ? k->region : "global";

	for (size_t i = 0; i < b->n; i++)
		if (b->buckets[i].cat == cat && streq(b->buckets[i].account, account) &&
		    streq(b->buckets[i].region, region))
			return &b->buckets[i];
	return NULL;
}

static int bucket_get(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *k,
		      usec_t now, struct bucket **ret)
{
	const struct cohd_aws_budget_category *cat;
	struct bucket *bk;
	char *account, *region;

	if (!k || !k->category)
		return -EINVAL;
	cat = lookup(k->category);
	if (!cat)
		return -EINVAL;
	bk = bucket_find(b, k, cat);
	if (bk) {
		*ret = bk;
		return 0;
	}
	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 16;
		struct bucket *nb = reallocarray(b->buckets, na, sizeof *nb);

		if (!nb)
			return -ENOMEM;
		b->buckets = nb;
		b->alloc = na;
	}
	account = strdup(strempty(k->account));
	region = strdup(k->region ? k->region : "global");
	if (!account || !region) {
		free(account);
		free(region);
		return -ENOMEM;
	}
	b->buckets[b->n] = (struct bucket){
		.account = account,
		.region = region,
		.cat = cat,
		.tokens = capacity(b, cat),
		.last = now,
	};
	*ret = &b->buckets[b->n++];
	return 0;
}

static void refill(const struct cohd_aws_budget *b, struct bucket *bk, usec_t now)
{
	if (now > bk->last) {
		double add = rate(b, bk->cat) * (double)(now - bk->last) / (double)USEC_PER_SEC;

		bk->tokens = MIN(capacity(b, bk->cat), bk->tokens + add);
		bk->last = now;
	}
}

int cohd_aws_budget_take(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *key,
			 usec_t now, usec_t *ret_wait)
{
	struct bucket *bk;
	double missing, r;
	int ret;

	cohd_assert_return(b && key && ret_wait, -EINVAL);
	ret = bucket_get(b, key, now, &bk);
	if (ret < 0)
		return ret;
	refill(b, bk, now);
	if (bk->tokens >= 1.0) {
		bk->tokens -= 1.0;
		*ret_wait = 0;
		return 0;
	}
	missing = 1.0 - bk->tokens;
	r = rate(b, bk->cat);
	if (r <= 0.0) {
		*ret_wait = USEC_INFINITY;
		return 0;
	}
	/* round up, and never 0: the caller must not spin */
	*ret_wait = MAX((usec_t)1, (usec_t)ceil(missing / r * (double)USEC_PER_SEC));
	log_debug(AWS, "budget: %s in %s/%s empty, wait %" PRIu64 " us", bk->cat->name,
		  bk->account, bk->region, (uint64_t)*ret_wait);
	return 0;
}

void cohd_aws_budget_refund(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *key)
{
	const struct cohd_aws_budget_category *cat;
	struct bucket *bk;

	if (!b || !key)
		return;
	cat = lookup(key->category);
	if (!cat)
		return;
	bk = bucket_find(b, key, cat);
	if (bk)
		bk->tokens = MIN(capacity(b, cat), bk->tokens + 1.0);
}

double cohd_aws_budget_available(struct cohd_aws_budget *b, const struct cohd_aws_budget_key *key,
				 usec_t now)
{
	const struct cohd_aws_budget_category *cat;
	struct bucket *bk;

	if (!b || !key)
		return -1;
	cat = lookup(key->category);
	if (!cat)
		return -1;
	bk = bucket_find(b, key, cat);
	if (!bk)
		return capacity(b, cat);
	refill(b, bk, now);
	return bk->tokens;
}
