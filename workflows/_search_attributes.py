"""The search attributes a root run keeps current, so people can find every run that waits
(pure: `LevelStatus` upserts them).

`AgentStatus` says where the tree is (`awaiting_approval` when any level waits for a decision),
`AgentWaitingTools` which tools wait and `AgentWaitingSince` since when. The Web UI's list
`AgentStatus="awaiting_approval"` and `starter.py pending` without an ID read them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate, TypedSearchAttributes

from agent_continuations.shared import EndReason
from agent_continuations.workflows._tree import LevelTree, WaitingEntry

AgentStatus = Literal["running", "awaiting_approval", "suspended", "completed", "rejected", "error"]
AGENT_STATUSES: tuple[AgentStatus, ...] = (
    "running",
    "awaiting_approval",
    "suspended",
    "completed",
    "rejected",
    "error",
)
STATUS_KEY = SearchAttributeKey.for_keyword("AgentStatus")
NAME_KEY = SearchAttributeKey.for_keyword("AgentName")
WAITING_TOOLS_KEY = SearchAttributeKey.for_keyword_list("AgentWaitingTools")
WAITING_SINCE_KEY = SearchAttributeKey.for_datetime("AgentWaitingSince")
SEARCH_ATTRIBUTE_KEYS: tuple[SearchAttributeKey, ...] = (
    STATUS_KEY,
    NAME_KEY,
    WAITING_TOOLS_KEY,
    WAITING_SINCE_KEY,
)
# How `temporal server start-dev --search-attribute` and `temporal operator search-attribute
# create --type` name each attribute's type.
SEARCH_ATTRIBUTE_TYPES = {
    STATUS_KEY.name: "Keyword",
    NAME_KEY.name: "Keyword",
    WAITING_TOOLS_KEY.name: "KeywordList",
    WAITING_SINCE_KEY.name: "Datetime",
}
ENDED_STATUSES: dict[EndReason, AgentStatus] = {
    "completed": "completed",
    "rejected_tool_calls": "rejected",
    "error": "error",
    # Ended with its continuation: it goes on only where that is resumed.
    "suspended": "suspended",
    "approval_required": "suspended",
}


@dataclass(frozen=True)
class AgentSearchValues:
    """The values of the agent search attributes of one run."""

    status: AgentStatus | None = None
    name: str | None = None
    waiting_tools: tuple[str, ...] = ()
    waiting_since: datetime | None = None

    @classmethod
    def of(cls, attributes: TypedSearchAttributes) -> AgentSearchValues:
        """The values a run has, e.g. carried over from the run it continued as new from."""
        found = attributes.get(STATUS_KEY)
        return cls(
            status=next((status for status in AGENT_STATUSES if status == found), None),
            name=attributes.get(NAME_KEY),
            waiting_tools=tuple(attributes.get(WAITING_TOOLS_KEY) or ()),
            waiting_since=attributes.get(WAITING_SINCE_KEY),
        )

    def updates(self, previous: AgentSearchValues) -> list[SearchAttributeUpdate]:
        """What to upsert to go from `previous` to these values (nothing when they are equal)."""
        changes: list[SearchAttributeUpdate] = []
        if self.status != previous.status and self.status is not None:
            changes.append(STATUS_KEY.value_set(self.status))
        if self.name != previous.name and self.name is not None:
            changes.append(NAME_KEY.value_set(self.name))
        if self.waiting_tools != previous.waiting_tools:
            changes.append(
                WAITING_TOOLS_KEY.value_set(list(self.waiting_tools))
                if self.waiting_tools
                else WAITING_TOOLS_KEY.value_unset()
            )
        if self.waiting_since != previous.waiting_since:
            changes.append(
                WAITING_SINCE_KEY.value_set(self.waiting_since)
                if self.waiting_since
                else WAITING_SINCE_KEY.value_unset()
            )
        return changes


def tree_values(
    agent: str,
    continuation: LevelTree,
    pending: list[WaitingEntry],
    end_reason: EndReason | None,
    previous: AgentSearchValues,
    now: datetime,
) -> AgentSearchValues:
    """The values for a root whose tree is in this state.

    Args:
        agent: The root's agent name.
        continuation: The root's continuation (runtime form), with its sub-agents' waits.
        pending: The tree's calls waiting for a decision, as `pending_approvals` lists them.
        end_reason: How the run ended, or None while it runs.
        previous: The values the run has now; a wait that goes on keeps its start.
        now: The workflow's time, when a wait starts.
    """
    values = AgentSearchValues(name=agent)
    if end_reason is not None:
        return replace(values, status=ENDED_STATUSES[end_reason])
    if pending:
        since = previous.waiting_since if previous.status == "awaiting_approval" else None
        return replace(
            values,
            status="awaiting_approval",
            waiting_tools=tuple(sorted({entry.tool_name for entry in pending})),
            waiting_since=since or now,
        )
    suspended = continuation.suspend_list or continuation.suspended_sub_agents()
    return replace(values, status="suspended" if suspended else "running")
