"""Self-tests of the test AWS: run by tests/awsproxy/selftest.

Starts tests/aws-up (with --pending-seconds), then checks through the proxy:
the aws CLI creates, describes and deletes a resource of every service cohd
uses (the awscli driver runs in this process: a fresh `aws` process costs
most of a second to start, sixty times over); bad signatures, unsigned requests and requests breaking the model are
refused with the right codes; injected faults show in the counters;
CloudFront If-Match is enforced; pending states are held; HTTPS works with
the test CA only; aws-up's command mode passes the environment and status.
"""

import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import zipfile
from unittest import mock

import botocore.exceptions
import botocore.session
from awscli.clidriver import create_clidriver
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.realpath(__file__))
AWS_UP = os.path.join(os.path.dirname(HERE), "aws-up")
PENDING = 60  # long enough for any slow machine; checks shorten it at run time
ACCOUNT = "123456789012"
CHECKS = []


def check(fn):
    """Register a check (they run in order)."""
    CHECKS.append(fn)
    return fn


@contextlib.contextmanager
def environment(env):
    """Run with exactly ``env`` as os.environ (the aws CLI reads it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Failed(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failed(message)


class Env:
    """The running test AWS and helpers to talk to it."""

    def __init__(self, url):
        self.url = url
        self.env = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="test",
                        AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
                        AWS_REGION="us-east-1", AWS_PAGER="")
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"):
            self.env.pop(k, None)
        self._session = botocore.session.get_session()
        self._clients = {}
        self._lock = threading.Lock()
        self._driver = None

    def client(self, service):
        """An in-process botocore client for set-up steps (the CLI is slow to start)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.create_client(
                    service, endpoint_url=self.url, region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test")
            return self._clients[service]

    def aws(self, *args, env=None, fail=False):
        """Run the aws CLI; return its JSON output (or stderr when fail=True).

        Ordinary calls share one CLI driver; calls with another ``env`` or
        expected to fail get a fresh one (a driver keeps the credentials and
        global options, such as --no-sign-request, it first saw).
        """
        # --endpoint-url as well: aws CLI v1 ignores AWS_ENDPOINT_URL for some
        # commands (rds create-db-instance).
        argv = ["--output", "json", "--endpoint-url", self.url, *args]
        out, err = io.StringIO(), io.StringIO()
        with environment(env or self.env), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            if env is not None or fail:
                driver = create_clidriver()
            else:
                self._driver = self._driver or create_clidriver()
                driver = self._driver
            status = driver.main(argv)
        if fail:
            expect(status != 0, f"aws {' '.join(args)} succeeded, expected failure")
            return err.getvalue()
        if status != 0:
            raise Failed(f"aws {' '.join(args)}: {err.getvalue().strip()}")
        return json.loads(out.getvalue()) if out.getvalue().strip() else {}

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def calls(self, service, operation):
        return self.control("/_proxy/stats")["calls"].get(service, {}).get(operation, {})

    def raw(self, method, path, service, body=b"", headers=None, secret="test",
            sign=True, skew=0, region="us-east-1"):
        """Send one hand-made request (signed ``skew`` seconds off the clock);
        return (status, headers, body)."""
        headers = dict(headers or {})
        request = AWSRequest(method=method, url=self.url + path, data=body, headers=headers)
        if sign:
            signer = SigV4Auth(Credentials("test", secret), service, region)
            when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=skew)
            with mock.patch("botocore.auth.get_current_datetime",
                            return_value=when.replace(tzinfo=None)):
                signer.add_auth(request)
        prepared = request.prepare()
        req = urllib.request.Request(prepared.url, data=prepared.body or None, method=method,
                                     headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def query(self, service, params, **kw):
        body = "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in params.items())
        return self.raw("POST", "/", service, body.encode(), {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, **kw)

    def json(self, service, target, doc, **kw):
        return self.raw("POST", "/", service, json.dumps(doc).encode(), {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}, **kw)


def error_code(status, headers, body):
    """The AWS error code of an answer (any protocol)."""
    text = body.decode("utf-8", "replace")
    if "X-Amzn-ErrorType" in headers:
        return headers["X-Amzn-ErrorType"]
    if text.startswith("{"):
        return json.loads(text).get("__type")
    import re
    m = re.search(r"<Code>([^<]+)</Code>", text)
    return m.group(1) if m else None


def expect_error(answer, status, code):
    got_status, headers, body = answer
    got = error_code(got_status, headers, body)
    expect((got_status, got) == (status, code),
           f"expected {status} {code}, got {got_status} {got}: {body[:300]!r}")


def expect_client_error(call, code):
    """``call`` (a botocore client call) must fail with ``code``."""
    try:
        call()
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        expect(got == code, f"expected {code}, got {got}")
        return
    raise Failed(f"expected {code}, the call succeeded")


# ------------------------------------------------------------------ startup

def start_aws_up():
    """Start tests/aws-up in serve mode; return (process, url, seconds)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([AWS_UP, "--pending-seconds", str(PENDING)], stdout=subprocess.PIPE,
                            text=True)
    url = proc.stdout.readline().strip()
    return proc, url, time.monotonic() - t0


# ------------------------------------------------------------------ services

@check
def crud_ec2(t):
    vpc = t.aws("ec2", "create-vpc", "--cidr-block", "10.9.0.0/16")["Vpc"]["VpcId"]
    got = t.aws("ec2", "describe-vpcs", "--vpc-ids", vpc)["Vpcs"]
    expect(got and got[0]["VpcId"] == vpc, "vpc not described")
    t.aws("ec2", "delete-vpc", "--vpc-id", vpc)


@check
def crud_elbv2(t):
    ec2 = t.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    arn = t.aws("elbv2", "create-target-group", "--name", "st-tg", "--protocol", "HTTP",
                "--port", "80", "--vpc-id", vpc, "--target-type", "ip",
                "--tags", "Key=app,Value=st")["TargetGroups"][0]["TargetGroupArn"]
    got = t.aws("elbv2", "describe-target-groups", "--target-group-arns", arn)
    expect(got["TargetGroups"][0]["TargetGroupName"] == "st-tg", "target group not described")
    t.aws("elbv2", "delete-target-group", "--target-group-arn", arn)
    ec2.delete_vpc(VpcId=vpc)


@check
def crud_ecs(t):
    t.aws("ecs", "create-cluster", "--cluster-name", "st-cluster")
    got = t.aws("ecs", "describe-clusters", "--clusters", "st-cluster")["clusters"]
    expect(got and got[0]["clusterName"] == "st-cluster", "cluster not described")
    t.aws("ecs", "delete-cluster", "--cluster", "st-cluster")


@check
def crud_application_autoscaling(t):
    ecs = t.client("ecs")
    ecs.create_cluster(clusterName="st-aas")
    ecs.register_task_definition(family="st-task", containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster="st-aas", serviceName="st-svc", taskDefinition="st-task",
                       desiredCount=1)
    args = ["--service-namespace", "ecs", "--resource-id", "service/st-aas/st-svc",
            "--scalable-dimension", "ecs:service:DesiredCount"]
    t.aws("application-autoscaling", "register-scalable-target", *args,
          "--min-capacity", "1", "--max-capacity", "3")
    got = t.aws("application-autoscaling", "describe-scalable-targets",
                "--service-namespace", "ecs")["ScalableTargets"]
    expect(any(x["ResourceId"] == "service/st-aas/st-svc" for x in got), "target missing")
    t.aws("application-autoscaling", "deregister-scalable-target", *args)
    ecs.delete_service(cluster="st-aas", service="st-svc", force=True)


@check
def crud_cloudwatch(t):
    t.aws("cloudwatch", "put-metric-alarm", "--alarm-name", "st-alarm", "--metric-name", "CPU",
          "--namespace", "AWS/ECS", "--statistic", "Average", "--period", "60",
          "--threshold", "80", "--comparison-operator", "GreaterThanThreshold",
          "--evaluation-periods", "1")
    got = t.aws("cloudwatch", "describe-alarms", "--alarm-names", "st-alarm")["MetricAlarms"]
    expect(got and got[0]["AlarmName"] == "st-alarm", "alarm not described")
    t.aws("cloudwatch", "delete-alarms", "--alarm-names", "st-alarm")


@check
def crud_logs(t):
    t.aws("logs", "create-log-group", "--log-group-name", "/st/group", "--tags", "app=st")
    got = t.aws("logs", "describe-log-groups", "--log-group-name-prefix", "/st/group")["logGroups"]
    expect(got and got[0]["logGroupName"] == "/st/group", "log group not described")
    t.aws("logs", "delete-log-group", "--log-group-name", "/st/group")


@check
def crud_events(t):
    t.aws("events", "put-rule", "--name", "st-rule", "--schedule-expression", "rate(5 minutes)")
    got = t.aws("events", "describe-rule", "--name", "st-rule")
    expect(got["ScheduleExpression"] == "rate(5 minutes)", "rule not described")
    t.aws("events", "delete-rule", "--name", "st-rule")


@check
def crud_secretsmanager(t):
    t.aws("secretsmanager", "create-secret", "--name", "st/secret", "--secret-string", "s3cr3t")
    got = t.aws("secretsmanager", "describe-secret", "--secret-id", "st/secret")
    expect(got["Name"] == "st/secret", "secret not described")
    t.aws("secretsmanager", "delete-secret", "--secret-id", "st/secret",
          "--force-delete-without-recovery")


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com",
                                                 "codebuild.amazonaws.com",
                                                 "codepipeline.amazonaws.com"]},
    "Action": "sts:AssumeRole"}]})


@check
def crud_iam(t):
    t.aws("iam", "create-role", "--role-name", "st-role", "--assume-role-policy-document", TRUST,
          "--tags", "Key=app,Value=st")
    got = t.aws("iam", "get-role", "--role-name", "st-role")["Role"]
    expect(got["RoleName"] == "st-role", "role not described")
    t.aws("iam", "delete-role", "--role-name", "st-role")


@check
def sts_session_credentials(t):
    """STS: moto's session credentials are accepted (signed with the token)."""
    creds = t.aws("sts", "assume-role", "--role-arn", f"arn:aws:iam::{ACCOUNT}:role/any",
                  "--role-session-name", "st")["Credentials"]
    env = dict(t.env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
               AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"])
    t.aws("ec2", "describe-vpcs", env=env)
    del env["AWS_SESSION_TOKEN"]
    err = t.aws("ec2", "describe-vpcs", env=env, fail=True)
    expect("AuthFailure" in err, f"session key without token not refused: {err}")


@check
def crud_s3(t):
    t.aws("s3api", "create-bucket", "--bucket", "st-bucket")
    t.aws("s3api", "head-bucket", "--bucket", "st-bucket")
    s3 = t.client("s3")
    s3.put_bucket_tagging(Bucket="st-bucket", Tagging={"TagSet": [{"Key": "app", "Value": "st"}]})
    got = s3.get_bucket_tagging(Bucket="st-bucket")["TagSet"]
    expect(got == [{"Key": "app", "Value": "st"}], f"tags {got}")
    s3.put_object(Bucket="st-bucket", Key="a/b c~+.txt", Body=b"hello")
    got = s3.list_objects_v2(Bucket="st-bucket")["Contents"]
    expect([o["Key"] for o in got] == ["a/b c~+.txt"], f"objects {got}")
    expect(s3.get_object(Bucket="st-bucket", Key="a/b c~+.txt")["Body"].read() == b"hello",
           "object body")
    s3.delete_object(Bucket="st-bucket", Key="a/b c~+.txt")
    t.aws("s3api", "delete-bucket", "--bucket", "st-bucket")


@check
def crud_kms(t):
    key = t.aws("kms", "create-key", "--description", "st")["KeyMetadata"]["KeyId"]
    got = t.aws("kms", "describe-key", "--key-id", key)["KeyMetadata"]
    expect(got["Description"] == "st", "key not described")
    t.aws("kms", "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7")


@check
def crud_rds_pending(t):
    """RDS, its instance held in 'creating', then available once the pending
    time (changed at run time) is over."""
    t.aws("rds", "create-db-instance", "--db-instance-identifier", "st-db", "--engine", "postgres",
          "--db-instance-class", "db.t3.micro", "--master-username", "admin",
          "--master-user-password", "password123", "--allocated-storage", "20",
          "--tags", "Key=app,Value=st")
    got = t.aws("rds", "describe-db-instances", "--db-instance-identifier", "st-db")
    status = got["DBInstances"][0]["DBInstanceStatus"]
    expect(status == "creating", f"fresh instance is {status}, expected creating")
    t.control("/_proxy/pending", {"seconds": 0.1})
    try:
        time.sleep(0.2)
        got = t.client("rds").describe_db_instances(DBInstanceIdentifier="st-db")
    finally:
        t.control("/_proxy/pending", {"seconds": PENDING})
    status = got["DBInstances"][0]["DBInstanceStatus"]
    expect(status == "available", f"instance is {status} after the pending time")
    t.aws("rds", "delete-db-instance", "--db-instance-identifier", "st-db",
          "--skip-final-snapshot")


@check
def crud_elasticache(t):
    t.aws("elasticache", "create-cache-cluster", "--cache-cluster-id", "st-cache",
          "--engine", "redis", "--cache-node-type", "cache.t3.micro", "--num-cache-nodes", "1")
    got = t.aws("elasticache", "describe-cache-clusters", "--cache-cluster-id", "st-cache")
    status = got["CacheClusters"][0]["CacheClusterStatus"]
    expect(status == "creating", f"fresh cache cluster is {status}, expected creating")
    t.aws("elasticache", "delete-cache-cluster", "--cache-cluster-id", "st-cache")


@check
def crud_route53(t):
    zone = t.aws("route53", "create-hosted-zone", "--name", "st.example.com",
                 "--caller-reference", f"st-{time.time()}")["HostedZone"]["Id"]
    zid = zone.rpartition("/")[2]
    batch = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "www.st.example.com", "Type": "A", "TTL": 60,
        "ResourceRecords": [{"Value": "192.0.2.1"}]}}]}
    route53 = t.client("route53")
    route53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch=batch)
    got = t.aws("route53", "get-hosted-zone", "--id", zid)["HostedZone"]
    expect(got["Name"] == "st.example.com.", f"zone {got}")
    batch["Changes"][0]["Action"] = "DELETE"
    route53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch=batch)
    t.aws("route53", "delete-hosted-zone", "--id", zid)


