"""minio-py's MinioAdmin against the real binary: users, groups, policies, attach/detach and
service accounts, each change checked with S3 requests signed by the affected credentials, also
after a restart on the same data directory."""

import io
import json

import boto3
from minio import MinioAdmin
from minio.credentials import StaticProvider

from admin_helpers import (
    Restarted,
    admin,
    admin_status,
    bucket_policy,
    host,
    loads,
    name,
    s3,
    s3_error,
)
from conftest import REGION, ROOT_PASSWORD, ROOT_USER

RW = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]


def put(client, bucket: str, key: str, data: bytes = b"hello"):
    client.put_object(bucket, key, io.BytesIO(data), len(data))


def get(client, bucket: str, key: str) -> bytes:
    resp = client.get_object(bucket, key)
    try:
        return resp.read()
    finally:
        resp.close()
        resp.release_conn()


def setup_bucket(server) -> str:
    bucket = name("adm")
    root = s3(server)
    root.make_bucket(bucket)
    put(root, bucket, "seed.txt", b"seed")
    return bucket


def test_user_policy_attach_detach_disable_and_restart(server):
    bucket = setup_bucket(server)
    root = admin(server)
    policy, user, secret = name("rw"), name("alice"), "alice-secret-123"
    root.policy_add(policy, policy=bucket_policy(RW, bucket))
    root.user_add(user, secret)
    alice = s3(server, user, secret)

    # A new user has no policy: S3 refuses.
    assert s3_error(lambda: get(alice, bucket, "seed.txt")) == "AccessDenied"

    attached = loads(root.attach_policy([policy], user=user))
    assert attached["policiesAttached"] == [policy]
    assert get(alice, bucket, "seed.txt") == b"seed"
    put(alice, bucket, "by-alice.txt", b"from alice")
    info = json.loads(root.user_info(user))
    assert info["policyName"] == policy and info["status"] == "enabled"
    assert user in json.loads(root.user_list())

    # Detach: refused again, in the same test.
    assert loads(root.detach_policy([policy], user=user))["policiesDetached"] == [policy]
    assert s3_error(lambda: get(alice, bucket, "seed.txt")) == "AccessDenied"

    # Legacy policy_set, then disable/enable.
    root.policy_set(policy, user=user)
    assert get(alice, bucket, "by-alice.txt") == b"from alice"
    root.user_disable(user)
    assert s3_error(lambda: get(alice, bucket, "seed.txt")) != ""
    root.user_enable(user)
    assert get(alice, bucket, "seed.txt") == b"seed"

    # Everything above survives a restart on the same data directory.
    server = Restarted(server)
    try:
        alice = s3(server, user, secret)
        assert get(alice, bucket, "by-alice.txt") == b"from alice"
        root = admin(server)
        assert json.loads(root.user_info(user))["policyName"] == policy
        root.user_remove(user)
        assert s3_error(lambda: get(alice, bucket, "seed.txt")) != ""
    finally:
        server.stop()


def test_group_membership_grants_and_revokes(server):
    bucket = setup_bucket(server)
    root = admin(server)
    policy, group, user, secret = name("read"), name("devs"), name("bob"), "bob-secret-1234"
    root.policy_add(policy, policy=bucket_policy(["s3:GetObject"], bucket))
    root.user_add(user, secret)
    bob = s3(server, user, secret)

    root.group_add(group, user)  # minio-py sends members as one string
    root.attach_policy([policy], group=group)
    assert get(bob, bucket, "seed.txt") == b"seed"
    # Read only: no write.
    assert s3_error(lambda: put(bob, bucket, "nope.txt")) == "AccessDenied"
    desc = json.loads(root.group_info(group))
    assert desc["members"] == [user] and desc["policy"] == policy
    assert group in json.loads(root.group_list())

    root.group_disable(group)
    assert s3_error(lambda: get(bob, bucket, "seed.txt")) == "AccessDenied"
    root.group_enable(group)
    assert get(bob, bucket, "seed.txt") == b"seed"

    server = Restarted(server)
    try:
        bob = s3(server, user, secret)
        root = admin(server)
        assert get(bob, bucket, "seed.txt") == b"seed"
        root.group_remove(group, [user])
        assert s3_error(lambda: get(bob, bucket, "seed.txt")) == "AccessDenied"
        root.group_remove(group)
        assert group not in json.loads(root.group_list())
    finally:
        server.stop()


