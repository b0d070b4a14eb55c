/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for lib/store: open + migrate, file mode, and each table's queries. */
#include <sqlite3.h>
#include <sys/stat.h>

#include "lib/store/store.h"
#include "test.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct cohd_store *, cohd_store_close);

static char *dir;
static char db[PATH_MAX];

static void setup(void)
{
	dir = test_mkdtemp();
	snprintf(db, sizeof db, "%s/state.db", dir);
}

static void teardown(void)
{
	test_rm_rf(dir);
	free(dir);
}

static const struct cohd_store_app_env shop = {
	.app = "acme-shop", .environment = "pr-42", .env_type = "preview",
	.source_path = "/etc/cohd/apps.d/acme-shop.pr-42.yml", .source_sha256 = "aa",
	.document = "{\"services\":[]}",
};

START_TEST(test_open_migrate_mode)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	struct cohd_error e = { 0 };
	struct stat st;
	char wal[PATH_MAX + 8];

	ck_assert_int_eq(cohd_store_open(db, &s, &e), 0);
	ck_assert_int_eq(cohd_store_schema_version(s), (int)cohd_store_schema_latest());
	ck_assert_int_ge(cohd_store_schema_latest(), 1);
	ck_assert_int_eq(cohd_store_ping(s), 0);
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, NULL, NULL, NULL), 0);
	ck_assert_int_eq(stat(db, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(wal, sizeof wal, "%s-wal", db);
	ck_assert_int_eq(stat(wal, &st), 0); /* WAL mode is on */
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	s = cohd_store_close(s);

	/* reopening applies nothing and keeps the data */
	ck_assert_int_eq(cohd_store_open(db, &s, &e), 0);
	ck_assert_int_eq(cohd_store_schema_version(s), (int)cohd_store_schema_latest());
	cohd_error_done(&e);
}
END_TEST

START_TEST(test_open_tightens_mode_and_refuses_newer)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	struct cohd_error e = { 0 };
	sqlite3 *raw;
	struct stat st;
	FILE *f = fopen(db, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chmod(db, 0644), 0);
	ck_assert_int_eq(cohd_store_open(db, &s, &e), 0);
	ck_assert_int_eq(stat(db, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	s = cohd_store_close(s);

	/* a database from a newer cohd is refused, not damaged */
	ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	ck_assert_int_eq(cohd_store_open(db, &s, &e), -EPROTONOSUPPORT);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&e), "newer cohd"));
	cohd_error_done(&e);

	ck_assert_int_eq(cohd_store_open("/nonexistent/dir/state.db", &s, &e), -ENOENT);
	ck_assert_ptr_nonnull(strstr(cohd_error_str(&e), "/nonexistent/dir/state.db"));
	cohd_error_done(&e);
}
END_TEST

