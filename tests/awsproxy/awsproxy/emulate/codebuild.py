"""CodeBuild operations moto 5.2 lacks or gets wrong in a way that matters to cohd.

UpdateProject: moto has none.  AWS changes the given members of the project in
place (name, ARN and creation date kept) and answers the whole project.  Here:
read the project from moto, merge the request into it, delete and create it
again under the same name.

CreateProject: moto demands a source and an artifacts ``location`` whatever the
type; AWS takes none for CODEPIPELINE (the pipeline hands the artifacts over)
and NO_SOURCE / NO_ARTIFACTS.  The proxy gives moto a placeholder location and
takes it out of every answer (CreateProject, BatchGetProjects, UpdateProject).

BatchGetProjects: moto leaves unknown names out; AWS lists them in
``projectsNotFound``.
"""

import json

from botocore.exceptions import ClientError

from . import LOCK, operation

PLACEHOLDER = "cohd-awsproxy:no-location"

# CreateProject's members that moto's create_project keeps (the rest it ignores).
_CREATE_KEYS = ("name", "description", "source", "artifacts", "environment", "serviceRole",
                "tags", "cache", "timeoutInMinutes", "queuedTimeoutInMinutes",
                "sourceVersion", "logsConfig", "vpcConfig", "encryptionKey",
                "secondarySources", "secondaryArtifacts", "badgeEnabled",
                "concurrentBuildLimit", "fileSystemLocations", "buildBatchConfig",
                "secondarySourceVersions")


def _body(ctx):
    try:
        return json.loads(ctx.req.body or b"{}")
    except ValueError:
        raise ctx.error("SerializationException", "the body is not JSON")


def _with_placeholder(p):
    p = dict(p)
    for key in ("source", "artifacts"):
        v = p.get(key)
        # moto wants a location for every type but NO_ARTIFACTS, which must have none
        if isinstance(v, dict) and not v.get("location") and v.get("type") != "NO_ARTIFACTS":
            p[key] = dict(v, location=PLACEHOLDER)
    return p


def _clean(project):
    for key in ("source", "artifacts"):
        v = project.get(key)
        if isinstance(v, dict) and v.get("location") == PLACEHOLDER:
            del v["location"]
    for key in ("created", "lastModified", "lastModifiedDate"):
        project.pop(key, None)  # datetimes: the serializer takes them back as numbers
    return project


def _error(ctx, e):
    err = e.response.get("Error", {})
    return ctx.error(err.get("Code", "InternalFailure"), err.get("Message", ""),
                     e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))


def _create(ctx, client, p):
    kwargs = {k: p[k] for k in _CREATE_KEYS if k in p and p[k] is not None}
    try:
        return client.create_project(**_with_placeholder(kwargs))["project"]
    except ClientError as e:
        raise _error(ctx, e)


@operation("codebuild", "CreateProject")
def create_project(ctx):
    client = ctx.moto("codebuild")
    with LOCK:
        return {"project": _clean(_create(ctx, client, _body(ctx)))}


@operation("codebuild", "BatchGetProjects")
def batch_get_projects(ctx):
    names = _body(ctx).get("names") or []
    client = ctx.moto("codebuild")
    try:
        found = client.batch_get_projects(names=names).get("projects", [])
    except ClientError as e:
        raise _error(ctx, e)
    have = {p.get("name") for p in found} | {p.get("arn") for p in found}
    return {"projects": [_clean(p) for p in found],
            "projectsNotFound": [n for n in names if n not in have]}


@operation("codebuild", "UpdateProject")
def update_project(ctx):
    p = _body(ctx)
    name = p.get("name", "")
    client = ctx.moto("codebuild")
    with LOCK:
        try:
            cur = client.batch_get_projects(names=[name]).get("projects", [])
        except ClientError as e:
            raise _error(ctx, e)
        if not cur:
            raise ctx.error("ResourceNotFoundException",
                            "Failed to call UpdateProject, reason: Project %s not found" % name)
        merged = dict(cur[0])
        merged["name"] = cur[0]["name"]  # an ARN in the request names the same project
        for k, v in p.items():
            if k != "name":
                merged[k] = v
        if merged.get("serviceRole") and not merged["serviceRole"].startswith("arn:"):
            merged.pop("serviceRole")
        try:
            client.delete_project(name=merged["name"])
        except ClientError as e:
            raise _error(ctx, e)
        return {"project": _clean(_create(ctx, client, merged))}
