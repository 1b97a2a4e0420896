"""Tools: schemas from hints and docstrings, validation, approval, and the `run_tool` activity."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from datetime import date
from typing import Any

import pydantic
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from agent_continuations.activities import ToolActivities, ToolCallInput
from agent_continuations.agent_definitions import (
    Agent,
    AgentCatalog,
    ApprovalNeeded,
    NotInToolCallError,
    ToolCallContext,
    WorkerSecrets,
    current_tool_call,
    tool,
    tool_call_context,
)


@tool
def search_orders(
    customer: str, year: int, tags: list[str], limit: int = 10, note: str | None = None
):
    """Search a customer's orders.

    Finds orders by year and tag.

    Args:
        customer: The customer's name.
        year: The year the orders were placed in.
        tags: Tags every order must carry,
            all of them.
        limit: At most this many orders.
        note: Why the search is done.

    Returns:
        The matching orders.
    """
    return [{"customer": customer, "year": year, "tags": tags, "limit": limit, "note": note}]


@tool(name="transfer", needs_approval=lambda a: a["amount"] > 10000)
async def transfer_money(amount: int, to: str) -> str:
    """Transfer money."""
    await asyncio.sleep(0)
    return f"sent {amount} to {to}"


@tool(needs_approval=True)
def delete_everything() -> None:
    """Delete everything."""


@tool
def which_thread() -> int:
    """The identity of the thread running the tool."""
    return threading.get_ident()


@tool
def today() -> dict[str, Any]:
    """A result that JSON cannot encode natively."""
    return {"date": date(2026, 1, 2)}


@tool
def weekday(day: date) -> str:
    """The weekday of a date.

    Args:
        day: The date, as YYYY-MM-DD.
    """
    return day.strftime("%A")


@tool
def sync_call_context() -> dict[str, Any]:
    """The call as a sync tool (run in a thread) sees it."""
    return dataclasses.asdict(current_tool_call())


@tool
async def async_call_context() -> dict[str, Any]:
    """The call as an async tool sees it."""
    await asyncio.sleep(0)
    return dataclasses.asdict(current_tool_call())


AGENT = Agent(
    name="tools-test",
    instructions="Use tools.",
    tools=[
        search_orders,
        transfer_money,
        delete_everything,
        which_thread,
        today,
        weekday,
        sync_call_context,
        async_call_context,
    ],
)
AGENTS = [AGENT]
run_tool = ToolActivities(AgentCatalog(AGENTS)).run_tool


async def _run(name: str, **arguments: Any) -> str:
    call = ToolCallInput(agent=AGENT.name, tool=name, arguments=arguments)
    return (await ActivityEnvironment().run(run_tool, call)).content


@pytest.mark.parametrize("name", ["sync_call_context", "async_call_context"])
async def test_a_tool_reads_its_idempotency_key_and_attempt(name: str) -> None:
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, attempt=3)
    call = ToolCallInput(agent=AGENT.name, tool=name, arguments={}, idempotency_key="wf/2/call_a")
    output = await environment.run(run_tool, call)
    assert json.loads(output.content) == {
        "idempotency_key": "wf/2/call_a",
        "attempt": 3,
        "agent": AGENT.name,
        "tool": name,
        "approved": False,
    }
    with pytest.raises(NotInToolCallError):
        current_tool_call()  # the activity's context does not leak out of it


async def test_a_call_without_a_key_gets_one_stable_across_attempts() -> None:
    environment = ActivityEnvironment()
    call = ToolCallInput(agent=AGENT.name, tool="sync_call_context", arguments={})
    first = json.loads((await environment.run(run_tool, call)).content)
    environment.info = dataclasses.replace(environment.info, attempt=2)
    second = json.loads((await environment.run(run_tool, call)).content)
    info = environment.info
    assert first["idempotency_key"] == second["idempotency_key"]
    assert first["idempotency_key"] == f"{info.workflow_run_id}/{info.activity_id}"


def test_current_tool_call_outside_a_tool_call_says_so() -> None:
    with pytest.raises(NotInToolCallError, match=r"only inside a tool function"):
        current_tool_call()


def test_a_tools_own_test_can_set_the_call() -> None:
    context = ToolCallContext(idempotency_key="k", attempt=1, agent=AGENT.name, tool="t")
    with tool_call_context(context):
        assert sync_call_context.function()["idempotency_key"] == "k"
    with pytest.raises(NotInToolCallError):
        current_tool_call()


def test_schema_from_hints_and_docstring() -> None:
    schema = search_orders.openai_schema()
    assert schema["type"] == "function"
    function = schema["function"]
    assert function["name"] == "search_orders"
    assert function["description"] == "Search a customer's orders. Finds orders by year and tag."
    parameters = function["parameters"]
    assert parameters["type"] == "object"
    assert parameters["additionalProperties"] is False
    assert parameters["required"] == ["customer", "year", "tags"]
    assert "title" not in parameters
    properties = parameters["properties"]
    assert properties["customer"] == {"type": "string", "description": "The customer's name."}
    assert properties["year"]["type"] == "integer"
    assert properties["tags"]["type"] == "array"
    assert properties["tags"]["items"] == {"type": "string"}
    assert properties["tags"]["description"] == "Tags every order must carry, all of them."
    assert properties["limit"] == {
        "type": "integer",
        "default": 10,
        "description": "At most this many orders.",
    }
    assert {"type": "null"} in properties["note"]["anyOf"]
    assert {"type": "string"} in properties["note"]["anyOf"]
    assert properties["note"]["default"] is None
    assert all("title" not in p for p in properties.values())


def test_name_override_and_no_arguments() -> None:
    assert transfer_money.name == "transfer"
    assert AGENT.find_tool("transfer") is transfer_money
    assert AGENT.find_tool("transfer_money") is None
    parameters = delete_everything.parameters_schema()
    assert parameters["properties"] == {}
    assert "required" not in parameters


def test_validate_arguments_fills_defaults() -> None:
    arguments = search_orders.validate_arguments({"customer": "ada", "year": 2024, "tags": ["x"]})
    assert arguments == {"customer": "ada", "year": 2024, "tags": ["x"], "limit": 10, "note": None}


async def test_rich_types_travel_as_json_and_reach_the_tool_typed() -> None:
    arguments = weekday.validate_arguments({"day": "2026-03-01"})
    assert json.loads(json.dumps(arguments)) == {"day": "2026-03-01"}
    assert weekday.parameters_schema()["properties"]["day"]["format"] == "date"
    assert await _run("weekday", **arguments) == "Sunday"


async def test_run_tool_refuses_arguments_that_do_not_fit() -> None:
    with pytest.raises(ApplicationError) as caught:
        await _run("weekday", day="someday")
    assert caught.value.non_retryable
    assert "weekday" in caught.value.message and "day" in caught.value.message


@pytest.mark.parametrize(
    "arguments",
    [
        {"year": 2024, "tags": []},
        {"customer": "ada", "year": "last year", "tags": []},
        {"customer": "ada", "year": 2024, "tags": "x"},
        {"customer": "ada", "year": 2024, "tags": [], "colour": "red"},
    ],
    ids=["missing", "wrong-type", "not-a-list", "unknown-key"],
)
def test_validate_arguments_rejects_bad_input(arguments: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        search_orders.validate_arguments(arguments)


def test_approval_always_never_and_by_predicate() -> None:
    assert transfer_money.requires_approval({"amount": 10001, "to": "bob"})
    assert not transfer_money.requires_approval({"amount": 10000, "to": "bob"})
    assert delete_everything.requires_approval({})
    assert not search_orders.requires_approval({"customer": "ada", "year": 1, "tags": []})


async def test_async_tool_runs_in_the_activity() -> None:
    assert await _run("transfer", amount=5, to="bob") == "sent 5 to bob"


async def test_sync_tool_runs_off_the_event_loop_thread() -> None:
    thread_id = int(await _run("which_thread"))
    assert thread_id != threading.get_ident()


async def test_non_string_results_are_json_encoded() -> None:
    content = await _run("search_orders", customer="ada", year=2024, tags=["a"], limit=1)
    assert content == (
        '[{"customer": "ada", "year": 2024, "tags": ["a"], "limit": 1, "note": null}]'
    )
    assert await _run("delete_everything") == "null"
    assert await _run("today") == '{"date": "2026-01-02"}'


async def test_unknown_tool_is_not_retryable() -> None:
    with pytest.raises(ApplicationError) as caught:
        await _run("launch_rockets")
    assert caught.value.non_retryable
    assert "launch_rockets" in caught.value.message and AGENT.name in caught.value.message


def test_agent_rejects_duplicate_tool_names() -> None:
    with pytest.raises(ValueError, match="transfer"):
        Agent(name="dup", instructions="", tools=[transfer_money, transfer_money])
    child = Agent(name="child", instructions="", tool_name="transfer")
    with pytest.raises(ValueError, match="transfer"):
        Agent(name="dup", instructions="", tools=[transfer_money], sub_agents=[child])


def test_sub_agent_is_a_tool_taking_a_prompt() -> None:
    child = Agent(name="helper", instructions="Help.", description="Helps with things.")
    parent = Agent(name="boss", instructions="Delegate.", tools=[which_thread], sub_agents=[child])
    [plain, sub_agent] = parent.openai_tools()
    assert plain["function"]["name"] == "which_thread"
    assert sub_agent["function"]["name"] == "helper_tool"
    assert sub_agent["function"]["description"] == "Helps with things."
    parameters = sub_agent["function"]["parameters"]
    assert parameters["type"] == "object"
    assert parameters["properties"]["prompt"]["type"] == "string"
    assert parameters["required"] == ["prompt"]
    assert parameters["additionalProperties"] is False
    assert parent.find_sub_agent("helper_tool") is child


@tool
def asks_when_large(amount: int) -> str:
    """Pay out; a large amount asks a person first, while the tool runs."""
    if amount > 100 and not current_tool_call().approved:
        raise ApprovalNeeded("large amount")
    return f"paid {amount}"


ASKING = Agent(name="asking", instructions="Pay.", tools=[asks_when_large])


async def test_a_tool_that_asks_for_approval_fails_its_call_as_asking() -> None:
    run = ToolActivities(AgentCatalog([ASKING])).run_tool
    small = ToolCallInput(agent="asking", tool="asks_when_large", arguments={"amount": 5})
    assert (await ActivityEnvironment().run(run, small)).content == "paid 5"
    large = small.model_copy(update={"arguments": {"amount": 500}})
    with pytest.raises(ApplicationError) as asked:
        await ActivityEnvironment().run(run, large)
    assert (asked.value.type, asked.value.non_retryable) == ("ApprovalNeeded", True)


async def test_an_approved_claim_without_proof_is_refused_where_workers_hold_secrets() -> None:
    secrets = WorkerSecrets({"k": "a secret of the workers, long enough"})
    run = ToolActivities(AgentCatalog([ASKING], secrets=secrets)).run_tool
    forged = ToolCallInput(
        agent="asking", tool="asks_when_large", arguments={"amount": 500}, approved=True
    )
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(run, forged)
    assert refused.value.type == "ApprovalProofMissing"