START_TEST(test_app_env)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	struct cohd_store_app_env got = { 0 }, *list = NULL;
	struct cohd_store_app_env v2 = shop, other = shop;
	int64_t id, id2, gen;
	bool changed;
	size_t n;

	ck_assert_int_eq(cohd_store_open(":memory:", &s, NULL), 0);
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, &id, &gen, &changed), 0);
	ck_assert_int_eq(gen, 1);
	ck_assert(changed);
	/* the same file again changes nothing */
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, &id2, &gen, &changed), 0);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(gen, 1);
	ck_assert(!changed);
	/* a new version bumps the generation */
	v2.source_sha256 = "bb";
	v2.document = "{\"services\":[1]}";
	ck_assert_int_eq(cohd_store_app_env_accept(s, &v2, &id2, &gen, &changed), 0);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(gen, 2);
	ck_assert(changed);

	ck_assert_int_eq(cohd_store_app_env_get(s, "acme-shop", "pr-42", &got), 0);
	ck_assert_str_eq(got.document, "{\"services\":[1]}");
	ck_assert_str_eq(got.state, "active");
	ck_assert_str_eq(got.sync, "progressing");
	ck_assert_str_eq(got.health, "unknown");
	ck_assert_ptr_null(got.last_error);
	cohd_store_app_env_done(&got);
	ck_assert_int_eq(cohd_store_app_env_get(s, "acme-shop", "nope", &got), -ENOENT);

	ck_assert_int_eq(cohd_store_app_env_set_status(s, id, "deleting", "error", "degraded",
						       "a.yml:3:7: cpu must be ..."), 0);
	ck_assert_int_eq(cohd_store_app_env_get(s, "acme-shop", "pr-42", &got), 0);
	ck_assert_str_eq(got.state, "deleting");
	ck_assert_str_eq(got.last_error, "a.yml:3:7: cpu must be ...");
	ck_assert(!got.delete_confirmed);
	cohd_store_app_env_done(&got);
	/* a confirmed deletion is kept until the next accepted file */
	ck_assert_int_eq(cohd_store_app_env_confirm_delete(s, id), 0);
	ck_assert_int_eq(cohd_store_app_env_confirm_delete(s, 999), -ENOENT);
	ck_assert_int_eq(cohd_store_app_env_get(s, "acme-shop", "pr-42", &got), 0);
	ck_assert(got.delete_confirmed);
	cohd_store_app_env_done(&got);
	/* the schema's CHECK constraints hold the status vocabulary */
	ck_assert_int_eq(cohd_store_app_env_set_status(s, id, NULL, "fine", "healthy", NULL), -EEXIST);
	ck_assert_int_eq(cohd_store_app_env_set_status(s, 999, NULL, "synced", "healthy", NULL), -ENOENT);
	/* the file coming back revives the app environment */
	ck_assert_int_eq(cohd_store_app_env_accept(s, &v2, NULL, &gen, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(gen, 3);
	ck_assert_int_eq(cohd_store_app_env_get(s, "acme-shop", "pr-42", &got), 0);
	ck_assert(!got.delete_confirmed);
	cohd_store_app_env_done(&got);

	other.app = "blog";
	other.environment = "production";
	other.env_type = "production";
	ck_assert_int_eq(cohd_store_app_env_accept(s, &other, NULL, NULL, NULL), 0);
	ck_assert_int_eq(cohd_store_app_env_list(s, &list, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].app, "acme-shop");
	ck_assert_str_eq(list[1].app, "blog");
	cohd_store_app_env_list_free(list, n);
}
END_TEST

static int collect(const struct cohd_store_resource *r, void *userdata)
{
	char *out = userdata;

	strcat(out, r->logical_id);
	strcat(out, "=");
	strcat(out, r->depends_on);
	if (r->region) {
		strcat(out, "@");
		strcat(out, r->region);
	}
	strcat(out, ";");
	return 0;
}

START_TEST(test_desired)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	const struct cohd_store_resource g1[] = {
		{ "app/vpc", "ec2.vpc", "acme-shop", "{\"CidrBlock\":\"10.0.0.0/16\"}", NULL, NULL },
		{ "app/igw", "ec2.internet_gateway", "acme-shop", "{}", "[\"app/vpc\"]", "confirm",
		  "us-east-1" },
	};
	char out[256] = "";
	int64_t id;

	ck_assert_int_eq(cohd_store_open(":memory:", &s, NULL), 0);
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, &id, NULL, NULL), 0);
	ck_assert_int_eq(cohd_store_desired_replace(s, id, 1, g1, 2), 0);
	ck_assert_int_eq(cohd_store_desired_replace(s, id, 1, g1, 2), 0); /* replace, not append */
	ck_assert_int_eq(cohd_store_desired_replace(s, id, 2, g1, 1), 0);
	ck_assert_int_eq(cohd_store_desired_foreach(s, id, 1, collect, out), 0);
	ck_assert_str_eq(out, "app/igw=[\"app/vpc\"]@us-east-1;app/vpc=[];");
	ck_assert_int_eq(cohd_store_desired_prune(s, id, 2), 0);
	out[0] = 0;
	ck_assert_int_eq(cohd_store_desired_foreach(s, id, 1, collect, out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(cohd_store_desired_foreach(s, id, 2, collect, out), 0);
	ck_assert_str_eq(out, "app/vpc=[];");
	/* the graph before generation 3 is generation 2's; none before generation 1 */
	out[0] = 0;
	ck_assert_int_eq(cohd_store_desired_foreach_previous(s, id, 3, collect, out), 0);
	ck_assert_str_eq(out, "app/vpc=[];");
	out[0] = 0;
	ck_assert_int_eq(cohd_store_desired_foreach_previous(s, id, 1, collect, out), 0);
	ck_assert_str_eq(out, "");
	/* foreign keys are on: no graph for an app environment that does not exist */
	ck_assert_int_eq(cohd_store_desired_replace(s, 999, 1, g1, 1), -EEXIST);
}
END_TEST

static int count_open(const struct cohd_store_journal_entry *e, void *userdata)
{
	int *n = userdata;

	ck_assert_str_eq(e->operation, "CreateVpc");
	ck_assert_str_eq(e->idempotency_token, "tok-1");
	(*n)++;
	return 0;
}

START_TEST(test_journal_survives_crash)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	int64_t id, done, env;
	int n = 0;

	ck_assert_int_eq(cohd_store_open(db, &s, NULL), 0);
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, &env, NULL, NULL), 0);
	ck_assert_int_eq(cohd_store_journal_intent(s, env, "app/vpc", "ec2", "CreateVpc", "tok-1",
						   "{\"CidrBlock\":\"10.0.0.0/16\"}", &id), 0);
	ck_assert_int_eq(cohd_store_journal_intent(s, env, "app/igw", "ec2", "CreateInternetGateway",
						   NULL, "{}", &done), 0);
	ck_assert_int_eq(cohd_store_journal_complete(s, done, true, "req-1", NULL,
						     "{\"InternetGatewayId\":\"igw-1\"}"), 0);
	ck_assert_int_eq(cohd_store_journal_complete(s, done, false, NULL, "X", NULL), -ENOENT);
	/* "crash": close without completing the first intent, reopen, find it */
	s = cohd_store_close(s);
	ck_assert_int_eq(cohd_store_open(db, &s, NULL), 0);
	ck_assert_int_eq(cohd_store_journal_foreach_open(s, count_open, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(cohd_store_journal_complete(s, id, false, "req-2", "VpcLimitExceeded", NULL), 0);
	n = 0;
	ck_assert_int_eq(cohd_store_journal_foreach_open(s, count_open, &n), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

static int event_text(const struct cohd_store_event *e, void *userdata)
{
	char *out = userdata;

	strcat(out, e->kind);
	strcat(out, ";");
	return 0;
}

START_TEST(test_events)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	char out[256] = "";
	int64_t env, first;

	ck_assert_int_eq(cohd_store_open(":memory:", &s, NULL), 0);
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, &env, NULL, NULL), 0);
	ck_assert_int_eq(cohd_store_event_add(s, 0, NULL, "notice", "started", "cohd started", &first), 0);
	ck_assert_int_eq(cohd_store_event_add(s, env, "app/vpc", "info", "created", "vpc-1", NULL), 0);
	ck_assert_int_eq(cohd_store_event_add(s, env, NULL, "err", "file-rejected", "x.yml:1:1: bad", NULL), 0);
	ck_assert_int_eq(cohd_store_event_add(s, env, NULL, "loud", "x", "y", NULL), -EINVAL);
	ck_assert_int_eq(cohd_store_event_foreach(s, 0, 0, 10, event_text, out), 0);
	ck_assert_str_eq(out, "started;created;file-rejected;");
	out[0] = 0;
	ck_assert_int_eq(cohd_store_event_foreach(s, first, env, 1, event_text, out), 0);
	ck_assert_str_eq(out, "created;");
}
END_TEST

