"""`AgentWorkflow`: one agent's loop; sub-agents run as child workflows of the same type.

Every message the workflow answers is declared here and handed to one of the parts the class
composes, each owning its state: `TurnLoop` (model turns), `TurnCalls` (a turn's tool calls),
`SubAgents`, `Approvals`, `Suspension`, `ParentReports`, `LevelStatus` (what people see) and
`ContinueAsNew`. They share the level's input, agent and state through one `Level`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from agent_continuations.activities import (
    CONVERSATION_QUERY,
    ConversationPage,
    ConversationPageInput,
    conversation_page,
)
from agent_continuations.agent_definitions import Agent, catalog_for
from agent_continuations.continuations import to_output
from agent_continuations.shared import (
    AgentRunOutput,
    AgentWorkflowInput,
    ApprovalDecision,
    JsonDict,
    ResumeSignalInput,
)
from agent_continuations.workflows._approvals import Approvals
from agent_continuations.workflows._continue_as_new import ContinueAsNew, on_versioned_worker
from agent_continuations.workflows._descriptions import (
    APPROVE,
    DECIDE,
    GET_CONTINUATION,
    GET_CONVERSATION,
    GET_STATE,
    GET_SUMMARY,
    INTERNAL,
    MOVE_OUT,
    PENDING_APPROVALS,
    REJECT,
    RESUME,
    UNKNOWN_SIGNAL,
    UPGRADE,
)
from agent_continuations.workflows._input_seal import InputSeals
from agent_continuations.workflows._level import Level, fitting
from agent_continuations.workflows._mcp_tools import McpTools
from agent_continuations.workflows._reports import ParentReports
from agent_continuations.workflows._start import (
    UNSEALED_INPUT_MEMO,
    check_seal,
    find_agent,
    no_model_problem,
    parse_input,
    start_state,
    unsealed_records_note,
)
from agent_continuations.workflows._state import (
    AgentState,
    ForwardedDecision,
    ForwardedResume,
    ParentContinued,
    ParkRequest,
    SubAgentReport,
    SubAgentResult,
    UpgradeRequest,
)
from agent_continuations.workflows._status import LevelStatus
from agent_continuations.workflows._sub_agents import SubAgents
from agent_continuations.workflows._suspension import Suspension
from agent_continuations.workflows._tree import LevelTree
from agent_continuations.workflows._tree_keys import TreeKeys, tree_key
from agent_continuations.workflows._tree_messages import (
    from_tree,
    refuse_unless_root,
    short_error,
)
from agent_continuations.workflows._turn_calls import TurnCalls
from agent_continuations.workflows._turn_loop import TurnLoop


# Versioned workers pin it (`worker.py`'s `PINNED_BY_DEFAULT`): a run stays on the version that
# started it, with its sub-agents and continued runs, until `upgrade` moves it. Not declared
# here: the server refuses a versioning behaviour from an unversioned worker.
# Outside the workflow sandbox: the package keeps no module state, and the sandbox would take
# all of it from the worker anyway (`plugin.PASSTHROUGH_MODULES`), so it guarded nothing here
# and cost the worker about a fifth of its CPU per tree, on every activation
# (benchmarks/waiting_agents.py). The replay tests (tests/test_replay.py) check determinism.
@workflow.defn(name="AgentWorkflow", sandboxed=False)
class AgentWorkflow:
    """Runs one agent: model calls and tool calls as activities, sub-agents as child workflows.

    People decide on waiting tool calls with the `approve` / `reject` signals or the `decide`
    update, resume suspended levels with `resume`, and move a run onto the current version of
    its workers with `upgrade`, always sent to the root: messages for levels inside sub-agents
    are passed down.
    """

    # The input is typed `AgentWorkflowInput | Any` so that a malformed one still reaches the
    # workflow, which ends with the problem, instead of failing every workflow task.
    @workflow.init
    def __init__(self, input: AgentWorkflowInput | Any) -> None:
        parsed, carried, self._input_problem = parse_input(input)
        agents = catalog_for(workflow.info().task_queue)  # the worker's, from `AgentPlugin`
        seals = InputSeals(agents.secrets, agents.seal_key)
        checked = check_seal(parsed, carried, seals)
        parsed, carried = checked.input, checked.carried
        self._input_problem = self._input_problem or checked.problem
        self._dropped_records = checked.dropped_records
        agent: Agent | None = None
        if self._input_problem is None:
            agent, self._input_problem = find_agent(agents, parsed.agent)
        keys = TreeKeys(agents.secrets, tree_key(agents.secrets, parsed), parsed.tree_token)
        state = carried or start_state(parsed, agent, agents.default_model, workflow.now())
        self._level = level = Level(parsed, agent, state, keys, seals)
        self._mcp_tools = McpTools(level)  # gives the level's agent its MCP tools
        self._status = status = LevelStatus(level)
        call_id = parsed.sub_agent_call_id
        self._reports = ParentReports(level, status, call_id) if call_id else None
        self._continue_as_new = continue_as_new = ContinueAsNew(level)
        self._approvals = approvals = Approvals(level, status, agents.approver_keys)
        self._sub_agents = sub_agents = SubAgents(level, status)
        self._suspension = suspension = Suspension(level, status, continue_as_new)
        self._turn_calls = TurnCalls(level, status, approvals, sub_agents, continue_as_new)
        self._turn_loop = TurnLoop(level, self._turn_calls, suspension, continue_as_new)
        self._moved_out: LevelTree | None = None

    @workflow.run
    async def run(self, input: AgentWorkflowInput | Any) -> AgentRunOutput:
        """Loop model → tools until the model answers without tool calls or a call is rejected."""
        level, agent = self._level, self._level.agent
        if self._input_problem is not None or agent is None:
            return self._status.ended(level.output("error", error=self._input_problem))
        input = level.input
        if input.prompt is None and input.resume is None and input.carried_state is None:
            error = "give a prompt or a continuation to resume"
            return self._status.ended(level.output("error", error=error))
        if unknown := self._approvals.unknown_approvers():
            error = f"the run names approvers without a key: {', '.join(unknown)}"
            return self._status.ended(level.output("error", error=error))
        if not level.state.model:
            error = no_model_problem(agent.name)
            return self._status.ended(level.output("error", error=error))
        if self._dropped_records:
            note = unsealed_records_note(self._dropped_records)
            workflow.logger.warning(note)
            workflow.upsert_memo({UNSEALED_INPUT_MEMO: note})
        self._status.update_search_attributes()
        if problem := await self._mcp_tools.list_tools():
            return self._status.ended(level.output("error", error=problem))
        agent = level.agent
        assert agent is not None
        reports = self._reports
        reporter = asyncio.create_task(reports.report_state()) if reports else None
        output = self._status.ended(fitting(await self._loop_until_moved_out(agent)))
        if reporter:
            reporter.cancel()
        if reports and reports.sends_result():
            await reports.report_result(output)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return output

    async def _loop_until_moved_out(self, agent: Agent) -> AgentRunOutput:
        """Run the turn loop; a `move_out` stops it, its calls and its sub-agents."""
        loop = asyncio.create_task(self._turn_loop.run(agent))
        await workflow.wait_condition(lambda: loop.done() or self._moved_out is not None)
        if loop.done():
            return loop.result()
        self._level.stop_reason = "the run moved out to its continuation"
        tasks = [loop, *self._turn_calls.tasks()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        moved = self._moved_out
        assert moved is not None
        if moved.resume_request:
            return self._level.output("approval_required", continuation=moved.to_json())
        return self._level.output(
            "suspended", continuation=moved.to_json(), suspend_list=moved.suspend_list or []
        )

    # Every signal input may be None: the SDK decodes a JSON null as None whatever the type.
    @workflow.signal(name="approve", description=APPROVE)
    async def approve(self, decision: ApprovalDecision | None = None) -> None:
        """Approve a waiting call: an `ApprovalDecision`, optionally with edited `arguments`."""
        await self._approvals.apply_quietly(decision, True, "approve")

    @workflow.signal(name="reject", description=REJECT)
    async def reject(self, decision: ApprovalDecision | None = None) -> None:
        """Reject a waiting call: an `ApprovalDecision`."""
        await self._approvals.apply_quietly(decision, False, "reject")

    # `Any`, not `DecideInput`: the SDK refuses an input it cannot decode with only "Failed
    # decoding arguments"; parsed here, the refusal names the problem (tests/test_bad_input.py).
    @workflow.update(name="decide", description=DECIDE)
    async def decide(self, input: Any) -> str:
        """Approve or reject a waiting call (a `DecideInput`) and say what was decided."""
        try:
            decision = Approvals.parse(input)
            return await self._approvals.apply(decision, decision.approved)
        except (LookupError, ValueError) as error:  # the state changed since validation
            raise ApplicationError(str(error), type="DecisionRefused") from None

    @decide.validator
    def _validate_decide(self, input: Any) -> None:
        refuse_unless_root()
        decision = Approvals.parse(input)
        self._approvals.check(decision, decision.approved)

    @workflow.update(name="move_out", description=MOVE_OUT)
    def move_out(self) -> JsonDict:
        """End the run and return its continuation (as `get_continuation` gives it), in one
        step: the run goes on only where that continuation is resumed."""
        self._moved_out = self._level.continuation()
        return to_output(self._moved_out.to_json())

    @move_out.validator
    def _validate_move_out(self) -> None:
        refuse_unless_root()
        if self._moved_out is not None:
            raise LookupError("the run has moved out already")

    @workflow.update(name="upgrade", description=UPGRADE)
    async def upgrade(self) -> str:
        """Move every level of the tree onto the current version of its workers, each by
        continuing as new from its own state at its next wait; say when this level moves."""
        await self._continue_as_new.upgrade()
        if self._continue_as_new.waits() and not self._level.parking:
            return "moves to the current version now"
        return "is mid-turn: moves to the current version at its next wait"

    @upgrade.validator
    def _validate_upgrade(self) -> None:
        refuse_unless_root()
        if not on_versioned_worker():
            raise LookupError("the run's workers are unversioned: there is no version to move to")
        if self._continue_as_new.upgrading:
            raise LookupError("the run moves to the current version already")

    @workflow.signal(name="resume", description=RESUME)
    async def resume(self, request: ResumeSignalInput | None = None) -> None:
        """Resume suspended levels: a `ResumeSignalInput` (every suspended level by default)."""
        try:
            refuse_unless_root()
        except LookupError as error:
            workflow.logger.warning("ignored resume signal: %s", short_error(error))
            return
        await self._suspension.resume(request or ResumeSignalInput())

    @workflow.signal(name="apply_decision", description=INTERNAL)
    async def apply_decision(self, message: ForwardedDecision | None = None) -> None:
        """Internal: a decision the parent passes down."""
        if message is not None and from_tree(message, self._level.keys, "apply_decision"):
            decision = message.decision
            if self._reports is not None:
                self._reports.parent_decided(decision.path_ids or [])
            await self._approvals.apply_quietly(
                decision, decision.approved, "apply_decision", from_person=False
            )

    @workflow.signal(name="apply_resume", description=INTERNAL)
    async def apply_resume(self, message: ForwardedResume | None = None) -> None:
        """Internal: a `resume` the parent passes down."""
        if message is not None and from_tree(message, self._level.keys, "apply_resume"):
            await self._suspension.resume(message.request)

    @workflow.signal(name="parent_continued", description=INTERNAL)
    def parent_continued(self, message: ParentContinued | None = None) -> None:
        """Internal: sent by a parent that continues as new while this sub-agent runs."""
        if message is not None and from_tree(message, self._level.keys, "parent_continued"):
            self._level.state.result_by_signal = True

    @workflow.signal(name="park", description=INTERNAL)
    def park(self, request: ParkRequest | None = None) -> None:
        """Internal: sent by a parent that exits suspended."""
        if request is not None and from_tree(request, self._level.keys, "park"):
            self._sub_agents.park()

    @workflow.signal(name="apply_upgrade", description=INTERNAL)
    async def apply_upgrade(self, request: UpgradeRequest | None = None) -> None:
        """Internal: an `upgrade` the parent passes down."""
        if request is not None and from_tree(request, self._level.keys, "apply_upgrade"):
            await self._continue_as_new.upgrade()

    @workflow.signal(name="report_sub_agent_state", description=INTERNAL)
    def report_sub_agent_state(self, report: SubAgentReport | None = None) -> None:
        """Internal: sent by a sub-agent whenever what it waits for changes."""
        if report is not None and from_tree(report, self._level.keys, "report_sub_agent_state"):
            self._sub_agents.take_state_report(report)

    @workflow.signal(name="report_sub_agent_result", description=INTERNAL)
    def report_sub_agent_result(self, report: SubAgentResult | None = None) -> None:
        """Internal: sent by a sub-agent as it ends."""
        if report is not None and from_tree(report, self._level.keys, "report_sub_agent_result"):
            self._sub_agents.take_result(report)

    @workflow.signal(dynamic=True, description=UNKNOWN_SIGNAL)
    def unknown_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Log and ignore signals this workflow does not know."""
        workflow.logger.warning("ignored unknown signal %r", name)

    @workflow.query(name="pending_approvals", description=PENDING_APPROVALS)
    def pending_approvals(self) -> list[JsonDict]:
        """Every tool call in the agent tree waiting for a decision, as `approval_info` entries
        with the `digest` a decision may carry."""
        return [{**entry.model_dump(), "digest": entry.digest} for entry in self._level.pending()]

    @workflow.query(name="get_continuation", description=GET_CONTINUATION)
    def get_continuation(self) -> JsonDict:
        """The run's continuation as the format's `approval_required` or `suspended` output."""
        return to_output(self._level.continuation().to_json())

    @workflow.query(name=CONVERSATION_QUERY, description=GET_CONVERSATION)
    def get_conversation(self, page: ConversationPageInput) -> ConversationPage:
        """A page of this level's messages: how `call_model` reads the conversation it is
        passed by reference."""
        return conversation_page(self._level.state.messages, page)

    @workflow.query(name="get_summary", description=GET_SUMMARY)
    def get_summary(self) -> AgentState:
        """This level's state without its messages (`get_conversation` pages through them):
        small however long the conversation, for `starter.py watch` to poll."""
        return self._level.state.model_copy(update={"messages": []})

    @workflow.query(name="get_state", description=GET_STATE)
    def get_state(self) -> AgentState:
        """This agent level's state: messages, the current turn's calls and decisions taken."""
        return self._level.state
