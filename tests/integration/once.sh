#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# `cohd --once` against the test AWS (run under tests/aws-up): the example app is reconciled,
# cohd is killed with SIGKILL in the middle of a pass and run again, then the state database is
# deleted and cohd runs once more (adoption by tags). After all that, every resource cohd made
# exists exactly once in AWS (listed with the aws CLI by its cohd:id tag), and a pass with
# nothing left to create sends no create call for them (the proxy's counters). Last, --dry-run
# on a new app prints the plan and sends nothing but reads.
#
# Usage: tests/aws-up -- once.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
cohd=$build/daemon/cohd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/apps"
: >"$tmp/cohd.yaml"
cp "$src/examples/acme-shop.yml" "$tmp/apps/acme-shop.production.yml"
export AWS_EC2_METADATA_DISABLED=true
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }
once() {
	"$cohd" --once --config "$tmp/cohd.yaml" --watch-dir "$tmp/apps" --state-dir "$tmp/state" \
		--log-level warning >"$tmp/out" 2>&1 || true
	grep -q "app environments converged" "$tmp/out" || { cat "$tmp/out" >&2; fail "no summary"; }
}
# how many EC2 resources of a kind carry cohd:id=$2
count() {
	aws ec2 "describe-$1" --filters "Name=tag:cohd:id,Values=$2" --output json |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(len(next(iter(v for k, v in d.items() if isinstance(v, list)))))"
}
proxy() { # METHOD PATH: the proxy's control API
	python3 -c "import sys, urllib.request as u; sys.stdout.write(u.urlopen(u.Request(sys.argv[2], method=sys.argv[1], data=b'' if sys.argv[1] == 'POST' else None)).read().decode())" "$1" "$COHD_AWSPROXY_URL$2"
}
stat_calls() { # calls of service $1 operation $2 since the last reset
	proxy GET /_proxy/stats |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(d['calls'].get('$1', {}).get('$2', {}).get('total', 0))"
}

# a first run killed with SIGKILL mid-pass: as soon as the first resources exist
"$cohd" --once --config "$tmp/cohd.yaml" --watch-dir "$tmp/apps" --state-dir "$tmp/state" \
	--log-level warning >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 200); do
	[ "$(count vpcs app/vpc)" -ge 1 ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pass "cohd killed with SIGKILL in its first pass"

once
[ "$(count vpcs app/vpc)" = 1 ] || fail "$(count vpcs app/vpc) VPCs after a restart"
[ "$(count subnets app/subnet/public-0)" = 1 ] || fail "duplicate subnets after a restart"
pass "the restart converged the network with no duplicate (1 VPC, 1 subnet each)"

rm -rf "$tmp/state"
once
[ "$(count vpcs app/vpc)" = 1 ] || fail "$(count vpcs app/vpc) VPCs after losing the database"
[ "$(count security-groups app/sg/ecs)" = 1 ] || fail "duplicate security groups after losing the database"
pass "with the database deleted, resources were adopted by their tags, not created again"

proxy POST /_proxy/stats/reset >/dev/null
once
for op in CreateVpc CreateSubnet CreateSecurityGroup CreateInternetGateway CreateRouteTable; do
	[ "$(stat_calls ec2 $op)" = 0 ] || fail "a pass with everything in place called $op"
done
pass "a further pass sends no create call for what exists"

# --dry-run: the plan is printed and nothing is sent that changes anything
rm -rf "$tmp/state"
sed 's/^  app: acme-shop /  app: dryshop /' "$src/examples/acme-shop.yml" >"$tmp/apps/acme-shop.production.yml"
proxy POST /_proxy/stats/reset >/dev/null
"$cohd" --once --dry-run --config "$tmp/cohd.yaml" --watch-dir "$tmp/apps" --state-dir "$tmp/state" \
	--log-level warning >"$tmp/out" 2>&1 || true
grep -q "would create ec2.vpc app/vpc (CreateVpc)" "$tmp/out" || { cat "$tmp/out" >&2; fail "no plan printed"; }
mutating=$(proxy GET /_proxy/stats | python3 -c '
import json, sys
calls = json.load(sys.stdin)["calls"]
read = ("Describe", "List", "Get", "BatchGet")
print(sum(v["total"] for s in calls.values() for op, v in s.items() if not op.startswith(read)))')
[ "$mutating" = 0 ] || fail "--dry-run sent $mutating mutating calls"
pass "--dry-run prints the plan and sends no mutating call"
