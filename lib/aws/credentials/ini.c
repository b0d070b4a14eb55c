/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS shared-file INI reader (see ini.h). Pure apart from ini_load() reading one file.
 */
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include "lib/aws/credentials/credentials.h"
#include "lib/aws/credentials/ini.h"
#include "lib/util/buf.h"

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

struct ini_file *ini_free(struct ini_file *f)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->n_sections; i++) {
		struct ini_section *s = &f->sections[i];

		for (size_t k = 0; k < s->n_kv; k++) {
			free(s->kv[k].key);
			wipe_free(s->kv[k].value);
		}
		free(s->kv);
		free(s->name);
	}
	free(f->sections);
	free(f->path);
	free(f);
	return NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* [s, e) trimmed */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

static struct ini_section *section_get(struct ini_file *f, const char *name, size_t len,
				       unsigned line)
{
	struct ini_section *ns;

	for (size_t i = 0; i < f->n_sections; i++)
		if (strlen(f->sections[i].name) == len && !memcmp(f->sections[i].name, name, len))
			return &f->sections[i];
	ns = reallocarray(f->sections, f->n_sections + 1, sizeof *ns);
	if (!ns)
		return NULL;
	f->sections = ns;
	ns = &f->sections[f->n_sections];
	*ns = (struct ini_section){ .line = line };
	ns->name = strndup(name, len);
	if (!ns->name)
		return NULL;
	f->n_sections++;
	return ns;
}

static int kv_add(struct ini_section *s, const char *k, size_t klen, const char *v, size_t vlen,
		  unsigned line)
{
	struct ini_kv *nk = reallocarray(s->kv, s->n_kv + 1, sizeof *nk), kv = { .line = line };

	if (!nk)
		return -ENOMEM;
	s->kv = nk;
	kv.key = strndup(k, klen);
	kv.value = strndup(v, vlen);
	if (!kv.key || !kv.value) {
		free(kv.key);
		wipe_free(kv.value);
		return -ENOMEM;
	}
	for (char *c = kv.key; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	s->kv[s->n_kv++] = kv;
	return 0;
}

int ini_parse(const char *path, const char *text, size_t len, struct ini_file **ret,
	      struct cohd_error *reterr)
{
	_cleanup_(ini_freep) struct ini_file *f = NULL;
	struct ini_section *cur = NULL;
	bool after_key = false;
	size_t key_indent = 0;
	const char *p = text, *end = text + len;
	unsigned line = 0;

	cohd_assert_return(ret && (text || len == 0), -EINVAL);
	path = strempty(path);
	if (len > COHD_AWS_INI_FILE_MAX)
		return cohd_error_set(reterr, -EFBIG, "%s: larger than %u bytes", path,
				      COHD_AWS_INI_FILE_MAX);
	f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;

	/* a UTF-8 byte order mark is tolerated */
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *ls = p, *le = eol ? eol : end, *s, *e, *eq;

		p = eol ? eol + 1 : end;
		line++;
		if ((size_t)(le - ls) > COHD_AWS_INI_LINE_MAX)
			return cohd_error_set(reterr, -EFBIG, "%s:%u: line longer than %u bytes",
					      path, line, COHD_AWS_INI_LINE_MAX);
		if (memchr(ls, 0, (size_t)(le - ls)))
			return cohd_error_set(reterr, -EBADMSG, "%s:%u: NUL byte", path, line);
		s = ls;
		e = le;
		trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		/* indented deeper than the key before it: a continuation or a nested sub-property
		 * (configparser's rule), which nothing we read uses */
		if (after_key && (size_t)(s - ls) > key_indent)
			continue;
		if (*s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s)), *ns = s + 1, *ne, *rest;

			if (!close)
				return cohd_error_set(reterr, -EBADMSG,
						      "%s:%u: section header without ']'", path,
						      line);
			rest = close + 1;
			while (rest < e && is_blank(*rest))
				rest++;
			if (rest < e && *rest != '#' && *rest != ';')
				return cohd_error_set(reterr, -EBADMSG,
						      "%s:%u: unexpected text after section header",
						      path, line);
			ne = close;
			trim(&ns, &ne);
			if (ns == ne)
				return cohd_error_set(reterr, -EBADMSG, "%s:%u: empty section name",
						      path, line);
			cur = section_get(f, ns, (size_t)(ne - ns), line);
			if (!cur)
				return -ENOMEM;
			after_key = false;
			continue;
		}
		eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			return cohd_error_set(reterr, -EBADMSG, "%s:%u: expected 'key = value'", path,
					      line);
		if (!cur)
			return cohd_error_set(reterr, -EBADMSG, "%s:%u: key outside of a [section]",
					      path, line);
		{
			const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
			int r;

			trim(&ks, &ke);
			trim(&vs, &ve);
			if (ks == ke)
				return cohd_error_set(reterr, -EBADMSG, "%s:%u: empty key", path,
						      line);
			r = kv_add(cur, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs), line);
			if (r < 0)
				return r;
			after_key = true;
			key_indent = (size_t)(s - ls);
		}
	}
	*ret = TAKE_PTR(f);
	return 0;
}

int ini_load(const char *path, struct ini_file **ret, struct cohd_error *reterr)
{
	_cleanup_close_ int fd = -1;
	_cleanup_(cohd_buf_done) struct cohd_buf b = {};
	struct stat st;
	int r;

	cohd_assert_return(path && ret, -EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = negative_errno();
		if (r == -ENOENT)
			return r;
		return cohd_error_set(reterr, r, "%s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = negative_errno();
		return cohd_error_set(reterr, r, "%s: %s", path, strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return cohd_error_set(reterr, -EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > COHD_AWS_INI_FILE_MAX)
		return cohd_error_set(reterr, -EFBIG, "%s: larger than %u bytes", path,
				      COHD_AWS_INI_FILE_MAX);
	cohd_buf_init(&b, COHD_AWS_INI_FILE_MAX);
	b.secret = true;
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = negative_errno();
			OPENSSL_cleanse(chunk, sizeof chunk);
			return cohd_error_set(reterr, r, "%s: %s", path, strerror(-r));
		}
		if (n == 0)
			break;
		r = cohd_buf_append(&b, chunk, (size_t)n);
		OPENSSL_cleanse(chunk, (size_t)n);
		if (r == -EMSGSIZE)
			return cohd_error_set(reterr, -EFBIG, "%s: larger than %u bytes", path,
					      COHD_AWS_INI_FILE_MAX);
		if (r < 0)
			return r;
	}
	return ini_parse(path, cohd_buf_str(&b), b.len, ret, reterr);
}

const struct ini_section *ini_section(const struct ini_file *f, const char *name)
{
	if (!f || !name)
		return NULL;
	for (size_t i = 0; i < f->n_sections; i++)
		if (streq(f->sections[i].name, name))
			return &f->sections[i];
	return NULL;
}

const struct ini_kv *ini_get(const struct ini_section *s, const char *key)
{
	if (!s || !key)
		return NULL;
	for (size_t i = s->n_kv; i > 0; i--)
		if (streq(s->kv[i - 1].key, key))
			return &s->kv[i - 1];
	return NULL;
}
