"""CloudFront operations moto 5.2 lacks or gets wrong in a way that matters to cohd.

Cache policies, origin request policies and response headers policies: moto
has none of their operations. They are kept here (state in this module, per
access key, under LOCK) and answered as AWS answers: Create (201, Location,
ETag; a name already used -> CachePolicyAlreadyExists /
OriginRequestPolicyAlreadyExists / ResponseHeadersPolicyAlreadyExists 409),
Get and Get*Config (ETag), List (Type=custom|managed, {Quantity, Items} of
{Type, CachePolicy}), Update (the whole configuration; renaming onto another
policy's name -> AlreadyExists) and Delete (CachePolicyInUse /
OriginRequestPolicyInUse / ResponseHeadersPolicyInUse 409 while a distribution
in moto refers to the policy in a behaviour's CachePolicyId /
OriginRequestPolicyId / ResponseHeadersPolicyId). An unknown id ->
NoSuchCachePolicy / NoSuchOriginRequestPolicy / NoSuchResponseHeadersPolicy
404. If-Match is
enforced, and ETags versioned, by the proxy's CloudFront tracker
(awsproxy/cloudfront.py), which sees these answers like moto's.

Distributions: moto keeps no LambdaFunctionAssociations (nor
FunctionAssociations): every behaviour comes back with {"Quantity": 0}, so a
Lambda@Edge association could never be seen. Create, Update and the reads go to
moto through a client, and the associations sent with the last Create/Update
of each behaviour (default, or by PathPattern) are put back into the answers.
moto's ListDistributions summaries also lack most of what AWS's carry (Aliases,
Origins, behaviours, Comment, Enabled...): they are filled in from the
configuration.
"""

import datetime
import random
import string

from moto.core.parse import PROTOCOL_PARSERS
from moto.core.utils import get_service_model
from werkzeug.datastructures import Headers, MultiDict

from . import LOCK, operation

# (access key, kind) -> {id: {"config": {...}, "modified": datetime}}
_POLICIES = {}
# (access key, distribution id) -> {"": default behaviour's, "<PathPattern>": ...}
_ASSOCIATIONS = {}

_KINDS = {
    "CachePolicy": {"config": "CachePolicyConfig", "path": "cache-policy",
                    "behaviour_member": "CachePolicyId", "words": "cache policy"},
    "OriginRequestPolicy": {"config": "OriginRequestPolicyConfig",
                            "path": "origin-request-policy",
                            "behaviour_member": "OriginRequestPolicyId",
                            "words": "origin request policy"},
    "ResponseHeadersPolicy": {"config": "ResponseHeadersPolicyConfig",
                              "path": "response-headers-policy",
                              "behaviour_member": "ResponseHeadersPolicyId",
                              "words": "response headers policy"},
}
_ASSOCIATION_MEMBERS = ("LambdaFunctionAssociations", "FunctionAssociations")
# DistributionSummary members that are DistributionConfig members too.
_SUMMARY_MEMBERS = ("Aliases", "Origins", "OriginGroups", "DefaultCacheBehavior",
                    "CacheBehaviors", "CustomErrorResponses", "Comment", "PriceClass", "Enabled",
                    "ViewerCertificate", "Restrictions", "WebACLId", "HttpVersion",
                    "IsIPV6Enabled", "Staging")


def _params(ctx):
    """The request in the model's member names, parsed with moto's own model classes."""
    op = get_service_model("cloudfront").operation_model(ctx.operation)
    parser = PROTOCOL_PARSERS["rest-xml"](op)
    return parser.parse({
        "body": ctx.req.body, "headers": Headers(list(ctx.req.headers.pairs)),
        "method": ctx.req.method,
        "url_params": ctx.call.params if isinstance(ctx.call.params, dict) else {},
        "url_path": ctx.req.path, "values": MultiDict(ctx.req.query_pairs)})


def _new_id():
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=8)) + "-" + \
        "".join(random.choices(string.hexdigits.lower(), k=4)) + "-" + \
        "".join(random.choices(string.hexdigits.lower(), k=4)) + "-" + \
        "".join(random.choices(string.hexdigits.lower(), k=4)) + "-" + \
        "".join(random.choices(string.hexdigits.lower(), k=12))


