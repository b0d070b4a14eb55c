#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Throttling against the test AWS (run under tests/aws-up): the two-backends app (under its own
# name) is converged with 10 % of all calls answered with the service's throttling error, run
# after run until one changes nothing and nothing is left undone by a throttled call. It must
# end with the same resources synced as without faults: every one when `cohd --once` exits 0
# (mode full; drift.sh converges the app without faults), else (mode partial: types missing or
# failing) the same set as the app converged without faults, run here as the reference. A call
# is retried (3 attempts, backoff) before its action fails, so 10 % throttling rarely costs a
# run: only a call throttled on every attempt (0.1 %) does, and the next run does its work.
# And no API category may see more calls in any 1-second window than cohd's client-side budget
# lets through (lib/aws/retry/budget.c: a token bucket per account, region and category of
# share * AWS's burst, refilled at share * AWS's rate; at most burst + refill in one second).
# The calls per window come from the proxy's per-operation call timestamps, summed per category.
#
# Usage: tests/aws-up -- faults.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
. "$(dirname "$0")/twin-lib.sh"
share=0.5
# converged = no call that changed something (a create that keeps failing for a reason of its
# own is the same with and without faults; drift.sh holds the app to no call at all)
count=ok
strict=false
echo "api_budget_share: $share" >"$tmp/cohd.yaml"
max_runs=8

# ---- the app (under its own name and domain) with 10 % throttling ---------------------------
app=twinf
apps_dir=$tmp/apps-faults
state_dir=$tmp/state-faults
mkdir -p "$apps_dir"
sed -e 's/^  app: twin$/  app: twinf/' -e 's/^  base_domain: twin\.example\.com$/  base_domain: twinf.example.com/' \
	"$src/tests/data/apps/two-backends.yml" >"$apps_dir/twinf.yml"
grep -q '^  app: twinf$' "$apps_dir/twinf.yml" && grep -q '^  base_domain: twinf\.example\.com$' \
	"$apps_dir/twinf.yml" || fail "cannot rename the app"
proxy POST /_proxy/faults '{"throttle": {"rate": 0.1}}' >/dev/null
runs=0
: >"$tmp/windows"
while :; do
	reset_stats
	once
	proxy GET '/_proxy/stats?recent=1' >"$tmp/stats.$runs"
	m=$(counted_mutating)
	throttled=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["throttled"])' "$tmp/stats.$runs")
	calls=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["total"])' "$tmp/stats.$runs")
	note "run $runs: $calls calls, $throttled throttled; $(summary)"
	# what a call throttled on every attempt left undone: an action failed, or a type not
	# observed (no call then, but not synced either): the next run does it
	left=$(st throttled)
	[ -z "$left" ] || echo "$left" | sed 's/^/#     throttled out: /'
	echo "$tmp/stats.$runs" >>"$tmp/windows"
	[ -n "$m" ] || [ -n "$left" ] || break
	[ "$runs" -lt "$max_runs" ] ||
		fail "not converged after $max_runs runs with 10 % throttling; mutating calls: ${m:-none}"
done
proxy POST /_proxy/faults '{}' >/dev/null
st synced-list >"$tmp/synced.faults"
faults_rc=$once_rc
faults_runs=$runs

# ---- compared with the same without faults ------------------------------------------------
if [ "$faults_rc" = 0 ]; then
	# every resource synced: what a run without faults reaches at best (drift.sh converges it)
	echo "MODE: full: cohd --once exited 0 under throttling, the whole app converged"
	pass "with 10 % throttling every resource ($(wc -l <"$tmp/synced.faults")) is synced, in $faults_runs runs (the last one changing nothing)"
else
	# some types are missing or fail: the reference is the app converged without faults
	app=twin
	apps_dir=$tmp/apps
	state_dir=$tmp/state
	runs=0
	converge 4
	st synced-list >"$tmp/synced.ref"
	if ! cmp -s "$tmp/synced.ref" "$tmp/synced.faults"; then
		diff "$tmp/synced.ref" "$tmp/synced.faults" >&2 || true
		fail "with throttling, not the same resources synced as without (< without, > with faults)"
	fi
	pass "with 10 % throttling the same $(wc -l <"$tmp/synced.ref") resources are synced as without, in $faults_runs runs (without faults: $runs; each count includes the last run, which changed nothing)"
