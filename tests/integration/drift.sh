#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Drift against the test AWS (run under tests/aws-up): the two-backends app is reconciled by
# `cohd --once` until a pass sends no mutating call; then, each time on the converged app,
# changes made behind cohd's back with the aws CLI meet the next pass:
#   a. a security group ingress rule revoked is authorized again;
#   b. a listener rule's condition (path pattern) and action modified are put back;
#   c. an ECS service's desired count set inside the autoscaling target's [min, max] is left
#      alone and shown as accepted drift; set outside it, it is corrected to the nearest bound;
#   d. a pass after convergence (and after each correction) sends no mutating call.
# Mode "full" (cohd --once exits 0: every resource type exists and works) also asserts the
# whole app converged and counts every mutating call; mode "partial" checks only the ec2, ecs,
# elbv2, iam, logs, autoscaling, alarm and secret resources (and counts only the mutating calls
# to those services; the others are shown), and skips (SKIP:) a scenario whose resource waits
# for one of another type.
#
# Usage: tests/aws-up -- drift.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
. "$(dirname "$0")/twin-lib.sh"

SG=app/sg/inbound
RULE=env/production/svc/api/listener-rule
API=env/production/svc/api/ecs-service
ADMIN=env/production/svc/admin/ecs-service

quiet_pass() { # WHAT: the next pass sends no mutating call
	reset_stats
	once
	m=$(counted_mutating)
	[ -z "$m" ] || fail "$1: a further pass sent mutating calls: $m"
	pass "d. $1: the next pass sends no mutating call"
}

converge 4
reset_stats
once
m=$(counted_mutating)
[ -z "$m" ] || fail "d. a second pass after convergence sent mutating calls: $m"
[ "$mode" = partial ] || [ "$once_rc" = 0 ] || fail "d. the app no longer converges: $(summary)"
pass "d. a second pass after convergence sends no mutating call ($(summary))"

# ---- a. a security group ingress rule revoked -----------------------------------------------
sg=$(st phys $SG)
[ "$(st sync $SG)" = synced ] && [ -n "$sg" ] || fail "a. $SG is not synced: $(st msg $SG)"
ingress443() {
	aws ec2 describe-security-groups --group-ids "$sg" --output json | python3 -c '
import json, sys
g = json.load(sys.stdin)["SecurityGroups"][0]
print(sum(1 for p in g["IpPermissions"] if p.get("FromPort") == 443 and p.get("ToPort") == 443
          and p.get("IpProtocol") == "tcp"
          and any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))))'
}
[ "$(ingress443)" = 1 ] || fail "a. $sg has no tcp 443 from 0.0.0.0/0 to start with"
aws ec2 revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 443 \
	--cidr 0.0.0.0/0 >/dev/null
[ "$(ingress443)" = 0 ] || fail "a. the aws CLI did not revoke the rule"
reset_stats
once
[ "$(ingress443)" = 1 ] || fail "a. the revoked ingress rule of $sg was not restored ($(st msg $SG))"
[ "$(calls_of ec2 AuthorizeSecurityGroupIngress)" -ge 1 ] || fail "a. no AuthorizeSecurityGroupIngress"
[ "$(calls_of ec2 RevokeSecurityGroupIngress)" = 0 ] || fail "a. the correction revoked something"
[ "$(st sync $SG)" = synced ] || fail "a. $SG is $(st sync $SG) after the correction: $(st msg $SG)"
pass "a. the revoked ingress rule (tcp 443 from 0.0.0.0/0) of $sg is authorized again"
quiet_pass "after a"

# ---- b. a listener rule's condition and action modified -------------------------------------
if [ "$(st sync $RULE)" != synced ]; then
	[ "$mode" = partial ] || fail "b. $RULE is $(st sync $RULE): $(st msg $RULE)"
	skip "b. $RULE does not exist in this build ($(st sync $RULE): $(st msg $RULE))"
