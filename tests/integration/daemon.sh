#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The daemon's file intake and control socket, end to end, no AWS needed:
#   cohd starts with an empty watch directory; an app file dropped in is accepted (cohd-status
#   shows it with its desired resources); a broken edit is rejected with file:line:column errors
#   while the previous generation stays in force, also across a restart; a fixed edit becomes
#   the next generation; a second file claiming the same app environment is refused; events and
#   the desired graph are served; removing the file starts the deletion path; SIGTERM stops it
#   cleanly.
#
# Usage: tests/aws-up -- daemon.sh BUILD_DIR SOURCE_DIR   (cohd needs an AWS account to start)
set -eu
build=$1
src=$2
cohd=$build/daemon/cohd/cohd
status=$build/daemon/cohd-status/cohd-status
[ -x "$cohd" ] || cohd=$build/daemon/cohd
[ -x "$status" ] || status=$build/daemon/cohd-status

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$tmp/apps" "$tmp/state"
: >"$tmp/cohd.yaml" # every setting at its default
sock=$tmp/cohd.sock
fail() { echo "FAIL: $*" >&2; echo "--- cohd log" >&2; cat "$tmp/log" >&2; exit 1; }
pass() { echo "PASS: $*"; }
json() { "$status" --socket "$sock" --json "$@"; }
# jq-like: python3 -c over the JSON on stdin
q() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start() {
	AWS_EC2_METADATA_DISABLED=true "$cohd" --config "$tmp/cohd.yaml" --watch-dir "$tmp/apps" --state-dir "$tmp/state" \
		--socket "$sock" --interval 3600 --log-level info >>"$tmp/log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		[ -S "$sock" ] && json >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "cohd did not answer on $sock"
}
# wait until python expression $1 over `cohd-status --json` is True
wait_for() {
	for _ in $(seq 50); do
		[ "$(json | q "$1" 2>/dev/null)" = True ] && return 0
		sleep 0.1
	done
	json >&2 || true
	fail "timed out waiting for: $1"
}

start
[ "$(json | q 'len(d["apps"])')" = 0 ] || fail "apps listed before any file"
pass "starts with an empty watch directory"

cp "$src/examples/acme-shop.yml" "$tmp/apps/acme-shop.production.yml.tmp"
mv "$tmp/apps/acme-shop.production.yml.tmp" "$tmp/apps/acme-shop.production.yml"
wait_for 'len(d["apps"]) == 1 and d["apps"][0]["generation"] == 1'
app=$(json | q '"%s.%s" % (d["apps"][0]["app"], d["apps"][0]["environment"])')
total=$(json | q 'd["apps"][0]["resources"]["total"]')
[ "$total" -gt 20 ] || fail "only $total desired resources"
pass "app file accepted as $app with $total desired resources"

printf 'x-cohd:\n  app: acme-shop\n  environment: production\napi:\n  type: backend\n  system:\n    cpu: lots\n' \
	>"$tmp/apps/acme-shop.production.yml"
wait_for 'len(d["apps"][0]["errors"]) > 0'
msg=$(json | q 'd["apps"][0]["errors"][0]["message"]')
case "$msg" in "$tmp/apps/acme-shop.production.yml:"[0-9]*:[0-9]*": "*) ;; *) fail "error without file:line:column: $msg" ;; esac
[ "$(json | q 'd["apps"][0]["generation"]')" = 1 ] || fail "a bad file changed the generation"
"$status" --socket "$sock" "$app" >/dev/null && fail "cohd-status exit 0 for a rejected file" || true
pass "broken edit rejected ($msg), generation 1 stays in force"

kill "$pid"; wait "$pid" || fail "cohd did not exit 0 on SIGTERM"
pid=
[ ! -e "$sock" ] || fail "socket left behind"
start
wait_for 'len(d["apps"]) == 1 and d["apps"][0]["generation"] == 1 and len(d["apps"][0]["errors"]) > 0'
pass "after a restart with the broken file on disk, the last good version is still known"

cp "$src/examples/acme-shop.yml" "$tmp/apps/acme-shop.production.yml"
printf '# an edit\n' >>"$tmp/apps/acme-shop.production.yml"
wait_for 'd["apps"][0]["generation"] == 2 and not d["apps"][0]["errors"]'
pass "fixed edit accepted as generation 2"

cp "$src/examples/acme-shop.yml" "$tmp/apps/copy.yml"
wait_for 'any("already defined by" in e["message"] for a in d["apps"] for e in a["errors"])'
[ "$(json | q 'max(a["generation"] for a in d["apps"])')" = 2 ] || fail "the duplicate disturbed $app"
rm "$tmp/apps/copy.yml"
pass "a second file for the same app environment is refused"

"$status" --socket "$sock" events "$app" | grep -q "file-accepted" || fail "no file-accepted event"
"$status" --socket "$sock" events | grep -q "file-rejected" || fail "no file-rejected event"
pass "events recorded and served"

"$status" --socket "$sock" graph "$app" | grep -q -- '->' || fail "graph has no edges"
pass "desired graph served as Graphviz"

"$status" --socket "$sock" reconcile nope.nope 2>&1 | grep -q "no app environment" || fail "unknown target not refused"
pass "unknown APP.ENV refused"

rm "$tmp/apps/acme-shop.production.yml"
wait_for 'any(a["sync"] == "deleting" for a in d["apps"])'
pass "removed file enters the deletion path"

kill "$pid"; wait "$pid" || fail "cohd did not exit 0 on SIGTERM"
pid=
pass "SIGTERM stops cohd cleanly"
