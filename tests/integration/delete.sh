#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The deletion path (DESIGN.md §6) through `cohd --once` against the test AWS (run under
# tests/aws-up): a preview environment and a production one of the same app converge as far
# as this build's types go; then the preview's file is removed and, with no grace period for
# previews, the next run deletes everything the preview owned (listed with the aws CLI by its
# cohd:environment tag), leaves the production environment and the app-wide resources it still
# uses alone, and marks the preview deleted in the state database. Then the production file is
# removed too: within its grace period (the default, 7 days) nothing is deleted and the
# resources show "deleting".
#
# Usage: tests/aws-up -- delete.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
cohd=$build/daemon/cohd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/apps"
printf 'deletion_grace: {preview: 0s}\n' >"$tmp/cohd.yaml"
cp "$src/tests/data/apps/two-backends.yml" "$tmp/apps/twin.production.yml"
cp "$src/tests/data/apps/two-backends.yml" "$tmp/apps/twin.pr-7.yml"
export AWS_EC2_METADATA_DISABLED=true
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }
once() {
	"$cohd" --once --config "$tmp/cohd.yaml" --watch-dir "$tmp/apps" --state-dir "$tmp/state" \
		--log-level warning >"$tmp/out" 2>&1 || true
	grep -q "app environments converged" "$tmp/out" || { cat "$tmp/out" >&2; fail "no summary"; }
}
# how many EC2 resources of a kind carry tag $2=$3
count() {
	aws ec2 "describe-$1" --filters "Name=tag:$2,Values=$3" --output json |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(len(next(iter(v for k, v in d.items() if isinstance(v, list)))))"
}
# how many IAM roles, target groups and log groups of environment $1 exist (by their names)
env_count() {
	{
		aws iam list-roles --query 'Roles[].RoleName' --output text
		aws elbv2 describe-target-groups --query 'TargetGroups[].TargetGroupName' --output text
		aws logs describe-log-groups --query 'logGroups[].logGroupName' --output text
	} | tr '\t' '\n' | grep -c -e "-$1-" -e "/$1/" || true
}
state() { # the state database's state of app environment twin.$1
	python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(\"SELECT state FROM app_env WHERE app='twin' AND environment=?\", (sys.argv[2],)).fetchone(); print(r[0] if r else 'none')" "$tmp/state/cohd.db" "$1"
}

once
once # what the first run left progressing
preview=$(env_count pr-7)
production=$(env_count production)
[ "$preview" -ge 6 ] || { cat "$tmp/out" >&2; fail "the preview made only $preview roles, target and log groups"; }
[ "$production" = "$preview" ] || fail "production has $production roles, target and log groups, the preview $preview"
[ "$(count vpcs cohd:id app/vpc)" = 1 ] || fail "not one VPC"
pass "preview and production exist ($preview roles, target groups and log groups each)"

rm "$tmp/apps/twin.pr-7.yml"
once
grep -q "twin.pr-7" "$tmp/out" || { cat "$tmp/out" >&2; fail "the removed preview was not reconciled"; }
[ "$(env_count pr-7)" = 0 ] || { cat "$tmp/out" >&2; fail "$(env_count pr-7) roles, target or log groups of the preview are left"; }
[ "$(count subnets cohd:id app/subnet/public-0)" = 1 ] || fail "an app-wide subnet the production still uses was deleted"
[ "$(env_count production)" = "$production" ] || fail "resources of the production were deleted"
[ "$(state pr-7)" = deleted ] || { cat "$tmp/out" >&2; fail "the preview is '$(state pr-7)' in the database, not deleted"; }
pass "the removed preview's resources are deleted, the production's untouched, the preview marked deleted"

rm "$tmp/apps/twin.production.yml"
once
[ "$(count vpcs cohd:id app/vpc)" = 1 ] || fail "the VPC was deleted within the production grace period"
[ "$(env_count production)" = "$production" ] || fail "production resources deleted within the grace period"
grep -q "twin.production: deleting" "$tmp/out" || { cat "$tmp/out" >&2; fail "the production environment is not shown deleting"; }
[ "$(state production)" = deleting ] || fail "the production is '$(state production)' in the database, not deleting"
pass "a removed production environment waits out its grace period (deleting, nothing deleted)"