def _etag():
    return "E" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))


def _store(ctx, kind):
    return _POLICIES.setdefault((ctx.access_key, kind), {})


def _policy(kind, pid, entry):
    return {"Id": pid, "LastModifiedTime": entry["modified"],
            kind["config"]: entry["config"]}


def _no_such(ctx, name):
    return ctx.error(f"NoSuch{name}", f"The {_KINDS[name]['words']} does not exist.", 404)


def _name_taken(ctx, name, store, config, but=None):
    for pid, entry in store.items():
        if pid != but and entry["config"].get("Name") == config.get("Name"):
            return ctx.error(f"{name}AlreadyExists",
                             f"A {_KINDS[name]['words']} with this name already exists. "
                             f"You must provide a unique name.", 409)
    return None


def _in_use(ctx, member, pid):
    """Does a distribution in moto refer to the policy (default or any behaviour)?"""
    client = ctx.moto("cloudfront")
    for dist in client.list_distributions()["DistributionList"].get("Items") or []:
        config = client.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
        if any(b.get(member) == pid for b in _behaviours(config).values()):
            return True
    return False


def _register(name):
    kind = _KINDS[name]

    @operation("cloudfront", f"Create{name}")
    def create(ctx):
        config = _params(ctx)[kind["config"]]
        with LOCK:
            store = _store(ctx, name)
            taken = _name_taken(ctx, name, store, config)
            if taken:
                raise taken
            pid = _new_id()
            store[pid] = {"config": config,
                          "modified": datetime.datetime.now(datetime.timezone.utc)}
            out = {name: _policy(kind, pid, store[pid]), "ETag": _etag(),
                   "Location": f"https://cloudfront.amazonaws.com/2020-05-31/"
                               f"{kind['path']}/{pid}"}
        return out

    @operation("cloudfront", f"Get{name}")
    def get(ctx):
        pid = _params(ctx)["Id"]
        with LOCK:
            entry = _store(ctx, name).get(pid)
            if entry is None:
                raise _no_such(ctx, name)
            return {name: _policy(kind, pid, entry), "ETag": _etag()}

    @operation("cloudfront", f"Get{name}Config")
    def get_config(ctx):
        pid = _params(ctx)["Id"]
        with LOCK:
            entry = _store(ctx, name).get(pid)
            if entry is None:
                raise _no_such(ctx, name)
            return {kind["config"]: entry["config"], "ETag": _etag()}

    @operation("cloudfront", f"List{name.replace('Policy', 'Policies')}")
    def list_(ctx):
        p = _params(ctx)
        with LOCK:
            items = [] if p.get("Type") == "managed" else [
                {"Type": "custom", name: _policy(kind, pid, entry)}
                for pid, entry in sorted(_store(ctx, name).items())]
        max_items = int(p.get("MaxItems") or 100)
        out = {"MaxItems": max_items, "Quantity": len(items)}
        if items:
            out["Items"] = items
        return {f"{name}List": out}

    @operation("cloudfront", f"Update{name}")
    def update(ctx):
        p = _params(ctx)
        pid, config = p["Id"], p[kind["config"]]
        with LOCK:
            store = _store(ctx, name)
            if pid not in store:
                raise _no_such(ctx, name)
            taken = _name_taken(ctx, name, store, config, but=pid)
            if taken:
                raise taken
            store[pid] = {"config": config,
                          "modified": datetime.datetime.now(datetime.timezone.utc)}
            return {name: _policy(kind, pid, store[pid]), "ETag": _etag()}

    @operation("cloudfront", f"Delete{name}")
    def delete(ctx):
        pid = _params(ctx)["Id"]
        with LOCK:
            store = _store(ctx, name)
            if pid not in store:
                raise _no_such(ctx, name)
            if _in_use(ctx, kind["behaviour_member"], pid):
                raise ctx.error(f"{name}InUse", f"Cannot delete the {kind['words']} because "
                                "it is attached to one or more cache behaviors.", 409)
            del store[pid]
        return {}


for _name in _KINDS:
    _register(_name)


# ---- distributions: keep the function associations moto drops ----