@check
def crud_acm_pending(t):
    arn = t.aws("acm", "request-certificate", "--domain-name", "st.example.com",
                "--validation-method", "DNS")["CertificateArn"]
    got = t.aws("acm", "describe-certificate", "--certificate-arn", arn)["Certificate"]
    expect(got["Status"] == "PENDING_VALIDATION", f"fresh certificate is {got['Status']}")
    t.aws("acm", "delete-certificate", "--certificate-arn", arn)


@check
def crud_cloudfront_etag(t):
    """CloudFront: pending InProgress, ETag changes on update, stale If-Match fails."""
    made = t.aws("cloudfront", "create-distribution", "--origin-domain-name",
                 "st-bucket.s3.amazonaws.com")
    dist = made["Distribution"]["Id"]
    got = t.aws("cloudfront", "get-distribution", "--id", dist)
    expect(got["Distribution"]["Status"] == "InProgress", "fresh distribution not InProgress")
    cloudfront = t.client("cloudfront")
    conf = cloudfront.get_distribution_config(Id=dist)
    etag1 = conf["ETag"]
    config = conf["DistributionConfig"]
    config["Comment"] = "updated"
    etag2 = cloudfront.update_distribution(Id=dist, IfMatch=etag1,
                                           DistributionConfig=config)["ETag"]
    expect(etag2 != etag1, "ETag did not change on update")
    err = t.aws("cloudfront", "update-distribution", "--id", dist, "--if-match", etag1,
                "--distribution-config", json.dumps(config, default=str), fail=True)
    expect("PreconditionFailed" in err, f"stale ETag not refused: {err}")
    expect_client_error(lambda: cloudfront.update_distribution(Id=dist, DistributionConfig=config),
                        "InvalidIfMatchVersion")
    expect(t.calls("cloudfront", "UpdateDistribution")["codes"].get("PreconditionFailed") == 1,
           "stale ETag not counted")
    expect_client_error(lambda: cloudfront.delete_distribution(Id=dist, IfMatch=etag2),
                        "DistributionNotDisabled")
    config["Enabled"] = False
    etag3 = cloudfront.update_distribution(Id=dist, IfMatch=etag2,
                                           DistributionConfig=config)["ETag"]
    t.aws("cloudfront", "delete-distribution", "--id", dist, "--if-match", etag3)


