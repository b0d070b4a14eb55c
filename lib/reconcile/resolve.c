/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Placeholder resolution (lib/model/graph.h): Ref, Sub (${AWS::AccountId}, ${AWS::Partition},
 * ${cohd::ImageTag}, ${id.Attr}) and Az are resolved here, purely, against the attributes the
 * engine knows; Generate, Allocate and Zip are delegated to the generate port. An attribute not
 * known yet is -EAGAIN: the resource waits for its dependency (that is what the plan's DAG is
 * for). Pure; loop thread only.
 */
#include <stdlib.h>

#include "lib/reconcile/diff.h"
#include "lib/util/buf.h"
#include "lib/util/macro.h"

static int missing(char **ret_missing, const char *id, const char *attr)
{
	if (ret_missing && !*ret_missing && asprintf(ret_missing, "%s.%s", id, attr) < 0)
		*ret_missing = NULL;
	return -EAGAIN;
}

static int ref_value(const struct cohd_rec_resolve_ctx *ctx, const char *id, const char *attr,
		     const json_t **ret, char **ret_missing)
{
	const json_t *attrs = ctx->attrs ? ctx->attrs(ctx->userdata, id) : NULL;
	const json_t *v = attrs ? cohd_rec_json_path(attrs, attr) : NULL;

	if (!v)
		return missing(ret_missing, id, attr);
	*ret = v;
	return 0;
}

static int any_ref(const char *id, const char *attr, void *userdata)
{
	return -EEXIST;
}

/* A reference to a value cohd writes and AWS never returns, read from the owner's desired
 * properties. A generated value (a database's MasterUserPassword is its credentials secret's
 * generated SecretString.password): the same value from the generate port under the owner's id
 * (which memoises it per resource); in the diff (keep_generated) the placeholder itself, which
 * is never compared. A literal (the secret's SecretString.username): that value, once the owner
 * exists (before that, the reference waits like any other). -ENOENT otherwise. */
static int desired_ref(const struct cohd_rec_resolve_ctx *ctx, const char *id, const char *attr,
		       json_t **ret)
{
	const json_t *props = ctx->desired ? ctx->desired(ctx->userdata, id) : NULL;
	const json_t *ph = props ? cohd_rec_json_path(props, attr) : NULL;
	int r;

	if (!ph)
		return -ENOENT;
	if (json_is_object(ph) && json_object_get(ph, "Generate")) {
		if (ctx->keep_generated) {
			*ret = json_deep_copy(ph);
			return *ret ? 0 : -ENOMEM;
		}
		if (!ctx->generate)
			return -ENOENT;
		r = ctx->generate(ctx->userdata, id, ph, ret);
		return r == -EAGAIN ? -ENOENT : r;
	}
	if (cohd_rec_has_generated(ph) || cohd_json_foreach_ref(ph, any_ref, NULL) < 0 ||
	    (json_is_object(ph) && json_object_get(ph, "Az")) || !ctx->attrs ||
	    !ctx->attrs(ctx->userdata, id))
		return -ENOENT;
	*ret = json_deep_copy(ph);
	return *ret ? 0 : -ENOMEM;
}

static int sub(const struct cohd_rec_resolve_ctx *ctx, const char *s, json_t **ret,
	       char **ret_missing)
{
	struct cohd_buf b;
	int r = 0;

	cohd_buf_init(&b, 64 * 1024);
	while (*s && r >= 0) {
		const char *open = strstr(s, "${"), *close;
		_cleanup_free_ char *name = NULL, *text = NULL;

		if (!open) {
			r = cohd_buf_append_str(&b, s);
			break;
		}
		close = strchr(open, '}');
		if (!close) {
			r = -EINVAL;
			break;
		}
		r = cohd_buf_append(&b, s, (size_t)(open - s));
		if (r < 0)
			break;
		name = strndup(open + 2, (size_t)(close - open - 2));
		if (!name) {
			r = -ENOMEM;
			break;
		}
		if (streq(name, "AWS::AccountId") || streq(name, "AWS::Partition") ||
		    streq(name, "cohd::ImageTag")) {
			const char *v = streq(name, "AWS::AccountId")	? ctx->account
					: streq(name, "AWS::Partition") ? (ctx->partition ?: "aws")
									: ctx->image_tag;

			if (!v) {
				r = missing(ret_missing, name, "");
				break;
			}
			r = cohd_buf_append_str(&b, v);
		} else {
			char *dot = strchr(name, '.');
			const json_t *v;

			if (!dot) {
				r = -EINVAL;
				break;
			}
			*dot = 0;
			r = ref_value(ctx, name, dot + 1, &v, NULL);
			if (r == -EAGAIN) {
				json_auto_t *gen = NULL;

				r = desired_ref(ctx, name, dot + 1, &gen);
				if (r == -ENOENT) {
					r = missing(ret_missing, name, dot + 1);
					break;
				}
				if (r >= 0 && ctx->keep_generated && cohd_rec_has_generated(gen)) {
					/* the whole string holds a generated value: not compared */
					cohd_buf_done(&b);
					*ret = TAKE_PTR(gen);
					return 0;
				}
				if (r >= 0) {
					text = cohd_rec_json_text(gen);
					r = text ? cohd_buf_append_str(&b, text) : -ENOMEM;
				}
				s = close + 1;
				continue;
			}
			if (r < 0)
				break;
			text = cohd_rec_json_text(v);
			r = text ? cohd_buf_append_str(&b, text) : -ENOMEM;
		}
		s = close + 1;
	}
	if (r >= 0) {
		*ret = json_string(cohd_buf_str(&b));
		r = *ret ? 0 : -ENOMEM;
	}
	cohd_buf_done(&b);
	return r;
}

