"""Lambda PublishVersion as AWS does it.

AWS publishes a version only when the function's code or configuration differ
from the newest version's; otherwise it answers with that version (no new
number).  moto 5.2 publishes whenever an update happened since the last
version, even an update that put back what the newest version has (code
uploaded by hand, then the right code again), so a version appears that AWS
would never make, and a CloudFront distribution using the newest version would
be moved for nothing.  Here: compare $LATEST with the newest version through
moto's own API; publish through moto only when they differ.
"""

from botocore.exceptions import ClientError

from . import LOCK, operation

# What a version freezes of the configuration (besides the code).
_COMPARED = ("CodeSha256", "Runtime", "Handler", "Role", "Timeout", "MemorySize",
             "Description", "Environment", "Layers", "VpcConfig", "Architectures",
             "EphemeralStorage", "TracingConfig", "DeadLetterConfig", "KMSKeyArn")


def _clean(doc):
    doc.pop("ResponseMetadata", None)
    return doc


@operation("lambda", "PublishVersion")
def publish_version(ctx):
    p = ctx.call.params if isinstance(ctx.call.params, dict) else {}
    name = p.get("FunctionName", "")
    client = ctx.moto("lambda")
    try:
        with LOCK:
            versions = []
            pages = client.get_paginator("list_versions_by_function")
            for page in pages.paginate(FunctionName=name):
                versions += page.get("Versions", [])
            latest = next((v for v in versions if v.get("Version") == "$LATEST"), None)
            numbered = [v for v in versions if v.get("Version", "").isdigit()]
            newest = max(numbered, key=lambda v: int(v["Version"]), default=None)
            if latest and newest and all(latest.get(k) == newest.get(k) for k in _COMPARED):
                return _clean(newest)
            return _clean(client.publish_version(FunctionName=name))
    except ClientError as e:
        err = e.response.get("Error", {})
        raise ctx.error(err.get("Code", "ServiceException"), err.get("Message", ""),
                        e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)) \
            from None