@check
def crud_cloudfront_policies(t):
    """CloudFront cache/origin request policies (emulated): CRUD, ETags, in use, codes;
    a distribution keeps its Lambda@Edge association (moto drops it)."""
    cloudfront = t.client("cloudfront")
    config = {"Name": "st-cache", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 60,
              "ParametersInCacheKeyAndForwardedToOrigin": {
                  "EnableAcceptEncodingGzip": True,
                  "HeadersConfig": {"HeaderBehavior": "none"},
                  "CookiesConfig": {"CookieBehavior": "all"},
                  "QueryStringsConfig": {"QueryStringBehavior": "all"}}}
    made = cloudfront.create_cache_policy(CachePolicyConfig=config)
    expect(made["ResponseMetadata"]["HTTPStatusCode"] == 201, "create is not 201")
    pid, etag1 = made["CachePolicy"]["Id"], made["ETag"]
    expect_client_error(lambda: cloudfront.create_cache_policy(CachePolicyConfig=config),
                        "CachePolicyAlreadyExists")
    listed = t.aws("cloudfront", "list-cache-policies", "--type", "custom")
    expect([i["CachePolicy"]["Id"] for i in listed["CachePolicyList"]["Items"]] == [pid],
           f"policy not listed: {listed}")
    expect(cloudfront.get_cache_policy(Id=pid)["ETag"] == etag1, "Get changed the ETag")
    config["DefaultTTL"] = 30
    etag2 = cloudfront.update_cache_policy(Id=pid, IfMatch=etag1,
                                           CachePolicyConfig=config)["ETag"]
    expect(etag2 != etag1, "ETag did not change on update")
    expect_client_error(lambda: cloudfront.update_cache_policy(
        Id=pid, IfMatch=etag1, CachePolicyConfig=config), "PreconditionFailed")
    got = cloudfront.get_cache_policy(Id=pid)["CachePolicy"]["CachePolicyConfig"]
    expect(got["DefaultTTL"] == 30, f"update not kept: {got}")
    expect_client_error(lambda: cloudfront.get_cache_policy(Id="nope"), "NoSuchCachePolicy")
    orp = cloudfront.create_origin_request_policy(OriginRequestPolicyConfig={
        "Name": "st-origin", "HeadersConfig": {"HeaderBehavior": "none"},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"}})
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:st-edge:1"
    dist = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "st-policies", "Comment": "st", "Enabled": False,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
                                              "CustomOriginConfig": {
                                                  "HTTPPort": 80, "HTTPSPort": 443,
                                                  "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": pid,
            "OriginRequestPolicyId": orp["OriginRequestPolicy"]["Id"],
            "LambdaFunctionAssociations": {"Quantity": 1, "Items": [
                {"EventType": "origin-response", "LambdaFunctionARN": arn}]}}})
    dist_id = dist["Distribution"]["Id"]
    conf = cloudfront.get_distribution_config(Id=dist_id)
    assoc = conf["DistributionConfig"]["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    expect(assoc.get("Items", [{}])[0].get("LambdaFunctionARN") == arn,
           f"association lost: {assoc}")
    summary = cloudfront.list_distributions()["DistributionList"]["Items"][0]
    expect(summary.get("Comment") == "st" and "DefaultCacheBehavior" in summary,
           f"summary lacks AWS's members: {sorted(summary)}")
    expect_client_error(lambda: cloudfront.delete_cache_policy(Id=pid, IfMatch=etag2),
                        "CachePolicyInUse")
    cloudfront.delete_distribution(Id=dist_id, IfMatch=conf["ETag"])
    cloudfront.delete_cache_policy(Id=pid, IfMatch=etag2)
    expect_client_error(lambda: cloudfront.get_cache_policy(Id=pid), "NoSuchCachePolicy")
    cloudfront.delete_origin_request_policy(Id=orp["OriginRequestPolicy"]["Id"],
                                            IfMatch=orp["ETag"])


