"""Ed25519 signatures over canonical JSON (the `bth-exchange/1` rules of API.md).

The deployment's private key lives outside the database: in the env var
EXCHANGE_SIGNING_KEY (base64 of the raw 32-byte seed) or in a 0600 file under instance/
written by `flask exchange keygen`. It is never logged and never served.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_FILE = "exchange_ed25519.key"
ALG = "Ed25519"


class SigningKeyMissing(Exception):
    """No signing key is configured: run `flask exchange keygen`."""


def canonical_bytes(document: dict) -> bytes:
    """The document without `signature`: keys sorted, `,` and `:`, non-ASCII as itself."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def public_raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_of(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_raw(public)).hexdigest()[:16]


def public_key_b64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public_raw(public)).decode()


def load_public_key(value: str) -> Ed25519PublicKey:
    """A partner's key: base64 of the raw 32 bytes; ValueError otherwise."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc
    if len(raw) != 32:
        raise ValueError("not 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_path(instance_path: str) -> str:
    return os.path.join(instance_path, KEY_FILE)


def generate_key_file(path: str, force: bool = False) -> Ed25519PublicKey:
    """Write a new private key (base64 seed) readable by its owner only."""
    if os.path.exists(path) and not force:
        raise FileExistsError(path)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    if os.path.exists(path):
        os.remove(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(seed).decode() + "\n")
    return private.public_key()


def load_private_key(config: dict, instance_path: str) -> Ed25519PrivateKey:
    encoded = config.get("EXCHANGE_SIGNING_KEY")
    if not encoded:
        path = key_path(instance_path)
        if not os.path.exists(path):
            raise SigningKeyMissing()
        with open(path) as handle:
            encoded = handle.read().strip()
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded))


def sign(document: dict, private: Ed25519PrivateKey) -> dict:
    value = base64.b64encode(private.sign(canonical_bytes(document))).decode()
    return {**document, "signature": {"alg": ALG, "key_id": key_id_of(private.public_key()),
                                      "value": value}}


def verifies(document: dict, public: Ed25519PublicKey) -> bool:
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != ALG:
        return False
    try:
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
        public.verify(value, canonical_bytes(document))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
