"""SigV4 checking: recompute each request's signature with botocore's signer.

The signature is recomputed over exactly the headers the client listed in
SignedHeaders (S3 rules for S3: no path normalisation, payload hash from
x-amz-content-sha256), with the secret of the access key the client named.
Failures raise AuthFailure with a meaning ("missing", "incomplete",
"content_sha256", "content_sha256_mismatch", "unknown_key", "bad_token",
"signature", "skew") that errors.auth_error maps to each protocol's real code.
"""

import datetime
import email.utils
import hashlib
import hmac
import re
import threading
from urllib.parse import quote, unquote

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
SKEW_SECONDS = 300
S3_SKEW_SECONDS = 900
_AUTH_PART = re.compile(r"(\w+)=([^,\s]*)")
_XML_FIELD = "<{0}>([^<]*)</{0}>"


class AuthFailure(Exception):
    """A request failed authentication; ``meaning`` selects the AWS code."""

    def __init__(self, meaning, message):
        super().__init__(message)
        self.meaning = meaning
        self.message = message


class KeyStore:
    """Access keys the proxy accepts: static pairs plus learned session keys.

    Session credentials (and access keys) that moto hands out through STS and
    IAM are learned from moto's responses, so they work as they would on AWS.
    """

    def __init__(self, pairs):
        self._keys = {akid: (secret, None) for akid, secret in pairs}
        self._lock = threading.Lock()

    def get(self, akid):
        """(secret, session token or None) for ``akid``, or None if unknown."""
        return self._keys.get(akid)

    def learn(self, xml_body):
        """Remember the credentials in an STS/IAM response body, if any."""
        text = xml_body.decode("utf-8", "replace")
        akid = re.search(_XML_FIELD.format("AccessKeyId"), text)
        secret = re.search(_XML_FIELD.format("SecretAccessKey"), text)
        if not (akid and secret):
            return
        token = re.search(_XML_FIELD.format("SessionToken"), text)
        with self._lock:
            self._keys[akid.group(1)] = (secret.group(1), token.group(1) if token else None)


class AuthInfo:
    """What a request's Authorization header (or presigned query) claims."""

    __slots__ = ("akid", "date", "region", "service", "signed_headers", "signature",
                 "amz_date", "presigned", "expires")

    def __init__(self):
        self.presigned = False
        self.expires = None


def parse(headers, query):
    """Read the SigV4 claims of a request; raise AuthFailure if absent or malformed.

    ``headers`` offers case-insensitive get(), ``query`` is a dict of lists.
    """
    info = AuthInfo()
    auth = headers.get("Authorization")
    if auth is None and "X-Amz-Algorithm" in query:
        info.presigned = True
        if query["X-Amz-Algorithm"][0] != ALGORITHM:
            raise AuthFailure("incomplete", "Unsupported algorithm in X-Amz-Algorithm.")
        parts = {k: query.get("X-Amz-" + k, [None])[0]
                 for k in ("Credential", "SignedHeaders", "Signature")}
        info.amz_date = query.get("X-Amz-Date", [None])[0]
        try:
            info.expires = int(query.get("X-Amz-Expires", ["604800"])[0])
        except ValueError:
            raise AuthFailure("incomplete", "X-Amz-Expires should be a number") from None
    elif auth is None:
        raise AuthFailure("missing", "Request is missing Authentication Token")
    else:
        algorithm, _, rest = auth.strip().partition(" ")
        if algorithm != ALGORITHM:
            raise AuthFailure("incomplete", f"Unsupported Authorization Type: {algorithm}")
        parts = dict(_AUTH_PART.findall(rest))
        info.amz_date = headers.get("X-Amz-Date")
        if info.amz_date is None and headers.get("Date"):
            try:
                when = email.utils.parsedate_to_datetime(headers.get("Date"))
                info.amz_date = when.strftime("%Y%m%dT%H%M%SZ")
            except (TypeError, ValueError):
                pass
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise AuthFailure("incomplete", " ".join(
            f"Authorization header requires '{k}' parameter." for k in missing))
    scope = unquote(parts["Credential"]).split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise AuthFailure("incomplete", "Credential should be scoped to a valid region, "
                          "service and ending with 'aws4_request'.")
    info.akid, info.date, info.region, info.service, _ = scope
    info.signed_headers = parts["SignedHeaders"].split(";")
    info.signature = parts["Signature"]
    if "host" not in info.signed_headers:
        raise AuthFailure("incomplete", "'Host' or ':authority' must be a 'SignedHeader' "
                          "in the AWS Authorization.")
    if not info.amz_date:
        raise AuthFailure("incomplete", "Authorization header requires existence of either "
                          "a 'X-Amz-Date' or a 'Date' header.")
    return info


