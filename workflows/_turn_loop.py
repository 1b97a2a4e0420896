"""`TurnLoop`: one agent level's loop, model call → tool calls, until the model answers."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

from agent_continuations.activities import (
    DigestChain,
    ModelActivities,
    ModelCallInput,
    ModelCallOutput,
)
from agent_continuations.agent_definitions import Agent
from agent_continuations.shared import AgentRunOutput, JsonDict, ModelSettings
from agent_continuations.workflows._activity_options import (
    MODEL_CALL_DEFAULTS,
    effective_options,
)
from agent_continuations.workflows._calls import (
    call_kind,
    cause_message,
    checked_reply,
    used_call_ids,
)
from agent_continuations.workflows._continue_as_new import ContinueAsNew
from agent_continuations.workflows._level import Level
from agent_continuations.workflows._mcp_tools import tools_digest
from agent_continuations.workflows._state import ToolCallState
from agent_continuations.workflows._suspension import Suspension
from agent_continuations.workflows._turn_calls import TurnCalls


class TurnLoop:
    """Asks the model for a turn, answers its tool calls, and again; between turns it may
    suspend or continue as new."""

    def __init__(
        self,
        level: Level,
        turn_calls: TurnCalls,
        suspension: Suspension,
        continue_as_new: ContinueAsNew,
    ) -> None:
        self._level = level
        self._turn_calls = turn_calls
        self._suspension = suspension
        self._continue_as_new = continue_as_new
        self._digests = DigestChain()  # of the level's messages, which only grow

    async def run(self, agent: Agent) -> AgentRunOutput:
        """Loop until the model answers without tool calls or the run ends otherwise."""
        state = self._level.state
        if state.policy.started_at is None:
            state.policy.started_at = workflow.now()
        if state.turn_calls:
            ended = await self._turn_calls.finish_turn(agent)
            if ended:
                return ended
        while True:
            await self._continue_as_new.continue_as_new_if_suggested()
            fired = self._suspension.fired(agent)
            if fired:
                ended = await self._suspension.suspend(fired)
                if ended:
                    return ended
            workflow.set_current_details(
                f"Calling the model (turn {state.model_turns + 1}; "
                f"{state.total_tokens} tokens so far)."
            )
            try:
                reply = await self._call_model(agent)
            except ActivityError as error:
                return self._level.output("error", error=cause_message(error))
            state.model_turns += 1
            state.add_usage(reply.usage)
            try:
                used = used_call_ids(state.messages)
                message = checked_reply(reply.message, state.model_turns, used)
            except ValueError as error:
                return self._level.output("error", error=f"the model's reply is malformed: {error}")
            state.messages.append(message)
            self._level.feed.replied(message, reply.message)
            tool_calls: list[JsonDict] = message.get("tool_calls") or []
            if not tool_calls:
                return self._final_output(agent, _text(message.get("content")))
            state.turn_calls = [
                ToolCallState(tool_call=tc, kind=call_kind(agent, tc)) for tc in tool_calls
            ]
            ended = await self._turn_calls.finish_turn(agent)
            if ended:
                return ended

    def _final_output(self, agent: Agent, text: str) -> AgentRunOutput:
        """The run's output for the model's final answer, checked by the agent's
        `output_check` if it has one."""
        if agent.output_check is None:
            return self._level.output("completed", result=text)
        try:
            result = agent.output_check(text)
        except ValueError as error:
            return self._level.output("error", error=f"the model's final answer: {error}")
        return self._level.output("completed", result=result)

    async def _call_model(self, agent: Agent) -> ModelCallOutput:
        """Run the `call_model` activity on the conversation so far (passed by reference)."""
        run = self._level.input.options
        options = effective_options(
            agent.model_activity_options,
            MODEL_CALL_DEFAULTS,
            run.model_timeout_seconds,
            run.model_heartbeat_seconds,
        )
        model_input = ModelCallInput(
            agent=agent.name,
            model=self._level.state.model,
            conversation=self._digests.ref(self._level.state.messages),
            added=self._level.feed.added(
                self._level.state.messages, workflow.unsafe.is_replaying()
            ),
            settings=self._model_settings(agent),
            mcp_tools_digest=tools_digest(self._level.state.mcp_tools),
        )
        return await workflow.execute_activity_method(
            ModelActivities.call_model,
            model_input,
            start_to_close_timeout=options.start_to_close_timeout,
            heartbeat_timeout=options.heartbeat_timeout,
            retry_policy=options.retry_policy,
            task_queue=options.task_queue,
            summary=f"{agent.name} turn {self._level.state.model_turns + 1}: {model_input.model}",
        )

    def _model_settings(self, agent: Agent) -> ModelSettings:
        """The agent's model settings with the run's over them; a forced `tool_choice` is sent
        as `auto` right after a turn with tool calls, unless `reset_tool_choice` is off."""
        settings = self._level.input.options.model_settings.merged_over(agent.model_settings)
        forced = settings.tool_choice not in (None, "auto", "none")
        messages = self._level.state.messages
        last = messages[-1] if messages else {}
        after_tools = last.get("role") == "tool"
        if forced and after_tools and settings.reset_tool_choice is not False:
            return settings.model_copy(update={"tool_choice": "auto"})
        return settings


def _text(content: Any) -> str:
    """A reply's content as text: content parts are joined."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""
