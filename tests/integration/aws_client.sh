#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Integration test of lib/aws/client through `cohd aws`, against the test AWS (moto behind the
# checking proxy). Run by meson as:
#     tests/aws-up -- sh tests/integration/aws_client.sh PATH/TO/cohd
# aws-up sets AWS_ENDPOINT_URL, test credentials, AWS_REGION=us-east-1 and COHD_AWSPROXY_URL.
# Covers one operation per wire protocol, an error of each protocol (code and request id
# printed), a 3-page pagination, a throttled-then-successful call (proxy fault injection),
# usage errors, redacted debug traces, temporary credentials from a fake IMDSv2 and a fake ECS
# endpoint, and STS AssumeRole (profile chain) / AssumeRoleWithWebIdentity through the client.
set -u

COHD=${1:?usage: aws_client.sh PATH/TO/cohd}
here=$(cd "$(dirname "$0")" && pwd)
PY=$("$here/../awsproxy/find-python") || exit 1
: "${AWS_ENDPOINT_URL:?run me through tests/aws-up}"
: "${COHD_AWSPROXY_URL:?run me through tests/aws-up}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cohd-aws-client.XXXXXX") || exit 1
meta_pid=
cleanup() {
	[ -n "$meta_pid" ] && kill "$meta_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# no ~/.aws files, no profile: only what aws-up put in the environment
export HOME="$tmp/home"
mkdir -p "$HOME"
unset AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_SESSION_TOKEN 2>/dev/null

failures=0
checks=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run NAME EXPECTED_STATUS CMD... : stdout in $tmp/out, stderr in $tmp/err
run() {
	name=$1 want=$2
	shift 2
	checks=$((checks + 1))
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name: exit $got, want $want"
		sed 's/^/    stderr: /' "$tmp/err" >&2
		return 1
	fi
	echo "ok: $name"
	return 0
}

expect_out() { # NAME PATTERN (grep -E on stdout)
	grep -Eq -- "$2" "$tmp/out" || { fail "$1: stdout lacks /$2/"; sed 's/^/    /' "$tmp/out" | head -20 >&2; }
}

expect_err() { # NAME CODE: the error line format with that code and a request id
	grep -Eq "^cohd aws: $2: .+ \(HTTP [0-9]{3}, request id [^ )-][^ )]*\)$" "$tmp/err" ||
		{ fail "$1: stderr is not 'cohd aws: $2: ... (HTTP n, request id ID)'"; cat "$tmp/err" >&2; }
}

json_get() { # PYTHON-EXPR over the JSON in $tmp/out as `d`
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/out" "$1"
}

proxy() { # METHOD PATH [JSON]
	"$PY" - "$COHD_AWSPROXY_URL" "$@" <<'PYEOF'
import sys, urllib.request
url, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(url + path, data=data, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PYEOF
}

aws() { "$COHD" aws "$@"; }

# ---- one operation per protocol ----

run "ec2 CreateVpc (ec2)" 0 aws ec2 CreateVpc --param CidrBlock=10.42.0.0/16 &&
	vpc=$(json_get 'd["Vpc"]["VpcId"]')
run "ec2 DescribeVpcs (ec2)" 0 aws ec2 DescribeVpcs --param "VpcIds=[\"${vpc:-none}\"]" &&
	expect_out "DescribeVpcs" "\"VpcId\": \"${vpc:-none}\""
run "ec2 DescribeVpcs --param Filters" 0 aws ec2 DescribeVpcs \
	--param 'Filters=[{"Name": "cidr", "Values": ["10.42.0.0/16"]}]' &&
	expect_out "DescribeVpcs Filters" "\"CidrBlock\": \"10.42.0.0/16\""
run "iam CreateRole (query)" 0 aws iam CreateRole --param RoleName=cohd-it \
	--param 'AssumeRolePolicyDocument={"Version":"2012-10-17","Statement":[]}'
run "iam CreateRole --input (query)" 0 aws iam CreateRole --input \
	'{"RoleName": "cohd-it-2", "AssumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}'
run "iam ListRoles (query)" 0 aws iam ListRoles && expect_out "ListRoles" '"RoleName": "cohd-it-2"'
run "elbv2 DescribeLoadBalancers (query)" 0 aws elbv2 DescribeLoadBalancers &&
	expect_out "elbv2" '"LoadBalancers": \[\]'
run "logs CreateLogGroup (json)" 0 aws logs CreateLogGroup --param logGroupName=/cohd/it
run "ecs CreateCluster (json)" 0 aws ecs CreateCluster --param clusterName=cohd-it &&
	expect_out "ecs CreateCluster" '"clusterName": "cohd-it"'
run "lambda ListFunctions (rest-json)" 0 aws lambda ListFunctions &&
	expect_out "lambda" '"Functions": \['
run "s3 CreateBucket (rest-xml)" 0 aws s3 CreateBucket --param Bucket=cohd-it-bucket
run "s3 ListBuckets (rest-xml)" 0 aws s3 ListBuckets && expect_out "ListBuckets" '"Name": "cohd-it-bucket"'
run "route53 CreateHostedZone (rest-xml)" 0 aws route53 CreateHostedZone \
	--param Name=cohd-it.example.com --param CallerReference=cohd-it-1 &&
	expect_out "CreateHostedZone" '"Name": "cohd-it.example.com."'
run "sts GetCallerIdentity (query)" 0 aws sts GetCallerIdentity &&
	expect_out "GetCallerIdentity" '"Account": "[0-9]{12}"'

# ---- debug traces never show credentials ----

run "--log-level debug" 0 "$COHD" --log-level debug aws sts GetCallerIdentity &&
	{ grep -q 'Authorization: <redacted>' "$tmp/err" || fail "debug trace: no redacted Authorization line"
	  ! grep -q 'Signature=' "$tmp/err" || fail "debug trace: the signature leaked"
	  ! grep -qi 'secret' "$tmp/err" || fail "debug trace: a secret leaked"; }

# ---- errors of each protocol: code, message, HTTP status and request id ----

run "ec2 error" 1 aws ec2 DescribeVpcs --param 'VpcIds=["vpc-00000000"]' &&
	expect_err "ec2 error" 'InvalidVpcID\.NotFound'
run "query error" 1 aws iam GetRole --param RoleName=cohd-nope && expect_err "query error" NoSuchEntity
run "json error" 1 aws logs DescribeLogStreams --param logGroupName=/cohd/nope &&
	expect_err "json error" ResourceNotFoundException
run "rest-json error" 1 aws lambda GetFunction --param FunctionName=cohd-nope &&
	expect_err "rest-json error" ResourceNotFoundException
run "rest-xml error (s3)" 1 aws s3 ListObjectsV2 --param Bucket=cohd-nope && expect_err "s3 error" NoSuchBucket
run "rest-xml error (route53)" 1 aws route53 GetHostedZone --param Id=ZNOPE &&
	expect_err "route53 error" NoSuchHostedZone

# ---- usage errors ----

run "no operation" 64 aws ec2
run "unknown service" 64 aws nosuchservice DescribeThings
run "unknown operation" 64 aws ec2 DescribeNothing
run "bad --param" 64 aws ec2 DescribeVpcs --param novalue
run "unknown member" 64 aws ec2 DescribeVpcs --param NoSuchMember=1
run "--help" 0 aws --help && expect_out "--help" 'cohd aws SERVICE OPERATION'
run "SERVICE --help" 0 aws ec2 --help && expect_out "ec2 --help" '^  DescribeVpcs$'

# ---- pagination: 6 log groups, 2 per page -> 3 pages ----

for i in 1 2 3 4 5 6; do
	"$COHD" aws logs CreateLogGroup --param logGroupName=/cohd/page/$i >/dev/null 2>&1 ||
		fail "CreateLogGroup /cohd/page/$i"
done
proxy DELETE /_proxy/stats >/dev/null 2>&1 || proxy POST /_proxy/stats/reset '{}' >/dev/null 2>&1
run "one page (default)" 0 aws logs DescribeLogGroups --param logGroupNamePrefix=/cohd/page/ --param limit=2 &&
	{ [ "$(json_get 'len(d["logGroups"])')" = 2 ] || fail "one page: want 2 log groups"
	  expect_out "one page" '"nextToken"'; }
run "--paginate" 0 aws logs DescribeLogGroups --param logGroupNamePrefix=/cohd/page/ --param limit=2 --paginate &&
	{ [ "$(json_get 'len(d["logGroups"])')" = 6 ] || fail "--paginate: want 6 log groups, got $(json_get 'len(d["logGroups"])')"
	  [ "$(json_get '"nextToken" in d')" = False ] || fail "--paginate: nextToken left in the result"
	  [ "$(json_get 'd["logGroups"][5]["logGroupName"]')" = /cohd/page/6 ] || fail "--paginate: order"; }
proxy GET /_proxy/stats >"$tmp/out" &&
	{ n=$(json_get 'd["calls"]["logs"]["DescribeLogGroups"]["ok"]')
	  [ "$n" = 4 ] || fail "pagination: proxy saw $n DescribeLogGroups calls, want 4 (1 + 3 pages)"; }

# ---- throttled, then successful ----

proxy POST /_proxy/faults '{"throttle": {"count": 2, "operations": ["ec2:DescribeVpcs"]}}' >/dev/null ||
	fail "cannot set proxy faults"
before=$(proxy GET /_proxy/stats | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d.get("calls", {}).get("ec2", {}).get("DescribeVpcs", {}).get("throttled", 0))')
run "throttled then ok" 0 aws ec2 DescribeVpcs && expect_out "throttled then ok" '"Vpcs"'
proxy GET /_proxy/stats >"$tmp/out" &&
	{ n=$(json_get 'd["calls"]["ec2"]["DescribeVpcs"]["throttled"]')
	  [ "$n" = $((before + 2)) ] || fail "throttle: proxy throttled $n-$before calls, want 2"; }
proxy POST /_proxy/faults '{}' >/dev/null

# ---- temporary credentials from a fake IMDSv2 and a fake ECS endpoint ----

# real temporary credentials from STS (the proxy learns them from moto's answer)
run "sts AssumeRole" 0 aws sts AssumeRole --param RoleArn=arn:aws:iam::123456789012:role/cohd-it \
	--param RoleSessionName=cohd-it && cp "$tmp/out" "$tmp/creds.json"
"$PY" "$here/fake_metadata.py" "$tmp/port" "$tmp/creds.json" "$tmp/meta.log" &
meta_pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$tmp/port" 2>/dev/null)
akid=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Credentials"]["AccessKeyId"])' "$tmp/creds.json")

run "IMDSv2 credentials" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port/" "$COHD" aws sts GetCallerIdentity &&
	expect_out "IMDSv2 credentials" '"Arn": "arn:aws:sts::123456789012:assumed-role/cohd-it/cohd-it"'
grep -q '^PUT /latest/api/token 200$' "$tmp/meta.log" || fail "IMDSv2: no token PUT"
grep -q '^GET /latest/meta-data/iam/security-credentials/cohd-test-role 200$' "$tmp/meta.log" ||
	fail "IMDSv2: credentials not fetched"
run "IMDSv2 credentials (ec2 call)" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port" "$COHD" aws ec2 DescribeVpcs

: >"$tmp/meta.log"
run "ECS container credentials" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/ecs-creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-auth-token "$COHD" aws sts GetCallerIdentity &&
	expect_out "ECS credentials" '"Arn": "arn:aws:sts::123456789012:assumed-role/cohd-it/cohd-it"'
grep -q '^GET /ecs-creds 200$' "$tmp/meta.log" || fail "ECS: credentials not fetched"
run "ECS wrong token" 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/ecs-creds" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong "$COHD" aws sts GetCallerIdentity
[ -n "$akid" ] || fail "no AccessKeyId from AssumeRole"

# ---- STS through the client itself: a role_arn/source_profile chain, and web identity ----

mkdir -p "$HOME/.aws"
printf '[base]\naws_access_key_id = test\naws_secret_access_key = test\n' >"$HOME/.aws/credentials"
printf '[profile chain]\nrole_arn = arn:aws:iam::123456789012:role/cohd-chain\nsource_profile = base\n' \
	>"$HOME/.aws/config"
run "AssumeRole from a profile" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=chain \
	"$COHD" aws sts GetCallerIdentity &&
	expect_out "AssumeRole profile" '"Arn": "arn:aws:sts::123456789012:assumed-role/cohd-chain/'
echo "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjb2hkIn0.c2ln" >"$tmp/web-identity-token"
run "AssumeRoleWithWebIdentity" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_ROLE_ARN=arn:aws:iam::123456789012:role/cohd-wi AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/web-identity-token" \
	"$COHD" aws sts GetCallerIdentity &&
	expect_out "web identity" '"Arn": "arn:aws:sts::123456789012:assumed-role/cohd-wi/'
rm -rf "$HOME/.aws"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
