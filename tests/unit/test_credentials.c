/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lib/aws/credentials: the INI reader, every source of the chain and their
 * precedence, profile chains (role_arn + source_profile, credential_source, loops), missing and
 * broken files, the region lookup, the ECS/IMDS JSON parser and the refresh policy. The process
 * environment is never read: every test builds its own envp.
 */
#include <sys/stat.h>

#include "lib/aws/credentials/credentials.h"
#include "lib/aws/credentials/ini.h"
#include "test.h"

static char *tmp;

static void setup(void)
{
	tmp = test_mkdtemp();
}

static void teardown(void)
{
	test_rm_rf(tmp);
	free(tmp);
	tmp = NULL;
}

/* Write tmp/<name> (creating sub-directories one level deep) and return its path in a
 * static buffer rotation. */
static const char *write_file(const char *name, const char *content)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % 8], *slash;
	FILE *f;

	snprintf(p, PATH_MAX, "%s/%s", tmp, name);
	slash = strrchr(p, '/');
	*slash = 0;
	(void)mkdir(p, 0700);
	*slash = '/';
	f = fopen(p, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

/* envp builder: up to 31 "K=V" strings */
struct env {
	char *v[32];
	size_t n;
	struct cohd_aws_env e;
};

static void env_add(struct env *e, const char *k, const char *v)
{
	ck_assert_uint_lt(e->n, 31);
	ck_assert_int_ge(asprintf(&e->v[e->n], "%s=%s", k, v), 0);
	e->n++;
	e->v[e->n] = NULL;
	e->e = cohd_aws_env_from_envp(e->v);
}

/* An env with HOME pointing at tmp (so ~/.aws/... are under our control). */
static void env_init(struct env *e)
{
	*e = (struct env){};
	e->e = cohd_aws_env_from_envp(e->v);
	env_add(e, "HOME", tmp);
}

static void env_done(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

static int resolve(struct env *e, struct cohd_aws_credential_source **s, struct cohd_error *err)
{
	return cohd_aws_credentials_resolve(&e->e, s, err);
}

/* ---- INI ---- */

START_TEST(test_ini_parse)
{
	static const char text[] = "\xef\xbb\xbf# comment\r\n"
				   "; another\n"
				   "\n"
				   "[default]\r\n"
				   "aws_access_key_id = AKID  \n"
				   "Aws_Secret_Access_Key=se#cr;et\n"
				   "s3 =\n"
				   "    max_concurrent_requests = 20\n"
				   "    addressing_style = path\n"
				   "region = eu-west-1\n"
				   "[profile x]   # trailing comment\n"
				   "  role_arn = arn:aws:iam::123456789012:role/r\n"
				   "  source_profile = default\n"
				   "empty =\n"
				   "[default]\n"
				   "region = us-east-1\n";
	_cleanup_(ini_freep) struct ini_file *f = NULL;
	const struct ini_section *s;
	struct cohd_error err = {};

	ck_assert_int_eq(ini_parse("t.ini", text, sizeof text - 1, &f, &err), 0);
	ck_assert_uint_eq(f->n_sections, 2);
	s = ini_section(f, "default");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(ini_get(s, "aws_access_key_id")->value, "AKID");
	ck_assert_str_eq(ini_get(s, "aws_secret_access_key")->value, "se#cr;et");
	ck_assert_str_eq(ini_get(s, "s3")->value, "");
	ck_assert_ptr_null(ini_get(s, "max_concurrent_requests"));
	ck_assert_ptr_null(ini_get(s, "addressing_style"));
	ck_assert_str_eq(ini_get(s, "region")->value, "us-east-1"); /* merged, later wins */
	ck_assert_uint_eq(ini_get(s, "aws_access_key_id")->line, 5);
	s = ini_section(f, "profile x");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(ini_get(s, "role_arn")->value, "arn:aws:iam::123456789012:role/r");
	ck_assert_str_eq(ini_get(s, "source_profile")->value, "default");
	ck_assert_str_eq(ini_get(s, "empty")->value, "");
	ck_assert_ptr_null(ini_section(f, "x"));
}
END_TEST

START_TEST(test_ini_errors)
{
	static const struct {
		const char *text, *msg;
		int r;
	} t[] = {
		{ "key = v\n", "f:1: key outside of a [section]", -EBADMSG },
		{ "[a]\njunk\n", "f:2: expected 'key = value'", -EBADMSG },
		{ "[a\n", "f:1: section header without ']'", -EBADMSG },
		{ "[]\n", "f:1: empty section name", -EBADMSG },
		{ "[a] x\n", "f:1: unexpected text after section header", -EBADMSG },
		{ "[a]\n = v\n", "f:2: empty key", -EBADMSG },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(ini_freep) struct ini_file *f = NULL;
		struct cohd_error err = {};

		ck_assert_int_eq(ini_parse("f", t[i].text, strlen(t[i].text), &f, &err), t[i].r);
		ck_assert_ptr_null(f);
		ck_assert_str_eq(cohd_error_str(&err), t[i].msg);
		cohd_error_done(&err);
	}
	{
		/* NUL byte, long line, big file */
		_cleanup_(ini_freep) struct ini_file *f = NULL;
		struct cohd_error err = {};
		size_t n = COHD_AWS_INI_LINE_MAX + 10;
		_cleanup_free_ char *big = malloc(COHD_AWS_INI_FILE_MAX + 2);

		ck_assert_int_eq(ini_parse("f", "[a]\nk=\0v\n", 9, &f, &err), -EBADMSG);
		ck_assert_str_eq(cohd_error_str(&err), "f:2: NUL byte");
		memset(big, 'x', COHD_AWS_INI_FILE_MAX + 1);
		memcpy(big, "[a]\nk=", 6);
		ck_assert_int_eq(ini_parse("f", big, n, &f, &err), -EFBIG);
		ck_assert_str_eq(cohd_error_str(&err), "f:2: line longer than 4096 bytes");
		ck_assert_int_eq(ini_parse("f", big, COHD_AWS_INI_FILE_MAX + 1, &f, &err), -EFBIG);
		cohd_error_done(&err);
	}
}
END_TEST

START_TEST(test_ini_load)
{
	_cleanup_(ini_freep) struct ini_file *f = NULL;
	struct cohd_error err = {};
	_cleanup_free_ char *missing = NULL;

	ck_assert_int_ge(asprintf(&missing, "%s/nope", tmp), 0);
	ck_assert_int_eq(ini_load(missing, &f, &err), -ENOENT);
	ck_assert_int_eq(ini_load(tmp, &f, &err), -EINVAL); /* a directory */
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&err), "not a regular file"));
	cohd_error_done(&err);
	ck_assert_int_eq(ini_load(write_file("ok", "[a]\nk = v\n"), &f, &err), 0);
	ck_assert_str_eq(ini_get(ini_section(f, "a"), "k")->value, "v");
}
END_TEST