def _behaviours(config):
    """{"": default behaviour, PathPattern: behaviour...} of a DistributionConfig."""
    out = {"": config.get("DefaultCacheBehavior") or {}}
    for b in (config.get("CacheBehaviors") or {}).get("Items") or []:
        out[b.get("PathPattern", "")] = b
    return out


def _remember(ctx, dist_id, config):
    kept = {}
    for key, b in _behaviours(config).items():
        kept[key] = {m: b[m] for m in _ASSOCIATION_MEMBERS if m in b}
    with LOCK:
        _ASSOCIATIONS[(ctx.access_key, dist_id)] = kept


def _restore(ctx, dist_id, config):
    """Put the remembered associations back into a DistributionConfig (or summary)."""
    if not config:
        return
    with LOCK:
        kept = _ASSOCIATIONS.get((ctx.access_key, dist_id))
    if not kept:
        return
    for key, b in _behaviours(config).items():
        for member, value in (kept.get(key) or {}).items():
            b[member] = value


def _clean(doc):
    """A botocore answer as a handler's result (no ResponseMetadata)."""
    doc.pop("ResponseMetadata", None)
    return doc


def _client_error(ctx, e):
    err = e.response.get("Error", {})
    return ctx.error(err.get("Code", "InternalFailure"), err.get("Message", ""),
                     e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))


def _moto_call(ctx, method, **kwargs):
    from botocore.exceptions import ClientError

    try:
        return _clean(getattr(ctx.moto("cloudfront"), method)(**kwargs))
    except ClientError as e:
        raise _client_error(ctx, e) from None


@operation("cloudfront", "CreateDistribution")
def create_distribution(ctx):
    config = _params(ctx)["DistributionConfig"]
    out = _moto_call(ctx, "create_distribution", DistributionConfig=config)
    _remember(ctx, out["Distribution"]["Id"], config)
    _restore(ctx, out["Distribution"]["Id"], out["Distribution"]["DistributionConfig"])
    return out


@operation("cloudfront", "CreateDistributionWithTags")
def create_distribution_with_tags(ctx):
    with_tags = _params(ctx)["DistributionConfigWithTags"]
    out = _moto_call(ctx, "create_distribution_with_tags", DistributionConfigWithTags=with_tags)
    _remember(ctx, out["Distribution"]["Id"], with_tags["DistributionConfig"])
    _restore(ctx, out["Distribution"]["Id"], out["Distribution"]["DistributionConfig"])
    return out


@operation("cloudfront", "UpdateDistribution")
def update_distribution(ctx):
    p = _params(ctx)
    out = _moto_call(ctx, "update_distribution", Id=p["Id"], IfMatch=p.get("IfMatch", ""),
                     DistributionConfig=p["DistributionConfig"])
    _remember(ctx, p["Id"], p["DistributionConfig"])
    _restore(ctx, p["Id"], out["Distribution"]["DistributionConfig"])
    return out


@operation("cloudfront", "GetDistribution")
def get_distribution(ctx):
    dist_id = _params(ctx)["Id"]
    out = _moto_call(ctx, "get_distribution", Id=dist_id)
    _restore(ctx, dist_id, out["Distribution"]["DistributionConfig"])
    return out


@operation("cloudfront", "GetDistributionConfig")
def get_distribution_config(ctx):
    dist_id = _params(ctx)["Id"]
    out = _moto_call(ctx, "get_distribution_config", Id=dist_id)
    _restore(ctx, dist_id, out["DistributionConfig"])
    return out


@operation("cloudfront", "ListDistributions")
def list_distributions(ctx):
    p = _params(ctx)
    kwargs = {k: p[k] for k in ("Marker", "MaxItems") if p.get(k)}
    out = _moto_call(ctx, "list_distributions", **kwargs)
    for summary in out["DistributionList"].get("Items") or []:
        # moto's summaries lack what AWS's carry (all required): take it from the config
        config = _moto_call(ctx, "get_distribution_config", Id=summary["Id"])
        config = config["DistributionConfig"]
        for member in _SUMMARY_MEMBERS:
            if member in config and member not in summary:
                summary[member] = config[member]
        _restore(ctx, summary["Id"], summary)
    return out
