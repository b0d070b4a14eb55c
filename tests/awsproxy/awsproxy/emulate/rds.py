"""RDS operations where moto 5.2 is wrong in a way that matters to cohd.

ModifyDBSubnetGroup: moto removes the group from its table and never puts it
back, so the group vanishes (AWS changes it in place, ARN and tags kept).
CreateDBSubnetGroup: moto silently replaces an existing group of the same name;
AWS answers DBSubnetGroupAlreadyExists (400).  Both are answered here through
moto's own API: describe, delete and create again with the same name and tags.
"""

from botocore.exceptions import ClientError

from . import LOCK, operation


def _form(ctx):
    """The query form as {name: first value} (ctx.params hands moto's parser botocore's
    shapes, which it cannot read for query lists: ListShape.is_flattened)."""
    return {k: (v[0] if isinstance(v, list) else v) for k, v in ctx.call.params.items()}


def _list(form, prefix):
    out, i = [], 1
    while "%s.%d" % (prefix, i) in form:
        out.append(form["%s.%d" % (prefix, i)])
        i += 1
    return out


def _params(ctx):
    f = _form(ctx)
    p = {k: f[k] for k in ("DBSubnetGroupName", "DBSubnetGroupDescription") if k in f}
    p["SubnetIds"] = _list(f, "SubnetIds.SubnetIdentifier")
    tags, i = [], 1
    while "Tags.Tag.%d.Key" % i in f:
        tags.append({"Key": f["Tags.Tag.%d.Key" % i], "Value": f.get("Tags.Tag.%d.Value" % i, "")})
        i += 1
    if tags:
        p["Tags"] = tags
    return p


def _group(client, ctx, name):
    try:
        return client.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    except ClientError as e:
        if e.response["Error"]["Code"].startswith("DBSubnetGroupNotFound"):
            return None
        raise


@operation("rds", "CreateDBSubnetGroup")
def create_db_subnet_group(ctx):
    p = _params(ctx)
    client = ctx.moto("rds")
    with LOCK:
        if _group(client, ctx, p["DBSubnetGroupName"]) is not None:
            raise ctx.error("DBSubnetGroupAlreadyExists",
                            "The DB subnet group '%s' already exists." % p["DBSubnetGroupName"])
        kwargs = {k: p[k] for k in ("DBSubnetGroupName", "DBSubnetGroupDescription",
                                    "SubnetIds", "Tags") if k in p}
        return {"DBSubnetGroup": client.create_db_subnet_group(**kwargs)["DBSubnetGroup"]}


@operation("rds", "ModifyDBSubnetGroup")
def modify_db_subnet_group(ctx):
    p = _params(ctx)
    name = p["DBSubnetGroupName"]
    client = ctx.moto("rds")
    with LOCK:
        g = _group(client, ctx, name)
        if g is None:
            raise ctx.error("DBSubnetGroupNotFoundFault",
                            "DBSubnetGroup %s not found." % name, 404)
        tags = client.list_tags_for_resource(ResourceName=g["DBSubnetGroupArn"]).get("TagList", [])
        client.delete_db_subnet_group(DBSubnetGroupName=name)
        made = client.create_db_subnet_group(
            DBSubnetGroupName=name,
            DBSubnetGroupDescription=p.get("DBSubnetGroupDescription",
                                           g["DBSubnetGroupDescription"]),
            SubnetIds=p["SubnetIds"], Tags=tags)
        return {"DBSubnetGroup": made["DBSubnetGroup"]}
