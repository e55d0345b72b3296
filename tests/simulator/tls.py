"""Self-signed CA and server certificate for the simulator's MQTT broker.

The CA is generated once per process (EC P-256 keys are quick to make) and
written to a private temporary directory, or to a caller-chosen directory
where it is reused across runs (``scripts/develop`` keeps one stable CA).
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
import datetime as dt
import ipaddress
from pathlib import Path
import shutil
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True, slots=True)
class CertFiles:
    """Paths of the PEM files the broker and its clients use."""

    ca_file: str
    cert_file: str
    key_file: str


_CACHE: dict[str, CertFiles] = {}
_NAMES = ("ca.pem", "server.pem", "server.key")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(directory: Path) -> CertFiles:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("CarData simulator CA"))
        .issuer_name(_name("CarData simulator CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (directory / n for n in _NAMES)
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return CertFiles(str(ca_path), str(cert_path), str(key_path))


def cert_files(directory: str | None = None) -> CertFiles:
    """Return the CA and server certificate, generating them when needed.

    Args:
        directory: where to keep the files (reused if all three exist);
            ``None`` uses a private directory removed when the process exits.
    """
    key = directory or ""
    if key in _CACHE:
        return _CACHE[key]
    if directory is None:
        path = Path(tempfile.mkdtemp(prefix="cardata-sim-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        files = _write(path)
    else:
        path = Path(directory)
        if all((path / n).is_file() for n in _NAMES):
            files = CertFiles(*(str(path / n) for n in _NAMES))
        else:
            files = _write(path)
    _CACHE[key] = files
    return files


def server_context(files: CertFiles) -> ssl.SSLContext:
    """TLS server context: TLS 1.3 only, like BMW's stream endpoint."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(files.cert_file, files.key_file)
    return context
