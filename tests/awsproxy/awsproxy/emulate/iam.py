"""IAM operations moto 5.2 lacks.

ListInstanceProfileTags: moto has TagInstanceProfile and UntagInstanceProfile
but no ListInstanceProfileTags (its server answers 500).  AWS answers the
profile's tags (``Tags``, ``IsTruncated``), or NoSuchEntity (404) for an unknown
profile.  Here: moto's GetInstanceProfile, which carries the tags.
"""

from botocore.exceptions import ClientError

from . import operation


@operation("iam", "ListInstanceProfileTags")
def list_instance_profile_tags(ctx):
    name = ctx.params["InstanceProfileName"]
    try:
        profile = ctx.moto("iam").get_instance_profile(InstanceProfileName=name)
    except ClientError as e:
        err = e.response["Error"]
        raise ctx.error(err.get("Code", "NoSuchEntity"), err.get("Message", ""),
                        e.response["ResponseMetadata"].get("HTTPStatusCode", 404))
    return {"Tags": profile["InstanceProfile"].get("Tags", []), "IsTruncated": False}
