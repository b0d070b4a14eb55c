# SPDX-License-Identifier: Apache-2.0
#
# Helpers of drift.sh and faults.sh (sourced, not run): `cohd --once` on the two-backends app
# (tests/data/apps/two-backends.yml, as twin.yml: environment "production") against the test
# AWS, the per-resource states of the last pass, and the proxy's counters.
#
# Per-resource states come from the state database: its app_env.status is the engine's status
# document of the last pass, the one `cohd-status APP.ENV` shows (resources[].sync, .message,
# .physical_id, .diff.fields[] with state match/drift/accepted and the accepting rule), and its
# drift table holds the fields that differed (status drift or accepted). `cohd --once` itself
# prints only the counts.
#
# Needs: build=BUILD_DIR src=SOURCE_DIR set by the caller; runs under tests/aws-up.
cohd=$build/daemon/cohd
tmp=$(mktemp -d)
daemon_pid=
trap '[ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/apps"
: >"$tmp/cohd.yaml"
cp "$src/tests/data/apps/two-backends.yml" "$tmp/apps/twin.yml"
apps_dir=$tmp/apps
state_dir=$tmp/state
export AWS_EC2_METADATA_DISABLED=true

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }
skip() { echo "SKIP: $*"; }
note() { echo "# $*"; }

# one `cohd --once`; its exit status in $once_rc, its output in $tmp/out (and $tmp/out.N)
runs=0
once() {
	runs=$((runs + 1))
	once_rc=0
	"$cohd" --once --config "$tmp/cohd.yaml" --watch-dir "$apps_dir" --state-dir "$state_dir" \
		--log-level "${COHD_LOG_LEVEL:-warning}" >"$tmp/out" 2>&1 || once_rc=$?
	cp "$tmp/out" "$tmp/out.$runs"
	grep -q "app environments converged" "$tmp/out" || { cat "$tmp/out" >&2; fail "no summary"; }
}
app=twin # the app of the file in $apps_dir (faults.sh adds a second one in another)
summary() { grep "^$app\.production: " "$tmp/out" || true; }

proxy() { # METHOD PATH [BODY]: the proxy's control API
	python3 -c "import sys, urllib.request as u; sys.stdout.write(u.urlopen(u.Request(sys.argv[2], method=sys.argv[1], data=sys.argv[3].encode() if sys.argv[1] == 'POST' else None, headers={'Content-Type': 'application/json'})).read().decode())" \
		"$1" "$COHD_AWSPROXY_URL$2" "${3:-}"
}
reset_stats() { proxy POST /_proxy/stats/reset >/dev/null; }
# "service:Operation=N ..." of every call since the last reset that is not a read; with "in"
# only those of the services of the checked types (ec2, ecs, elbv2, iam, logs, autoscaling,
# alarms, secrets), with "out" only the others. N counts every call ($count=total) or, with
# count=ok, only those AWS carried out (a call that keeps failing changes nothing).
count=total
strict=true # converge: a resource of the checked types in error fails the script
mutating() {
	proxy GET /_proxy/stats | python3 -c '
import json, sys
calls = json.load(sys.stdin)["calls"]
read = ("Describe", "List", "Get", "BatchGet")
checked = {"ec2", "ecs", "elbv2", "iam", "logs", "application-autoscaling", "cloudwatch",
           "secretsmanager", "sts"}
which, count = sys.argv[1], sys.argv[2]
print(" ".join(f"{s}:{op}={v[count]}" for s, ops in sorted(calls.items())
               for op, v in sorted(ops.items()) if not op.startswith(read) and v[count]
               and (which == "all" or (s in checked) == (which == "in"))))' "${1:-all}" "$count"
}
# the mutating calls that count after the last `cohd --once`: all of them when it converged
# (exit 0), else those of the checked types' services; the others are shown
counted_mutating() {
	if [ "$once_rc" = 0 ]; then
		mutating all
	else
		o=$(mutating out)
		[ -z "$o" ] || note "mutating calls of types outside the checked ones (not counted): $o" >&2
		mutating in
	fi
}
calls_of() { # SERVICE OPERATION: its calls since the last reset
	proxy GET /_proxy/stats |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(d['calls'].get('$1', {}).get('$2', {}).get('total', 0))"
}

# The status of the last pass. st sync ID | phys ID | msg ID | field ID PATH | drift ID PATH |
# check (the resource table; exit 1 if a resource of the checked types (ec2, ecs, elbv2, iam,
# logs, autoscaling, alarms, secrets) is neither synced nor waiting for one of another type) | synced-list (logical ids synced, one a line)
cat >"$tmp/st.py" <<'EOF'
import json, sqlite3, sys

db, app, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = sqlite3.connect(db)
row = c.execute("SELECT id, status FROM app_env WHERE app = ? AND environment = 'production'",
                (app,)).fetchone()
if not row or not row[1]:
    sys.exit(f"no status recorded for {app}.production")
env_id, status = row[0], json.loads(row[1])
res = {r["id"]: r for r in status["resources"]}


def get(i):
    if i not in res:
        sys.exit(f"no resource {i} in the status")
    return res[i]


