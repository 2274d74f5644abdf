"""The aws CLI against a real Strongbox: ls, cp of a file large enough to go multipart, sync both ways."""

import hashlib
import os
from pathlib import Path

MIB = 1024 * 1024


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            h.update(block)
    return h.hexdigest()


def test_ls(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="folder/file.txt", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="root.txt", Body=b"abc")
    buckets = aws("s3", "ls").stdout
    assert bucket in buckets
    top = aws("s3", "ls", f"s3://{bucket}/").stdout
    assert "PRE folder/" in top
    assert "root.txt" in top
    recursive = aws("s3", "ls", "--recursive", f"s3://{bucket}").stdout
    assert "folder/file.txt" in recursive and "root.txt" in recursive
    aws("s3", "mb", f"s3://{bucket}-made-by-cli")
    assert f"{bucket}-made-by-cli" in aws("s3", "ls").stdout
    aws("s3", "rb", f"s3://{bucket}-made-by-cli")
    assert f"{bucket}-made-by-cli" not in aws("s3", "ls").stdout


def test_cp_64_mib_goes_multipart(aws, s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(MIB))
    aws("s3", "cp", str(src), f"s3://{bucket}/big.bin")

    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == 64 * MIB
    # The CLI's default 8 MiB chunks: a multipart ETag "<md5 of md5s>-8".
    data = src.read_bytes()
    chunks = [data[i : i + 8 * MIB] for i in range(0, len(data), 8 * MIB)]
    want = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest() + "-8"
    assert head["ETag"].strip('"') == want

    dst = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{bucket}/big.bin", str(dst))
    assert sha256_file(dst) == sha256_file(src)


def make_tree(root: Path) -> dict:
    files = {
        "a.txt": b"alpha",
        "nested/b.txt": b"bravo" * 100,
        "nested/deeper/c.bin": os.urandom(70_000),
        "with space/d e.txt": b"spaces",
        "ünicode/ファイル.txt": "unicode".encode(),
        "empty.txt": b"",
    }
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
    return files


def read_tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_sync_both_ways(aws, s3, bucket, tmp_path):
    up = tmp_path / "up"
    files = make_tree(up)
    aws("s3", "sync", str(up), f"s3://{bucket}/tree")

    listed = s3.list_objects_v2(Bucket=bucket, Prefix="tree/")
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(f"tree/{k}" for k in files)

    # A second sync finds nothing to do.
    again = aws("s3", "sync", str(up), f"s3://{bucket}/tree")
    assert "upload:" not in again.stdout, again.stdout

    # A change on one side travels; a deletion travels with --delete.
    (up / "a.txt").write_bytes(b"alpha, changed and longer")
    (up / "nested/b.txt").unlink()
    aws("s3", "sync", "--delete", str(up), f"s3://{bucket}/tree")
    assert s3.get_object(Bucket=bucket, Key="tree/a.txt")["Body"].read() == b"alpha, changed and longer"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="tree/")["Contents"]]
    assert "tree/nested/b.txt" not in keys

    down = tmp_path / "down"
    aws("s3", "sync", f"s3://{bucket}/tree", str(down))
    assert read_tree(down) == read_tree(up)
