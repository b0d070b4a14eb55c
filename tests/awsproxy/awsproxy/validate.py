"""Model validation: read a request into operation members, check them.

Each protocol's wire form is read back into the members of the operation's
input shape (botocore's model, the same rules botocore's serializers use) and
checked for missing required members, unknown members, wrong types and enum
values:

  query / ec2   form parameters ("Tags.member.1.Key", ec2 "Filter.1.Value.1")
  json          the JSON body
  rest-json     URI labels, query string, headers and the JSON body
  rest-xml      URI labels, query string, headers and the XML body

Problems raise Invalid(meaning, message); errors.validation_error maps the
meaning ("missing", "unknown", "invalid", "type") to the protocol's code.
Unknown query-string parameters and headers of REST requests are not errors
(AWS ignores them too).
"""

import base64
import hashlib
import json
import re
import zlib
import xml.etree.ElementTree as ET

# SigV4 presigned-URL parameters, never operation members.
AUTH_PARAMS = frozenset(("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                         "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"))
_ISO8601 = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_STRICT_NAMESPACE = ("route53", "cloudfront")


class Invalid(Exception):
    """The request does not fit its operation's model."""

    def __init__(self, meaning, message, code=None):
        super().__init__(message)
        self.meaning = meaning
        self.message = message
        self.code = code


def _missing(path, ec2=False):
    if ec2:
        return Invalid("missing", f"The request must contain the parameter {path}")
    return Invalid("missing", f"1 validation error detected: Value null at '{path}' "
                   "failed to satisfy constraint: Member must not be null")


def _unknown(path, ec2=False):
    if ec2:
        return Invalid("unknown", f"The parameter {path} is not recognized")
    return Invalid("unknown", f"1 validation error detected: Unknown parameter '{path}': "
                   "not a member of the operation's input")


def _bad_enum(value, path, shape):
    return Invalid("invalid", f"1 validation error detected: Value '{value}' at '{path}' "
                   "failed to satisfy constraint: Member must satisfy enum value set: "
                   f"[{', '.join(shape.enum)}]")


def _bad_type(value, path, shape):
    return Invalid("type", f"Invalid value '{value}' at '{path}': expected "
                   f"{shape.type_name}")


def check_text(shape, text, path):
    """Check a scalar sent as text (query, URI, header, XML)."""
    t = shape.type_name
    if t == "string":
        if shape.enum and text not in shape.enum:
            raise _bad_enum(text, path, shape)
    elif t in ("integer", "long"):
        if not re.fullmatch(r"[-+]?\d+", text):
            raise _bad_type(text, path, shape)
    elif t in ("float", "double"):
        if not _NUMBER.match(text) and text not in ("NaN", "Infinity", "-Infinity"):
            raise _bad_type(text, path, shape)
    elif t == "boolean":
        if text.lower() not in ("true", "false"):
            raise _bad_type(text, path, shape)
    elif t == "timestamp":
        if not (_ISO8601.match(text) or _NUMBER.match(text) or _HTTP_DATE.match(text)):
            raise _bad_type(text, path, shape)
    elif t in ("structure", "list", "map") and text != "":
        raise _bad_type(text, path, shape)


# ---------------------------------------------------------------- query, ec2

class _Node:
    """One dotted-name component of form parameters."""

    __slots__ = ("value", "children")

    def __init__(self):
        self.value = None
        self.children = {}


def _tree(params):
    root = _Node()
    for key, values in params.items():
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = values[0]
    return root


def check_query(op, params, ec2):
    """Check form parameters (Action/Version already removed) against ``op``."""
    root = _tree({k: v for k, v in params.items() if k not in AUTH_PARAMS})
    if op.input_shape is not None:
        _q_structure(op.input_shape, root, "", ec2)
    for name in root.children:
        raise _unknown(name, ec2)


def _q_name(name, shape, ec2):
    ser = shape.serialization
    if ec2:
        if "queryName" in ser:
            return ser["queryName"]
        if "name" in ser:
            return ser["name"][0].upper() + ser["name"][1:]
        return name
    if shape.type_name == "list" and ser.get("flattened") and "name" in shape.member.serialization:
        return shape.member.serialization["name"]
    return ser.get("name", name)


def _q_walk(shape, node, path, ec2):
    t = shape.type_name
    if t == "structure":
        _q_structure(shape, node, path + ".", ec2)
    elif t == "list":
        _q_list(shape, node, path, ec2)
    elif t == "map":
        _q_map(shape, node, path, ec2)
    else:
        check_text(shape, node.value or "", path)
    for child in node.children:
        raise _unknown(f"{path}.{child}", ec2)


def _q_structure(shape, node, prefix, ec2):
    for name, member in shape.members.items():
        wire = _q_name(name, member, ec2)
        child = node.children.pop(wire, None)
        if child is None:
            if name in shape.required_members:
                raise _missing(prefix + wire, ec2)
            continue
        _q_walk(member, child, prefix + wire, ec2)


def _q_items(container, path, ec2):
    """The numbered children of a list or map container, checked 1-based."""
    items = container.children
    container.children = {}
    for index in items:
        if not index.isdigit() or index == "0":
            raise _unknown(f"{path}.{index}", ec2)
    return sorted(items.items(), key=lambda kv: int(kv[0]))


def _q_list(shape, node, path, ec2):
    if ec2 or shape.serialization.get("flattened"):
        container, cpath = node, path
    else:
        item = shape.member.serialization.get("name", "member")
        container = node.children.pop(item, None)
        cpath = f"{path}.{item}"
        if container is None:
            if node.value not in ("", None) or node.children:
                raise _unknown(f"{path}", ec2)
            return
    for index, child in _q_items(container, cpath, ec2):
        _q_walk(shape.member, child, f"{cpath}.{index}", ec2)


def _q_map(shape, node, path, ec2):
    if shape.serialization.get("flattened"):
        container, cpath = node, path
    else:
        container = node.children.pop("entry", None)
        cpath = f"{path}.entry"
        if container is None:
            return
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    for index, entry in _q_items(container, cpath, ec2):
        key = entry.children.pop(key_name, None)
        if key is None:
            raise _missing(f"{cpath}.{index}.{key_name}", ec2)
        _q_walk(shape.key, key, f"{cpath}.{index}.{key_name}", ec2)
        value = entry.children.pop(value_name, None)
        if value is not None:
            _q_walk(shape.value, value, f"{cpath}.{index}.{value_name}", ec2)
        for child in entry.children:
            raise _unknown(f"{cpath}.{index}.{child}", ec2)


# ---------------------------------------------------------------- json

def parse_json(body):
    """The JSON object of a json/rest-json body ({} when empty)."""
    if not body.strip():
        return {}
    try:
        doc = json.loads(body)
    except ValueError as e:
        raise Invalid("type", f"Unable to parse the request body as JSON: {e}") from None
    if not isinstance(doc, dict):
        raise Invalid("type", "The request body must be a JSON object")
    return doc


def check_json(shape, doc, path="", members=None):
    """Check a decoded JSON value against ``shape`` (structure members limited
    to ``members`` at the top level of rest-json bodies)."""
    t = shape.type_name
    if t == "structure":
        if getattr(shape, "is_document_type", False):
            return
        if not isinstance(doc, dict):
            raise _bad_type(_short(doc), path or shape.name, shape)
        names = members if members is not None else shape.members
        for key, value in doc.items():
            if key not in names:
                raise _unknown(path + key)
            if value is not None:
                check_json(shape.members[key], value, f"{path}{key}.")
        for name in shape.required_members:
            if name in names and doc.get(name) is None:
                raise _missing(path + name)
        _check_union(shape, [k for k, v in doc.items() if v is not None], path)
        return
    where = path.rstrip(".")
    if t == "list":
        if not isinstance(doc, list):
            raise _bad_type(_short(doc), where, shape)
        for i, item in enumerate(doc, 1):
            check_json(shape.member, item, f"{where}.{i}.")
    elif t == "map":
        if not isinstance(doc, dict):
            raise _bad_type(_short(doc), where, shape)
        for key, value in doc.items():
            check_json(shape.key, key, f"{where}.{key}.")
            check_json(shape.value, value, f"{where}.{key}.")
    elif t == "string":
        if not isinstance(doc, str):
            raise _bad_type(_short(doc), where, shape)
        if shape.enum and doc not in shape.enum:
            raise _bad_enum(doc, where, shape)
    elif t in ("integer", "long"):
        if not isinstance(doc, int) or isinstance(doc, bool):
            raise _bad_type(_short(doc), where, shape)
    elif t in ("float", "double"):
        if isinstance(doc, bool) or not isinstance(doc, (int, float, str)) or \
                (isinstance(doc, str) and doc not in ("NaN", "Infinity", "-Infinity")):
            raise _bad_type(_short(doc), where, shape)
    elif t == "boolean":
        if not isinstance(doc, bool):
            raise _bad_type(_short(doc), where, shape)
    elif t == "timestamp":
        if isinstance(doc, bool) or not isinstance(doc, (int, float, str)):
            raise _bad_type(_short(doc), where, shape)
    elif t == "blob":
        if not isinstance(doc, str):
            raise _bad_type(_short(doc), where, shape)


def _short(value):
    text = json.dumps(value)
    return text if len(text) < 40 else text[:37] + "..."


def _check_union(shape, present, path):
    if getattr(shape, "is_tagged_union", False) and len(present) > 1:
        raise Invalid("invalid", f"Only one member of {path.rstrip('.') or shape.name} "
                      f"may be set, got {', '.join(present)}")


# ---------------------------------------------------------------- xml

def _local(tag):
    return tag.rpartition("}")[2]


def parse_xml(body, root_shape, root_name, service):
    """Parse an XML body and check its root element name and namespace."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise Invalid("unknown", f"The XML you provided was not well-formed: {e}") from None
    if _local(root.tag) != root_name:
        raise Invalid("unknown", f"Unexpected root element <{_local(root.tag)}>, "
                      f"expected <{root_name}>")
    ns = root_shape.serialization.get("xmlNamespace", {}).get("uri")
    if ns and service in _STRICT_NAMESPACE and root.tag != f"{{{ns}}}{root_name}":
        raise Invalid("unknown", f"Invalid XML; element <{root_name}> must be in "
                      f"namespace {ns}")
    return root


def check_xml(shape, elem, path, members=None):
    """Check an XML element against ``shape``."""
    t = shape.type_name
    if t == "structure":
        _x_structure(shape, elem, path, members)
    elif t == "list":
        item = shape.member.serialization.get("name", "member")
        for i, child in enumerate(elem, 1):
            if _local(child.tag) != item:
                raise _unknown(f"{path}.{_local(child.tag)}")
            check_xml(shape.member, child, f"{path}.{i}")
    elif t == "map":
        entries = [elem] if shape.serialization.get("flattened") else list(elem)
        _x_map_entries(shape, entries, path)
    else:
        for child in elem:
            raise _unknown(f"{path}.{_local(child.tag)}")
        check_text(shape, (elem.text or "").strip() if shape.type_name != "string"
                   else elem.text or "", path)


def _x_map_entries(shape, entries, path):
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    for entry in entries:
        parts = {_local(c.tag): c for c in entry}
        if key_name not in parts:
            raise _missing(f"{path}.{key_name}")
        for name, child in parts.items():
            if name == key_name:
                check_xml(shape.key, child, f"{path}.{name}")
            elif name == value_name:
                check_xml(shape.value, child, f"{path}.{name}")
            else:
                raise _unknown(f"{path}.{name}")


def _x_structure(shape, elem, path, members):
    names = members if members is not None else shape.members
    by_wire = {}
    for name in names:
        member = shape.members[name]
        if member.serialization.get("xmlAttribute"):
            continue
        wire = member.serialization.get("name", name)
        # Two members may share an element name (S3's deprecated Event and
        # flattened Events): the flattened list takes every such element.
        if wire not in by_wire or member.serialization.get("flattened"):
            by_wire[wire] = name
    seen = {}
    for child in elem:
        wire = _local(child.tag)
        name = by_wire.get(wire)
        if name is None:
            raise _unknown(f"{path}.{wire}" if path else wire)
        seen.setdefault(name, []).append(child)
    for name, children in seen.items():
        member = shape.members[name]
        where = f"{path}.{name}" if path else name
        flattened = member.type_name in ("list", "map") and member.serialization.get("flattened")
        if flattened and member.type_name == "list":
            for i, child in enumerate(children, 1):
                check_xml(member.member, child, f"{where}.{i}")
        elif flattened:
            _x_map_entries(member, children, where)
        elif len(children) > 1:
            raise Invalid("unknown", f"Element {where} appears more than once")
        else:
            check_xml(member, children[0], where)
    for name in shape.required_members:
        if name in names and name not in seen and name in by_wire.values():
            raise _missing(f"{path}.{name}" if path else name)
    _check_union(shape, list(seen), path)
    _check_quantity(shape, seen, path)


def _check_quantity(shape, seen, path):
    """CloudFront's rule: a Quantity member equals the number of Items."""
    if "Quantity" in seen and "Items" in shape.members and \
            shape.members["Items"].type_name == "list":
        text = (seen["Quantity"][0].text or "").strip()
        count = len(seen["Items"][0]) if "Items" in seen else 0
        if text.isdigit() and int(text) != count:
            raise Invalid("invalid", f"The parameter Quantity of {path or shape.name} "
                          f"({text}) does not match the number of Items ({count})")


# ---------------------------------------------------------------- rest

def check_rest(service, op, labels, query, headers, body):
    """Check a rest-json or rest-xml request (labels already matched)."""
    shape = op.input_shape
    if service.name == "s3":
        _check_s3_checksum(op, headers, body)
    if shape is None:
        return
    body_members = []
    present = set()
    for name, member in shape.members.items():
        ser = member.serialization
        loc = ser.get("location")
        wire = ser.get("name", name)
        if loc == "uri":
            if wire in labels:
                present.add(name)
                check_text(member, labels[wire], name)
        elif loc == "querystring":
            if member.type_name == "map":
                present.add(name)
                continue
            values = query.get(wire)
            if values is None:
                continue
            present.add(name)
            target = member.member if member.type_name == "list" else member
            for v in values if member.type_name == "list" else values[:1]:
                check_text(target, v, name)
        elif loc == "header":
            value = headers.get(wire)
            if value is None:
                continue
            present.add(name)
            if member.type_name == "list":
                for v in value.split(","):
                    check_text(member.member, v.strip(), name)
            elif not ser.get("jsonvalue"):
                check_text(member, value, name)
        elif loc in ("headers", "statusCode"):
            present.add(name)
        elif name != shape.serialization.get("payload"):
            body_members.append(name)
    for name in shape.required_members:
        member = shape.members[name]
        if member.serialization.get("location") and name not in present:
            raise _missing(member.serialization.get("name", name))
    protocol = service.protocol
    payload = shape.serialization.get("payload")
    if payload:
        _check_payload(shape, payload, body, protocol, service.name)
    elif body_members:
        if protocol == "rest-json":
            check_json(shape, parse_json(body), "", body_members)
        elif body.strip():
            root = parse_xml(body, shape, shape.serialization.get("name", shape.name),
                             service.name)
            check_xml(shape, root, "", body_members)
        else:
            for name in shape.required_members:
                if name in body_members:
                    raise _missing(name)


def _check_payload(shape, payload, body, protocol, service):
    member = shape.members[payload]
    if member.type_name != "structure":
        return
    if not body.strip():
        if payload in shape.required_members:
            raise Invalid("missing", f"Request body is empty: {payload} is required",
                          "MissingRequestBodyError" if service == "s3" else None)
        return
    if protocol == "rest-json":
        check_json(member, parse_json(body), f"{payload}.")
    else:
        root = parse_xml(body, member, member.serialization.get("name", payload), service)
        check_xml(member, root, "")


def _check_s3_checksum(op, headers, body):
    """S3 demands Content-MD5 or a checksum header on some operations; check both."""
    md5 = headers.get("Content-MD5")
    if md5 is not None:
        if base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
            raise Invalid("invalid", "The Content-MD5 you specified did not match what we "
                          "received.", "BadDigest")
    for name, algo in (("x-amz-checksum-crc32", "crc32"), ("x-amz-checksum-sha256", "sha256"),
                       ("x-amz-checksum-sha1", "sha1")):
        claimed = headers.get(name)
        if claimed is None:
            continue
        if algo == "crc32":
            digest = zlib.crc32(body).to_bytes(4, "big")
        else:
            digest = hashlib.new(algo, body).digest()
        if base64.b64encode(digest).decode() != claimed.strip():
            raise Invalid("invalid", f"Value for {name} header is invalid.", "BadDigest")
    required = op.http_checksum_required or op.http_checksum.get("requestChecksumRequired")
    if required and md5 is None and not any(
            k.lower().startswith("x-amz-checksum-") or k.lower() == "x-amz-sdk-checksum-algorithm"
            for k in headers.keys()):
        raise Invalid("missing", "Missing required header for this request: Content-MD5",
                      "InvalidRequest")
