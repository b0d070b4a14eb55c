"""CodePipeline CreatePipeline, where moto 5.2 differs from AWS in ways that matter to cohd.

- moto accepts the role only when a trust statement's ``Principal.Service`` is the
  single string "codepipeline.amazonaws.com"; AWS takes a list too (IAM treats both
  alike), which is how cohd writes its trust policies.
- An existing name: moto answers InvalidStructureException; AWS
  PipelineNameInUseException.

Here: the name and the role's trust are checked as AWS checks them; when the trust
names the service in a list, moto is handed the same policy with the string form for
the duration of the create (under the lock), then the role gets its policy back.
"""

import json

from botocore.exceptions import ClientError

from . import LOCK, operation

SERVICE = "codepipeline.amazonaws.com"


def _error(ctx, e):
    err = e.response.get("Error", {})
    return ctx.error(err.get("Code", "InternalFailure"), err.get("Message", ""),
                     e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))


def _services(stmt):
    s = (stmt.get("Principal") or {}).get("Service") if isinstance(stmt, dict) else None
    return [s] if isinstance(s, str) else list(s or [])


def _body(ctx):
    try:
        return json.loads(ctx.req.body or b"{}")
    except ValueError:
        raise ctx.error("SerializationException", "the body is not JSON")


@operation("codepipeline", "CreatePipeline")
def create_pipeline(ctx):
    p = _body(ctx)
    decl = p.get("pipeline") or {}
    name, role_arn = decl.get("name", ""), decl.get("roleArn", "")
    cp, iam = ctx.moto("codepipeline"), ctx.moto("iam")
    denied = ctx.error("InvalidStructureException",
                       "CodePipeline is not authorized to perform AssumeRole on role %s"
                       % role_arn)
    with LOCK:
        try:
            cp.get_pipeline(name=name)
            raise ctx.error("PipelineNameInUseException",
                            "A pipeline with the name '%s' already exists in account '%s'"
                            % (name, role_arn.split(":")[4] if role_arn.count(":") >= 5
                               else ""))
        except ClientError as e:
            if e.response["Error"]["Code"] != "PipelineNotFoundException":
                raise _error(ctx, e)
        try:
            role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except ClientError:
            raise denied
        doc = role.get("AssumeRolePolicyDocument") or {}
        if isinstance(doc, str):
            doc = json.loads(doc)
        stmts = doc.get("Statement") or []
        if isinstance(stmts, dict):
            stmts = [stmts]
        if not any(SERVICE in _services(s) for s in stmts):
            raise denied
        patched = None
        if not any((s.get("Principal") or {}).get("Service") == SERVICE for s in stmts):
            patched = dict(doc, Statement=[
                dict(s, Principal=dict(s["Principal"], Service=SERVICE))
                if SERVICE in _services(s) else s for s in stmts])
        try:
            if patched:
                iam.update_assume_role_policy(RoleName=role["RoleName"],
                                              PolicyDocument=json.dumps(patched))
            out = cp.create_pipeline(**{k: p[k] for k in ("pipeline", "tags") if k in p})
        except ClientError as e:
            raise _error(ctx, e)
        finally:
            if patched:
                iam.update_assume_role_policy(RoleName=role["RoleName"],
                                              PolicyDocument=json.dumps(doc))
        out.pop("ResponseMetadata", None)
        return out
