"""The bare workflow of the turns benchmark: model call, tool call, until the model answers,
with nothing else in its history (its own module: the workflow sandbox imports it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow


@dataclass
class BareModelInput:
    """The bare model call: the model, and how many lookups are answered."""

    model: str
    answered: int


@dataclass
class BareLookupInput:
    """The bare tool call."""

    query: str


@workflow.defn(name="BareTurns")
class BareTurns:
    """Model call, tool call, until the model answers: nothing but the activities."""

    @workflow.run
    async def run(self, model: str) -> int:
        answered = 0
        while True:
            message = await workflow.execute_activity(
                "bare_model",
                BareModelInput(model=model, answered=answered),
                start_to_close_timeout=timedelta(minutes=1),
                result_type=dict,
            )
            if not message.get("tool_calls"):
                return answered
            arguments = json.loads(message["tool_calls"][0]["function"]["arguments"])
            await workflow.execute_activity(
                "bare_lookup",
                BareLookupInput(query=arguments["query"]),
                start_to_close_timeout=timedelta(minutes=1),
                result_type=str,
            )
            answered += 1
