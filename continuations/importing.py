"""From a continuation file (the prototype's or ours) to the state a run resumes from.

Everything is checked before anything starts: plain JSON values, the shape, the seal (required
when a key is configured, unless unsealed files are allowed explicitly), the agents and tool
names, that no call, flag or decision is given twice, and that every decision names a call that
waits. A decision in `approval_info` is the decision for its leaf call at any depth (`true` runs
it, `false` rejects it, `null` or no entry leaves it open for a later signal); a leaf call whose
`processed` flag is already true just runs. The decisions a resume applies are recorded as the
resumer's. The file's `decisions` record of earlier decisions enters the run only when the seal
vouches for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_continuations.agent_definitions import Agent, AgentCatalog
from agent_continuations.continuations._agents import level_agent, needs_approval, root_agent
from agent_continuations.continuations._checks import Decisions, approval_decisions, check_level
from agent_continuations.continuations._errors import (
    ContinuationFormatError,
    ContinuationImportError,
)
from agent_continuations.continuations._tree import Level, fold_levels
from agent_continuations.continuations._values import check_values
from agent_continuations.continuations.format import dump_agent_output, parse_agent_output
from agent_continuations.continuations.seal import SealError, SealStatus, verify_seal
from agent_continuations.shared import ImportedDecision, JsonDict, ResumeCall, ResumePoint

IMPORT_REASON = "decided in the imported continuation"


@dataclass(frozen=True)
class ImportedContinuation:
    """A checked continuation: the root agent, the state to resume from, and how it came in.

    Attributes:
        agent: The root agent's name.
        resume: The state the root level resumes from.
        seal: Whether the file came sealed (and the seal matched) or unsealed.
        allow_unsealed: Whether unsealed files were allowed although a key is configured.
        resumed_by: Who resumed: the approver of the decisions the file applies.
        source: Where the file came from (e.g. its name), as those decisions' reason says.
        dropped_decisions: How many records of an unsealed file's `decisions` were left out of
            the run's record, since nothing vouches for them.
    """

    agent: str
    resume: ResumePoint
    seal: SealStatus
    allow_unsealed: bool
    resumed_by: str | None
    source: str | None
    dropped_decisions: int

    def import_record(self) -> JsonDict:
        """What the resumed run keeps about its origin, e.g. in a Temporal memo."""
        return {
            "sealed": self.seal is SealStatus.VALID,
            "allow_unsealed": self.allow_unsealed,
            "resumed_by": self.resumed_by,
            "source": self.source,
            "dropped_decisions": self.dropped_decisions,
        }


def _as_output(data: Any) -> JsonDict:
    """The prototype's resume input `{"continuation", "approval_info"}` as an output object."""
    if not isinstance(data, dict):
        raise ContinuationImportError(f"expected a JSON object, got {type(data).__name__}")
    if "end_reason" in data or not isinstance(data.get("continuation"), dict):
        return data
    waiting = bool(data["continuation"].get("resume_request"))
    end_reason = "approval_required" if waiting else "suspended"
    defaults: JsonDict = {"approval_info": []} if waiting else {"suspend_list": []}
    return {**defaults, **data, "end_reason": end_reason}


