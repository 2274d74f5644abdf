"""AssumeRoleWithCertificate with minio-py's `CertificateIdentityProvider`: the real `strongbox`
binary serving HTTPS from a certificate directory (certificates made here with `cryptography`)
with MINIO_IDENTITY_TLS_ENABLE=on. The client certificate's CN names the policy (MinIO's canned
`readonly`): the provider's credentials read objects and may not write them; a certificate from
another CA gets no credentials.
"""

import datetime
import io
import ipaddress
import uuid
from pathlib import Path

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from minio import Minio
from minio.credentials.providers import CertificateIdentityProvider
from minio.error import S3Error

from conftest import REGION, ROOT_PASSWORD, ROOT_USER, Server

NOW = datetime.datetime.now(datetime.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class Ca:
    def __init__(self, cn: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(minutes=5))
            .not_valid_after(NOW + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, cn: str, usage, sans=()) -> tuple[bytes, bytes]:
        """(certificate PEM, key PEM) with one extended key usage."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(minutes=5))
            .not_valid_after(NOW + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


class CertServer(Server):
    """conftest's Server over HTTPS with MINIO_IDENTITY_TLS_ENABLE=on and `ca` as the client CA."""

    def __init__(self, root: Path, ca: Ca):
        certs = root / "certs"
        (certs / "CAs").mkdir(parents=True)
        ca_file = certs / "CAs" / "ca.crt"
        ca_file.write_bytes(ca.pem())
        cert, key = ca.issue(
            "strongbox pytest server",
            ExtendedKeyUsageOID.SERVER_AUTH,
            sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        )
        (certs / "public.crt").write_bytes(cert)
        (certs / "private.key").write_bytes(key)
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(root, env={"MINIO_IDENTITY_TLS_ENABLE": "on"}, certs_dir=certs, ca_file=ca_file)

    def minio(self, **kwargs) -> Minio:
        http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=str(self.ca_file))
        return Minio(f"127.0.0.1:{self.port}", secure=True, region=REGION, http_client=http, **kwargs)

    def provider(self, cert: bytes, key: bytes) -> CertificateIdentityProvider:
        d = self.root / f"client-{uuid.uuid4().hex[:8]}"
        d.mkdir()
        (d / "public.crt").write_bytes(cert)
        (d / "private.key").write_bytes(key)
        return CertificateIdentityProvider(
            sts_endpoint=self.endpoint,
            cert_file=str(d / "public.crt"),
            key_file=str(d / "private.key"),
            ca_certs=str(self.ca_file),
            duration_seconds=3600,
        )


@pytest.fixture
def pki():
    return Ca("strongbox pytest client CA")


@pytest.fixture
def cert_server(tmp_path, request, pki):
    srv = CertServer(tmp_path / "cert-sts", pki)
    yield srv
    srv.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- strongbox log ---\n{srv.log()}")


def test_minio_py_certificate_identity_provider(cert_server, pki):
    bucket = f"py-cert-{uuid.uuid4().hex[:12]}"
    root = cert_server.minio(access_key=ROOT_USER, secret_key=ROOT_PASSWORD)
    root.make_bucket(bucket)
    root.put_object(bucket, "report.txt", io.BytesIO(b"quarterly numbers"), 17)

    provider = cert_server.provider(*pki.issue("readonly", ExtendedKeyUsageOID.CLIENT_AUTH))
    creds = provider.retrieve()
    assert creds.session_token
    assert creds.expiration is not None
    expiration = creds.expiration
    if expiration.tzinfo is None:  # minio-py parses it as naive UTC
        expiration = expiration.replace(tzinfo=datetime.timezone.utc)
    left = expiration - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(minutes=58) < left <= datetime.timedelta(hours=1)

    client = cert_server.minio(credentials=provider)
    resp = client.get_object(bucket, "report.txt")
    try:
        assert resp.read() == b"quarterly numbers"
    finally:
        resp.close()
        resp.release_conn()
    with pytest.raises(S3Error) as denied:
        client.put_object(bucket, "forged.txt", io.BytesIO(b"x"), 1)
    assert denied.value.code == "AccessDenied"


def test_certificate_from_another_ca_gets_no_credentials(cert_server):
    stranger = Ca("somebody else's CA")
    provider = cert_server.provider(*stranger.issue("readonly", ExtendedKeyUsageOID.CLIENT_AUTH))
    with pytest.raises(ValueError, match="HTTP status code 400"):
        provider.retrieve()


def test_server_auth_certificate_gets_no_credentials(cert_server, pki):
    provider = cert_server.provider(*pki.issue("readonly", ExtendedKeyUsageOID.SERVER_AUTH))
    with pytest.raises(ValueError, match="HTTP status code 400"):
        provider.retrieve()
