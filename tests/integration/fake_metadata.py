# SPDX-License-Identifier: Apache-2.0
"""Fake EC2 IMDSv2 and ECS container-credentials endpoints on 127.0.0.1 for the aws client
integration test. Serves the credentials in CREDS_FILE (STS-shaped JSON from `cohd aws sts
AssumeRole`) in the IMDS / ECS format; logs one line per request to LOG_FILE; writes its port to
PORT_FILE once listening.

  python3 fake_metadata.py PORT_FILE CREDS_FILE LOG_FILE
"""

import datetime
import http.server
import json
import sys

IMDS_TOKEN = "imds-session-token"
ECS_AUTH = "ecs-auth-token"
ROLE = "cohd-test-role"
PREFIX = "/latest/meta-data/iam/security-credentials/"


def creds_document():
    with open(sys.argv[2], encoding="utf-8") as f:
        c = json.load(f)["Credentials"]
    exp = datetime.datetime.fromtimestamp(c["Expiration"], datetime.timezone.utc)
    return json.dumps({
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": c["AccessKeyId"],
        "SecretAccessKey": c["SecretAccessKey"],
        "Token": c["SessionToken"],
        "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "LastUpdated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _log(self, status):
        with open(sys.argv[3], "a", encoding="utf-8") as f:
            f.write(f"{self.command} {self.path} {status}\n")

    def _send(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self._log(status)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/latest/api/token" and \
                self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self._send(200, IMDS_TOKEN)
        else:
            self._send(400, "")

    def do_GET(self):
        if self.path.startswith("/latest/"):
            if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
                self._send(401, "")
            elif self.path == PREFIX:
                self._send(200, ROLE + "\n")
            elif self.path == PREFIX + ROLE:
                self._send(200, creds_document())
            else:
                self._send(404, "")
        elif self.path == "/ecs-creds":
            if self.headers.get("Authorization") != ECS_AUTH:
                self._send(401, "")
            else:
                self._send(200, creds_document())
        else:
            self._send(404, "")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
