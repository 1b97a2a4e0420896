"""Approvers: the people who alone may decide a tool's calls, each known by an Ed25519 public
key the workers hold. A decision on such a call is valid only with its approver's signature
over what it decides (`decision_message`); `sign_decision` makes one from a private key."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

APPROVER_KEYS_ENV = "AGENT_APPROVER_KEYS"
PUBLIC_KEY_SUFFIX = ".pub.pem"


class ApproverKeyError(ValueError):
    """An approver's key cannot be read or is not an Ed25519 key."""


def decision_message(
    workflow_id: str, call_id: str, digest: str, approved: bool, arguments: Any
) -> bytes:
    """What an approver signs: the root workflow, the call, its digest, the verdict and the
    edited arguments (None when not edited)."""
    fields = {
        "workflow_id": workflow_id,
        "call_id": call_id,
        "digest": digest,
        "approved": approved,
        "arguments": arguments,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_decision(private_key_pem: bytes, message: bytes) -> str:
    """The base64 Ed25519 signature of `message` (see `decision_message`).

    Raises:
        ApproverKeyError: The key is not an unencrypted Ed25519 private key in PEM.
    """
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise ApproverKeyError(f"not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ApproverKeyError("the private key is not an Ed25519 key")
    return base64.b64encode(key.sign(message)).decode("ascii")


class ApproverKeys:
    """The approvers' public keys by name.

    Args:
        keys: PEM public key by approver name.

    Raises:
        ApproverKeyError: A key is not an Ed25519 public key in PEM.
    """

    def __init__(self, keys: Mapping[str, bytes] | None = None) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for name, pem in (keys or {}).items():
            try:
                key = serialization.load_pem_public_key(pem)
            except ValueError as error:
                raise ApproverKeyError(f"key of approver {name!r}: {error}") from None
            if not isinstance(key, Ed25519PublicKey):
                raise ApproverKeyError(f"key of approver {name!r} is not an Ed25519 key")
            self._keys[name] = key

    @classmethod
    def from_directory(cls, directory: Path) -> ApproverKeys:
        """The keys `NAME.pub.pem` in `directory`, each the key of approver NAME.

        Raises:
            ApproverKeyError: The directory cannot be read, or a key is not Ed25519.
        """
        try:
            files = sorted(directory.glob(f"*{PUBLIC_KEY_SUFFIX}"))
            return cls({f.name.removesuffix(PUBLIC_KEY_SUFFIX): f.read_bytes() for f in files})
        except OSError as error:
            raise ApproverKeyError(f"cannot read {directory}: {error.strerror}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ApproverKeys:
        """The keys in the directory `AGENT_APPROVER_KEYS` names (none when it is unset).

        Raises:
            ApproverKeyError: As `from_directory`; the message names the variable.
        """
        directory = environ.get(APPROVER_KEYS_ENV)
        if not directory:
            return cls()
        try:
            return cls.from_directory(Path(directory))
        except ApproverKeyError as error:
            raise ApproverKeyError(f"{APPROVER_KEYS_ENV}: {error}") from None

    def names(self) -> list[str]:
        """The approvers whose keys are known, sorted."""
        return sorted(self._keys)

    def verify(self, approver: str, signature: str, message: bytes) -> bool:
        """Whether `signature` (base64) is `approver`'s over `message`."""
        key = self._keys.get(approver)
        if key is None:
            return False
        try:
            key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True
