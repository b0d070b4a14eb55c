#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Drift against the test AWS (run under tests/aws-up): the two-backends app is reconciled by
# `cohd --once` until a pass sends no mutating call; then, each time on the converged app,
# changes made behind cohd's back with the aws CLI meet the next pass:
#   a. a security group ingress rule revoked is authorized again, one added is revoked;
#   b. a listener rule's condition (path pattern) and action modified are put back;
#   c. an ECS service's desired count set inside the autoscaling target's [min, max] is left
#      alone and shown as accepted drift; set outside it, it is corrected to the nearest bound;
#   d. a pass after convergence (and after the corrections) sends no mutating call.
# Independent changes share a pass (round 1: a, b, c inside the band; round 2: a, b, c outside
# it; round 3: the band itself), so that the script stays short.
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

converge 4 # its last run, a second pass on the converged app, sent no mutating call
pass "d. a second pass after convergence sends no mutating call ($(summary))"

# ---- what each scenario reads and changes ----------------------------------------------------
sg=$(st phys $SG)
[ "$(st sync $SG)" = synced ] && [ -n "$sg" ] || fail "a. $SG is not synced: $(st msg $SG)"
ingress() { # PORT: how many tcp PORT from 0.0.0.0/0 rules $sg has
	aws ec2 describe-security-groups --group-ids "$sg" --output json | python3 -c '
import json, sys
g = json.load(sys.stdin)["SecurityGroups"][0]
port = int(sys.argv[1])
print(sum(1 for p in g["IpPermissions"] if p.get("FromPort") == port and p.get("ToPort") == port
          and p.get("IpProtocol") == "tcp"
          and any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))))' "$1"
}
[ "$(ingress 443)" = 1 ] || fail "a. $sg has no tcp 443 from 0.0.0.0/0 to start with"

have_b=true
if [ "$(st sync $RULE)" != synced ]; then
	[ "$mode" = partial ] || fail "b. $RULE is $(st sync $RULE): $(st msg $RULE)"
	skip "b. $RULE does not exist in this build ($(st sync $RULE): $(st msg $RULE))"
	have_b=false
else
	rule=$(st phys $RULE)
	other_tg=$(st phys env/production/svc/admin/target-group)
	rule_json() {
		aws elbv2 describe-rules --rule-arns "$rule" --output json | python3 -c '
import json, sys
r = json.load(sys.stdin)["Rules"][0]
conds = {c["Field"]: sorted((c.get("PathPatternConfig") or c.get("HostHeaderConfig") or {}).get("Values") or c.get("Values") or [])
         for c in r["Conditions"]}
acts = [(a["Type"], a.get("TargetGroupArn") or "") for a in r["Actions"]]
print(json.dumps({"conditions": conds, "actions": acts}, sort_keys=True))'
	}
	rule_before=$(rule_json)
	echo "$rule_before" | grep -q '"/api/\*"' || fail "b. $rule has no /api/* path pattern: $rule_before"
fi

have_c=true
if [ "$(st sync $API)" != synced ] || [ "$(st sync $ADMIN)" != synced ]; then
	[ "$mode" = partial ] || fail "c. the ECS services are not synced: $(st msg $API) $(st msg $ADMIN)"
	skip "c. the ECS services do not exist in this build ($API: $(st sync $API): $(st msg $API))"
	have_c=false
else
	cluster=$(st phys app/ecs-cluster)
	api=$(st phys $API)
	admin=$(st phys $ADMIN)
	target=service/${cluster##*/}/${api##*/}
	desired() {
		aws ecs describe-services --cluster "$cluster" --services "$1" --output json |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["desiredCount"])'
	}
	set_count() {
		aws ecs update-service --cluster "$cluster" --service "$1" --desired-count "$2" >/dev/null
		[ "$(desired "$1")" = "$2" ] || fail "c. the aws CLI did not set the desired count of $1"
	}
	band() {
		aws application-autoscaling describe-scalable-targets --service-namespace ecs \
			--resource-ids "$target" --query 'ScalableTargets[0].[MinCapacity,MaxCapacity]' \
			--output text | tr '\t' ' '
	}
	[ "$(desired "$api")" = 2 ] || fail "c. the api service starts with $(desired "$api") tasks, not 2"
	[ "$(band)" = "2 5" ] || fail "c. the scalable target of $target starts as [$(band)], not [2 5]"
fi

# ---- round 1 ---------------------------------------------------------------------------------
# a: tcp 443 from anywhere revoked; b: the rule's conditions (path pattern changed, host header
# dropped); c: the api service's desired count moved inside its band [2, 5]
aws ec2 revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 443 \
	--cidr 0.0.0.0/0 >/dev/null
