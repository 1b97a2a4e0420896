"""What a tree derives from the workers' secrets: its internal token and its sub-agents' IDs.

With `AGENT_WORKER_SECRETS` set, a new root takes the current key and records only the key's
ID (a patch marker named after it, and the `tree_key` its sub-agents and continued runs get),
never the token: knowing run IDs and reading histories gives neither the token nor the IDs.
Trees started without secrets keep their drawn token.
"""

from __future__ import annotations

import hmac

from temporalio import workflow

from agent_continuations.agent_definitions import WorkerSecrets
from agent_continuations.shared import AgentWorkflowInput, JsonDict
from agent_continuations.workflows._state import TreeMessage

KEY_MARKER = "tree-key-"
ID_SUFFIX_CHARS = 12


class MissingTreeKeyError(RuntimeError):
    """The tree's key is not among this worker's secrets. The workflow task fails and is
    retried, so the run waits, unharmed, for a worker that has the key."""


def tree_key(secrets: WorkerSecrets, input: AgentWorkflowInput) -> str | None:
    """The ID of the key this level's tree uses: the one its input names, else for a new root
    the first whose marker this run recorded (the current key, when it first ran), else None."""
    if input.tree_key is not None or input.tree_token is not None:
        return input.tree_key
    for key_id in secrets.ids():
        if workflow.patched(KEY_MARKER + key_id):
            return key_id
    return None


class TreeKeys:
    """A level's derivations from its tree's key, or the drawn values of a tree without one.

    Args:
        secrets: The worker's secrets.
        key_id: The tree's key (see `tree_key`), None for a tree without one.
        drawn_token: The token of a tree without a key: from the input, else drawn now.

    Raises:
        MissingTreeKeyError: The worker lacks the tree's key.
    """

    def __init__(self, secrets: WorkerSecrets, key_id: str | None, drawn_token: str | None):
        if key_id is not None and key_id not in secrets:
            raise MissingTreeKeyError(
                f"this worker lacks the tree key {key_id!r} the run started with: add it to "
                "AGENT_WORKER_SECRETS (retire a key only once no run uses it)"
            )
        self.key_id = key_id
        self._secrets = secrets
        info = workflow.info()
        root = info.root.workflow_id if info.root else info.workflow_id
        self.token = (
            secrets.mac(key_id, "tree-token", root)
            if key_id is not None
            else drawn_token or workflow.uuid4().hex
        )

    def child_id_suffix(self, call_id: str, attempt: int) -> str:
        """The random part of a sub-agent's workflow ID: nobody can guess it to take it first."""
        if self.key_id is None:
            return workflow.uuid4().hex[:ID_SUFFIX_CHARS]
        parent = workflow.info().workflow_id
        mac = self._secrets.mac(self.key_id, "child-id", parent, call_id, str(attempt))
        return mac[:ID_SUFFIX_CHARS]

    def approval_proof(self, call_key: str, tool: str, arguments: JsonDict) -> tuple[str, str]:
        """The key's ID and the proof that this run approved the call (see
        `WorkerSecrets.approval_proof`); empty without a key."""
        if self.key_id is None:
            return "", ""
        run_id = workflow.info().run_id
        proof = self._secrets.approval_proof(self.key_id, run_id, call_key, tool, arguments)
        return self.key_id, proof

    def seal(self, receiver: str, signal: str, message: TreeMessage) -> TreeMessage:
        """`message` as sent to workflow `receiver` by `signal`: sealed with the key (the token
        never travels), or carrying the drawn token in a tree without a key."""
        if self.key_id is None:
            return message.model_copy(update={"token": self.token, "mac": ""})
        mac = self._message_mac(receiver, signal, message)
        return message.model_copy(update={"token": "", "mac": mac})

    def opens(self, signal: str, message: TreeMessage) -> bool:
        """Whether `message`, received by `signal`, comes from this tree, to this workflow."""
        if self.key_id is None:
            return hmac.compare_digest(message.token, self.token)
        expected = self._message_mac(workflow.info().workflow_id, signal, message)
        return hmac.compare_digest(message.mac, expected)

    def _message_mac(self, receiver: str, signal: str, message: TreeMessage) -> str:
        assert self.key_id is not None
        return self._secrets.mac(
            self.key_id, "tree-message", self.token, receiver, signal, message.content()
        )

    def for_child(self) -> dict[str, str | None]:
        """What a sub-agent's or a continued run's input carries: the key's ID, or the drawn
        token of a tree without a key."""
        if self.key_id is not None:
            return {"tree_key": self.key_id, "tree_token": None}
        return {"tree_key": None, "tree_token": self.token}
