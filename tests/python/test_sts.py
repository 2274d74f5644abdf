"""STS against a real Strongbox: boto3, the aws CLI and minio-py obtain temporary credentials
with AssumeRole and use them for S3 (expiry is tested in Rust, on a controlled clock)."""

import io
import json
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from minio import Minio
from minio.credentials import AssumeRoleProvider

from conftest import REGION, ROOT_PASSWORD, ROOT_USER

ROLE_ARN = "arn:minio:iam:::role/ignored"  # Strongbox, like MinIO, ignores it for AssumeRole


def sts_client(server, access_key=ROOT_USER, secret_key=ROOT_PASSWORD, token=None):
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=token,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}),
    )


def s3_client(server, creds):
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def assume(server, **kwargs):
    resp = sts_client(server).assume_role(RoleArn=ROLE_ARN, RoleSessionName="py", **kwargs)
    return resp["Credentials"]


def test_boto3_assume_role_then_s3(server):
    creds = assume(server, DurationSeconds=900)
    assert len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    s3 = s3_client(server, creds)
    bucket = f"sts-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"temporary")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"temporary"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]


def test_boto3_session_policy_limits_root_credentials(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    other = f"other-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=other)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/*"]}],
    }
    temp = s3_client(server, assume(server, Policy=json.dumps(policy)))
    assert temp.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    for call in (
        lambda: temp.put_object(Bucket=bucket, Key="k2", Body=b"y"),
        lambda: temp.list_objects_v2(Bucket=other),
        lambda: temp.list_buckets(),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_boto3_sees_sts_errors(server):
    # (botocore itself refuses DurationSeconds under 900; a session policy without Version is ours.)
    no_version = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}
    with pytest.raises(ClientError) as e:
        assume(server, Policy=json.dumps(no_version))
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        sts_client(server, secret_key="wrong-password").assume_role(RoleArn=ROLE_ARN, RoleSessionName="py")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # Temporary credentials may not assume a role again.
    creds = assume(server)
    temp = sts_client(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    with pytest.raises(ClientError) as e:
        temp.assume_role(RoleArn=ROLE_ARN, RoleSessionName="py")
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_boto3_get_caller_identity(server):
    assert sts_client(server).get_caller_identity()["Arn"] == "arn:minio:iam:::root"
    creds = assume(server)
    temp = sts_client(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    ident = temp.get_caller_identity()
    assert ident["Arn"] == f"arn:minio:sts:::assumed-role/{ROOT_USER}/{creds['AccessKeyId']}"


def test_boto3_token_of_another_credential_is_refused(server):
    a, b = assume(server), assume(server)
    mixed = dict(a, SessionToken=b["SessionToken"])
    with pytest.raises(ClientError) as e:
        s3_client(server, mixed).list_buckets()
    assert e.value.response["Error"]["Code"] == "InvalidTokenId"


# SigV4 only: s3s 0.14 leaves the x-amz-security-token query parameter out of the SigV2
# presigned string-to-sign, so boto3's SigV2 presigned URLs with a token do not verify (SigV2
# header auth with a token works).
def test_presigned_url_with_temporary_credentials(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"presigned body")
    creds = assume(server, DurationSeconds=900)
    temp = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    url = temp.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "obj"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"presigned body"
    # The token travels inside the URL (SigV4: signed; SigV2: x-amz-security-token): without it
    # the URL is refused.
    base, query = url.split("?", 1)
    params = [p for p in query.split("&") if not p.lower().startswith("x-amz-security-token=")]
    assert len(params) == len(query.split("&")) - 1, url
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(base + "?" + "&".join(params), timeout=10)
    assert e.value.code == 403


def test_aws_cli_assume_role(server, aws, bucket, s3):
    s3.put_object(Bucket=bucket, Key="cli.txt", Body=b"from the cli")
    out = aws("sts", "assume-role", "--role-arn", ROLE_ARN, "--role-session-name", "cli", "--duration-seconds", "900")
    creds = json.loads(out.stdout)["Credentials"]
    assert creds["Expiration"]
    aws.env.update(
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
    )
    listing = aws("s3", "ls", f"s3://{bucket}/")
    assert "cli.txt" in listing.stdout
    ident = json.loads(aws("sts", "get-caller-identity").stdout)
    assert ident["Arn"].startswith("arn:minio:sts:::assumed-role/")


def test_minio_assume_role_provider(server):
    # minio-py signs AssumeRole with an empty region and sends no x-amz-content-sha256.
    provider = AssumeRoleProvider(sts_endpoint=server.endpoint, access_key=ROOT_USER, secret_key=ROOT_PASSWORD)
    creds = provider.retrieve()
    assert creds.session_token
    mc = Minio(f"127.0.0.1:{server.port}", credentials=provider, secure=False)
    mc.make_bucket("minio-sts")
    mc.put_object("minio-sts", "o", io.BytesIO(b"minio temp"), 10)
    resp = mc.get_object("minio-sts", "o")
    try:
        assert resp.read() == b"minio temp"
    finally:
        resp.close()
        resp.release_conn()