/* ---- chain ---- */

START_TEST(test_env_static)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};

	env_init(&e);
	/* present but empty variables count as unset */
	env_add(&e, "AWS_SESSION_TOKEN", "");
	write_file(".aws/credentials", "[default]\naws_access_key_id = FILE\n"
				       "aws_secret_access_key = FILESECRET\n");
	env_add(&e, "AWS_ACCESS_KEY_ID", "ENVKEY");
	env_add(&e, "AWS_SECRET_ACCESS_KEY", "ENVSECRET");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_STATIC);
	ck_assert_str_eq(s->origin, "environment");
	ck_assert_str_eq(s->creds->access_key_id, "ENVKEY");
	ck_assert_str_eq(s->creds->secret_access_key, "ENVSECRET");
	ck_assert_ptr_null(s->creds->session_token);
	ck_assert_uint_eq(s->creds->expiration, 0);
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	env_init(&e);
	env_add(&e, "AWS_ACCESS_KEY_ID", "ENVKEY");
	env_add(&e, "AWS_SESSION_TOKEN", "TOK");
	ck_assert_int_eq(resolve(&e, &s, &err), -EINVAL);
	ck_assert_str_eq(cohd_error_str(&err),
			 "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	env_add(&e, "AWS_SECRET_ACCESS_KEY", "ENVSECRET");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->session_token, "TOK");
	cohd_error_done(&err);
	env_done(&e);
}
END_TEST

START_TEST(test_credstore)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};
	_cleanup_free_ char *dir = NULL;

	ck_assert_int_ge(asprintf(&dir, "%s/creds", tmp), 0);
	write_file("creds/aws", "[default]\naws_access_key_id = STORE\n"
				"aws_secret_access_key = STORESECRET\n"
				"[prod]\naws_access_key_id = STOREPROD\n"
				"aws_secret_access_key = S\n");
	write_file(".aws/credentials", "[default]\naws_access_key_id = FILE\n"
				       "aws_secret_access_key = FILESECRET\n"
				       "[other]\naws_access_key_id = OTHER\n"
				       "aws_secret_access_key = S\n");
	env_init(&e);
	env_add(&e, "CREDENTIALS_DIRECTORY", dir);
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "STORE");
	ck_assert_ptr_nonnull(strstr(s->origin, "creds/aws"));
	s = cohd_aws_credential_source_free(s);

	env_add(&e, "AWS_PROFILE", "prod");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "STOREPROD");
	ck_assert_str_eq(s->profile, "prod");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* a profile the credstore lacks falls through to the shared files */
	env_init(&e);
	env_add(&e, "CREDENTIALS_DIRECTORY", dir);
	env_add(&e, "AWS_PROFILE", "other");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "OTHER");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* CREDENTIALS_DIRECTORY without an aws file: ignored */
	env_init(&e);
	env_add(&e, "CREDENTIALS_DIRECTORY", tmp);
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "FILE");
	env_done(&e);
	cohd_error_done(&err);
}
END_TEST

