"""ElastiCache operations moto 5.2 lacks: ModifyReplicationGroup and ModifyCacheSubnetGroup.

moto keeps replication groups and cache subnet groups but cannot change them, so
the changes live here, per account, region and name, and the describes of both
are answered here too: moto's answer with the changes laid over it.  A deleted
replication group takes its changes with it.  What AWS does that is not
modelled: the "modifying" status while a change is applied, and changes held
for the maintenance window (ApplyImmediately=false); every change applies at
once.  moto keeps a deleted replication group in "deleting" for ever; AWS
removes it after a while: here it is gone from the answer after the delete's.
"""

from botocore.exceptions import ClientError

from . import LOCK, operation

_GROUPS = {}   # (access key, region, ReplicationGroupId) -> {member: value}
_SUBNETS = {}  # (access key, region, CacheSubnetGroupName) -> {member: value}
_DELETED = set()  # (access key, region, ReplicationGroupId) deleted through the proxy


def _form(ctx):
    """The query form as {name: first value} (ctx.params cannot read query lists)."""
    return {k: (v[0] if isinstance(v, list) else v) for k, v in ctx.call.params.items()}


def _list(form, prefix):
    out, i = [], 1
    while "%s.%d" % (prefix, i) in form:
        out.append(form["%s.%d" % (prefix, i)])
        i += 1
    return out


def _bool(v):
    return str(v).lower() == "true"


def _paging(form):
    return {k: (int(form[k]) if k == "MaxRecords" else form[k])
            for k in ("MaxRecords", "Marker") if k in form}


def _moto_groups(ctx, **kw):
    rid = kw.get("ReplicationGroupId")
    if rid and (ctx.access_key, ctx.region, rid) in _DELETED:
        raise ctx.error("ReplicationGroupNotFoundFault", "Replication group %s not found." % rid,
                        404)
    try:
        return ctx.moto("elasticache").describe_replication_groups(**kw)
    except ClientError as e:
        err = e.response["Error"]
        raise ctx.error(err["Code"], err.get("Message", ""),
                        e.response["ResponseMetadata"]["HTTPStatusCode"])


def _overlay_group(ctx, g):
    for k, v in _GROUPS.get((ctx.access_key, ctx.region, g["ReplicationGroupId"]), {}).items():
        g[k] = v
    return g


@operation("elasticache", "DescribeReplicationGroups")
def describe_replication_groups(ctx):
    f = _form(ctx)
    kw = _paging(f)
    if "ReplicationGroupId" in f:
        kw["ReplicationGroupId"] = f["ReplicationGroupId"]
    out = _moto_groups(ctx, **kw)
    out.pop("ResponseMetadata", None)
    with LOCK:
        out["ReplicationGroups"] = [
            _overlay_group(ctx, g) for g in out.get("ReplicationGroups", [])
            if (ctx.access_key, ctx.region, g["ReplicationGroupId"]) not in _DELETED]
    return out


@operation("elasticache", "ModifyReplicationGroup")
def modify_replication_group(ctx):
    f = _form(ctx)
    rid = f["ReplicationGroupId"]
    g = _moto_groups(ctx, ReplicationGroupId=rid)["ReplicationGroups"][0]
    change = {}
    if "ReplicationGroupDescription" in f:
        change["Description"] = f["ReplicationGroupDescription"]
    if "CacheNodeType" in f:
        change["CacheNodeType"] = f["CacheNodeType"]
    if "AutomaticFailoverEnabled" in f:
        change["AutomaticFailover"] = "enabled" if _bool(f["AutomaticFailoverEnabled"]) else "disabled"
    if "MultiAZEnabled" in f:
        change["MultiAZ"] = "enabled" if _bool(f["MultiAZEnabled"]) else "disabled"
    if "SnapshotRetentionLimit" in f:
        change["SnapshotRetentionLimit"] = int(f["SnapshotRetentionLimit"])
    if "SnapshotWindow" in f:
        change["SnapshotWindow"] = f["SnapshotWindow"]
    if change.get("MultiAZ") == "enabled" and change.get(
            "AutomaticFailover", g.get("AutomaticFailover")) != "enabled":
        raise ctx.error("InvalidParameterCombination",
                        "Multi-AZ requires automatic failover to be enabled.")
    with LOCK:
        _GROUPS.setdefault((ctx.access_key, ctx.region, rid), {}).update(change)
        return {"ReplicationGroup": _overlay_group(ctx, g)}


