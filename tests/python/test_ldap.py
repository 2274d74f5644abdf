"""AssumeRoleWithLDAPIdentity end to end with minio-py: the real `strongbox` binary against a
throwaway slapd (tests/ldap/start-slapd.sh; users, groups and passwords in tests/ldap/README.md).

minio-py's `MinioAdmin.attach_policy_ldap` / `detach_policy_ldap` map policies to DNs, its
`LdapIdentityProvider` gets the credential (it sends the password in the query string), and a
`Minio` client uses it within the policy. Without slapd the tests skip, except under CI=true.
"""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from minio import Minio
from minio.credentials import LdapIdentityProvider
from minio.error import S3Error

from admin_helpers import admin, bucket_policy, host
from conftest import REGION, Server, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PEOPLE = "ou=people,dc=example,dc=org"
PROJECT_A = "cn=projecta,ou=groups,dc=example,dc=org"
PROJECT_B = "cn=projectb,ou=groups,dc=example,dc=org"


def slapd_installed() -> bool:
    return (shutil.which("slapd") or os.path.exists("/usr/sbin/slapd")) and shutil.which("ldapsearch")


@pytest.fixture
def slapd():
    if not slapd_installed():
        if os.environ.get("CI") == "true":
            pytest.fail("slapd/ldap-utils missing in CI (test.sh installs them)")
        pytest.skip("slapd or ldap-utils not installed (run ./test.sh to install them)")
    data = tempfile.mkdtemp(prefix="strongbox-py-slapd-")
    port = free_port()
    subprocess.run(["bash", str(REPO_ROOT / "tests/ldap/start-slapd.sh"), data, str(port)],
                   check=True, capture_output=True)
    yield port
    subprocess.run(["bash", str(REPO_ROOT / "tests/ldap/stop-slapd.sh"), data], capture_output=True)
    shutil.rmtree(data, ignore_errors=True)


class LdapServer(Server):
    """conftest's Server with the MINIO_IDENTITY_LDAP_* variables for the throwaway slapd."""

    def __init__(self, root: Path, ldap_port: int):
        super().__init__(root, env=dict(
            MINIO_IDENTITY_LDAP_SERVER_ADDR=f"127.0.0.1:{ldap_port}",
            MINIO_IDENTITY_LDAP_SERVER_INSECURE="on",
            MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN="cn=lookup,dc=example,dc=org",
            MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD="lookup-secret",
            MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN=PEOPLE,
            MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER="(uid=%s)",
            MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN="ou=groups,dc=example,dc=org",
            MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER="(&(objectclass=groupOfNames)(member=%d))",
            STRONGBOX_LOG="debug",
        ))


@pytest.fixture
def sbx(tmp_path, slapd, request):
    srv = LdapServer(tmp_path / "srv", slapd)
    adm = admin(srv)
    adm.policy_add("projecta-rw", policy=bucket_policy(["s3:*"], "projecta"))
    adm.policy_add("home", policy=bucket_policy(["s3:*"], "${ldap:username}"))
    root = srv.boto3_client()
    for b in ["projecta", "projectb", "alice", "bob"]:
        root.create_bucket(Bucket=b)
    yield srv
    srv.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- strongbox log ---\n{srv.log()}")


def ldap_client(server: Server, user: str, password: str) -> Minio:
    provider = LdapIdentityProvider(server.endpoint, user, password)
    return Minio(host(server), credentials=provider, secure=False, region=REGION)


def s3_code(call) -> str:
    try:
        call()
    except S3Error as e:
        return e.code
    return ""


def put(client: Minio, bucket: str) -> str:
    import io

    return s3_code(lambda: client.put_object(bucket, "hello.txt", io.BytesIO(b"hi"), 2))


def test_minio_py_ldap_provider_within_group_and_home_policies(sbx):
    adm = admin(sbx)
    out = json.loads(adm.attach_policy_ldap(["projecta-rw"], group=PROJECT_A))
    assert out["policiesAttached"] == ["projecta-rw"]
    # A user given by login name is resolved to its DN in the directory.
    out = json.loads(adm.attach_policy_ldap(["home"], user="bob"))
    assert out["policiesAttached"] == ["home"]

    alice = ldap_client(sbx, "alice", "alice-password")
    assert put(alice, "projecta") == ""
    assert [o.object_name for o in alice.list_objects("projecta")] == ["hello.txt"]
    assert put(alice, "projectb") == "AccessDenied"
    assert put(alice, "alice") == "AccessDenied", "home policy is bob's only"

    bob = ldap_client(sbx, "bob", "bob-password")
    assert put(bob, "bob") == "", "${ldap:username} home bucket"
    assert put(bob, "alice") == "AccessDenied"
    assert put(bob, "projecta") == "", "bob is in projecta too"

    # Detach: new logins are refused (minio-py reports the HTTP status only, and redacts the
    # password from the URL it shows); alice's live credential loses the rights at once.
    out = json.loads(adm.detach_policy_ldap(["projecta-rw"], group=PROJECT_A))
    assert out["policiesDetached"] == ["projecta-rw"]
    assert put(alice, "projecta") == "AccessDenied"
    with pytest.raises(ValueError) as e:
        ldap_client(sbx, "alice", "alice-password").list_buckets()
    assert "failed with HTTP status code 400" in str(e.value)
    assert "alice-password" not in str(e.value)

    # minio-py put the password in the query string: the debug log shows it redacted only.
    log = sbx.log()
    assert "LDAPPassword=REDACTED" in log
    assert "alice-password" not in log and "bob-password" not in log


def test_wrong_password_and_unknown_user_are_one_error(sbx):
    adm = admin(sbx)
    adm.attach_policy_ldap(["projecta-rw"], group=PROJECT_A)

    def raw(user, password):
        params = {"Action": "AssumeRoleWithLDAPIdentity", "Version": "2011-06-15",
                  "LDAPUsername": user, "LDAPPassword": password}
        req = urllib.request.Request(sbx.endpoint, data=urllib.parse.urlencode(params).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def strip_id(body):
        a, b = body.find("<RequestId>"), body.find("</RequestId>")
        return body[:a] + body[b:]

    s1, b1 = raw("nobody", "x-password")
    s2, b2 = raw("alice", "x-password")
    assert (s1, strip_id(b1)) == (s2, strip_id(b2))
    assert "<Code>InvalidParameterValue</Code>" in b1
    status, body = raw("alice", "alice-password")
    assert status == 200 and "<AccessKeyId>" in body