START_TEST(test_shared_files)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};
	const char *cf, *cfg;

	cf = write_file("elsewhere/credentials", "[default]\naws_access_key_id = D\n"
						 "aws_secret_access_key = DS\n"
						 "[dev]\naws_access_key_id = DEV\n"
						 "aws_secret_access_key = DEVS\n"
						 "aws_session_token = DEVT\n");
	cfg = write_file("elsewhere/config", "[default]\nregion = us-east-1\n"
					     "[profile dev]\nregion = eu-west-3\n"
					     "aws_access_key_id = IGNORED\n"
					     "[cfgonly]\nregion = nope\n"
					     "[profile cfgonly]\naws_access_key_id = C\n"
					     "aws_secret_access_key = CS\n");
	env_init(&e);
	env_add(&e, "AWS_SHARED_CREDENTIALS_FILE", cf);
	env_add(&e, "AWS_CONFIG_FILE", cfg);
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "D");
	ck_assert_str_eq(s->region, "us-east-1");
	ck_assert_str_eq(s->profile, "default");
	s = cohd_aws_credential_source_free(s);

	env_add(&e, "AWS_PROFILE", "dev");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "DEV"); /* credentials file wins */
	ck_assert_str_eq(s->creds->session_token, "DEVT");
	ck_assert_str_eq(s->region, "eu-west-3");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* keys only in the config file; "[cfgonly]" without "profile " is not a profile there */
	env_init(&e);
	env_add(&e, "AWS_SHARED_CREDENTIALS_FILE", cf);
	env_add(&e, "AWS_CONFIG_FILE", cfg);
	env_add(&e, "AWS_PROFILE", "cfgonly");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "C");
	ck_assert_ptr_null(s->region);
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* explicit profile that exists nowhere */
	env_init(&e);
	env_add(&e, "AWS_SHARED_CREDENTIALS_FILE", cf);
	env_add(&e, "AWS_PROFILE", "ghost");
	ck_assert_int_eq(resolve(&e, &s, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&err), "AWS_PROFILE=ghost"));
	env_done(&e);

	/* default location via HOME, with "~" in an explicit path */
	write_file(".aws/credentials", "[default]\naws_access_key_id = HOMEKEY\n"
				       "aws_secret_access_key = S\n");
	env_init(&e);
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "HOMEKEY");
	s = cohd_aws_credential_source_free(s);
	env_add(&e, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->creds->access_key_id, "HOMEKEY");
	env_done(&e);
	cohd_error_done(&err);
}
END_TEST

