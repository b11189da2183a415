"""The certificate the agent's log server presents, and how the API server knows it is ours.

Kubelet serves its API with a self-signed certificate by default, and kube-apiserver talks
to it without verifying it unless given ``--kubelet-certificate-authority``. The agent does
better at no cost to the operator: it makes its own self-signed certificate (ECDSA P-256,
naming the node and its address) on first start, keeps it in its data dir, and publishes the
SHA-256 fingerprint of it on its Node (``FINGERPRINT_ANNOTATION``). The API server pins that
fingerprint when it connects. Only the node itself (and the cluster's administrators) may
write that Node (``cluster.api.authorization``), so a certificate the API server accepts is
one the node's own credentials vouched for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FINGERPRINT_ANNOTATION = "pilothouse.io/serving-cert-sha256"
VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class ServingCert:
    cert_file: Path
    key_file: Path
    fingerprint: str


def fingerprint(der: bytes) -> str:
    """The SHA-256 of a DER certificate, lowercase hex (what the annotation holds)."""
    return hashlib.sha256(der).hexdigest()


def ensure_serving_cert(directory: Path, *, node_name: str, address: str) -> ServingCert:
    """The agent's certificate and key in ``directory``, made if missing."""
    cert_file, key_file = directory / "agent-serving.crt", directory / "agent-serving.key"
    if not (cert_file.exists() and key_file.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        _issue(cert_file, key_file, node_name=node_name, address=address)
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    return ServingCert(cert_file, key_file, fingerprint(der))


def _issue(cert_file: Path, key_file: Path, *, node_name: str, address: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    # Common names stop at 64 characters, node names do not: the node is named in the SANs.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pilothouse-agent")])
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(node_name)]
    try:
        alt_names.append(x509.IPAddress(ipaddress.ip_address(address)))
    except ValueError:
        alt_names.append(x509.DNSName(address))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(key_file, key_pem, mode=0o600)
    _write(cert_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write a new file with ``mode`` from its first byte (a key is never world-readable)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(temporary, path)