int cohd_rec_resolve(const struct cohd_rec_resolve_ctx *ctx, const json_t *v, json_t **ret,
		     char **ret_missing)
{
	const char *key;
	json_t *item, *out;
	size_t i;
	int r;

	if (json_is_object(v)) {
		const json_t *p;

		if ((p = json_object_get(v, "Ref")) && json_is_string(p)) {
			const char *attr = strempty(json_string_value(json_object_get(v, "Attr")));
			const json_t *val;

			r = ref_value(ctx, json_string_value(p), attr, &val, NULL);
			if (r == -EAGAIN) {
				r = desired_ref(ctx, json_string_value(p), attr, ret);
				return r == -ENOENT
					       ? missing(ret_missing, json_string_value(p), attr)
					       : r;
			}
			if (r < 0)
				return r;
			*ret = json_deep_copy(val);
			return *ret ? 0 : -ENOMEM;
		}
		if ((p = json_object_get(v, "Sub")) && json_is_string(p))
			return sub(ctx, json_string_value(p), ret, ret_missing);
		if ((p = json_object_get(v, "Az")) && json_is_integer(p) &&
		    json_object_size(v) == 1) {
			json_int_t n = json_integer_value(p);
			size_t count = 0;

			while (ctx->azs && ctx->azs[count])
				count++;
			if (n < 0 || (size_t)n >= count)
				return missing(ret_missing, "AWS::AvailabilityZones",
					       count ? "out-of-range" : "unknown");
			*ret = json_string(ctx->azs[n]);
			return *ret ? 0 : -ENOMEM;
		}
		if (json_object_get(v, "Generate") || json_object_get(v, "Allocate") ||
		    json_object_get(v, "Zip")) {
			if (ctx->keep_generated) {
				*ret = json_deep_copy(v);
				return *ret ? 0 : -ENOMEM;
			}
			if (!ctx->generate)
				return missing(ret_missing, strempty(ctx->self), "generated value");
			r = ctx->generate(ctx->userdata, ctx->self, v, ret);
			return r == -EAGAIN ? missing(ret_missing, strempty(ctx->self), "generated")
					    : r;
		}
		out = json_object();
		if (!out)
			return -ENOMEM;
		json_object_foreach ((json_t *)v, key, item) {
			json_t *x;

			r = cohd_rec_resolve(ctx, item, &x, ret_missing);
			if (r < 0) {
				json_decref(out);
				return r;
			}
			json_object_set_new(out, key, x);
		}
		*ret = out;
		return 0;
	}
	if (json_is_array(v)) {
		out = json_array();
		if (!out)
			return -ENOMEM;
		json_array_foreach (v, i, item) {
			json_t *x;

			r = cohd_rec_resolve(ctx, item, &x, ret_missing);
			if (r < 0) {
				json_decref(out);
				return r;
			}
			json_array_append_new(out, x);
		}
		*ret = out;
		return 0;
	}
	*ret = json_incref((json_t *)v);
	return 0;
}

bool cohd_rec_has_generated(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		if (json_object_get(v, "Generate") || json_object_get(v, "Allocate") ||
		    json_object_get(v, "Zip"))
			return true;
		json_object_foreach ((json_t *)v, key, item)
			if (cohd_rec_has_generated(item))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, item)
			if (cohd_rec_has_generated(item))
				return true;
	}
	return false;
}

static int ref_is(const char *id, const char *attr, void *userdata)
{
	return streq(id, userdata) ? -EEXIST : 0;
}

bool cohd_rec_refers_to(const json_t *v, const char *id)
{
	return v && id && cohd_json_foreach_ref(v, ref_is, (void *)id) == -EEXIST;
}