START_TEST(test_role_chain)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};
	const struct cohd_aws_credential_source *n;

	write_file(".aws/credentials", "[base]\naws_access_key_id = BASE\n"
				       "aws_secret_access_key = BASES\n");
	write_file(".aws/config",
		   "[profile top]\nrole_arn = arn:aws:iam::111111111111:role/top\n"
		   "source_profile = middle\nexternal_id = ext-1\nrole_session_name = cohd-top\n"
		   "duration_seconds = 1800\nregion = ap-south-1\n"
		   "[profile middle]\nrole_arn = arn:aws:iam::222222222222:role/mid\n"
		   "source_profile = base\n"
		   "[profile self]\nrole_arn = arn:aws:iam::333333333333:role/self\n"
		   "source_profile = self\naws_access_key_id = SELF\naws_secret_access_key = SS\n"
		   "[profile web]\nrole_arn = arn:aws:iam::444444444444:role/web\n"
		   "web_identity_token_file = /var/run/token\n"
		   "[profile via-web]\nrole_arn = arn:aws:iam::555555555555:role/x\n"
		   "source_profile = web\n");
	env_init(&e);
	env_add(&e, "AWS_PROFILE", "top");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_ASSUME_ROLE);
	ck_assert_str_eq(s->role_arn, "arn:aws:iam::111111111111:role/top");
	ck_assert_str_eq(s->external_id, "ext-1");
	ck_assert_str_eq(s->session_name, "cohd-top");
	ck_assert_uint_eq(s->duration_seconds, 1800);
	ck_assert_str_eq(s->region, "ap-south-1");
	ck_assert_str_eq(s->profile, "top");
	n = s->source;
	ck_assert_int_eq(n->kind, COHD_AWS_CREDENTIALS_ASSUME_ROLE);
	ck_assert_str_eq(n->role_arn, "arn:aws:iam::222222222222:role/mid");
	ck_assert_ptr_null(n->external_id);
	ck_assert_uint_eq(n->duration_seconds, 0);
	n = n->source;
	ck_assert_int_eq(n->kind, COHD_AWS_CREDENTIALS_STATIC);
	ck_assert_str_eq(n->creds->access_key_id, "BASE");
	ck_assert_ptr_null(n->source);
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* self reference uses the profile's own keys */
	env_init(&e);
	env_add(&e, "AWS_PROFILE", "self");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_ASSUME_ROLE);
	ck_assert_int_eq(s->source->kind, COHD_AWS_CREDENTIALS_STATIC);
	ck_assert_str_eq(s->source->creds->access_key_id, "SELF");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* web identity in a profile, and as the source of another role */
	env_init(&e);
	env_add(&e, "AWS_PROFILE", "web");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_WEB_IDENTITY);
	ck_assert_str_eq(s->token_file, "/var/run/token");
	ck_assert_str_eq(s->role_arn, "arn:aws:iam::444444444444:role/web");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);
	env_init(&e);
	env_add(&e, "AWS_PROFILE", "via-web");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_ASSUME_ROLE);
	ck_assert_int_eq(s->source->kind, COHD_AWS_CREDENTIALS_WEB_IDENTITY);
	env_done(&e);
	cohd_error_done(&err);
}
END_TEST

START_TEST(test_role_chain_errors)
{
	static const struct {
		const char *profile;
		int r;
		const char *msg;
	} t[] = {
		{ "loop-a", -ELOOP, "source_profile loop: loop-a -> loop-b -> loop-a" },
		{ "self-nokeys", -EINVAL, "is its own source_profile but has no keys" },
		{ "both", -EINVAL, "sets both source_profile and credential_source" },
		{ "nosource", -EINVAL, "has role_arn but no source_profile" },
		{ "ghost-source", -EINVAL, "profile ghost not found" },
		{ "empty-source", -EINVAL, "source profile empty has no credentials" },
		{ "bad-cs", -EINVAL, "unknown credential_source 'Nope'" },
		{ "bad-duration", -EINVAL, "duration_seconds must be 900..43200, got '60'" },
		{ "half", -EINVAL, "profile half has aws_access_key_id but not aws_secret_access_key" },
		{ "orphan", -EINVAL, "profile orphan has no role_arn" },
		{ "cs-env", -EINVAL, "credential_source Environment but AWS_ACCESS_KEY_ID is not set" },
		{ "cs-ecs", -EINVAL, "credential_source EcsContainer but no" },
		{ "process", -EOPNOTSUPP, "profile process uses credential_process" },
		{ "sso", -EOPNOTSUPP, "profile sso uses sso_session" },
	};

	write_file(".aws/config",
		   "[profile loop-a]\nrole_arn = arn:a\nsource_profile = loop-b\n"
		   "[profile loop-b]\nrole_arn = arn:b\nsource_profile = loop-a\n"
		   "[profile self-nokeys]\nrole_arn = arn:c\nsource_profile = self-nokeys\n"
		   "[profile both]\nrole_arn = arn:d\nsource_profile = x\n"
		   "credential_source = Environment\n"
		   "[profile nosource]\nrole_arn = arn:e\n"
		   "[profile ghost-source]\nrole_arn = arn:f\nsource_profile = ghost\n"
		   "[profile empty]\nregion = eu-west-1\n"
		   "[profile empty-source]\nrole_arn = arn:g\nsource_profile = empty\n"
		   "[profile bad-cs]\nrole_arn = arn:h\ncredential_source = Nope\n"
		   "[profile bad-duration]\nrole_arn = arn:i\ncredential_source = Ec2InstanceMetadata\n"
		   "duration_seconds = 60\n"
		   "[profile half]\naws_access_key_id = A\n"
		   "[profile orphan]\nsource_profile = half\n"
		   "[profile cs-env]\nrole_arn = arn:j\ncredential_source = Environment\n"
		   "[profile cs-ecs]\nrole_arn = arn:k\ncredential_source = EcsContainer\n"
		   "[profile process]\ncredential_process = /bin/creds\n"
		   "[profile sso]\nsso_session = corp\nsso_account_id = 1\n");
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s =
			NULL;
		struct cohd_error err = {};
		struct env e;

		env_init(&e);
		env_add(&e, "AWS_PROFILE", t[i].profile);
		ck_assert_msg(resolve(&e, &s, &err) == t[i].r, "%s: %s", t[i].profile,
			      cohd_error_str(&err));
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(cohd_error_str(&err), t[i].msg), "%s: '%s'", t[i].profile,
			      cohd_error_str(&err));
		cohd_error_done(&err);
		env_done(&e);
	}
}
END_TEST