def test_service_accounts_embedded_policy_update_delete_and_restart(server):
    bucket = setup_bucket(server)
    root = admin(server)
    policy, user, secret = name("rw"), name("carol"), "carol-secret-123"
    root.policy_add(policy, policy=bucket_policy(RW, bucket))
    root.user_add(user, secret)
    root.attach_policy([policy], user=user)

    # carol creates her own access key, narrowed to reading.
    carol_admin = admin(server, user, secret)
    creds = json.loads(
        carol_admin.add_service_account(
            access_key="carol-svc-1",
            secret_key="carol-svc-secret-1",
            name="reader",
            policy=bucket_policy(["s3:GetObject"], bucket),
        )
    )["credentials"]
    assert creds["accessKey"] == "carol-svc-1"
    svc = s3(server, creds["accessKey"], creds["secretKey"])
    assert get(svc, bucket, "seed.txt") == b"seed"
    assert s3_error(lambda: put(svc, bucket, "svc.txt")) == "AccessDenied"

    info = json.loads(root.get_service_account("carol-svc-1"))
    assert info["parentUser"] == user and info["impliedPolicy"] is False
    listed = json.loads(carol_admin.list_service_account(user))["accounts"]
    assert [a["accessKey"] for a in listed] == ["carol-svc-1"]

    # The key cannot widen itself (CVE-2024-24747) ...
    own = admin(server, "carol-svc-1", "carol-svc-secret-1")
    wide = bucket_policy(RW, bucket)
    assert admin_status(lambda: own.update_service_account(access_key="carol-svc-1", policy=wide)) == 403
    assert s3_error(lambda: put(svc, bucket, "svc.txt")) == "AccessDenied"
    # ... root can.
    root.update_service_account(access_key="carol-svc-1", policy=wide)
    put(svc, bucket, "svc.txt", b"from svc")
    assert json.loads(json.loads(root.get_service_account("carol-svc-1"))["policy"]) == wide

    # Detaching the parent's policy takes the key's rights too: resolved live.
    root.detach_policy([policy], user=user)
    assert s3_error(lambda: get(svc, bucket, "svc.txt")) == "AccessDenied"
    root.attach_policy([policy], user=user)

    server = Restarted(server)
    try:
        svc = s3(server, "carol-svc-1", "carol-svc-secret-1")
        assert get(svc, bucket, "svc.txt") == b"from svc"
        root = admin(server)
        root.update_service_account(access_key="carol-svc-1", status="disabled")
        assert s3_error(lambda: get(svc, bucket, "svc.txt")) != ""
        root.delete_service_account("carol-svc-1")
        assert admin_status(lambda: root.get_service_account("carol-svc-1")) == 404
    finally:
        server.stop()


def test_policies_entities_and_account_info(server):
    bucket = setup_bucket(server)
    root = admin(server)
    policy, user, group = name("pol"), name("dave"), name("team")
    doc = bucket_policy(["s3:GetObject"], bucket)
    root.policy_add(policy, policy=doc)
    assert json.loads(root.policy_info(policy)) == doc
    listed = json.loads(root.policy_list())
    assert listed[policy] == doc and "readwrite" in listed and "consoleAdmin" in listed

    root.user_add(user, "dave-secret-1234")
    root.group_add(group, [user])
    root.attach_policy([policy], group=group)
    root.attach_policy(["readonly"], user=user)
    entities = json.loads(root.get_policy_entities(users=[user], groups=[group], policies=[policy]))
    assert entities["userMappings"][0]["policies"] == ["readonly"]
    assert entities["userMappings"][0]["memberOfMappings"] == [{"group": group, "policies": [policy]}]
    assert entities["groupMappings"] == [{"group": group, "policies": [policy]}]
    assert entities["policyMappings"] == [{"policy": policy, "users": [], "groups": [group]}]

    account = json.loads(admin(server, user, "dave-secret-1234").account_info())
    assert account["AccountName"] == user
    assert "s3:GetObject" in json.dumps(account["Policy"])
    assert json.loads(root.account_info())["AccountName"] == ROOT_USER

    # A policy in use stays; detached, it can go.
    assert admin_status(lambda: root.policy_remove(policy)) == 400
    root.detach_policy([policy], group=group)
    root.policy_remove(policy)
    assert admin_status(lambda: root.policy_info(policy)) == 404


