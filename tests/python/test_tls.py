"""boto3 over HTTPS: a real `strongbox server --certs-dir` with a certificate from an in-test CA.

The certificates are made here with `cryptography` (a CA, and a server certificate for
127.0.0.1 and localhost); boto3 trusts the CA through `verify=<CA file>` and sends no client
certificate.
"""

import datetime
import http.client
import ipaddress
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import SSLError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import REGION, ROOT_PASSWORD, ROOT_USER, Server


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki(certs_dir: Path) -> Path:
    """Writes CAs/ca.crt, public.crt and private.key; returns the CA file."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("strongbox pytest CA"))
        .issuer_name(_name("strongbox pytest CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("strongbox pytest server"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (certs_dir / "CAs").mkdir(parents=True)
    ca_file = certs_dir / "CAs" / "ca.crt"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (certs_dir / "public.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (certs_dir / "private.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file


class TlsServer(Server):
    """conftest's Server with `--certs-dir` (an in-test CA): healthy once HTTPS answers."""

    def __init__(self, root: Path):
        self.certs_dir = root / "certs"
        ca_file = make_pki(self.certs_dir)
        super().__init__(root, certs_dir=self.certs_dir, ca_file=ca_file)

    def boto3_client(self, verify):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ROOT_USER,
            aws_secret_access_key=ROOT_PASSWORD,
            region_name=REGION,
            verify=verify,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )


@pytest.fixture
def tls_server(tmp_path, request):
    srv = TlsServer(tmp_path / "tls")
    yield srv
    srv.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- strongbox log ---\n{srv.log()}")


def test_boto3_over_https_trusting_the_ca(tls_server):
    s3 = tls_server.boto3_client(verify=str(tls_server.ca_file))
    bucket = f"py-tls-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"sealed in transit")
    got = s3.get_object(Bucket=bucket, Key="k.txt")["Body"].read()
    assert got == b"sealed in transit"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k.txt"]
    assert "HTTPS with the certificate" in tls_server.log()


def test_boto3_refuses_the_server_without_the_ca(tls_server):
    s3 = tls_server.boto3_client(verify=True)  # system roots: the test CA is not among them
    with pytest.raises(SSLError):
        s3.list_buckets()


def test_plain_http_client_gets_no_answer(tls_server):
    # rustls answers a TLS alert (or closes): never an HTTP response.
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, OSError)):
        urllib.request.urlopen(f"http://127.0.0.1:{tls_server.port}/minio/health/live", timeout=5)