START_TEST(test_credential_source)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};

	write_file(".aws/config",
		   "[profile imds]\nrole_arn = arn:a\ncredential_source = Ec2InstanceMetadata\n"
		   "[profile ecs]\nrole_arn = arn:b\ncredential_source = EcsContainer\n"
		   "[profile env]\nrole_arn = arn:c\ncredential_source = environment\n");
	env_init(&e);
	env_add(&e, "AWS_PROFILE", "imds");
	env_add(&e, "AWS_EC2_METADATA_DISABLED", "true"); /* does not apply to credential_source */
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->source->kind, COHD_AWS_CREDENTIALS_IMDS);
	ck_assert_str_eq(s->source->endpoint, "http://169.254.169.254");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	env_init(&e);
	env_add(&e, "AWS_PROFILE", "ecs");
	env_add(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->source->kind, COHD_AWS_CREDENTIALS_ECS);
	ck_assert_str_eq(s->source->endpoint, "http://169.254.170.2/v2/credentials/abc");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);

	/* credential_source = Environment needs the environment keys, but those win at step 1
	 * of the chain already: the profile is never reached (same as the SDKs) */
	env_init(&e);
	env_add(&e, "AWS_PROFILE", "env");
	env_add(&e, "AWS_ACCESS_KEY_ID", "EK");
	env_add(&e, "AWS_SECRET_ACCESS_KEY", "ES");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_STATIC);
	env_done(&e);
	cohd_error_done(&err);
}
END_TEST

START_TEST(test_fallthrough)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};

	/* no files at all, a profile without credentials: on to web identity, ECS, IMDS */
	write_file(".aws/config", "[default]\nregion = eu-north-1\n");
	env_init(&e);
	env_add(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]/");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_IMDS);
	ck_assert_str_eq(s->endpoint, "http://[fd00:ec2::254]");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);
	env_init(&e);
	env_add(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv6");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->endpoint, "http://[fd00:ec2::254]");
	s = cohd_aws_credential_source_free(s);
	env_done(&e);
	env_init(&e);
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_str_eq(s->endpoint, "http://169.254.169.254");
	s = cohd_aws_credential_source_free(s);

	env_add(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds");
	env_add(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer tok");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_ECS);
	ck_assert_str_eq(s->endpoint, "http://127.0.0.1:8080/creds");
	ck_assert_str_eq(s->auth_token, "Bearer tok");
	ck_assert_ptr_null(s->auth_token_file);
	s = cohd_aws_credential_source_free(s);

	env_add(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/ecs-token");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_ptr_null(s->auth_token);
	ck_assert_str_eq(s->auth_token_file, "/var/run/ecs-token");
	s = cohd_aws_credential_source_free(s);

	env_add(&e, "AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/eks/token");
	env_add(&e, "AWS_ROLE_ARN", "arn:aws:iam::1:role/pod");
	env_add(&e, "AWS_ROLE_SESSION_NAME", "pod-1");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_WEB_IDENTITY);
	ck_assert_str_eq(s->token_file, "/var/run/eks/token");
	ck_assert_str_eq(s->role_arn, "arn:aws:iam::1:role/pod");
	ck_assert_str_eq(s->session_name, "pod-1");
	s = cohd_aws_credential_source_free(s);

	/* shared credentials beat web identity (cohd's documented order) */
	write_file(".aws/credentials", "[default]\naws_access_key_id = F\n"
				       "aws_secret_access_key = FS\n");
	ck_assert_int_eq(resolve(&e, &s, &err), 0);
	ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_STATIC);
	ck_assert_str_eq(s->region, "eu-north-1");
	env_done(&e);
	cohd_error_done(&err);
}
END_TEST

START_TEST(test_imds_disabled_and_partial_env)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};

	env_init(&e);
	env_add(&e, "AWS_EC2_METADATA_DISABLED", "TRUE");
	ck_assert_int_eq(resolve(&e, &s, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&err), "AWS_EC2_METADATA_DISABLED"));
	env_add(&e, "AWS_ROLE_ARN", "arn:x");
	ck_assert_int_eq(resolve(&e, &s, &err), -EINVAL);
	ck_assert_str_eq(cohd_error_str(&err),
			 "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
	env_done(&e);

	env_init(&e);
	env_add(&e, "AWS_EC2_METADATA_SERVICE_ENDPOINT", "ftp://x");
	ck_assert_int_eq(resolve(&e, &s, &err), -EINVAL);
	env_done(&e);
	cohd_error_done(&err);
}
END_TEST

