"""OpenID STS against a real third-party provider (npm oauth2-mock-server, tests/oidc, started on
a free 127.0.0.1 port): boto3 AssumeRoleWithWebIdentity, the AWS web-identity environment flow,
minio-py WebIdentityProvider and ClientGrantsProvider, each then doing S3 calls limited by the
right policy; role and claim providers at once; jwt:groups conditions; a provider outage.
"""

import base64
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from minio import Minio
from minio.credentials import ClientGrantsProvider, WebIdentityProvider
from minio.error import S3Error

from admin_helpers import admin
from conftest import REGION, REPO_ROOT, Server, free_port

OIDC_DIR = REPO_ROOT / "tests" / "oidc"
CLAIMS_APP = "claims-app"
ROLE_A = "role-app-a"
ROLE_B = "role-app-b"
USERINFO_APP = "userinfo-app"
SOME_AWS_ARN = "arn:aws:iam::123456789012:role/strongbox-test"
USERS = {
    "dillon": {"groups": ["projecta", "projectb"], "preferred_username": "dillon"},
    "liza": {"groups": ["projectb"], "preferred_username": "liza"},
    "svc-client": {"groups": ["projectb"]},
}


def role_arn(client_id: str) -> str:
    """Spec §6.2, derived independently of the server."""
    digest = hashlib.sha1(client_id.encode()).digest()
    return "arn:minio:iam:::role/" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OidcProvider:
    """oauth2-mock-server via tests/oidc/start.js; keys kept in a file so restarts keep them."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.users_file = root / "users.json"
        self.users_file.write_text(json.dumps(USERS))
        self.keys_file = root / "keys.json"
        self.log_path = root / "oidc.log"
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        node = shutil.which("node")
        if node is None:
            pytest.fail("node not installed (test.sh installs nodejs from Debian)")
        if not (OIDC_DIR / "node_modules" / "oauth2-mock-server").is_dir():
            pytest.fail("tests/oidc has no node_modules: run `npm ci` there (test.sh does)")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [node, str(OIDC_DIR / "start.js"), "--port", str(self.port),
             "--users", str(self.users_file), "--keys", str(self.keys_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
        )
        ready = {}
        reader = threading.Thread(target=lambda: ready.update(line=self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=20)
        line = ready.get("line", b"")
        if not line:
            self.stop()
            pytest.fail(f"OpenID provider did not start\n{self.log_path.read_text(errors='replace')}")
        info = json.loads(line)
        assert info["port"] == self.port
        self.issuer = info["issuer"]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
            self._log.close()

    @property
    def config_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def _token(self, form: dict) -> dict:
        data = urllib.parse.urlencode(form).encode()
        with urllib.request.urlopen(f"{self.issuer}/token", data=data, timeout=10) as r:
            return json.loads(r.read())

    def login(self, user: str, client_id: str) -> dict:
        """An id_token (and access token) for `user`, as an app's login would get it."""
        return self._token({"grant_type": "password", "username": user, "password": "unused",
                            "client_id": client_id, "scope": "openid groups"})

    def client_token(self, client_id: str, audience: str) -> dict:
        """A client-credentials access token (AssumeRoleWithClientGrants)."""
        return self._token({"grant_type": "client_credentials", "client_id": client_id, "aud": audience})


class OidcServer(Server):
    """conftest's Server with OpenID variables in its environment."""

    def __init__(self, root: Path, extra_env: dict):
        super().__init__(root, env=extra_env)