@check
def crud_cloudfront_response_headers_policy(t):
    """CloudFront response headers policies (emulated): CRUD, ETags, If-Match, in use by a
    cache behaviour's ResponseHeadersPolicyId, AWS's error codes."""
    cloudfront = t.client("cloudfront")
    config = {"Name": "st-headers", "Comment": "st",
              "CustomHeadersConfig": {"Quantity": 1, "Items": [
                  {"Header": "X-St", "Value": "1", "Override": True}]},
              "CorsConfig": {
                  "AccessControlAllowOrigins": {"Quantity": 1, "Items": ["www.example.com"]},
                  "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["*"]},
                  "AccessControlAllowMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
                  "AccessControlAllowCredentials": False, "OriginOverride": True}}
    made = cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=config)
    expect(made["ResponseMetadata"]["HTTPStatusCode"] == 201, "create is not 201")
    pid, etag1 = made["ResponseHeadersPolicy"]["Id"], made["ETag"]
    expect_client_error(lambda: cloudfront.create_response_headers_policy(
        ResponseHeadersPolicyConfig=config), "ResponseHeadersPolicyAlreadyExists")
    listed = t.aws("cloudfront", "list-response-headers-policies", "--type", "custom")
    items = listed["ResponseHeadersPolicyList"].get("Items", [])
    expect([i["ResponseHeadersPolicy"]["Id"] for i in items] == [pid] and
           items[0]["Type"] == "custom", f"policy not listed: {listed}")
    expect(cloudfront.get_response_headers_policy(Id=pid)["ETag"] == etag1,
           "Get changed the ETag")
    config["CustomHeadersConfig"]["Items"][0]["Value"] = "2"
    expect_client_error(lambda: cloudfront.update_response_headers_policy(
        Id=pid, IfMatch="", ResponseHeadersPolicyConfig=config), "InvalidIfMatchVersion")
    etag2 = cloudfront.update_response_headers_policy(
        Id=pid, IfMatch=etag1, ResponseHeadersPolicyConfig=config)["ETag"]
    expect(etag2 != etag1, "ETag did not change on update")
    expect_client_error(lambda: cloudfront.update_response_headers_policy(
        Id=pid, IfMatch=etag1, ResponseHeadersPolicyConfig=config), "PreconditionFailed")
    got = cloudfront.get_response_headers_policy_config(Id=pid)
    expect(got["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]["Items"][0]["Value"] ==
           "2" and got["ETag"] == etag2, f"update not kept: {got}")
    expect_client_error(lambda: cloudfront.get_response_headers_policy(Id="nope"),
                        "NoSuchResponseHeadersPolicy")
    behaviour = {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                 "MinTTL": 0}
    dist = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "st-headers", "Comment": "st", "Enabled": False,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.com",
                                              "CustomOriginConfig": {
                                                  "HTTPPort": 80, "HTTPSPort": 443,
                                                  "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": behaviour,
        "CacheBehaviors": {"Quantity": 1, "Items": [
            {**behaviour, "PathPattern": "/app*", "ResponseHeadersPolicyId": pid}]}})
    dist_id = dist["Distribution"]["Id"]
    expect_client_error(lambda: cloudfront.delete_response_headers_policy(
        Id=pid, IfMatch=etag2), "ResponseHeadersPolicyInUse")
    conf = cloudfront.get_distribution_config(Id=dist_id)
    cloudfront.delete_distribution(Id=dist_id, IfMatch=conf["ETag"])
    expect_client_error(lambda: cloudfront.delete_response_headers_policy(
        Id=pid, IfMatch=etag1), "PreconditionFailed")
    cloudfront.delete_response_headers_policy(Id=pid, IfMatch=etag2)
    expect_client_error(lambda: cloudfront.get_response_headers_policy(Id=pid),
                        "NoSuchResponseHeadersPolicy")