class _Signer(SigV4Auth):
    """botocore's SigV4 signer over exactly the client's SignedHeaders."""

    def __init__(self, credentials, service, region, body_hash):
        super().__init__(credentials, service, region)
        self._body_hash = body_hash

    def headers_to_sign(self, request):
        return request.headers

    def payload(self, request):
        return self._body_hash


class _S3Signer(_Signer, S3SigV4Auth):
    """The S3 variant: the path is encoded once and never normalised."""

    def _normalize_url_path(self, path):
        return quote(unquote(path), safe="/~")


class Verifier:
    """Checks the SigV4 signature of requests against a KeyStore."""

    def __init__(self, keys, clock=None):
        self.keys = keys
        self._clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))

    def verify(self, info, req, s3=False):
        """Raise AuthFailure unless ``req`` is signed correctly per ``info``.

        ``req`` offers method, host, path, query_pairs, headers and body.
        """
        self._check_time(info, s3)
        entry = self.keys.get(info.akid)
        if entry is None:
            raise AuthFailure("unknown_key", "The security token included in the request is "
                              "invalid." if not s3 else "The AWS Access Key Id you provided "
                              "does not exist in our records.")
        secret, token = entry
        sent_token = req.headers.get("X-Amz-Security-Token") or \
            req.query.get("X-Amz-Security-Token", [None])[0]
        if sent_token != token:
            raise AuthFailure("bad_token", "The security token included in the request is invalid.")
        if info.date != info.amz_date[:8]:
            raise AuthFailure("signature", "Date in Credential scope does not match YYYYMMDD "
                              "from ISO-8601 version of date from HTTP.")
        if s3:
            body_hash = self._s3_payload_hash(info, req)
        else:
            body_hash = hashlib.sha256(req.body).hexdigest()
        signed = HTTPHeaders()
        for name in info.signed_headers:
            for value in req.headers.get_all(name) or ():
                signed[name] = value
        pairs = [(k, v) for k, v in req.query_pairs
                 if not (info.presigned and k == "X-Amz-Signature")]
        request = AWSRequest(method=req.method, url=f"http://{req.host}{req.path}",
                             headers=signed, params=pairs)
        request.context["timestamp"] = info.amz_date
        cls = _S3Signer if s3 else _Signer
        signer = cls(Credentials(info.akid, secret), info.service, info.region, body_hash)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, info.signature):
            raise AuthFailure("signature", "The request signature we calculated does not match "
                              "the signature you provided. Check your AWS Secret Access Key "
                              "and signing method. Consult the service documentation for details.")

    def _s3_payload_hash(self, info, req):
        if info.presigned:
            return "UNSIGNED-PAYLOAD"
        claimed = req.headers.get("X-Amz-Content-SHA256")
        if claimed is None:
            raise AuthFailure("content_sha256", "Missing required header for this request: "
                              "x-amz-content-sha256")
        if re.fullmatch(r"[0-9a-f]{64}", claimed) and \
                claimed != hashlib.sha256(req.body).hexdigest():
            raise AuthFailure("content_sha256_mismatch", "The provided 'x-amz-content-sha256' "
                              "header does not match what was computed.")
        return claimed

    def _check_time(self, info, s3):
        d = info.amz_date
        try:
            if len(d) != 16 or d[8] != "T" or d[15] != "Z":
                raise ValueError(d)
            when = datetime.datetime(int(d[0:4]), int(d[4:6]), int(d[6:8]), int(d[9:11]),
                                     int(d[11:13]), int(d[13:15]), tzinfo=datetime.timezone.utc)
        except ValueError:
            raise AuthFailure("incomplete", "Date must be in ISO-8601 'basic format'. Got "
                              f"'{info.amz_date}'. See "
                              "http://en.wikipedia.org/wiki/ISO_8601") from None
        now = self._clock()
        if info.presigned:
            if now > when + datetime.timedelta(seconds=info.expires):
                raise AuthFailure("skew", "Request has expired")
            return
        window = datetime.timedelta(seconds=S3_SKEW_SECONDS if s3 else SKEW_SECONDS)
        fmt = "%Y%m%dT%H%M%SZ"
        if s3 and abs(now - when) > window:
            raise AuthFailure("skew", "The difference between the request time and the "
                              "current time is too large.")
        if when < now - window:
            raise AuthFailure("skew", f"Signature expired: {info.amz_date} is now earlier "
                              f"than {(now - window).strftime(fmt)} ({now.strftime(fmt)} - 5 min.)")
        if when > now + window:
            raise AuthFailure("skew", f"Signature not yet current: {info.amz_date} is still "
                              f"later than {(now + window).strftime(fmt)} "
                              f"({now.strftime(fmt)} + 5 min.)")