if cmd == "sync":
    print(get(args[0])["sync"])
elif cmd == "phys":
    print(get(args[0]).get("physical_id") or "")
elif cmd == "msg":
    print(get(args[0]).get("message") or "")
elif cmd == "field":  # the diff entry of one field, as JSON ({} when not in the diff)
    fields = (get(args[0]).get("diff") or {}).get("fields") or []
    print(json.dumps(next((f for f in fields if f["field"] == args[1]), {}), sort_keys=True))
elif cmd == "drift":  # the drift table's row: status|observed|rule
    r = c.execute("SELECT status, observed, rule FROM drift WHERE app_env_id = ? AND "
                  "logical_id = ? AND field = ?", (env_id, args[0], args[1])).fetchone()
    print("|".join("" if v is None else str(v) for v in r) if r else "")
elif cmd == "throttled":  # resources left undone by a call throttled on every attempt
    for i, r in sorted(res.items()):
        m = r.get("message") or ""
        if any(code in m for code in ("Throttl", "RequestLimitExceeded", "SlowDown",
                                      "TooManyRequests")):
            print(f"{i}: {m}")
elif cmd == "synced-list":
    for i, r in sorted(res.items()):
        if r["sync"] == "synced":
            print(i)
elif cmd == "check":
    # the types every helper's scenario relies on today; the others (domain, CDN, buckets,
    # images, build) are being added and are only reported
    scope = ("ec2.", "ecs.", "elbv2.", "iam.", "logs.", "application_autoscaling.",
             "cloudwatch.", "secretsmanager.")
    outside = {i for i, r in res.items() if not r["type"].startswith(scope) or
               (r.get("message") or "").startswith("no resource type")}

    def blocked_outside(i, seen=()):
        m = res[i].get("message") or ""
        if i in outside:
            return True
        if res[i]["sync"] != "progressing" or not m.startswith("waiting for ") or i in seen:
            return False
        dep = m[len("waiting for "):].split(" ")[0].split(".")[0]
        return dep in res and blocked_outside(dep, seen + (i,))

    bad = []
    for i, r in sorted(res.items()):
        if i in outside:
            continue
        how = "synced" if r["sync"] == "synced" else \
            "blocked" if blocked_outside(i) else "BAD"
        print(f"#   {how:7} {r['type']:40} {i}  {r['sync']}{': ' + r['message'] if r.get('message') else ''}")
        if how == "BAD":
            bad.append(i)
            if "PriorityInUse" in (r.get("message") or ""):
                print("#           (seen when the rules exist but their type was observed before "
                      "the listener: lib/reconcile/engine.c observe_next() starts any unstarted type "
                      "when only a type cycle (CloudFront <-> Route 53) is left)")
    counts = {}
    for i in outside:
        k = (res[i]["type"], res[i]["sync"])
        counts[k] = counts.get(k, 0) + 1
    print("#   outside the checked types: " +
          (", ".join(f"{n} {t} {s}" for (t, s), n in sorted(counts.items())) or "none"))
    sys.exit(1 if bad else 0)
else:
    sys.exit(f"st.py: unknown command {cmd}")
EOF
st() { python3 "$tmp/st.py" "$state_dir/cohd.db" "$app" "$@"; }

# Pass until one sends no mutating call (at most $1 runs): the converged first pass. Sets
# $mode to "full" when that last `cohd --once` exited 0 (every resource synced: every type
# exists in this build), else "partial" (only the ec2, ecs, elbv2, iam, logs, autoscaling, alarm
# and secret resources are checked; the others' types are still being added).
converge() {
	for i in $(seq "$1"); do
		reset_stats
		once
		m=$(counted_mutating)
		[ -z "$m" ] && break
		note "run $runs: $(summary); mutating calls: $m"
		# After the first run only what moto leaves undone may be left: its CreateService
		# drops deploymentConfiguration, healthCheckGracePeriodSeconds and
		# enableECSManagedTags (AWS keeps them), so the next pass sets them (UpdateService).
		if [ "$runs" -ge 2 ] && [ -n "$(echo "$m" | tr ' ' '\n' | grep -v '^ecs:UpdateService=')" ]; then
			st check || true
			fail "run $runs, after a first full pass, still changed things: $m"
		fi
	done
	[ -z "$m" ] || { st check || true; fail "still sending mutating calls after $1 runs: $m"; }
	if [ "$once_rc" = 0 ]; then
		mode=full
		echo "MODE: full: cohd --once exited 0, the whole app converged ($(summary))"
	else
		mode=partial
		echo "MODE: partial: cohd --once exited $once_rc ($(summary)); asserting on the ec2, ecs, elbv2, iam, logs, autoscaling, alarm and secret resources"
	fi
	if ! st check; then
		$strict && fail "a resource of the checked types is neither synced nor waiting for one of another type"
		note "(BAD ones are the same with and without faults here; drift.sh fails on them)"
	fi
	pass "converged in $runs cohd --once runs; the last sent no mutating call$([ "$count" = ok ] && echo " that succeeded")"
}
