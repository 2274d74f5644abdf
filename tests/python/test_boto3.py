"""boto3 against a real Strongbox: bucket and object round trips, multipart, copy, presigned URLs."""

import hashlib
import io
import os
import urllib.error
import urllib.request

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, ROOT_USER

MIB = 1024 * 1024


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_bucket_round_trip(s3):
    s3.create_bucket(Bucket="py-alpha")
    s3.create_bucket(Bucket="py-beta")
    names = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    assert names == ["py-alpha", "py-beta"]
    s3.head_bucket(Bucket="py-alpha")
    s3.delete_bucket(Bucket="py-alpha")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="py-alpha")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert error_code(e) == "InvalidBucketName"


def test_object_round_trip_with_metadata(s3, bucket):
    body = os.urandom(300_000)
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/ñame with space.bin",
        Body=body,
        ContentType="application/x-test",
        Metadata={"owner": "pytest", "note": "hello world"},
    )
    assert put["ETag"].strip('"') == hashlib.md5(body).hexdigest()

    got = s3.get_object(Bucket=bucket, Key="dir/ñame with space.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "pytest", "note": "hello world"}
    assert got["ContentLength"] == len(body)

    part = s3.get_object(Bucket=bucket, Key="dir/ñame with space.bin", Range="bytes=10-19")
    assert part["Body"].read() == body[10:20]
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206

    s3.delete_object(Bucket=bucket, Key="dir/ñame with space.bin")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="dir/ñame with space.bin")
    assert error_code(e) == "NoSuchKey"


def test_listing_with_paginator_and_delete_objects(s3, bucket):
    keys = [f"logs/2024/{i:03d}.txt" for i in range(25)] + ["logs/README", "top.txt"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 10})
    listed = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert listed == sorted(keys)

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["logs/"]
    assert [o["Key"] for o in top["Contents"]] == ["top.txt"]

    # botocore asks for EncodingType=url and decodes keys itself.
    v1 = s3.list_objects(Bucket=bucket, Prefix="logs/2024/", MaxKeys=5)
    assert [o["Key"] for o in v1["Contents"]] == sorted(keys)[:5]
    assert v1["IsTruncated"] is True

    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in out["Deleted"]) == sorted(keys)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_multipart_via_transfer_manager(s3, bucket):
    body = os.urandom(12 * MIB + 123)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=3)
    s3.upload_fileobj(io.BytesIO(body), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    chunks = [body[i : i + 5 * MIB] for i in range(0, len(body), 5 * MIB)]
    want = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest() + f"-{len(chunks)}"
    assert head["ETag"].strip('"') == want
    assert head["ContentLength"] == len(body)
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big.bin", out, Config=config)
    assert out.getvalue() == body


def test_copy_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["Metadata"] == {"a": "1"}
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
    )
    assert s3.head_object(Bucket=bucket, Key="dst")["Metadata"] == {"b": "2"}


@pytest.mark.parametrize("signature_version", ["s3v4", None])
def test_presigned_get_and_put_with_urllib(server, signature_version):
    # None: botocore's default for presigning S3 URLs, which for this endpoint is SigV2
    # (AWSAccessKeyId/Signature/Expires); SigV2 signs Content-Type, so the PUT sends the one it signed.
    config = {"signature_version": signature_version} if signature_version else {}
    s3 = server.boto3_client(**config)
    bucket = "presigned"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"presigned content")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300)
    if signature_version == "s3v4":
        assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        assert r.read() == b"presigned content"

    put_url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "uploaded.txt", "ContentType": "text/plain"},
        ExpiresIn=300,
    )
    req = urllib.request.Request(
        put_url, data=b"sent with urllib", method="PUT", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200
    got = s3.get_object(Bucket=bucket, Key="uploaded.txt")
    assert got["Body"].read() == b"sent with urllib"
    assert got["ContentType"] == "text/plain"

    # The URL signs the key: using it for another key fails.
    tampered = url.replace("shared.txt", "uploaded.txt")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered, timeout=30)
    assert e.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in e.value.read()


def test_bad_credentials_error_codes(server, bucket):
    def client(key, secret):
        return boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    with pytest.raises(ClientError) as e:
        client(ROOT_USER, "wrong-secret-key").list_objects_v2(Bucket=bucket)
    assert error_code(e) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        client("NOSUCHACCESSKEY", "whatever-secret").list_objects_v2(Bucket=bucket)
    assert error_code(e) == "InvalidAccessKeyId"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{server.endpoint}/{bucket}", timeout=30)
    assert e.value.code == 403
    assert b"<Code>AccessDenied</Code>" in e.value.read()