fi

# ---- the budget: calls per 1-second window per category, against the bucket ------------------
python3 - "$src/lib/aws/retry/budget.c" "$share" $(cat "$tmp/windows") <<'EOF' || fail "a category went over cohd's client-side budget"
import json, re, sys

src, share, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
text = open(src).read()
cats = {n: (float(b), float(r)) for n, b, r in
        re.findall(r'\{\s*"([a-z0-9-]+:[a-z0-9-]+)",\s*([\d.]+),\s*([\d.]+),\s*(?:true|false)\s*\}', text)}
ops = {(s, o): c for s, o, c in
       re.findall(r'\{\s*"([a-z0-9-]+)",\s*"([A-Za-z0-9]+)",\s*"([a-z0-9-]+:[a-z0-9-]+)"\s*\}', text)}
dburst = float(re.search(r"#define DEFAULT_BURST ([\d.]+)", text).group(1))
drefill = float(re.search(r"#define DEFAULT_REFILL ([\d.]+)", text).group(1))
assert cats and ops, "cannot read the budget tables of " + src
# the proxy names services as the aws CLI does; the budget by signing name
signing = {"elbv2": "elasticloadbalancing", "cloudwatch": "monitoring",
           "resourcegroupstaggingapi": "tagging"}


def category(service, op):  # cohd_aws_budget_category_for()
    if (service, op) in ops:
        return ops[service, op]
    if service == "ec2":
        return "ec2:describe" if op.startswith(("Describe", "List", "Get", "Search")) else "ec2:mutate"
    if service == "elasticloadbalancing" and op.startswith("Describe"):
        return "elbv2:describe"
    if service == "route53":
        return "route53:account"
    return service + ":default"


def budget(cat):  # at most the full bucket plus one second of refill in any 1-second window
    burst, refill = cats.get(cat, (dburst, drefill))
    return max(1.0, burst * share) + refill * share


worst = {}  # category -> (calls in the busiest 1 s window, run, ops)
per_op = {}  # category -> highest per-operation max_per_1s
incomplete = []
for run, f in enumerate(files, 1):
    calls = json.load(open(f))["calls"]
    stamps = {}
    for service, byop in calls.items():
        for op, v in byop.items():
            cat = category(signing.get(service, service), op)
            recent = v.get("recent") or []
            if v["total"] > len(recent):
                incomplete.append(f"{service}:{op} (run {run}: {v['total']} calls, {len(recent)} stamps)")
            stamps.setdefault(cat, []).extend((t, f"{service}:{op}") for t in recent)
            per_op[cat] = max(per_op.get(cat, 0), v["max_per_1s"])
    for cat, ts in stamps.items():
        ts.sort()
        j = 0
        for i in range(len(ts)):
            while ts[i][0] - ts[j][0] >= 1.0:
                j += 1
            n = i - j + 1
            if n > worst.get(cat, (0,))[0]:
                worst[cat] = (n, run, sorted({o for _, o in ts[j:i + 1]}))
bad = []
print(f"# {'category':34} {'budget/1s':>9} {'max/1s':>6} {'op max':>6}  run  busiest window's operations")
for cat in sorted(worst):
    n, run, window = worst[cat]
    b = budget(cat)
    flag = "" if n <= b else "  OVER"
    if n > b:
        bad.append(cat)
    names = " ".join(window)
    print(f"# {cat:34} {b:9.1f} {n:6d} {per_op[cat]:6d}  {run:3d}  {names[:90]}{flag}")
if incomplete:
    print("# not every call has a timestamp (the proxy keeps 100 per operation): " + ", ".join(incomplete))
if bad:
    sys.exit(1)
EOF
pass "no API category saw more calls in a 1-second window than cohd's budget (share $share) allows"
