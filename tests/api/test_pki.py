"""The generated CA and serving certificate: right names, right signer, private keys, made once."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from cluster.api.pki import (
    RENEW_BEFORE,
    SERVING_VALIDITY,
    PkiError,
    PkiFiles,
    certificate_names,
    ensure_ca,
    ensure_pki,
    serving_names,
)
from tests.serving import REPO_ROOT, server_env

NAMES = frozenset({"127.0.0.1", "::1", "localhost", "api.example.test"})

# Each child imports everything, then waits for the common start time given as argv[2], so that
# they really race (Python starts too slowly for children started one by one to overlap).
PRINT_FINGERPRINTS = """
import hashlib, sys, time
from pathlib import Path
from cluster.api.pki import ensure_pki
while time.time() < float(sys.argv[2]):
    time.sleep(0.001)
pki = ensure_pki(Path(sys.argv[1]), frozenset({"127.0.0.1", "localhost"}))
serving = pki.files.serving_cert.read_bytes()
print(hashlib.sha256(pki.ca_pem).hexdigest(), hashlib.sha256(serving).hexdigest())
"""


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _contents(files: PkiFiles) -> dict[str, bytes]:
    paths = [files.ca_cert, files.ca_key, files.serving_cert, files.serving_key]
    return {path.name: path.read_bytes() for path in paths}


def test_first_start_makes_a_ca_and_a_serving_certificate_it_signed(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki", NAMES)

    ca = _cert(pki.files.ca_cert)
    serving = _cert(pki.files.serving_cert)
    assert pki.ca_pem == pki.files.ca_cert.read_bytes()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca.verify_directly_issued_by(ca)
    serving.verify_directly_issued_by(ca)
    assert not serving.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usages = serving.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert certificate_names(serving) == NAMES
    assert serving.not_valid_after_utc - serving.not_valid_before_utc > dt.timedelta(days=360)


def test_keys_are_readable_only_by_their_owner(tmp_path: Path) -> None:
    files = ensure_pki(tmp_path / "pki", NAMES).files

    assert stat.S_IMODE(files.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(files.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.serving_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.ca_cert.stat().st_mode) == 0o644
    assert stat.S_IMODE(files.serving_cert.stat().st_mode) == 0o644
    assert sorted(p.name for p in files.directory.iterdir()) == [
        ".lock",
        "ca.crt",
        "ca.key",
        "serving.crt",
        "serving.key",
    ]


def test_the_serving_names_cover_loopback_the_host_the_bind_address_and_extras() -> None:
    names = serving_names(
        bind_host="10.1.2.3", extra=["API.Example.test", "192.0.2.7", " ", "[2001:DB8::1]"]
    )

    assert names == {
        "127.0.0.1",
        "::1",
        "localhost",
        socket.gethostname().lower(),
        "10.1.2.3",
        "api.example.test",
        "192.0.2.7",
        "2001:db8::1",
    }


def test_extra_names_come_from_cluster_api_sans(tmp_path: Path) -> None:
    env = server_env(tmp_path, database_url=None, CLUSTER_API_SANS=" api, 10.0.0.5,,pilot.test ")
    printed = subprocess.run(
        [sys.executable, "-c", "from cluster import settings; print(settings.CLUSTER_API_SANS)"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert printed.stdout.strip() == "['api', '10.0.0.5', 'pilot.test']"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])
def test_a_wildcard_bind_address_adds_no_name(wildcard: str) -> None:
    assert serving_names(bind_host=wildcard) == serving_names(bind_host="127.0.0.1")


def test_a_second_start_changes_nothing(tmp_path: Path) -> None:
    first = _contents(ensure_pki(tmp_path / "pki", NAMES).files)

    second = _contents(ensure_pki(tmp_path / "pki", NAMES).files)

    assert second == first


def test_new_names_get_a_new_serving_certificate_from_the_same_ca(tmp_path: Path) -> None:
    first = _contents(ensure_pki(tmp_path / "pki", NAMES).files)
    wider = NAMES | {"10.0.0.5"}

    files = ensure_pki(tmp_path / "pki", wider).files

    assert files.ca_cert.read_bytes() == first["ca.crt"]
    assert files.ca_key.read_bytes() == first["ca.key"]
    assert files.serving_key.read_bytes() != first["serving.key"]
    assert certificate_names(_cert(files.serving_cert)) == wider
    _cert(files.serving_cert).verify_directly_issued_by(_cert(files.ca_cert))


def test_a_serving_certificate_close_to_expiry_is_renewed(tmp_path: Path) -> None:
    issued = _cert(ensure_pki(tmp_path / "pki", NAMES).files.serving_cert)
    not_yet = dt.datetime.now(dt.UTC) + SERVING_VALIDITY - RENEW_BEFORE - dt.timedelta(days=2)
    soon = not_yet + dt.timedelta(days=3)

    kept = _cert(ensure_pki(tmp_path / "pki", NAMES, now=not_yet).files.serving_cert)
    renewed = _cert(ensure_pki(tmp_path / "pki", NAMES, now=soon).files.serving_cert)

    assert kept == issued
    assert renewed != issued
    assert renewed.not_valid_after_utc > soon + RENEW_BEFORE


def test_a_serving_certificate_from_another_ca_is_replaced(tmp_path: Path) -> None:
    ensure_pki(tmp_path / "pki", NAMES)
    other = ensure_pki(tmp_path / "other", NAMES).files
    shutil.copy(other.serving_cert, tmp_path / "pki" / "serving.crt")
    shutil.copy(other.serving_key, tmp_path / "pki" / "serving.key")

    files = ensure_pki(tmp_path / "pki", NAMES).files

    assert files.serving_cert.read_bytes() != other.serving_cert.read_bytes()
    _cert(files.serving_cert).verify_directly_issued_by(_cert(files.ca_cert))


def test_a_first_start_that_died_after_writing_the_ca_key_is_completed(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.key").write_text("half a key")

    files = ensure_pki(tmp_path / "pki", NAMES).files

    _cert(files.serving_cert).verify_directly_issued_by(_cert(files.ca_cert))


def test_a_ca_without_its_key_is_refused_and_left_alone(tmp_path: Path) -> None:
    files = ensure_pki(tmp_path / "pki", NAMES).files
    files.ca_key.unlink()
    ca_cert = files.ca_cert.read_bytes()

    with pytest.raises(PkiError, match="delete both files"):
        ensure_pki(tmp_path / "pki", NAMES)

    assert files.ca_cert.read_bytes() == ca_cert
    assert not files.ca_key.exists()


def test_ensure_ca_makes_only_the_ca(tmp_path: Path) -> None:
    ca_pem = ensure_ca(tmp_path / "pki")

    files = PkiFiles(tmp_path / "pki")
    assert ca_pem == files.ca_cert.read_bytes()
    assert not files.serving_cert.exists()
    assert ensure_pki(tmp_path / "pki", NAMES).ca_pem == ca_pem


def _handshake(files: PkiFiles, server_hostname: str) -> None:
    """A TLS handshake with a strict client that trusts only the CA; raises if it fails."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(files.serving_cert, files.serving_key)
    client_context = ssl.create_default_context(cafile=str(files.ca_cert))
    client_context.verify_flags |= ssl.VERIFY_X509_STRICT
    server_end, client_end = socket.socketpair()
    server_end.settimeout(10)
    client_end.settimeout(10)
    with server_end, client_end, ThreadPoolExecutor(1) as pool:
        accepted = pool.submit(server_context.wrap_socket, server_end, server_side=True)
        try:
            client_context.wrap_socket(client_end, server_hostname=server_hostname).close()
        finally:
            # The server side fails too when the client rejects it; only the client's verdict
            # matters here.
            exception = accepted.exception(timeout=20)
            if exception is None:
                accepted.result().close()


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "::1", "api.example.test"])
def test_a_strict_tls_client_trusting_the_ca_accepts_the_server_by_any_of_its_names(
    tmp_path: Path, name: str
) -> None:
    _handshake(ensure_pki(tmp_path / "pki", NAMES).files, name)


def test_a_tls_client_refuses_a_name_the_certificate_does_not_carry(tmp_path: Path) -> None:
    files = ensure_pki(tmp_path / "pki", NAMES).files

    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        _handshake(files, "elsewhere.example.test")


@pytest.mark.slow
def test_processes_starting_together_agree_on_one_ca_and_one_certificate(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    start = time.time() + 3
    children = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_FINGERPRINTS, str(directory), str(start)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = {child.communicate(timeout=60)[0].strip() for child in children}

    assert all(child.returncode == 0 for child in children)
    files = PkiFiles(directory)
    assert outputs == {
        f"{hashlib.sha256(files.ca_cert.read_bytes()).hexdigest()}"
        f" {hashlib.sha256(files.serving_cert.read_bytes()).hexdigest()}"
    }
    _cert(files.serving_cert).verify_directly_issued_by(_cert(files.ca_cert))
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) == [".lock"]
