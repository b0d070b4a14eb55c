/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-in service table (generated) and service models: lazy parsing of the embedded JSON
 * with jansson, a process-wide cache, operation lookup. Pure; no loop, not thread-safe.
 */
#include <strings.h>

#include "lib/aws/protocols/models.h"
#include "lib/util/log.h"
#include "lib/util/time.h"

static const char *const protocol_names[_COHD_AWS_PROTOCOL_MAX] = {
	[COHD_AWS_PROTOCOL_QUERY] = "query",	   [COHD_AWS_PROTOCOL_EC2] = "ec2",
	[COHD_AWS_PROTOCOL_JSON] = "json",	   [COHD_AWS_PROTOCOL_REST_JSON] = "rest-json",
	[COHD_AWS_PROTOCOL_REST_XML] = "rest-xml",
};

int cohd_aws_protocol_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(protocol_names); i++)
		if (streq(s, protocol_names[i]))
			return (int)i;
	return -EINVAL;
}

const char *cohd_aws_protocol_to_string(enum cohd_aws_protocol p)
{
	if ((int)p < 0 || p >= _COHD_AWS_PROTOCOL_MAX)
		return NULL;
	return protocol_names[p];
}

static bool table_ready;
static struct cohd_aws_service_model *cache[64];

static void table_init(void)
{
	if (table_ready)
		return;
	for (size_t i = 0; i < cohd_aws_services_table_n; i++) {
		struct cohd_aws_service *s = &cohd_aws_services_table[i];
		int p = cohd_aws_protocol_from_string(s->protocol_name);

		s->protocol = p < 0 ? COHD_AWS_PROTOCOL_QUERY : (enum cohd_aws_protocol)p;
	}
	table_ready = true;
}

const struct cohd_aws_service *cohd_aws_services(size_t *ret_n)
{
	table_init();
	if (ret_n)
		*ret_n = cohd_aws_services_table_n;
	return cohd_aws_services_table;
}

const struct cohd_aws_service *cohd_aws_service_find(const char *name)
{
	cohd_assert_return(name, NULL);
	table_init();
	for (size_t i = 0; i < cohd_aws_services_table_n; i++)
		if (streq(cohd_aws_services_table[i].cli_name, name))
			return &cohd_aws_services_table[i];
	for (size_t i = 0; i < cohd_aws_services_table_n; i++)
		if (streq_ptr(cohd_aws_services_table[i].endpoint_prefix, name))
			return &cohd_aws_services_table[i];
	return NULL;
}

static const char *meta_str(json_t *md, const char *k)
{
	return json_string_value(json_object_get(md, k));
}

int cohd_aws_service_model_new(json_t *service_doc, json_t *paginators_doc,
			       struct cohd_aws_service_model **ret, struct cohd_error *reterr)
{
	_cleanup_free_ struct cohd_aws_service_model *m = NULL;
	json_t *pag;
	int p;

	cohd_assert_return(service_doc && ret, -EINVAL);
	if (!json_is_object(service_doc))
		return cohd_error_set(reterr, -EINVAL, "service model is not a JSON object");

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->metadata = json_object_get(service_doc, "metadata");
	p = cohd_aws_protocol_from_string(meta_str(m->metadata, "protocol"));
	if (p < 0)
		return cohd_error_set(reterr, -EINVAL,
				      "service model has no known metadata.protocol");
	m->protocol = (enum cohd_aws_protocol)p;
	m->operations = json_object_get(service_doc, "operations");
	m->shapes = json_object_get(service_doc, "shapes");
	if (!json_is_object(m->operations) || !json_is_object(m->shapes))
		return cohd_error_set(reterr, -EINVAL, "service model lacks operations or shapes");

	pag = paginators_doc;
	if (json_is_object(json_object_get(pag, "pagination")))
		pag = json_object_get(pag, "pagination");
	m->paginators = json_is_object(pag) ? json_incref(pag) : json_object();
	if (!m->paginators)
		return -ENOMEM;
	m->doc = json_incref(service_doc);
	m->api_version = meta_str(m->metadata, "apiVersion");
	m->target_prefix = meta_str(m->metadata, "targetPrefix");
	m->json_version = meta_str(m->metadata, "jsonVersion") ?: "1.0";
	*ret = TAKE_PTR(m);
	return 0;
}

struct cohd_aws_service_model *cohd_aws_service_model_free(struct cohd_aws_service_model *m)
{
	if (!m)
		return NULL;
	json_decref(m->paginators);
	json_decref(m->doc);
	free(m);
	return NULL;
}

int cohd_aws_service_model(const struct cohd_aws_service *svc,
			   const struct cohd_aws_service_model **ret)
{
	json_auto_t *doc = NULL, *pag = NULL;
	struct cohd_aws_service_model *m = NULL;
	json_error_t jerr;
	size_t i;
	usec_t t0;
	int r;

	cohd_assert_return(svc && ret, -EINVAL);
	table_init();
	i = (size_t)(svc - cohd_aws_services_table);
	cohd_assert_return(i < cohd_aws_services_table_n && i < ELEMENTSOF(cache), -EINVAL);
	if (cache[i]) {
		*ret = cache[i];
		return 0;
	}

	t0 = cohd_now_monotonic();
	doc = json_loadb((const char *)svc->_model, svc->_model_len, 0, &jerr);
	if (!doc)
		return log_debug_errno(AWS, -EBADMSG, "embedded model of %s: %s", svc->cli_name,
				       jerr.text);
	pag = json_loadb((const char *)svc->_paginators, svc->_paginators_len, 0, &jerr);
	if (!pag)
		return log_debug_errno(AWS, -EBADMSG, "embedded paginators of %s: %s",
				       svc->cli_name, jerr.text);
	r = cohd_aws_service_model_new(doc, pag, &m, NULL);
	if (r < 0)
		return r;
	log_debug(AWS, "loaded model of %s (%zu bytes) in %llu us", svc->cli_name, svc->_model_len,
		  (unsigned long long)(cohd_now_monotonic() - t0));
	cache[i] = m;
	*ret = m;
	return 0;
}

void cohd_aws_service_models_flush(void)
{
	for (size_t i = 0; i < ELEMENTSOF(cache); i++)
		cache[i] = cohd_aws_service_model_free(cache[i]);
}

int cohd_aws_operation_find(const struct cohd_aws_service_model *m, const char *operation,
			    const json_t **ret_op)
{
	const json_t *op;

	cohd_assert_return(m && operation, -EINVAL);
	op = json_object_get(m->operations, operation);
	if (!json_is_object(op))
		return -ENOENT;
	if (ret_op)
		*ret_op = op;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

json_t *cohd_aws_operation_list(const struct cohd_aws_service_model *m)
{
	json_auto_t *a = json_array();
	_cleanup_free_ json_t **v = NULL;
	const char *k;
	json_t *op;
	size_t n = 0;

	if (!a || !m)
		return NULL;
	v = calloc(json_object_size(m->operations) + 1, sizeof(*v));
	if (!v)
		return NULL;
	json_object_foreach (m->operations, k, op) {
		v[n] = json_string(k);
		if (!v[n]) {
			while (n > 0)
				json_decref(v[--n]);
			return NULL;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, v[i]) < 0) {
			for (size_t j = i + 1; j < n; j++)
				json_decref(v[j]);
			return NULL;
		}
	return json_incref(a);
}