[ "$(ingress 443)" = 0 ] || fail "a. the aws CLI did not revoke the rule"
if $have_b; then
	aws elbv2 modify-rule --rule-arn "$rule" \
		--conditions Field=path-pattern,Values=/elsewhere/* >/dev/null
	[ "$(rule_json)" != "$rule_before" ] || fail "b. the aws CLI did not modify the rule"
fi
! $have_c || set_count "$api" 4
reset_stats
once

[ "$(ingress 443)" = 1 ] || fail "a. the revoked ingress rule of $sg was not restored ($(st msg $SG))"
[ "$(calls_of ec2 AuthorizeSecurityGroupIngress)" = 1 ] || fail "a. not one AuthorizeSecurityGroupIngress"
[ "$(calls_of ec2 RevokeSecurityGroupIngress)" = 0 ] || fail "a. the correction revoked something"
[ "$(st sync $SG)" = synced ] || fail "a. $SG is $(st sync $SG) after the correction: $(st msg $SG)"
pass "a. the revoked ingress rule (tcp 443 from 0.0.0.0/0) of $sg is authorized again"
if $have_b; then
	[ "$(rule_json)" = "$rule_before" ] || fail "b. conditions not restored: $(rule_json), wanted $rule_before"
	[ "$(calls_of elbv2 ModifyRule)" = 1 ] || fail "b. not one ModifyRule"
	pass "b. the listener rule's conditions (path pattern /api, /api/*, host header) are restored"
fi
if $have_c; then
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
	accepted=$(q 'd["resources"].get("accepted", 0)')
	line=$("$status_bin" --socket "$sock" twin.production | head -n 1 || true)
	kill "$daemon_pid"
	wait "$daemon_pid" || fail "c. cohd did not exit 0 on SIGTERM"
	daemon_pid=
	echo "$f" | grep -q '"state": "accepted"' || fail "c. cohd-status --json does not show desiredCount as accepted: $f"
	[ "$accepted" -ge 1 ] || fail "c. cohd-status counts no resource with accepted drift (resources.accepted: $accepted): '$line'"
	case $line in *"accepted drift"*) ;; *) fail "c. cohd-status does not say 'accepted drift': '$line'" ;; esac
	pass "c. cohd-status shows it: '$line'"
fi

# ---- round 2 ---------------------------------------------------------------------------------
# a: tcp 22 from anywhere added; b: the rule forwards to the other service's target group;
# c: desired counts outside the bands (api 9 > 5, admin 0 < 1)
aws ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 22 \
	--cidr 0.0.0.0/0 >/dev/null
[ "$(ingress 22)" = 1 ] || fail "a. the aws CLI did not add the rule"
if $have_b; then
	aws elbv2 modify-rule --rule-arn "$rule" \
		--actions Type=forward,TargetGroupArn="$other_tg" >/dev/null
	[ "$(rule_json)" != "$rule_before" ] || fail "b. the aws CLI did not modify the rule's action"
fi
if $have_c; then
	set_count "$api" 9
	set_count "$admin" 0
fi
reset_stats
once

[ "$(ingress 22)" = 0 ] || fail "a. the added ingress rule (tcp 22) of $sg was not revoked ($(st msg $SG))"
[ "$(ingress 443)" = 1 ] || fail "a. revoking the added rule took tcp 443 with it"
[ "$(calls_of ec2 AuthorizeSecurityGroupIngress)" = 0 ] || fail "a. the correction authorized something"
pass "a. an added ingress rule (tcp 22 from 0.0.0.0/0) of $sg is revoked"
if $have_b; then
	[ "$(rule_json)" = "$rule_before" ] || fail "b. action not restored: $(rule_json), wanted $rule_before"
	pass "b. the listener rule's action (forward to the api target group) is restored"
fi
if $have_c; then
	[ "$(desired "$api")" = 5 ] || fail "c. a desired count of 9 (above [2, 5]) became $(desired "$api"), not 5"
	[ "$(desired "$admin")" = 1 ] || fail "c. a desired count of 0 (below [1, 3]) became $(desired "$admin"), not 1"
	pass "c. desired counts outside the band are corrected to its nearest bound (api 9 -> 5, admin 0 -> 1)"

	# ---- round 3: the band itself widened by hand (1..10), the count moved into it (9): the
	# band cohd puts back (2..5) is the one the count is judged by, in the same pass
	aws application-autoscaling register-scalable-target --service-namespace ecs \
		--scalable-dimension ecs:service:DesiredCount --resource-id "$target" \
		--min-capacity 1 --max-capacity 10 >/dev/null
	[ "$(band)" = "1 10" ] || fail "c. the aws CLI did not widen the band of $target"
	set_count "$api" 9
	reset_stats
	once
	[ "$(band)" = "2 5" ] || fail "c. the scalable target of $target is [$(band)], not [2 5]"
	[ "$(desired "$api")" = 5 ] ||
		fail "c. with the band widened by hand to 1..10 and put back to 2..5, a desired count of 9 became $(desired "$api"), not 5 (lib/reconcile/engine.c compute_bands() takes the band from the observed target, not the desired one)"
	pass "c. a band widened by hand (1..10) is put back (2..5) and the count in it (9) judged by the band put back (-> 5), in one pass"
fi

# ---- d: nothing left to do ---------------------------------------------------------------------
reset_stats
once
m=$(counted_mutating)
[ -z "$m" ] || fail "d. a pass after the corrections sent mutating calls: $m"
pass "d. a pass after the corrections sends no mutating call"
if [ "$mode" = full ]; then
	[ "$once_rc" = 0 ] || fail "the whole app no longer converges after the scenarios: $(summary)"
	pass "the whole app is converged after the scenarios ($(summary))"
fi
echo "MODE: $mode ($runs cohd --once runs)"