@check
def crud_lambda(t):
    t.client("iam").create_role(RoleName="st-lambda", AssumeRolePolicyDocument=TRUST)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "f.zip")
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("h.py", "def h(event, context):\n    return event\n")
        t.aws("lambda", "create-function", "--function-name", "st-fn", "--runtime", "python3.12",
              "--handler", "h.h", "--role", f"arn:aws:iam::{ACCOUNT}:role/st-lambda",
              "--zip-file", f"fileb://{path}", "--tags", "app=st")
    got = t.aws("lambda", "get-function", "--function-name", "st-fn")
    expect(got["Configuration"]["FunctionName"] == "st-fn", "function not described")
    expect(got["Configuration"]["State"] == "Pending", "fresh function not Pending")
    expect_client_error(lambda: t.client("lambda").update_function_configuration(
        FunctionName="st-fn", Timeout=10), "ResourceConflictException")
    t.aws("lambda", "delete-function", "--function-name", "st-fn")
    t.client("iam").delete_role(RoleName="st-lambda")


@check
def lambda_publish_unchanged(t):
    """PublishVersion publishes only what differs from the newest version (moto would make a
    version after any update, even one that put the same code back)."""
    t.control("/_proxy/pending", {"seconds": 0})
    try:
        t.client("iam").create_role(RoleName="st-pub", AssumeRolePolicyDocument=TRUST)
        fn = t.client("lambda")

        def package(text):
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as z:
                z.writestr("index.js", text)
            return out.getvalue()

        made = fn.create_function(FunctionName="st-pub", Runtime="nodejs20.x",
                                  Role=f"arn:aws:iam::{ACCOUNT}:role/st-pub",
                                  Handler="index.h", Code={"ZipFile": package("a")},
                                  Publish=True)
        expect(made["Version"] == "1", f"create published {made['Version']}")
        fn.update_function_code(FunctionName="st-pub", ZipFile=package("b"))
        fn.update_function_code(FunctionName="st-pub", ZipFile=package("a"))
        same = fn.publish_version(FunctionName="st-pub")
        expect(same["Version"] == "1", f"unchanged code published as {same['Version']}")
        fn.update_function_code(FunctionName="st-pub", ZipFile=package("c"))
        expect(fn.publish_version(FunctionName="st-pub")["Version"] == "2",
               "changed code not published")
        fn.delete_function(FunctionName="st-pub")
        t.client("iam").delete_role(RoleName="st-pub")
    finally:
        t.control("/_proxy/pending", {"seconds": PENDING})