START_TEST(test_ecs_uris)
{
	static const struct {
		const char *rel, *full;
		int r;
		const char *endpoint;
	} t[] = {
		{ "/v2/x", NULL, 0, "http://169.254.170.2/v2/x" },
		{ "/v2/x", "http://evil.example/", 0, "http://169.254.170.2/v2/x" },
		{ "v2/x", NULL, -EINVAL, NULL },
		{ "/a\r\nX-Evil: 1", NULL, -EINVAL, NULL },
		{ NULL, "http://127.0.0.1/creds", 0, "http://127.0.0.1/creds" },
		{ NULL, "http://127.1.2.3:51679/c", 0, "http://127.1.2.3:51679/c" },
		{ NULL, "http://localhost/c", 0, "http://localhost/c" },
		{ NULL, "http://[::1]:80/c", 0, "http://[::1]:80/c" },
		{ NULL, "http://169.254.170.2/v2", 0, "http://169.254.170.2/v2" },
		{ NULL, "http://169.254.170.23/v1/credentials", 0,
		  "http://169.254.170.23/v1/credentials" },
		{ NULL, "http://[fd00:ec2::23]/v1/credentials", 0,
		  "http://[fd00:ec2::23]/v1/credentials" },
		{ NULL, "https://creds.example.com/x", 0, "https://creds.example.com/x" },
		{ NULL, "http://creds.example.com/x", -EPERM, NULL },
		{ NULL, "http://169.254.169.254/x", -EPERM, NULL },
		{ NULL, "http://127.0.0.1@evil.example/", -EINVAL, NULL },
		{ NULL, "http://128.0.0.1/", -EPERM, NULL },
		{ NULL, "file:///etc/passwd", -EINVAL, NULL },
		{ NULL, "https://", -EINVAL, NULL },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s =
			NULL;
		struct cohd_error err = {};
		struct env e;
		int r;

		env_init(&e);
		if (t[i].rel)
			env_add(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", t[i].rel);
		if (t[i].full)
			env_add(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", t[i].full);
		r = resolve(&e, &s, &err);
		ck_assert_msg(r == t[i].r, "%zu: %d (%s)", i, r, cohd_error_str(&err));
		if (r == 0) {
			ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_ECS);
			ck_assert_str_eq(s->endpoint, t[i].endpoint);
		}
		cohd_error_done(&err);
		env_done(&e);
	}
	{
		/* a token that could inject a header is refused */
		_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s =
			NULL;
		struct cohd_error err = {};
		struct env e;

		env_init(&e);
		env_add(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x");
		env_add(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\nX-Evil: 1");
		ck_assert_int_eq(resolve(&e, &s, &err), -EINVAL);
		ck_assert_ptr_null(strstr(cohd_error_str(&err), "Evil")); /* no secret echoed */
		cohd_error_done(&err);
		env_done(&e);
	}
}
END_TEST

START_TEST(test_bad_files)
{
	struct env e;
	_cleanup_(cohd_aws_credential_source_freep) struct cohd_aws_credential_source *s = NULL;
	struct cohd_error err = {};
	_cleanup_free_ char *want = NULL;

	write_file(".aws/credentials", "[default]\naws_access_key_id = A\nbroken line\n");
	env_init(&e);
	ck_assert_int_eq(resolve(&e, &s, &err), -EBADMSG);
	ck_assert_int_ge(asprintf(&want, "%s/.aws/credentials:3: expected 'key = value'", tmp), 0);
	ck_assert_str_eq(cohd_error_str(&err), want);
	cohd_error_done(&err);

	/* a broken config file is reported too, even before credentials are looked at */
	write_file(".aws/credentials", "[default]\naws_access_key_id = A\n"
				       "aws_secret_access_key = S\n");
	write_file(".aws/config", "[default\n");
	ck_assert_int_eq(resolve(&e, &s, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&err), ".aws/config:1: section header"));
	cohd_error_done(&err);

	/* a credentials "file" that is a directory */
	write_file(".aws/config", "[default]\n");
	env_add(&e, "AWS_SHARED_CREDENTIALS_FILE", tmp);
	ck_assert_int_eq(resolve(&e, &s, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&err), "not a regular file"));
	cohd_error_done(&err);
	env_done(&e);

	/* no HOME and no variables: no files, IMDS */
	{
		char *none[] = { NULL };
		struct cohd_aws_env ne = cohd_aws_env_from_envp(none);

		ck_assert_int_eq(cohd_aws_credentials_resolve(&ne, &s, &err), 0);
		ck_assert_int_eq(s->kind, COHD_AWS_CREDENTIALS_IMDS);
	}
}
END_TEST

START_TEST(test_region)
{
	struct env e;
	struct cohd_error err = {};
	char *r = NULL;

	write_file(".aws/config", "[default]\nregion = eu-west-1\n[profile p]\nregion = sa-east-1\n"
				  "[profile noregion]\noutput = json\n");
	env_init(&e);
	ck_assert_int_eq(cohd_aws_config_region(&e.e, &r, &err), 0);
	ck_assert_str_eq(r, "eu-west-1");
	free(r);
	env_add(&e, "AWS_PROFILE", "p");
	ck_assert_int_eq(cohd_aws_config_region(&e.e, &r, &err), 0);
	ck_assert_str_eq(r, "sa-east-1");
	free(r);
	env_add(&e, "AWS_DEFAULT_REGION", "us-west-2");
	ck_assert_int_eq(cohd_aws_config_region(&e.e, &r, &err), 0);
	ck_assert_str_eq(r, "us-west-2");
	free(r);
	env_add(&e, "AWS_REGION", "ca-central-1");
	ck_assert_int_eq(cohd_aws_config_region(&e.e, &r, &err), 0);
	ck_assert_str_eq(r, "ca-central-1");
	free(r);
	env_done(&e);

	env_init(&e);
	env_add(&e, "AWS_PROFILE", "noregion");
	ck_assert_int_eq(cohd_aws_config_region(&e.e, &r, &err), -ENOENT);
	env_done(&e);
	{
		char *none[] = { NULL };
		struct cohd_aws_env ne = cohd_aws_env_from_envp(none);

		ck_assert_int_eq(cohd_aws_config_region(&ne, &r, &err), -ENOENT);
	}
}
END_TEST

/* ---- JSON, copy, refresh ---- */

START_TEST(test_json)
{
	static const char imds[] = "{\"Code\":\"Success\",\"LastUpdated\":\"2026-11-26T11:00:00Z\","
				   "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAEXAMPLE\","
				   "\"SecretAccessKey\":\"sec\",\"Token\":\"tok\","
				   "\"Expiration\":\"2026-11-26T17:00:00Z\"}";
	static const char ecs[] = "{\"RoleArn\":\"arn:aws:iam::1:role/task\","
				  "\"AccessKeyId\":\"ASIAECS\",\"SecretAccessKey\":\"s\","
				  "\"Token\":\"t\",\"Expiration\":\"2026-11-26T17:00:00.000+00:00\"}";
	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "", "credentials JSON:" },
		{ "[]", "credentials JSON: not an object" },
		{ "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"no\"}",
		  "credentials endpoint says Code=AssumeRoleUnauthorizedAccess: no" },
		{ "{\"AccessKeyId\":\"A\"}", "AccessKeyId or SecretAccessKey missing" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\"}", "missing" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"soon\"}",
		  "bad Expiration 'soon'" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":5}",
		  "Expiration is not a string" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":5}",
		  "Token is not a string" },
		{ "{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\",\"SecretAccessKey\":\"S\"}",
		  "duplicate" },
	};
	_cleanup_(cohd_aws_credentials_freep) struct cohd_aws_credentials *c = NULL, *d = NULL;
	struct cohd_error err = {};
	usec_t want;

	ck_assert_int_eq(cohd_aws_credentials_from_json(imds, strlen(imds), &c, &err), 0);
	ck_assert_str_eq(c->access_key_id, "ASIAEXAMPLE");
	ck_assert_str_eq(c->secret_access_key, "sec");
	ck_assert_str_eq(c->session_token, "tok");
	ck_assert_int_eq(cohd_parse_iso8601("2026-11-26T17:00:00Z", &want), 0);
	ck_assert_uint_eq(c->expiration, want);
	c = cohd_aws_credentials_free(c);
	ck_assert_int_eq(cohd_aws_credentials_from_json(ecs, strlen(ecs), &c, &err), 0);
	ck_assert_str_eq(c->access_key_id, "ASIAECS");
	ck_assert_uint_eq(c->expiration, want);

	ck_assert_int_eq(cohd_aws_credentials_copy(c, &d), 0);
	ck_assert_ptr_ne(d->secret_access_key, c->secret_access_key);
	ck_assert_str_eq(d->secret_access_key, "s");
	ck_assert_str_eq(d->session_token, "t");
	ck_assert_uint_eq(d->expiration, want);
	c = cohd_aws_credentials_free(c);
	ck_assert_int_eq(cohd_aws_credentials_copy(NULL, &c), -EINVAL);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ck_assert_int_eq(cohd_aws_credentials_from_json(bad[i].json, strlen(bad[i].json),
								&c, &err),
				 -EBADMSG);
		ck_assert_ptr_null(c);
		ck_assert_msg(strstr(cohd_error_str(&err), bad[i].msg), "%zu: %s", i,
			      cohd_error_str(&err));
		cohd_error_done(&err);
	}
}
END_TEST

