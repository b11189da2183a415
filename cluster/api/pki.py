"""The cluster's certificate authority and the API's serving certificate, made on first start.

As k3s does, the first start generates into ``<data dir>/pki/``:

- ``ca.crt`` and ``ca.key``: a self-signed CA, valid ten years. Clients trust it: its
  certificate is the ``certificate-authority-data`` of every kubeconfig.
- ``serving.crt`` and ``serving.key``: the API's TLS certificate, signed by that CA, naming
  every address clients use: loopback, ``localhost``, the host name, the bind address and the
  extra names of ``CLUSTER_API_SANS``.

Later starts keep the CA. They keep the serving certificate too, unless its names are no longer
the wanted ones, it was not issued by the current CA, or it expires within ``RENEW_BEFORE``;
then a new one is issued, which clients do not notice because they trust the CA, not the
certificate. Keys are ECDSA P-256 (small, fast, accepted by Go and OpenSSL clients alike) and
mode 0600.

Processes that start at the same moment (compose replicas on one volume, tests) serialise on a
lock file, so they agree on one CA; and every file is replaced atomically, so nothing reads half
of one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cluster.api.files import replace_file

logger = logging.getLogger(__name__)

CA_VALIDITY = dt.timedelta(days=3650)
SERVING_VALIDITY = dt.timedelta(days=365)
# Reissue this long before expiry, as k3s does, so that a server restarted now and then never
# serves an expired certificate.
RENEW_BEFORE = dt.timedelta(days=90)
# Certificates start a little in the past so that a client whose clock lags still accepts them.
BACKDATE = dt.timedelta(hours=1)
LOCK_TIMEOUT_SECONDS = 30.0

# Wildcard bind addresses listen everywhere but name nothing a client can verify.
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})

# The key types a CA may have; the generated one is ECDSA, one supplied by hand may be RSA.
CaKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class PkiError(Exception):
    """The PKI directory holds something that cannot be used and must not be overwritten."""


@dataclass(frozen=True)
class PkiFiles:
    """Where the files of one PKI directory live."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.directory / "serving.crt"

    @property
    def serving_key(self) -> Path:
        return self.directory / "serving.key"

    @property
    def lock(self) -> Path:
        return self.directory / ".lock"


@dataclass(frozen=True)
class ServingPki:
    """What the server and its kubeconfig need: the files for TLS and the CA to trust."""

    files: PkiFiles
    ca_pem: bytes


def canonical_name(name: str) -> str:
    """An IP address in its canonical spelling, a DNS name in lower case."""
    try:
        return str(ipaddress.ip_address(name.strip().removeprefix("[").removesuffix("]")))
    except ValueError:
        return name.strip().lower()


def serving_names(*, bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names the serving certificate must carry for an API bound to ``bind_host``."""
    names = {"127.0.0.1", "::1", "localhost", socket.gethostname(), *extra}
    if bind_host not in _WILDCARD_HOSTS:
        names.add(bind_host)
    return frozenset(canonical_name(name) for name in names if name.strip())


def ensure_ca(directory: Path) -> bytes:
    """Create the CA in ``directory`` unless it exists; return its certificate (PEM)."""
    files = PkiFiles(directory)
    with _locked(files):
        cert, _ = _ensure_ca(files, _utcnow())
    return cert.public_bytes(serialization.Encoding.PEM)


def ensure_pki(
    directory: Path, names: frozenset[str], *, now: dt.datetime | None = None
) -> ServingPki:
    """Make ``directory`` hold a CA and a current serving certificate for ``names``."""
    files = PkiFiles(directory)
    now = now or _utcnow()
    with _locked(files):
        ca_cert, ca_key = _ensure_ca(files, now)
        if not _serving_is_current(files, ca_cert, names, now):
            _issue_serving(files, ca_cert, ca_key, names, now)
    return ServingPki(files=files, ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM))


def certificate_names(cert: x509.Certificate) -> frozenset[str]:
    """The DNS names and IP addresses in a certificate's subjectAltName, canonically spelled."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return frozenset(canonical_name(name) for name in [*dns, *ips])


@contextmanager
def _locked(files: PkiFiles) -> Iterator[None]:
    files.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"another process has held {files.lock} for {LOCK_TIMEOUT_SECONDS:.0f} s"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        # Closing the descriptor releases the lock (and the kernel does so if we die).
        os.close(fd)


def _ensure_ca(files: PkiFiles, now: dt.datetime) -> tuple[x509.Certificate, CaKey]:
    if files.ca_cert.exists():
        loaded = _load_pair(files.ca_cert, files.ca_key)
        if loaded is not None and isinstance(loaded[1], CaKey):
            cert, key = loaded[0], loaded[1]
            return cert, key
        # Clients may already trust this CA, and replacing it would lock them out: a person
        # must decide. A key without a certificate, on the other hand, is only a first start
        # that died half-way (the key is written first), so it is replaced below.
        raise PkiError(
            f"{files.ca_cert} has no matching, unencrypted RSA or ECDSA key in {files.ca_key};"
            " restore the key, or delete both files to have a new CA generated"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"pilothouse-ca@{int(now.timestamp())}")]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_pair(files.ca_cert, files.ca_key, cert, key)
    logger.info("generated the cluster CA in %s", files.directory)
    return cert, key


def _serving_is_current(
    files: PkiFiles, ca_cert: x509.Certificate, names: frozenset[str], now: dt.datetime
) -> bool:
    loaded = _load_pair(files.serving_cert, files.serving_key)
    if loaded is None:
        return False
    cert, _ = loaded
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return certificate_names(cert) == names and cert.not_valid_after_utc - now > RENEW_BEFORE


def _issue_serving(
    files: PkiFiles,
    ca_cert: x509.Certificate,
    ca_key: CaKey,
    names: frozenset[str],
    now: dt.datetime,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    authority_key_id = _authority_key_id(ca_cert)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pilothouse-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + SERVING_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(authority_key_id, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_pair(files.serving_cert, files.serving_key, cert, key)
    logger.info("issued the API serving certificate for %s", ", ".join(sorted(names)))


def _authority_key_id(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    # Clients build the chain by matching this to the CA's subjectKeyIdentifier, so copy that
    # when the CA has one (a CA supplied by hand may have computed it differently).
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        public_key = ca_cert.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key)
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _general_names(names: frozenset[str]) -> list[x509.GeneralName]:
    general: list[x509.GeneralName] = []
    for name in sorted(names):
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            general.append(x509.DNSName(name))
    return general


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _load_pair(cert_path: Path, key_path: Path) -> tuple[x509.Certificate, PrivateKeyTypes] | None:
    """The certificate and key at these paths, or None unless both exist and belong together."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if _public_der(cert.public_key()) != _public_der(key.public_key()):
        return None
    return cert, key


def _public_der(public_key: PublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_pair(
    cert_path: Path, key_path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> None:
    # The key first, then the certificate: a start that dies in between leaves a key without a
    # certificate (or with the previous one), which the next start recognises and replaces.
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    replace_file(key_path, key_pem, mode=0o600)
    replace_file(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