def test_admin_calls_are_authorised_by_admin_actions(server):
    root = admin(server)
    user, secret = name("erin"), "erin-secret-1234"
    root.user_add(user, secret)
    erin = admin(server, user, secret)
    # No admin policy: refused, and nothing happens.
    assert admin_status(lambda: erin.user_add(name("x"), "x-secret-12345")) == 403
    assert admin_status(erin.user_list) == 403
    assert admin_status(lambda: erin.attach_policy(["consoleAdmin"], user=user)) == 403
    # consoleAdmin makes her an administrator.
    root.attach_policy(["consoleAdmin"], user=user)
    other = name("frank")
    erin.user_add(other, "frank-secret-123")
    assert other in json.loads(erin.user_list())
    # The root access key never becomes a user (CVE-2023-27589).
    assert admin_status(lambda: erin.user_add(ROOT_USER, "hijacked-secret")) == 403
    # Wrong secret: refused.
    assert admin_status(lambda: admin(server, user, "not-her-secret").user_list()) == 403


def test_temporary_credentials_act_for_their_parent(server):
    root = admin(server)
    user, secret = name("gina"), "gina-secret-1234"
    root.user_add(user, secret)
    root.attach_policy(["readwrite"], user=user)
    sts = boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        aws_access_key_id=user,
        aws_secret_access_key=secret,
        region_name=REGION,
    )
    creds = sts.assume_role(RoleArn="arn:minio:iam:::role/any", RoleSessionName="admin-e2e")["Credentials"]
    temp = MinioAdmin(
        endpoint=host(server),
        credentials=StaticProvider(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]),
        secure=False,
    )
    # Requests and responses are sealed with the temporary secret.
    assert json.loads(temp.account_info())["AccountName"] == user
    made = json.loads(temp.add_service_account(access_key="gina-svc-1", secret_key="gina-svc-secret-1"))
    assert made["credentials"]["accessKey"] == "gina-svc-1"
    assert json.loads(root.get_service_account("gina-svc-1"))["parentUser"] == user
    # readwrite grants no admin actions.
    assert admin_status(temp.user_list) == 403
    assert admin_status(lambda: temp.user_add(user, "changed-secret-1")) == 403
    # Its own key never becomes a user (spec §17 item 13).
    assert admin_status(lambda: temp.user_add(creds["AccessKeyId"], "persisted-secret")) == 403
    assert admin_status(lambda: root.user_info(creds["AccessKeyId"])) == 404


def _sts_session(server, access_key: str, secret_key: str, session_policy: dict) -> dict:
    sts = boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
    )
    return sts.assume_role(
        RoleArn="arn:minio:iam:::role/any",
        RoleSessionName="list-filter",
        Policy=json.dumps(session_policy),
    )["Credentials"]


def _bucket_names(server, creds: dict) -> list:
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        region_name=REGION,
    )
    return sorted(b["Name"] for b in client.list_buckets()["Buckets"])


def test_list_buckets_and_account_info_show_only_permitted_buckets(server):
    """spec §18: a session policy naming bucket1 and bucket2 lists exactly those (root parent
    and IAM-user parent alike); accountinfo gives each visible bucket with read/write flags."""
    root = admin(server)
    b1, b2, other = name("lb1"), name("lb2"), name("lbx")
    for b in (b1, b2, other):
        s3(server).make_bucket(b)
    session = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{b1}", f"arn:aws:s3:::{b2}"]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [f"arn:aws:s3:::{b1}/*", f"arn:aws:s3:::{b2}/*"]},
        ],
    }
    user, secret = name("lena"), "lena-secret-1234"
    root.user_add(user, secret)
    root.attach_policy(["readwrite"], user=user)
    # readwrite (s3:*) lists every bucket; the session policies narrow to b1 and b2.
    everything = _bucket_names(server, {"AccessKeyId": user, "SecretAccessKey": secret})
    assert {b1, b2, other} <= set(everything)
    for parent in ((ROOT_USER, ROOT_PASSWORD), (user, secret)):
        creds = _sts_session(server, *parent, session)
        assert _bucket_names(server, creds) == sorted([b1, b2]), parent[0]

    # accountinfo: b1 readable only, b2 writable only, other invisible.
    pol, ann, ann_secret = name("acct"), name("ann"), "ann-secret-12345"
    root.policy_add(pol, policy={
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{b1}"]},
            {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"arn:aws:s3:::{b2}/*"]},
        ],
    })
    root.user_add(ann, ann_secret)
    root.attach_policy([pol], user=ann)
    info = json.loads(admin(server, ann, ann_secret).account_info())
    access = {b["name"]: b["access"] for b in info["Buckets"]}
    assert access == {b1: {"read": True, "write": False}, b2: {"read": False, "write": True}}, info
    assert all(b["created"] for b in info["Buckets"])
    # Root sees every bucket, readable and writable.
    mine = {b["name"]: b["access"] for b in json.loads(root.account_info())["Buckets"]}
    assert all(mine[b] == {"read": True, "write": True} for b in (b1, b2, other)), mine
