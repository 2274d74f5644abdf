"""AssumeRoleWithCustomToken end to end: the real `strongbox` binary, an identity plugin (the
user's own web service, here a small http.server in this process) and the raw HTTP call a client
makes (no SDK has a provider for this action): `POST /?Action=AssumeRoleWithCustomToken&...`.

The plugin claims travel into the credential as `jwt:*` policy variables; boto3 then uses the
credential for S3.
"""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from admin_helpers import admin
from conftest import REGION, Server

NS = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
AUTH = "Bearer py-plugin-secret"
ROLE_ARN = "arn:minio:iam:::role/idmp-pyplugin"
USERS = {
    "tok-alice": {"user": "alice", "maxValiditySeconds": 3600, "claims": {"team": "blue", "sub": "root"}},
    "tok-bob": {"user": "bob", "maxValiditySeconds": 1200, "claims": {"team": "red"}},
}


class Plugin(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        Plugin.seen.append({"query": query, "auth": self.headers.get("Authorization")})
        token = query.get("token", [""])[0]
        if self.headers.get("Authorization") != AUTH:
            status, body = 401, {}
        elif token in USERS:
            status, body = 200, USERS[token]
        else:
            status, body = 403, {"reason": f"unknown token ({len(token)} chars)"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class PluginServer(Server):
    """conftest's Server with identity plugin variables in its environment."""

    def __init__(self, root: Path, extra_env: dict):
        super().__init__(root, env=extra_env)


@pytest.fixture
def plugin():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Plugin)
    Plugin.seen = []
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/authn"
    httpd.shutdown()


@pytest.fixture
def sbx(tmp_path, plugin, request):
    srv = PluginServer(tmp_path / "srv", {
        "MINIO_IDENTITY_PLUGIN_URL": plugin,
        "MINIO_IDENTITY_PLUGIN_AUTH_TOKEN": AUTH,
        "MINIO_IDENTITY_PLUGIN_ROLE_POLICY": "teams",
        "MINIO_IDENTITY_PLUGIN_ROLE_ID": "pyplugin",
        "MINIO_IDENTITY_PLUGIN_COMMENT": "python e2e plugin",
    })
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": [
        "arn:aws:s3:::${jwt:team}", "arn:aws:s3:::${jwt:team}/*"]}]}
    admin(srv).policy_add("teams", policy=doc)
    root = srv.boto3_client()
    for b in ["blue", "red"]:
        root.create_bucket(Bucket=b)
    yield srv
    srv.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- strongbox log ---\n{srv.log()}")


def custom_token(server, token, **extra):
    """The raw client call: unsigned POST, parameters in the query string."""
    params = {"Action": "AssumeRoleWithCustomToken", "Version": "2011-06-15", "Token": token,
              "RoleArn": ROLE_ARN, **extra}
    url = f"{server.endpoint}/?{urllib.parse.urlencode(params)}"
    req = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def creds_of(body):
    c = ET.fromstring(body).find(".//s:Credentials", NS)
    return {k: c.find(f"s:{k}", NS).text for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def s3_with(server, creds):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def test_startup_log_names_the_role_arn(sbx):
    assert re.search(r"identity plugin: RoleArn arn:minio:iam:::role/idmp-pyplugin", sbx.log()), sbx.log()


def test_raw_http_client_and_jwt_policy_variable(sbx):
    status, body = custom_token(sbx, "tok-alice")
    assert status == 200, body
    assert ET.fromstring(body).find(".//s:AssumedUser", NS).text == "custom:alice"
    assert Plugin.seen[-1]["query"]["token"] == ["tok-alice"]
    assert Plugin.seen[-1]["auth"] == AUTH
    s3 = s3_with(sbx, creds_of(body))
    s3.put_object(Bucket="blue", Key="k", Body=b"hello")
    assert s3.get_object(Bucket="blue", Key="k")["Body"].read() == b"hello"
    with pytest.raises(Exception) as e:
        s3.put_object(Bucket="red", Key="k", Body=b"no")
    assert "AccessDenied" in str(e.value)


def test_refusal_carries_the_reason_and_the_token_is_not_logged(sbx):
    secret = "tok-unknown-0123456789-very-secret"
    status, body = custom_token(sbx, secret)
    assert status == 403, body
    assert "<Code>AccessDenied</Code>" in body
    assert f"unknown token ({len(secret)} chars)" in body
    assert secret not in sbx.log()


def test_duration_capped_by_max_validity(sbx):
    status, body = custom_token(sbx, "tok-bob", DurationSeconds="7200")
    assert status == 200, body
    status, body = custom_token(sbx, "tok-bob", DurationSeconds="100")
    assert status == 400 and "InvalidParameterValue" in body, body