@dataclass(frozen=True)
class _Levels:
    """What every level's resume point is built from: the tree's agents and its decisions."""

    root: Agent
    agents: dict[str, str]
    decided: Decisions
    approver: str | None
    reason: str

    def resume_point(self, level: Level, nested: dict[int, ResumePoint]) -> ResumePoint:
        """The state one level resumes from, with its sub-agents' already built in `nested`."""
        agent = level_agent(self.root, level, self.agents)
        flags = {p["id"]: p["approved"] for p in level.data.get("processed") or []}
        calls = []
        for position, call in level.calls():
            plain = {k: v for k, v in call.items() if k != "continuation"}
            if agent.find_sub_agent(call["function"]["name"]) is not None:
                resume = nested.get(position)
                calls.append(ResumeCall(tool_call=plain, decision="run", sub_agent=resume))
            else:
                calls.append(self._resume_call(agent, level, plain, flags.get(call["id"])))
        return ResumePoint(messages=level.data["messages"], calls=calls)

    def _resume_call(
        self, agent: Agent, level: Level, call: JsonDict, processed: bool | None
    ) -> ResumeCall:
        decision: ImportedDecision = "open"
        if processed:
            # Processed means approved (the prototype's meaning) or needing no approval.
            decision = "approve" if needs_approval(agent, call) else "run"
        here = (*level.path_ids, call["id"])
        if here in self.decided:
            approved = self.decided[here]
            decision = "open" if approved is None else "approve" if approved else "reject"
        if decision in ("approve", "reject"):
            return ResumeCall(
                tool_call=call, decision=decision, approver=self.approver, reason=self.reason
            )
        return ResumeCall(tool_call=call, decision=decision)


def _import(
    data: Any,
    agents: AgentCatalog,
    agent: str | None,
    key: bytes | None,
    allow_unsealed: bool,
    resumed_by: str | None,
    source: str | None,
) -> ImportedContinuation:
    check_values(data)
    raw = _as_output(data)
    parsed = parse_agent_output(raw)
    seal = verify_seal(data, key, required=bool(key) and not allow_unsealed)  # as sealed
    output = dump_agent_output(parsed)
    if output["end_reason"] not in ("approval_required", "suspended"):
        raise ContinuationImportError(
            f"the run has ended ({output['end_reason']}): there is nothing to resume"
        )
    continuation = output["continuation"]
    fold_levels(continuation, check_level)
    named = output.get("agents") or {}
    levels = _Levels(
        root=root_agent(agents, continuation, agent or named.get("")),
        agents=named,
        decided=approval_decisions(continuation, output.get("approval_info") or []),
        approver=resumed_by,
        reason=f"{IMPORT_REASON} {source}" if source else IMPORT_REASON,
    )
    resume = fold_levels(continuation, levels.resume_point)
    history = parsed.decisions or []
    sealed = seal is SealStatus.VALID
    resume.decisions = [record.to_record() for record in history] if sealed else []
    return ImportedContinuation(
        agent=levels.root.name,
        resume=resume,
        seal=seal,
        allow_unsealed=allow_unsealed,
        resumed_by=resumed_by,
        source=source,
        dropped_decisions=0 if sealed else len(history),
    )


def import_continuation(
    data: Any,
    agents: AgentCatalog,
    agent: str | None = None,
    key: bytes | None = None,
    *,
    allow_unsealed: bool = False,
    resumed_by: str | None = None,
    source: str | None = None,
) -> ImportedContinuation:
    """Check a continuation file's content and turn it into the state to resume from.

    Args:
        data: The decoded JSON: an `approval_required` or `suspended` output (the prototype's
            or ours), or the prototype's resume input `{"continuation", "approval_info"}`.
        agents: The agents the run may belong to (the worker's).
        agent: The root agent's name; by default the file's `agents`, else the one agent of
            `agents` whose tools fit.
        key: The seal key. A sealed file is refused without it or if it does not match; with
            it, an unsealed file (no `seal`, or `null`) is refused unless `allow_unsealed`.
        allow_unsealed: Accept an unsealed file although a key is configured. Its `decisions`
            record is left out of the run, as is any unsealed file's.
        resumed_by: Who resumes, recorded as the approver of each decision the file applies.
        source: Where the file came from, e.g. its name, recorded in those decisions' reason.

    Raises:
        ContinuationImportError: The file cannot be resumed; the message, one line, says why.
    """
    try:
        return _import(data, agents, agent, key, allow_unsealed, resumed_by, source)
    except (ContinuationFormatError, SealError) as error:
        raise ContinuationImportError(str(error)) from None
