"""Seals on a run's input that vouch for the state it carries (`carried_state`, `resume` and
the decisions in it), bound to the workflow that receives it.

A tree seals the inputs it starts runs with (continue-as-new, sub-agents) with the workers'
secret; a starter holding the continuation seal key seals a resume input with that key. A
worker configured with either checks the seal of every input that carries state, so that
starting a workflow directly with a made-up state or decision record gets nowhere. A worker
with neither trusts inputs as they come.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from agent_continuations.agent_definitions import WorkerSecrets
from agent_continuations.shared import AgentWorkflowInput

SECRET_SCHEME = "secret"
SEAL_KEY_SCHEME = "seal"


def _covered(input: AgentWorkflowInput, receiver: str) -> str:
    body = input.model_dump(mode="json", exclude={"input_seal"})
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "\x1f".join(("workflow-input", receiver, canonical))


def _seal_key_mac(key: bytes, input: AgentWorkflowInput, receiver: str) -> str:
    return hmac.new(key, _covered(input, receiver).encode("utf-8"), hashlib.sha256).hexdigest()


def sealed_with_key(input: AgentWorkflowInput, receiver: str, key: bytes) -> AgentWorkflowInput:
    """`input` sealed with the continuation seal key for workflow `receiver`."""
    mac = _seal_key_mac(key, input, receiver)
    return input.model_copy(update={"input_seal": f"{SEAL_KEY_SCHEME}:{mac}"})


class InputSeals:
    """What a worker seals and checks inputs with: its secrets, else the seal key.

    Args:
        secrets: The workers' secrets.
        seal_key: The continuation seal key, if the worker has one.
    """

    def __init__(self, secrets: WorkerSecrets, seal_key: bytes | None) -> None:
        self._secrets = secrets
        self._seal_key = seal_key

    def checks(self) -> bool:
        """Whether this worker can tell sealed inputs from others (it has a secret or key)."""
        return bool(self._secrets) or self._seal_key is not None

    def seal(self, input: AgentWorkflowInput, receiver: str) -> AgentWorkflowInput:
        """`input` sealed for workflow `receiver` with the current secret, else the seal key
        (unchanged for a worker with neither)."""
        if self._secrets:
            key_id = self._secrets.ids()[0]
            mac = self._secrets.mac(key_id, _covered(input, receiver))
            return input.model_copy(update={"input_seal": f"{SECRET_SCHEME}:{key_id}:{mac}"})
        if self._seal_key is not None:
            return sealed_with_key(input, receiver, self._seal_key)
        return input

    def vouched(self, input: AgentWorkflowInput, receiver: str) -> bool:
        """Whether `input` carries a seal for workflow `receiver` that this worker verifies."""
        scheme, _, rest = (input.input_seal or "").partition(":")
        if scheme == SEAL_KEY_SCHEME and self._seal_key is not None:
            return hmac.compare_digest(rest, _seal_key_mac(self._seal_key, input, receiver))
        key_id, _, mac = rest.partition(":")
        if scheme == SECRET_SCHEME and key_id in self._secrets:
            return hmac.compare_digest(mac, self._secrets.mac(key_id, _covered(input, receiver)))
        return False
