"""Sending messages between the levels of one agent tree, and checking those that arrive.

Internal messages are sealed for the tree (see `TreeMessage`, `TreeKeys`): one that is not is
logged and ignored. Signals are sent by name, as `AgentWorkflow` declares them.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import CancelledError

from agent_continuations.workflows._state import TreeMessage
from agent_continuations.workflows._tree_keys import TreeKeys

LOGGED_CHARS = 300


def refuse_unless_root() -> None:
    """Decisions and `resume` come to the root only, which passes them down the tree.

    Raises:
        LookupError: This level is a sub-agent.
    """
    info = workflow.info()
    if info.parent is not None:
        root = (info.root or info.parent).workflow_id
        raise LookupError(
            f"decisions and resume go to the root workflow {root!r}, which passes them down"
        )


def from_tree(message: TreeMessage, keys: TreeKeys, name: str) -> bool:
    """Whether an internal message comes from this tree; logs it when it does not."""
    if not keys.opens(name, message):
        workflow.logger.warning("ignored %s signal: it does not come from this tree", name)
        return False
    return True


async def signal_quietly(
    handle: workflow.ExternalWorkflowHandle[Any], signal: str, message: TreeMessage, keys: TreeKeys
) -> None:
    """Signal another level of the tree, sealed with `keys`; if it has ended, log it and go on."""
    try:
        await handle.signal(signal, keys.seal(handle.id, signal, message))
    except CancelledError:
        raise  # this run is ending
    except Exception as error:
        workflow.logger.warning("could not signal %s: %s", handle.id, error)


def short_error(error: Exception) -> str:
    """An error's message for the log, cut short: a payload may be megabytes of junk."""
    text = str(error)
    return text if len(text) <= LOGGED_CHARS else f"{text[:LOGGED_CHARS]}..."