@check
def crud_codebuild(t):
    t.client("iam").create_role(RoleName="st-build", AssumeRolePolicyDocument=TRUST)
    t.aws("codebuild", "create-project", "--name", "st-project",
          "--source", json.dumps({"type": "S3", "location": "st-src/src.zip"}),
          "--artifacts", json.dumps({"type": "NO_ARTIFACTS"}),
          "--environment", json.dumps({"type": "LINUX_CONTAINER", "computeType":
                                       "BUILD_GENERAL1_SMALL",
                                       "image": "aws/codebuild/standard:7.0"}),
          "--service-role", f"arn:aws:iam::{ACCOUNT}:role/st-build")
    got = t.aws("codebuild", "batch-get-projects", "--names", "st-project")["projects"]
    expect(got and got[0]["name"] == "st-project", "project not described")
    t.aws("codebuild", "delete-project", "--name", "st-project")


@check
def crud_codepipeline(t):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    t.client("iam").create_role(RoleName="st-pipe", AssumeRolePolicyDocument=trust)
    action = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
    pipeline = {"name": "st-pipeline", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/st-pipe",
                "artifactStore": {"type": "S3", "location": "st-artifacts"},
                "stages": [
                    {"name": "Source", "actions": [{
                        "name": "Source", "actionTypeId": action,
                        "configuration": {"S3Bucket": "st-src", "S3ObjectKey": "src.zip"},
                        "outputArtifacts": [{"name": "src"}]}]},
                    {"name": "Build", "actions": [{
                        "name": "Build", "actionTypeId": dict(action, category="Build",
                                                              provider="CodeBuild"),
                        "configuration": {"ProjectName": "st-project"},
                        "inputArtifacts": [{"name": "src"}]}]}]}
    t.aws("codepipeline", "create-pipeline", "--pipeline", json.dumps(pipeline))
    got = t.aws("codepipeline", "get-pipeline", "--name", "st-pipeline")["pipeline"]
    expect(got["name"] == "st-pipeline", "pipeline not described")
    t.aws("codepipeline", "delete-pipeline", "--name", "st-pipeline")


@check
def crud_tagging(t):
    """Resource Groups Tagging API: tag, find and untag an ARN (a log group:
    moto's TagResources supports few services)."""
    t.client("logs").create_log_group(logGroupName="/st/tagged")
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/st/tagged"
    t.aws("resourcegroupstaggingapi", "tag-resources", "--resource-arn-list", arn,
          "--tags", "cohd=st")
    # moto answers 500 when an untagged ECS cluster exists unless the
    # resource types are filtered (README, "moto and AWS").
    got = t.aws("resourcegroupstaggingapi", "get-resources", "--tag-filters",
                "Key=cohd,Values=st", "--resource-type-filters",
                "logs")["ResourceTagMappingList"]
    expect([r["ResourceARN"].rstrip(":*") for r in got] == [arn], f"resources {got}")
    t.aws("resourcegroupstaggingapi", "untag-resources", "--resource-arn-list", arn,
          "--tag-keys", "cohd")
    t.client("logs").delete_log_group(logGroupName="/st/tagged")


@check
def nat_gateway_pending(t):
    """NAT gateway: pending after create, available later, deleting after delete."""
    ec2 = t.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = t.aws("ec2", "create-nat-gateway", "--subnet-id", subnet, "--allocation-id", eip)
    nat_id = nat["NatGateway"]["NatGatewayId"]
    expect(nat["NatGateway"]["State"] == "pending", f"create answered {nat['NatGateway']['State']}")

    def state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]
    got = t.aws("ec2", "describe-nat-gateways", "--nat-gateway-ids", nat_id)["NatGateways"]
    expect(got[0]["State"] == "pending", "fresh NAT gateway not pending")
    t.control("/_proxy/pending", {"seconds": 0.1})
    try:
        time.sleep(0.2)
        now = state()
    finally:
        t.control("/_proxy/pending", {"seconds": PENDING})
    expect(now == "available", f"NAT gateway is {now} after the pending time")
    t.aws("ec2", "delete-nat-gateway", "--nat-gateway-id", nat_id)
    now = state()
    expect(now == "deleting", f"deleted NAT gateway is {now}, expected deleting")


@check
def model_sweep(t):
    """No false rejections: every operation botocore can send passes the checks."""
    import sweep
    run = sweep.Sweep(list(sweep.SERVICES))
    rejected = run.run()
    expect(not rejected, f"{len(rejected)} false rejection(s):\n  " + "\n  ".join(rejected[:20]))
    expect(run.checked > 4000, f"only {run.checked} requests checked")


# ------------------------------------------------------------------ rejections