def bucket_doc(bucket: str, groups=None) -> dict:
    st = {"Effect": "Allow", "Action": ["s3:*"],
          "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}
    if groups:
        st["Condition"] = {"ForAnyValue:StringEquals": {"jwt:groups": groups}}
    return {"Version": "2012-10-17", "Statement": [st]}


@pytest.fixture
def oidc(tmp_path):
    p = OidcProvider(tmp_path / "oidc")
    yield p
    p.stop()


@pytest.fixture
def sbx(tmp_path, oidc, request):
    """Strongbox with one claim provider (claim `groups`), role providers A (policies conditioned
    on jwt:groups) and B (bucket teamb), and a role provider with UserInfo, all at `oidc`."""
    url = oidc.config_url
    srv = OidcServer(tmp_path / "srv", {
        "MINIO_IDENTITY_OPENID_CONFIG_URL": url,
        "MINIO_IDENTITY_OPENID_CLIENT_ID": CLAIMS_APP,
        "MINIO_IDENTITY_OPENID_CLAIM_NAME": "groups",
        "MINIO_IDENTITY_OPENID_CONFIG_URL_A": url,
        "MINIO_IDENTITY_OPENID_CLIENT_ID_A": ROLE_A,
        "MINIO_IDENTITY_OPENID_ROLE_POLICY_A": "group-a,group-b",
        "MINIO_IDENTITY_OPENID_CONFIG_URL_B": url,
        "MINIO_IDENTITY_OPENID_CLIENT_ID_B": ROLE_B,
        "MINIO_IDENTITY_OPENID_ROLE_POLICY_B": "team-b",
        "MINIO_IDENTITY_OPENID_CONFIG_URL_U": url,
        "MINIO_IDENTITY_OPENID_CLIENT_ID_U": USERINFO_APP,
        "MINIO_IDENTITY_OPENID_ROLE_POLICY_U": "projecta",
        "MINIO_IDENTITY_OPENID_CLAIM_USERINFO_U": "on",
    })
    adm = admin(srv)
    for name, doc in [
        ("projecta", bucket_doc("projecta")),
        ("projectb", bucket_doc("projectb")),
        ("group-a", bucket_doc("groupa", ["projecta"])),
        ("group-b", bucket_doc("groupb", ["projectb"])),
        ("team-b", bucket_doc("teamb")),
    ]:
        adm.policy_add(name, policy=doc)
    root = srv.boto3_client()
    for b in ["projecta", "projectb", "groupa", "groupb", "teamb", "other"]:
        root.create_bucket(Bucket=b)
    yield srv
    srv.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- strongbox log ---\n{srv.log()}")


def web_identity(server, token, arn=SOME_AWS_ARN, **kw):
    # Unsigned, as the AWS SDKs send it.
    client = boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION,
                          config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    return client.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="py", WebIdentityToken=token,
                                                **kw)


def s3_with(server, creds):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def writable(s3, buckets=("projecta", "projectb", "groupa", "groupb", "teamb", "other")) -> list:
    """The buckets `s3` may list, write to and read back. Access is probed with a body-less
    request first: a refused PUT leaves its body unread, and the server currently misreads the
    next request on that connection (reported to the lead; not an OpenID matter)."""
    out = []
    for b in buckets:
        try:
            s3.list_objects_v2(Bucket=b)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", (b, e.response)
            continue
        s3.put_object(Bucket=b, Key="probe", Body=b"x")
        assert s3.get_object(Bucket=b, Key="probe")["Body"].read() == b"x"
        out.append(b)
    return out


def test_startup_log_names_each_role_arn(sbx):
    log = sbx.log()
    for client in (ROLE_A, ROLE_B, USERINFO_APP):
        assert f"RoleArn {role_arn(client)}" in log, log
    assert role_arn("minio-client-app") == "arn:minio:iam:::role/nOybJqMNzNmroqEKq5D0EUsRZw0"


def test_boto3_web_identity_claim_mode(sbx, oidc):
    for user, want in [("dillon", ["projecta", "projectb"]), ("liza", ["projectb"])]:
        token = oidc.login(user, CLAIMS_APP)["id_token"]
        resp = web_identity(sbx, token)
        assert resp["SubjectFromWebIdentityToken"] == user
        assert writable(s3_with(sbx, resp["Credentials"])) == want


def test_boto3_role_providers_and_jwt_groups(sbx, oidc):
    # Role A: the same role gives dillon and liza different buckets through jwt:groups.
    for user, want in [("dillon", ["groupa", "groupb"]), ("liza", ["groupb"])]:
        token = oidc.login(user, ROLE_A)["id_token"]
        creds = web_identity(sbx, token, arn=role_arn(ROLE_A))["Credentials"]
        assert writable(s3_with(sbx, creds)) == want
    token = oidc.login("liza", ROLE_B)["id_token"]
    creds = web_identity(sbx, token, arn=role_arn(ROLE_B))["Credentials"]
    assert writable(s3_with(sbx, creds)) == ["teamb"]


def test_boto3_web_identity_refusals(sbx, oidc):
    # A token for another client id (audience), and one for role A sent with role B's ARN.
    token = oidc.login("dillon", "some-other-app")["id_token"]
    with pytest.raises(ClientError) as e:
        web_identity(sbx, token)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "audience" in e.value.response["Error"]["Message"]
    token = oidc.login("dillon", ROLE_A)["id_token"]
    with pytest.raises(ClientError) as e:
        web_identity(sbx, token, arn=role_arn(ROLE_B))
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    # DurationSeconds below the minimum (botocore refuses to send it, so raw HTTP).
    status, code, msg, _, body = raw_sts(sbx, {"Action": "AssumeRoleWithWebIdentity", "RoleArn": role_arn(ROLE_A),
                                               "WebIdentityToken": token, "DurationSeconds": "899"})
    assert (status, code, msg) == (400, "InvalidParameterValue", "invalid token expiry"), body