@operation("elasticache", "DeleteReplicationGroup")
def delete_replication_group(ctx):
    f = _form(ctx)
    kw = {"ReplicationGroupId": f["ReplicationGroupId"]}
    if "FinalSnapshotIdentifier" in f:
        kw["FinalSnapshotIdentifier"] = f["FinalSnapshotIdentifier"]
    if "RetainPrimaryCluster" in f:
        kw["RetainPrimaryCluster"] = _bool(f["RetainPrimaryCluster"])
    _moto_groups(ctx, ReplicationGroupId=kw["ReplicationGroupId"])  # gone already: NotFound
    try:
        out = ctx.moto("elasticache").delete_replication_group(**kw)
    except ClientError as e:
        err = e.response["Error"]
        raise ctx.error(err["Code"], err.get("Message", ""),
                        e.response["ResponseMetadata"]["HTTPStatusCode"])
    with LOCK:
        _GROUPS.pop((ctx.access_key, ctx.region, f["ReplicationGroupId"]), None)
        _DELETED.add((ctx.access_key, ctx.region, f["ReplicationGroupId"]))
    out.pop("ResponseMetadata", None)
    return out


def _overlay_subnets(ctx, g):
    for k, v in _SUBNETS.get((ctx.access_key, ctx.region, g["CacheSubnetGroupName"]), {}).items():
        g[k] = v
    return g


@operation("elasticache", "DescribeCacheSubnetGroups")
def describe_cache_subnet_groups(ctx):
    f = _form(ctx)
    kw = _paging(f)
    if "CacheSubnetGroupName" in f:
        kw["CacheSubnetGroupName"] = f["CacheSubnetGroupName"]
    try:
        out = ctx.moto("elasticache").describe_cache_subnet_groups(**kw)
    except ClientError as e:
        err = e.response["Error"]
        raise ctx.error(err["Code"], err.get("Message", ""),
                        e.response["ResponseMetadata"]["HTTPStatusCode"])
    out.pop("ResponseMetadata", None)
    with LOCK:
        out["CacheSubnetGroups"] = [_overlay_subnets(ctx, g) for g in out.get("CacheSubnetGroups", [])]
    return out


@operation("elasticache", "ModifyCacheSubnetGroup")
def modify_cache_subnet_group(ctx):
    f = _form(ctx)
    name = f["CacheSubnetGroupName"]
    try:
        g = ctx.moto("elasticache").describe_cache_subnet_groups(
            CacheSubnetGroupName=name)["CacheSubnetGroups"][0]
    except ClientError:
        raise ctx.error("CacheSubnetGroupNotFoundFault",
                        "CacheSubnetGroup %s not found." % name, 404)
    change = {}
    if "CacheSubnetGroupDescription" in f:
        change["CacheSubnetGroupDescription"] = f["CacheSubnetGroupDescription"]
    ids = _list(f, "SubnetIds.SubnetIdentifier")
    if ids:
        try:
            subnets = ctx.moto("ec2").describe_subnets(SubnetIds=ids)["Subnets"]
        except ClientError:
            raise ctx.error("InvalidSubnet", "The subnet ID does not exist.")
        if len({s["VpcId"] for s in subnets} | {g.get("VpcId")} - {None}) > 1:
            raise ctx.error("InvalidSubnet", "The subnets are not all in the group's VPC.")
        change["Subnets"] = [{"SubnetIdentifier": s["SubnetId"],
                              "SubnetAvailabilityZone": {"Name": s["AvailabilityZone"]}}
                             for s in subnets]
    with LOCK:
        _SUBNETS.setdefault((ctx.access_key, ctx.region, name), {}).update(change)
        return {"CacheSubnetGroup": _overlay_subnets(ctx, g)}
