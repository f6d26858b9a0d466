"""Each vault's own signing identity: a local root CA and a signing certificate it issued.

C2PA refuses a self-signed signing certificate, so ``init``-time-free, on first
export, a vault makes two P-256 keys: a root CA (``root.pem``; its key is kept
only to issue the signer and is not needed afterwards) and a leaf for signing
(ES256) with the ``emailProtection`` extended key usage C2PA accepts. They live
in ``.comfyvn/identity/``; private keys are written with mode 0600. ``verify``
trusts exactly this root, so a file passes as *Trusted* only if this vault
(or a copy of its identity) signed it.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Final, NamedTuple

from comfyvn_vault.store.fsutil import os_error

FOLDER: Final = "identity"
VALID_DAYS: Final = 3650


class Identity(NamedTuple):
    root_pem: bytes
    chain_pem: bytes  # signer then root
    key_pem: bytes  # signer's private key (PKCS#8)


def folder_of(meta: Path) -> Path:
    return meta / FOLDER


def load(meta: Path) -> Identity | None:
    folder = folder_of(meta)
    try:
        root = (folder / "root.pem").read_bytes()
        signer = (folder / "signer.pem").read_bytes()
        key = (folder / "signer.key").read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_error(exc, "read the vault's signing identity") from None
    return Identity(root, signer + root, key)


def ensure(meta: Path, name: str) -> Identity:
    """The vault's identity, made on first use."""
    found = load(meta)
    if found is not None:
        return found
    root, signer, key = _generate(name)
    folder = folder_of(meta)
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        _write(folder / "signer.key", key, 0o600)
        _write(folder / "signer.pem", signer, 0o644)
        _write(folder / "root.pem", root, 0o644)  # last: its presence means "complete"
    except OSError as exc:
        raise os_error(exc, "write the vault's signing identity") from None
    return Identity(root, signer + root, key)


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _generate(name: str) -> tuple[bytes, bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=VALID_DAYS)
    label = name[:40] or "vault"

    def subject(role: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, f"comfyvn {role} ({label})"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "comfyvn vault"),
            ]
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(subject("root"))
        .issuer_name(subject("root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(subject("signer"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return root.public_bytes(pem), signer.public_bytes(pem), key_pem


def sign_bytes(ident: Identity, data: bytes) -> bytes:
    """An ES256 (ECDSA P-256, SHA-256) signature of ``data`` by the vault's signing key (DER)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = serialization.load_pem_private_key(ident.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def signer_pem(ident: Identity) -> bytes:
    """The signing certificate alone (the chain holds the signer, then the root)."""
    end = b"-----END CERTIFICATE-----"
    return ident.chain_pem[: ident.chain_pem.index(end) + len(end)] + b"\n"


def check_signature(cert_pem: bytes, data: bytes, signature: bytes, root_pem: bytes | None) -> tuple[bool, bool]:
    """Whether ``signature`` over ``data`` verifies with ``cert_pem``, and whether ``root_pem`` issued that cert.

    A certificate that does not parse, or a key that is not P-256, counts as a
    signature that does not verify.
    """
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False, False
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (ValueError, TypeError, InvalidSignature):
        return False, False
    if root_pem is None:
        return True, False
    try:
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(root_pem))
    except (ValueError, TypeError, InvalidSignature):
        return True, False
    return True, True