def test_aws_web_identity_environment_flow(sbx, oidc, tmp_path, monkeypatch):
    token_file = tmp_path / "token"
    token_file.write_text(oidc.login("liza", ROLE_B)["id_token"])
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", role_arn(ROLE_B))
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "env-flow")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sbx.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    session = boto3.Session()
    creds = session.get_credentials()
    assert creds.method == "assume-role-with-web-identity"
    s3 = session.client("s3", endpoint_url=sbx.endpoint,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    assert writable(s3) == ["teamb"]


def minio_client(server, provider):
    return Minio(f"127.0.0.1:{server.port}", credentials=provider, secure=False, region=REGION)


def minio_writable(client, buckets=("projecta", "projectb", "teamb", "other")) -> list:
    """As `writable`, with minio-py."""
    out = []
    for b in buckets:
        try:
            list(client.list_objects(b))
        except S3Error as e:
            assert e.code == "AccessDenied", (b, e)
            continue
        client.put_object(b, "probe", io.BytesIO(b"m"), 1)
        out.append(b)
    return out


def test_minio_web_identity_provider(sbx, oidc):
    def jwt():
        t = oidc.login("dillon", CLAIMS_APP)
        return {"id_token": t["id_token"], "expires_in": t["expires_in"]}
    provider = WebIdentityProvider(jwt_provider_func=jwt, sts_endpoint=sbx.endpoint)
    assert minio_writable(minio_client(sbx, provider)) == ["projecta", "projectb"]

    def jwt_b():
        t = oidc.login("liza", ROLE_B)
        return {"id_token": t["id_token"], "expires_in": t["expires_in"]}
    provider = WebIdentityProvider(jwt_provider_func=jwt_b, sts_endpoint=sbx.endpoint, role_arn=role_arn(ROLE_B))
    assert minio_writable(minio_client(sbx, provider)) == ["teamb"]


def test_minio_client_grants_provider(sbx, oidc):
    def jwt():
        t = oidc.client_token("svc-client", CLAIMS_APP)
        return {"access_token": t["access_token"], "expires_in": t["expires_in"]}
    provider = ClientGrantsProvider(jwt_provider_func=jwt, sts_endpoint=sbx.endpoint)
    creds = provider.retrieve()
    assert creds.access_key and creds.session_token
    assert minio_writable(minio_client(sbx, provider)) == ["projectb"]


def raw_sts(server, params: dict):
    """An unsigned STS POST; (status, code, message, elapsed seconds)."""
    data = urllib.parse.urlencode({"Version": "2011-06-15", **params}).encode()
    req = urllib.request.Request(server.endpoint + "/", data=data,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    t = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    took = time.monotonic() - t
    code = re.search(r"<Code>(.*?)</Code>", body)
    msg = re.search(r"<Message>(.*?)</Message>", body)
    return status, code and code.group(1), msg and msg.group(1), took, body


def test_provider_outage(sbx, oidc):
    """Stop the provider: issued credentials keep working, tokens with cached keys still verify,
    issuance that needs the provider fails in under 6 s; it resumes when the provider is back."""
    claim_token = oidc.login("dillon", CLAIMS_APP)["id_token"]
    creds = web_identity(sbx, claim_token)["Credentials"]
    login = oidc.login("dillon", USERINFO_APP)
    userinfo_call = {"Action": "AssumeRoleWithWebIdentity", "RoleArn": role_arn(USERINFO_APP),
                     "WebIdentityToken": login["id_token"], "WebIdentityAccessToken": login["access_token"]}
    status, _, _, _, body = raw_sts(sbx, userinfo_call)
    assert status == 200, body

    oidc.stop()
    assert writable(s3_with(sbx, creds), ("projecta",)) == ["projecta"]
    assert web_identity(sbx, claim_token)["SubjectFromWebIdentityToken"] == "dillon"
    status, code, msg, took, body = raw_sts(sbx, userinfo_call)
    assert (status, code) == (400, "InvalidParameterValue"), body
    assert "could not be reached" in msg
    assert took < 6

    oidc.start()
    status, _, _, _, body = raw_sts(sbx, userinfo_call)
    assert status == 200, body

    # A provider that accepts connections but never answers: bounded by the 5 s timeout.
    oidc.proc.send_signal(signal.SIGSTOP)
    try:
        status, code, msg, took, body = raw_sts(sbx, userinfo_call)
    finally:
        oidc.proc.send_signal(signal.SIGCONT)
    assert (status, code) == (400, "InvalidParameterValue"), body
    assert "could not be reached" in msg
    assert 4 <= took < 6, took
    status, _, _, _, body = raw_sts(sbx, userinfo_call)
    assert status == 200, body
