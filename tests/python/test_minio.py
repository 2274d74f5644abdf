"""minio-py against a real Strongbox."""

import io
import os

from minio import Minio
from minio.error import S3Error

from conftest import ROOT_PASSWORD, ROOT_USER


def test_minio_client_round_trip(server, tmp_path):
    mc = Minio(f"127.0.0.1:{server.port}", access_key=ROOT_USER, secret_key=ROOT_PASSWORD, secure=False)
    mc.make_bucket("minio-py")
    assert mc.bucket_exists("minio-py")
    assert not mc.bucket_exists("minio-py-absent")

    body = os.urandom(100_000)
    mc.put_object("minio-py", "dir/obj", io.BytesIO(body), len(body), metadata={"x-amz-meta-k": "v"})
    resp = mc.get_object("minio-py", "dir/obj")
    try:
        assert resp.read() == body
    finally:
        resp.close()
        resp.release_conn()
    stat = mc.stat_object("minio-py", "dir/obj")
    assert stat.size == len(body)

    # Unknown length: minio-py streams it as a multipart upload in 5 MiB parts.
    big = os.urandom(11 * 1024 * 1024)
    mc.put_object("minio-py", "stream", io.BytesIO(big), -1, part_size=5 * 1024 * 1024)
    path = tmp_path / "stream.bin"
    mc.fget_object("minio-py", "stream", str(path))
    assert path.read_bytes() == big

    names = sorted(o.object_name for o in mc.list_objects("minio-py", recursive=True))
    assert names == ["dir/obj", "stream"]
    mc.remove_object("minio-py", "dir/obj")
    try:
        mc.stat_object("minio-py", "dir/obj")
        raise AssertionError("object still there after remove")
    except S3Error as e:
        assert e.code in ("NoSuchKey", "NoSuchObject")