@check
def wrong_signature(t):
    env = dict(t.env, AWS_SECRET_ACCESS_KEY="not-the-secret")
    err = t.aws("ec2", "describe-vpcs", env=env, fail=True)
    expect("SignatureDoesNotMatch" in err, f"ec2: {err}")
    expect_error(t.json("ecs", "AmazonEC2ContainerServiceV20141113.ListClusters", {},
                        secret="wrong"), 400, "InvalidSignatureException")
    expect_error(t.raw("GET", "/st-none", "s3", headers={"X-Amz-Content-SHA256":
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                       secret="wrong"), 403, "SignatureDoesNotMatch")


@check
def independent_signer(t):
    """curl's own SigV4 (not botocore's) passes; a body not matching its
    x-amz-content-sha256 fails.  Skipped without a curl that has --aws-sigv4."""
    probe = subprocess.run(["curl", "--help", "all"], capture_output=True, text=True) \
        if shutil.which("curl") else None
    if probe is None or "--aws-sigv4" not in probe.stdout:
        print("  (skipped: no curl with --aws-sigv4)")
        return
    body = os.urandom(2 * 1024 * 1024)  # large enough for Expect: 100-continue
    empty = hashlib.sha256(b"").hexdigest()

    def curl(method, path, sha256, data=None):
        with tempfile.NamedTemporaryFile() as f:
            f.write(data or b"")
            f.flush()
            args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method,
                    "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "test:test",
                    "-H", f"x-amz-content-sha256: {sha256}", t.url + path]
            if data is not None:
                args[1:1] = ["-T", f.name]
            return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
    expect(curl("PUT", "/st-curl", empty) == "200", "curl CreateBucket refused")
    expect(curl("PUT", "/st-curl/blob", hashlib.sha256(body).hexdigest(), body) == "200",
           "curl PutObject refused")
    expect(curl("PUT", "/st-curl/bad", empty, body) == "400", "wrong body hash accepted")
    codes = t.calls("s3", "PutObject")["codes"]
    expect(codes.get("XAmzContentSHA256Mismatch") == 1, f"codes {codes}")
    t.client("s3").delete_object(Bucket="st-curl", Key="blob")
    t.client("s3").delete_bucket(Bucket="st-curl")


@check
def unknown_access_key(t):
    env = dict(t.env, AWS_ACCESS_KEY_ID="AKIDUNKNOWN")
    err = t.aws("iam", "list-roles", env=env, fail=True)
    expect("InvalidClientTokenId" in err, f"iam: {err}")


@check
def unsigned_request(t):
    err = t.aws("sts", "get-caller-identity", "--no-sign-request", fail=True)
    expect("MissingAuthenticationToken" in err, f"sts: {err}")
    expect_error(t.query("ec2", {"Action": "DescribeVpcs", "Version": "2016-11-15"}, sign=False),
                 401, "MissingAuthenticationToken")
    expect_error(t.json("logs", "Logs_20140328.DescribeLogGroups", {}, sign=False),
                 400, "MissingAuthenticationTokenException")


@check
def incomplete_signature(t):
    status, headers, body = t.raw("POST", "/", "sts",
                                  b"Action=GetCallerIdentity&Version=2011-06-15",
                                  {"Content-Type": "application/x-www-form-urlencoded",
                                   "Authorization": "AWS4-HMAC-SHA256 Credential=test/20200101"},
                                  sign=False)
    expect_error((status, headers, body), 400, "IncompleteSignature")


