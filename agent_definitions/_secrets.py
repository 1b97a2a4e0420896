"""The workers' secrets: the keys that an agent tree's internal token, its sub-agents' IDs and
the proofs that a call was approved are derived from. They live in the workers' configuration
(`AGENT_WORKER_SECRETS`), never in a workflow's history."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

WORKER_SECRETS_ENV = "AGENT_WORKER_SECRETS"
MIN_SECRET_CHARS = 16


class WorkerSecrets:
    """Named keys, the first one current: new trees use it, and a tree keeps the key it started
    with until that key is retired (removed), so keys rotate without stranding waiting runs.

    Args:
        keys: Secret by key ID, the current key first.

    Raises:
        ValueError: A key ID is empty or has `:` or `,`, or a secret is under 16 characters.
    """

    def __init__(self, keys: Mapping[str, str] | None = None) -> None:
        self._keys = {}
        for key_id, secret in (keys or {}).items():
            if not key_id or any(c in key_id for c in ":,") or key_id != key_id.strip():
                raise ValueError(f"a worker secret's ID must be a plain name, not {key_id!r}")
            if len(secret) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"worker secret {key_id!r} must have at least {MIN_SECRET_CHARS} characters"
                )
            self._keys[key_id] = secret.encode("utf-8")

    @classmethod
    def parse(cls, text: str) -> WorkerSecrets:
        """Secrets written `ID:SECRET,ID:SECRET`, the current one first.

        Raises:
            ValueError: An entry is not `ID:SECRET`, or `WorkerSecrets` refuses it.
        """
        keys: dict[str, str] = {}
        for entry in filter(None, (part.strip() for part in text.split(","))):
            key_id, colon, secret = entry.partition(":")
            if not colon:
                raise ValueError(f"{WORKER_SECRETS_ENV} entries are ID:SECRET, not {key_id!r}")
            keys[key_id.strip()] = secret.strip()
        return cls(keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> WorkerSecrets:
        """The secrets `AGENT_WORKER_SECRETS` names (none when it is unset).

        Raises:
            ValueError: The variable is malformed; the message names it.
        """
        try:
            return cls.parse(environ.get(WORKER_SECRETS_ENV, ""))
        except ValueError as error:
            raise ValueError(f"{WORKER_SECRETS_ENV}: {error}") from None

    def ids(self) -> list[str]:
        """The key IDs, the current one first."""
        return list(self._keys)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def mac(self, key_id: str, *parts: str) -> str:
        """HMAC-SHA256 of `parts` under key `key_id`, in hex.

        Raises:
            KeyError: No such key (it was retired, or this worker was never given it).
        """
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self._keys[key_id], message, hashlib.sha256).hexdigest()

    def approval_proof(
        self, key_id: str, run_id: str, call_key: str, tool: str, arguments: Mapping[str, Any]
    ) -> str:
        """The proof, for `run_tool`, that run `run_id` approved this call (its idempotency key
        `call_key`) of `tool` with exactly these arguments."""
        canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        return self.mac(key_id, "approved", run_id, call_key, tool, canonical)