START_TEST(test_refresh)
{
	struct cohd_aws_credentials never = { (char *)"AKIA", (char *)"s", NULL, 0 };
	usec_t exp = 1000 * USEC_PER_HOUR;
	char akid[32];
	usec_t min_at = USEC_INFINITY, max_at = 0;

	ck_assert(!cohd_aws_credentials_refresh_due(&never, USEC_INFINITY - 1));
	ck_assert(!cohd_aws_credentials_expired(&never, USEC_INFINITY - 1));
	ck_assert_uint_eq(cohd_aws_credentials_refresh_at(&never), USEC_INFINITY);
	ck_assert(cohd_aws_credentials_expired(NULL, 0));

	for (int i = 0; i < 200; i++) {
		struct cohd_aws_credentials c = { akid, (char *)"s", (char *)"t", exp };
		usec_t at;

		snprintf(akid, sizeof akid, "ASIA%08d", i);
		at = cohd_aws_credentials_refresh_at(&c);
		/* 5 to 15 minutes ahead */
		ck_assert_uint_ge(at, exp - 15 * USEC_PER_MINUTE);
		ck_assert_uint_le(at, exp - 5 * USEC_PER_MINUTE);
		ck_assert_uint_eq(at, cohd_aws_credentials_refresh_at(&c)); /* stable */
		ck_assert(!cohd_aws_credentials_refresh_due(&c, at - 1));
		ck_assert(cohd_aws_credentials_refresh_due(&c, at));
		/* still usable while the refresh runs */
		ck_assert(!cohd_aws_credentials_expired(&c, at));
		ck_assert(!cohd_aws_credentials_expired(&c, exp - 11 * USEC_PER_SEC));
		ck_assert(cohd_aws_credentials_expired(&c, exp - 10 * USEC_PER_SEC));
		ck_assert(cohd_aws_credentials_expired(&c, exp + 1));
		min_at = MIN(min_at, at);
		max_at = MAX(max_at, at);
	}
	/* jitter actually spreads */
	ck_assert_uint_gt(max_at - min_at, 5 * USEC_PER_MINUTE);
	{
		/* expiring sooner than the lead: due at once */
		struct cohd_aws_credentials c = { (char *)"A", (char *)"s", NULL, 60 * USEC_PER_SEC };

		ck_assert_uint_eq(cohd_aws_credentials_refresh_at(&c), 0);
		ck_assert(cohd_aws_credentials_refresh_due(&c, 0));
	}
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(cohd_aws_credential_kind_to_string(COHD_AWS_CREDENTIALS_STATIC), "static");
	ck_assert_str_eq(cohd_aws_credential_kind_to_string(COHD_AWS_CREDENTIALS_IMDS), "imds");
	ck_assert_ptr_null(cohd_aws_credential_kind_to_string(_COHD_AWS_CREDENTIALS_KIND_MAX));
	ck_assert_ptr_null(cohd_aws_credential_kind_to_string(_COHD_AWS_CREDENTIALS_KIND_INVALID));
}
END_TEST

static Suite *credentials_suite(void)
{
	Suite *s = suite_create("credentials");
	TCase *tc;

	tc = tcase_create("ini");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ini_parse);
	tcase_add_test(tc, test_ini_errors);
	tcase_add_test(tc, test_ini_load);
	suite_add_tcase(s, tc);

	tc = tcase_create("chain");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_env_static);
	tcase_add_test(tc, test_credstore);
	tcase_add_test(tc, test_shared_files);
	tcase_add_test(tc, test_role_chain);
	tcase_add_test(tc, test_role_chain_errors);
	tcase_add_test(tc, test_credential_source);
	tcase_add_test(tc, test_fallthrough);
	tcase_add_test(tc, test_imds_disabled_and_partial_env);
	tcase_add_test(tc, test_ecs_uris);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_region);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(credentials_suite)
