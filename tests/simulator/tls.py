"""Self-signed CA and server certificates for the simulator's MQTT broker.

The CA is generated once per process (EC P-256 keys are quick to make) and
written to a private temporary directory, or to a caller-chosen directory
where it is reused across runs (``scripts/develop`` keeps one stable CA).

Besides the certificate its clients trust, the broker can present one they
do not (:func:`presented_context`: expired, from another CA, for another
host), and the CA can be replaced in place (:func:`rotate`): same paths, new
CA, new server certificate.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum
import ipaddress
from pathlib import Path
import shutil
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

type Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class CertFiles:
    """Paths of the PEM files the broker and its clients use."""

    ca_file: str
    cert_file: str
    key_file: str
    ca_key_file: str

    @property
    def other_ca_file(self) -> str:
        """Where the CA of the untrusted certificate is written (next to ours)."""
        return str(Path(self.ca_file).with_name("other-ca.pem"))


class Presented(StrEnum):
    """Which certificate the broker presents."""

    TRUSTED = "trusted"
    """Issued by the CA in ``ca_file`` for localhost and 127.0.0.1."""
    UNTRUSTED = "untrusted"
    """Issued by another CA (written to ``other_ca_file``)."""
    EXPIRED = "expired"
    """Issued by the CA in ``ca_file``, expired yesterday."""
    WRONG_HOST = "wrong_host"
    """Issued by the CA in ``ca_file`` for another host name."""


_CACHE: dict[str, CertFiles] = {}
_NAMES = ("ca.pem", "server.pem", "server.key", "ca.key")
LOCAL_NAMES = ("localhost", "127.0.0.1")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _start() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def _new_ca(common_name: str) -> tuple[Key, x509.Certificate]:
    now = _start()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
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
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _alt_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _new_server(
    ca_key: Key,
    ca_cert: x509.Certificate,
    *,
    names: tuple[str, ...] = LOCAL_NAMES,
    expired: bool = False,
) -> tuple[Key, x509.Certificate]:
    now = _start()
    start, end = (
        (now - dt.timedelta(days=30), now - dt.timedelta(days=1))
        if expired
        else (now, now + dt.timedelta(days=825))
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName([_alt_name(n) for n in names]),
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
    return key, cert


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_key(path: Path, key: Key) -> None:
    path.write_bytes(_key_pem(key))
    path.chmod(0o600)


def _write(files: CertFiles) -> None:
    """A new CA and server certificate, written over ``files`` in place."""
    ca_key, ca_cert = _new_ca("CarData simulator CA")
    key, cert = _new_server(ca_key, ca_cert)
    Path(files.ca_file).parent.mkdir(parents=True, exist_ok=True)
    # Written into the existing files (same inode), as an editor or a
    # certificate tool replacing a CA file in place would.
    Path(files.ca_file).write_bytes(_cert_pem(ca_cert))
    Path(files.cert_file).write_bytes(_cert_pem(cert))
    _write_key(Path(files.key_file), key)
    _write_key(Path(files.ca_key_file), ca_key)


def _files(path: Path) -> CertFiles:
    return CertFiles(*(str(path / n) for n in _NAMES))


def cert_files(directory: str | None = None) -> CertFiles:
    """Return the CA and server certificate, generating them when needed.

    Args:
        directory: where to keep the files (reused if all of them exist);
            ``None`` uses a private directory removed when the process exits.
    """
    key = directory or ""
    if key in _CACHE:
        return _CACHE[key]
    if directory is None:
        path = Path(tempfile.mkdtemp(prefix="cardata-sim-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    else:
        path = Path(directory)
    files = _files(path)
    if not all((path / n).is_file() for n in _NAMES):
        _write(files)
    _CACHE[key] = files
    return files


def rotate(files: CertFiles) -> None:
    """Replace the CA in place: same paths, a new CA and server certificate.

    Clients that read ``ca_file`` again trust the broker's new certificate;
    clients that kept the old CA do not. Every simulator of this process
    that uses the same directory reads the new files when it starts.
    """
    _write(files)


def server_context(files: CertFiles) -> ssl.SSLContext:
    """TLS server context: TLS 1.3 only, like BMW's stream endpoint."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(files.cert_file, files.key_file)
    return context


def presented_context(files: CertFiles, presented: Presented) -> ssl.SSLContext:
    """TLS server context that presents the certificate ``presented`` names.

    ``UNTRUSTED`` writes its CA to ``files.other_ca_file``, so a client can
    be pointed at the CA that does trust it.
    """
    if presented is Presented.TRUSTED:
        return server_context(files)
    if presented is Presented.UNTRUSTED:
        ca_key, ca_cert = _new_ca("Another CA")
        Path(files.other_ca_file).write_bytes(_cert_pem(ca_cert))
        key, cert = _new_server(ca_key, ca_cert)
    else:
        ca_key = serialization.load_pem_private_key(
            Path(files.ca_key_file).read_bytes(), password=None
        )
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        ca_cert = x509.load_pem_x509_certificate(Path(files.ca_file).read_bytes())
        if presented is Presented.EXPIRED:
            key, cert = _new_server(ca_key, ca_cert, expired=True)
        else:
            key, cert = _new_server(ca_key, ca_cert, names=("broker.example",))
    folder = Path(tempfile.mkdtemp(prefix="cardata-sim-cert-"))
    try:
        (folder / "cert.pem").write_bytes(_cert_pem(cert))
        _write_key(folder / "key.pem", key)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return context
