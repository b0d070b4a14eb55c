#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Throttling against the test AWS (run under tests/aws-up): the two-backends app is converged
# once without faults (the reference: which resources end synced, in how many `cohd --once`
# runs), then a copy of it under another app name is converged with 10 % of all calls answered
# with the service's throttling error. It must end with the same resources synced, in a few
# more runs at most (a call throttled on every attempt fails its action; the next run does it),
# and no API category may see more calls in any 1-second window than cohd's client-side budget
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

# ---- the reference, without faults ------------------------------------------------------------
converge 4
ref_runs=$runs
ref_calls=$(proxy GET /_proxy/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["total"])')
st synced-list >"$tmp/synced.ref"
note "reference: $(wc -l <"$tmp/synced.ref") resources synced in $ref_runs runs ($mode mode; $ref_calls calls in the last, which changed nothing)"

# ---- the same app (another name) with 10 % throttling ----------------------------------------
app=twinf
apps_dir=$tmp/apps-faults
state_dir=$tmp/state-faults
mkdir -p "$apps_dir"
# (its own domain too: one hosted zone per domain in an account)
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
	# what a throttled-out call left undone (its action failed after every attempt)
	grep -E 'Throttl|RequestLimitExceeded|SlowDown|TooManyRequests' "$tmp/out" |
		sed 's/^/#     /' | head -n 10 || true
	echo "$tmp/stats.$runs" >>"$tmp/windows"
	st synced-list >"$tmp/synced.faults"
	# done: nothing left to change, and what the reference has synced is synced (a describe
	# throttled on every attempt leaves its type unobserved: no call, but not synced either)
	if [ -z "$m" ] && cmp -s "$tmp/synced.ref" "$tmp/synced.faults"; then
		break
	fi
	if [ "$runs" -ge "$max_runs" ]; then
		diff "$tmp/synced.ref" "$tmp/synced.faults" >&2 || true
		fail "not converged after $max_runs runs with 10 % throttling (< reference, > faults); mutating calls: ${m:-none}"
	fi
done
proxy POST /_proxy/faults '{}' >/dev/null
pass "with 10 % throttling the same $(wc -l <"$tmp/synced.ref") resources are synced, in $runs runs (without faults: $ref_runs; each count includes the final run that sent no mutating call)"

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
