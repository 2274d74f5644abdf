"""Helpers for test_admin.py: minio-py admin and S3 clients for any credential, and a restart of
the conftest server on the same data directory (its IAM store must survive)."""

import json
import uuid

from minio import Minio, MinioAdmin
from minio.credentials import StaticProvider
from minio.error import MinioAdminException, S3Error

from conftest import REGION, ROOT_PASSWORD, ROOT_USER, Server


def host(server: Server) -> str:
    return f"127.0.0.1:{server.port}"


def admin(server: Server, access_key: str = ROOT_USER, secret_key: str = ROOT_PASSWORD) -> MinioAdmin:
    """minio-py's MinioAdmin exactly as a user would build it (region left empty, as its default)."""
    return MinioAdmin(endpoint=host(server), credentials=StaticProvider(access_key, secret_key), secure=False)


def s3(server: Server, access_key: str = ROOT_USER, secret_key: str = ROOT_PASSWORD) -> Minio:
    return Minio(host(server), access_key=access_key, secret_key=secret_key, secure=False, region=REGION)


def name(prefix: str) -> str:
    """A unique name that is a valid bucket, user, group and policy name."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def bucket_policy(actions: list[str], bucket: str) -> dict:
    """An identity policy allowing `actions` on `bucket` and its objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": actions,
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def admin_status(call) -> int:
    """The HTTP status a MinioAdmin call failed with (0 if it succeeded)."""
    try:
        call()
    except MinioAdminException as e:
        return int(e._code)
    return 0


def s3_error(call) -> str:
    """The S3 error code a Minio call failed with ("" if it succeeded)."""
    try:
        call()
    except S3Error as e:
        return e.code
    return ""


def loads(text: str):
    return json.loads(text) if text else None


class Restarted(Server):
    """The same server process again, on the data directory of `previous` (which is stopped
    first), as an operator would restart it."""

    def __init__(self, previous: Server, generation: int = 1):
        previous.stop()
        super().__init__(previous.root, log_name=f"server-restart-{generation}.log")