static int collect_observed(const struct cohd_store_observed *o, void *userdata)
{
	char *out = userdata;

	strcat(out, o->logical_id);
	strcat(out, o->quarantined ? "=q" : "=-");
	strcat(out, o->properties ? "p;" : "0;");
	return 0;
}

static int collect_drift(const char *id, const struct cohd_store_drift *d, void *userdata)
{
	char *out = userdata;

	strcat(out, id);
	strcat(out, ":");
	strcat(out, d->field);
	strcat(out, "=");
	strcat(out, d->status);
	strcat(out, ";");
	return 0;
}

START_TEST(test_results)
{
	_cleanup_(cohd_store_closep) struct cohd_store *s = NULL;
	struct cohd_store_observed vpc = { "app/vpc", "ec2.vpc", "vpc-1", "{\"CidrBlock\":\"10.0.0.0/16\"}",
					   "synced", "healthy", 0, NULL, false };
	struct cohd_store_observed sg = { "app/sg", "ec2.security_group", NULL, NULL,
					  "quarantined", "degraded", 3, "00ff", true };
	const struct cohd_store_drift d1[] = {
		{ "EnableDnsHostnames", "drift", "true", "false", NULL },
		{ "Tags.Owner", "accepted", "\"a\"", "\"b\"", "ec2.*:Tags.*" },
	};
	struct cohd_store_app_env got = { 0 };
	char out[256] = "";
	int64_t env, pass;

	ck_assert_int_eq(cohd_store_open(":memory:", &s, NULL), 0);
	ck_assert_int_eq(cohd_store_schema_version(s), 3);
	ck_assert_int_eq(cohd_store_app_env_accept(s, &shop, &env, NULL, NULL), 0);

	ck_assert_int_eq(cohd_store_observed_put(s, env, &vpc), 0);
	ck_assert_int_eq(cohd_store_observed_put(s, env, &sg), 0);
	vpc.sync = "drifted";
	ck_assert_int_eq(cohd_store_observed_put(s, env, &vpc), 0); /* upsert, not a second row */
	ck_assert_int_eq(cohd_store_observed_foreach(s, env, collect_observed, out), 0);
	ck_assert_str_eq(out, "app/sg=q0;app/vpc=-p;");

	/* drift: fields that stop differing go, the others stay */
	ck_assert_int_eq(cohd_store_drift_replace(s, env, "app/vpc", d1, 2), 0);
	ck_assert_int_eq(cohd_store_drift_replace(s, env, "app/sg", d1, 1), 0);
	ck_assert_int_eq(cohd_store_drift_replace(s, env, "app/vpc", d1 + 1, 1), 0);
	out[0] = 0;
	ck_assert_int_eq(cohd_store_drift_foreach(s, env, collect_drift, out), 0);
	ck_assert_str_eq(out, "app/sg:EnableDnsHostnames=drift;app/vpc:Tags.Owner=accepted;");
	ck_assert_int_eq(cohd_store_drift_replace(s, env, "app/vpc", NULL, 0), 0);
	out[0] = 0;
	ck_assert_int_eq(cohd_store_drift_foreach(s, env, collect_drift, out), 0);
	ck_assert_str_eq(out, "app/sg:EnableDnsHostnames=drift;");

	/* passes and their actions, updated by sequence number */
	ck_assert_int_eq(cohd_store_pass_begin(s, env, 1, "file", false, &pass), 0);
	ck_assert_int_eq(cohd_store_action_put(s, pass, 1, "app/vpc", "create", "pending", "{}", NULL), 0);
	ck_assert_int_eq(cohd_store_action_put(s, pass, 1, "app/vpc", "create", "done", NULL, NULL), 0);
	ck_assert_int_eq(cohd_store_action_put(s, pass, 2, "app/sg", "update", "failed", NULL, "X"), 0);
	ck_assert_int_eq(cohd_store_action_put(s, pass, 2, "app/sg", "bogus", "failed", NULL, "X"), -EEXIST);
	ck_assert_int_eq(cohd_store_pass_end(s, pass, "progressing", 12, 3), 0);
	ck_assert_int_eq(cohd_store_pass_end(s, pass, "exploded", 1, 1), -EEXIST);
	ck_assert_int_eq(cohd_store_pass_end(s, 999, "failed", 0, 0), -ENOENT);

	ck_assert_int_eq(cohd_store_app_env_set_pass_status(s, env, "{\"sync\":\"drifted\"}"), 0);
	ck_assert_int_eq(cohd_store_app_env_get(s, shop.app, shop.environment, &got), 0);
	ck_assert_str_eq(got.status, "{\"sync\":\"drifted\"}");
	cohd_store_app_env_done(&got);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_migrate_mode);
	tcase_add_test(tc, test_open_tightens_mode_and_refuses_newer);
	tcase_add_test(tc, test_journal_survives_crash);
	suite_add_tcase(s, tc);
	tc = tcase_create("tables");
	tcase_add_test(tc, test_app_env);
	tcase_add_test(tc, test_desired);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_results);
	suite_add_tcase(s, tc);
	return s;
}

COHD_TEST_MAIN(store_suite)