@check
def clock_skew(t):
    expect_error(t.query("ec2", {"Action": "DescribeVpcs", "Version": "2016-11-15"}, skew=-600),
                 400, "RequestExpired")
    expect_error(t.json("kms", "TrentService.ListKeys", {}, skew=600), 400,
                 "InvalidSignatureException")
    status, _, _ = t.query("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                           skew=-200)
    expect(status == 200, f"a request 200 s off was refused ({status})")


@check
def unknown_member(t):
    expect_error(t.query("ec2", {"Action": "DescribeVpcs", "Version": "2016-11-15",
                                 "VpcIds.1": "vpc-1"}), 400, "UnknownParameter")
    expect_error(t.query("iam", {"Action": "ListRoles", "Version": "2010-05-08",
                                 "Bogus": "1"}), 400, "ValidationError")
    expect_error(t.json("ecs", "AmazonEC2ContainerServiceV20141113.CreateCluster",
                        {"clusterName": "x", "bogus": 1}), 400, "ValidationException")
    route53 = ('<?xml version="1.0"?><CreateHostedZoneRequest xmlns="https://route53.amazonaws.'
               'com/doc/2013-04-01/"><Name>x.example.com</Name><CallerReference>r</CallerReference>'
               '<Bogus>1</Bogus></CreateHostedZoneRequest>').encode()
    expect_error(t.raw("POST", "/2013-04-01/hostedzone", "route53", route53), 400, "InvalidInput")
    counted = t.calls("ec2", "DescribeVpcs")["codes"].get("UnknownParameter")
    expect(counted == 1, f"rejection counted {counted} times")


@check
def missing_and_invalid_members(t):
    expect_error(t.query("ec2", {"Action": "DeleteVpc", "Version": "2016-11-15"}), 400,
                 "MissingParameter")
    expect_error(t.query("ec2", {"Action": "CreateVpc", "Version": "2016-11-15",
                                 "CidrBlock": "10.0.0.0/16", "InstanceTenancy": "bogus"}),
                 400, "InvalidParameterValue")
    expect_error(t.query("rds", {"Action": "DescribeDBInstances", "Version": "2014-10-31",
                                 "MaxRecords": "many"}), 400, "ValidationError")
    expect_error(t.json("ecs", "AmazonEC2ContainerServiceV20141113.CreateCluster",
                        {"clusterName": 5}), 400, "SerializationException")
    expect_error(t.json("logs", "Logs_20140328.CreateLogGroup", {}), 400, "ValidationException")
    expect_error(t.query("ec2", {"Action": "DescribeBogus", "Version": "2016-11-15"}), 400,
                 "InvalidAction")


# ------------------------------------------------------------------ faults

@check
def throttling_counted(t):
    t.control("/_proxy/faults", {"throttle": {"count": 2, "operations": ["ec2:DescribeVpcs"]}})
    before = t.calls("ec2", "DescribeVpcs")
    t.aws("ec2", "describe-vpcs")  # the CLI retries RequestLimitExceeded
    after = t.calls("ec2", "DescribeVpcs")
    expect(after["throttled"] - before.get("throttled", 0) == 2, f"throttled: {after}")
    expect(after["ok"] - before.get("ok", 0) == 1, f"ok: {after}")
    expect(after["codes"].get("RequestLimitExceeded") == 2, f"codes: {after}")
    expect(after["max_per_1s"] >= 1, "no rate record")
    t.control("/_proxy/faults", {"throttle": {"count": 1, "operations": ["lambda:*"]}})
    expect_error(t.raw("GET", "/2015-03-31/functions/", "lambda"), 429,
                 "TooManyRequestsException")
    t.control("/_proxy/faults", {"throttle": {"count": 1, "operations": ["ecs:*"]}})
    expect_error(t.json("ecs", "AmazonEC2ContainerServiceV20141113.ListClusters", {}), 400,
                 "ThrottlingException")
    t.control("/_proxy/faults", {})


@check
def error5xx_and_drop_counted(t):
    t.control("/_proxy/faults", {"error5xx": {"count": 1, "status": 503,
                                              "operations": ["sts:GetCallerIdentity"]}})
    t.aws("sts", "get-caller-identity")
    got = t.calls("sts", "GetCallerIdentity")
    expect(got["fault5xx"] == 1 and got["codes"].get("ServiceUnavailable") == 1, f"{got}")
    t.control("/_proxy/faults", {"drop": {"count": 1, "operations": ["iam:ListRoles"]}})
    t.aws("iam", "list-roles")
    got = t.calls("iam", "ListRoles")
    expect(got["dropped"] == 1 and got["ok"] >= 1, f"{got}")
    faults = t.control("/_proxy/faults")
    expect(faults["drop"]["count"] == 0, f"count not used up: {faults}")
    t.control("/_proxy/faults", {"latency_ms": 300, "jitter_ms": 0})
    t0 = time.monotonic()
    t.query("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    elapsed = time.monotonic() - t0
    t.control("/_proxy/faults", {})
    expect(elapsed >= 0.3, f"latency not applied ({elapsed:.3f} s)")


@check
def stats_reset(t):
    t.control("/_proxy/stats/reset", {})
    stats = t.control("/_proxy/stats")
    expect(stats["calls"] == {} and stats["total"]["total"] == 0, f"{stats}")


# ------------------------------------------------------------------ aws-up modes

def aws_up_command_mode():
    """aws-up -- COMMAND: environment passed, status returned, HTTPS with the CA only."""
    script = ('test "$AWS_ENDPOINT_URL" = "$COHD_AWSPROXY_URL" && test "$AWS_REGION" = us-east-1 '
              '&& case "$AWS_ENDPOINT_URL" in https://127.0.0.1:*) ;; *) exit 90;; esac '
              '&& test -f "$AWS_CA_BUNDLE" '
              f'&& "{sys.executable}" -m awscli s3api list-buckets >/dev/null || exit 91; '
              f'env -u AWS_CA_BUNDLE "{sys.executable}" -m awscli s3api list-buckets '
              '2>&1 | grep -q CERTIFICATE_VERIFY_FAILED || exit 92; exit 7')
    proc = subprocess.run([AWS_UP, "--https", "--", "sh", "-c", script], capture_output=True,
                          text=True, timeout=120)
    expect(proc.returncode == 7, f"status {proc.returncode}: {proc.stderr[-500:]}")


def run_check(fn, t):
    """Run one check and print its PASS/FAIL line; return whether it passed."""
    t0 = time.monotonic()
    try:
        fn(t)
        line = f"PASS {fn.__name__} ({time.monotonic() - t0:.1f} s)"
    except Failed as e:
        line = f"FAIL {fn.__name__}: {e}"
    except Exception:  # noqa: BLE001 - report and go on
        line = f"FAIL {fn.__name__}: {traceback.format_exc()}"
    print(line, flush=True)
    return line.startswith("PASS")


def main():
    failures = 0
    proc, url, seconds = start_aws_up()
    # Timing is reported, never asserted (DESIGN.md section 8); see tests/bench/awsproxy.
    ok = url.startswith("http://127.0.0.1:")
    print(f"{'PASS' if ok else 'FAIL'} aws-up started moto + proxy at {url or '(nothing)'} "
          f"({seconds:.2f} s)", flush=True)
    failures += not ok
    if not url:
        return 1
    t = Env(url)
    try:
        failures += sum(not run_check(fn, t) for fn in CHECKS)
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(10)
    print(f"{'PASS' if rc == 0 else 'FAIL'} aws-up stopped cleanly on SIGTERM (status {rc})")
    failures += rc != 0
    try:
        aws_up_command_mode()
        print("PASS aws-up command mode (environment, exit status, HTTPS with test CA)")
    except Failed as e:
        failures += 1
        print(f"FAIL aws-up command mode: {e}")
    print(f"{'PASS' if not failures else 'FAIL'}: {failures} check(s) failed"
          if failures else "PASS: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