else
	rule=$(st phys $RULE)
	rule_json() {
		aws elbv2 describe-rules --rule-arns "$rule" --output json | python3 -c '
import json, sys
r = json.load(sys.stdin)["Rules"][0]
conds = {c["Field"]: sorted((c.get("PathPatternConfig") or c.get("HostHeaderConfig") or {}).get("Values") or c.get("Values") or [])
         for c in r["Conditions"]}
acts = [(a["Type"], a.get("TargetGroupArn") or "") for a in r["Actions"]]
print(json.dumps({"conditions": conds, "actions": acts}, sort_keys=True))'
	}
	before=$(rule_json)
	echo "$before" | grep -q '"/api/\*"' || fail "b. $rule has no /api/* path pattern: $before"
	other_tg=$(st phys env/production/svc/admin/target-group)
	# b1: the conditions (the path pattern changed, the host header dropped)
	aws elbv2 modify-rule --rule-arn "$rule" \
		--conditions Field=path-pattern,Values=/elsewhere/* >/dev/null
	[ "$(rule_json)" != "$before" ] || fail "b. the aws CLI did not modify the rule"
	reset_stats
	once
	[ "$(rule_json)" = "$before" ] || fail "b. conditions not restored: $(rule_json), wanted $before"
	[ "$(calls_of elbv2 ModifyRule)" -ge 1 ] || fail "b. no ModifyRule"
	pass "b. the listener rule's conditions (path pattern /api, /api/*, host header) are restored"
	# b2: the action (forwarding to the other service's target group)
	aws elbv2 modify-rule --rule-arn "$rule" \
		--actions Type=forward,TargetGroupArn="$other_tg" >/dev/null
	[ "$(rule_json)" != "$before" ] || fail "b. the aws CLI did not modify the rule's action"
	reset_stats
	once
	[ "$(rule_json)" = "$before" ] || fail "b. action not restored: $(rule_json), wanted $before"
	pass "b. the listener rule's action (forward to the api target group) is restored"
	quiet_pass "after b"
fi

# ---- c. an ECS service's desired count, inside and outside its autoscaling band ---------------
if [ "$(st sync $API)" != synced ] || [ "$(st sync $ADMIN)" != synced ]; then
	[ "$mode" = partial ] || fail "c. the ECS services are not synced: $(st msg $API) $(st msg $ADMIN)"
	skip "c. the ECS services do not exist in this build ($API: $(st sync $API): $(st msg $API))"
else
	cluster=$(st phys app/ecs-cluster)
	api=$(st phys $API)
	admin=$(st phys $ADMIN)
	desired() {
		aws ecs describe-services --cluster "$cluster" --services "$1" --output json |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["desiredCount"])'
	}
	set_count() {
		aws ecs update-service --cluster "$cluster" --service "$1" --desired-count "$2" >/dev/null
		[ "$(desired "$1")" = "$2" ] || fail "c. the aws CLI did not set the desired count of $1"
	}
	[ "$(desired "$api")" = 2 ] || fail "c. the api service starts with $(desired "$api") tasks, not 2"
	# inside [2, 5]: an autoscaler's decision, accepted
	set_count "$api" 4
	reset_stats
	once
	[ "$(desired "$api")" = 4 ] || fail "c. a desired count of 4 (inside [2, 5]) was changed to $(desired "$api")"
	[ "$(calls_of ecs UpdateService)" = 0 ] || fail "c. UpdateService was called for an accepted count"
	f=$(st field $API desiredCount)
	echo "$f" | grep -q '"state": "accepted"' || fail "c. desiredCount 4 is not shown as accepted drift: $f"
	echo "$f" | grep -q '"live": 4' || fail "c. the accepted drift does not show the live count: $f"
	row=$(st drift $API desiredCount)
	case $row in accepted\|4\|?*) ;; *) fail "c. the drift table has '$row' for desiredCount" ;; esac
	[ "$(st sync $API)" = synced ] || fail "c. the service is $(st sync $API) with an accepted count"
	pass "c. desiredCount 4 inside [2, 5] is left alone and shown as accepted drift (rule: ${row#accepted|4|})"
	# what an operator sees: the daemon on the same state, asked with cohd-status
	status_bin=$build/daemon/cohd-status
	sock=$tmp/cohd.sock
	"$cohd" --config "$tmp/cohd.yaml" --watch-dir "$apps_dir" --state-dir "$state_dir" \
		--socket "$sock" --interval 3600 --log-level warning >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	q() { "$status_bin" --socket "$sock" --json twin.production 2>/dev/null |
		python3 -c "import json,sys; d=json.load(sys.stdin)['apps'][0]; print($1)"; }
	for _ in $(seq 300); do # its first pass done (a few seconds)
		[ "$(q 'd["passes"] >= 1 and not d["reconciling"]' || true)" = True ] && break
		sleep 0.1
	done
	[ "$(q 'd["passes"] >= 1' || true)" = True ] || { cat "$tmp/daemon.log" >&2; fail "c. cohd did not finish a pass"; }
	f=$(q "json.dumps(next(f for r in d['resource_status'] if r['id'] == '$API' for f in r['diff']['fields'] if f['field'] == 'desiredCount'), sort_keys=True)")
	echo "$f" | grep -q '"state": "accepted"' || fail "c. cohd-status --json does not show desiredCount as accepted: $f"
	accepted=$(q 'd["resources"].get("accepted", 0)')
	line=$("$status_bin" --socket "$sock" twin.production | head -n 1 || true)
	kill "$daemon_pid"
	wait "$daemon_pid" || fail "c. cohd did not exit 0 on SIGTERM"
	daemon_pid=
	[ "$accepted" -ge 1 ] || fail "c. cohd-status counts no resource with accepted drift (resources.accepted: $accepted): '$line'"
	case $line in *"accepted drift"*) ;; *) fail "c. cohd-status does not say 'accepted drift': '$line'" ;; esac
	pass "c. cohd-status shows it: '$line'"
	# outside: above the api band, below the admin band (1..3): each to its nearest bound
	set_count "$api" 9
	set_count "$admin" 0
	reset_stats
	once
	[ "$(desired "$api")" = 5 ] || fail "c. a desired count of 9 (above [2, 5]) became $(desired "$api"), not 5"
	[ "$(desired "$admin")" = 1 ] || fail "c. a desired count of 0 (below [1, 3]) became $(desired "$admin"), not 1"
	pass "c. desired counts outside the band are corrected to its nearest bound (api 9 -> 5, admin 0 -> 1)"
	quiet_pass "after c"
fi

if [ "$mode" = full ]; then
	reset_stats
	once
	[ "$once_rc" = 0 ] || fail "the whole app no longer converges after the scenarios: $(summary)"
	pass "the whole app is converged after the scenarios ($(summary))"
fi
echo "MODE: $mode ($runs cohd --once runs)"
