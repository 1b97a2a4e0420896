"""Pydantic AI agents for the tests, on the library's offline `FunctionModel`.

Each model function reads the conversation the way a model would and answers by turn, so the
same agent plays its part in a Pydantic AI run and in a run here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic_ai import (
    Agent,
    ApprovalRequired,
    DeferredToolRequests,
    ModelRetry,
    RunContext,
    Tool,
)
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.toolsets import FunctionToolset

from agent_continuations.frameworks.pydantic_ai import from_pydantic_ai

# What the tools did, in the worker's process: a test reads it to count runs of a tool.
LEDGER: list[tuple[str, Any]] = []


@dataclass
class Bank:
    """The deps of the refunds agent: made by `make_bank` on the worker for each call."""

    currency: str
    refunds: list[float] = field(default_factory=list)


def make_bank() -> Bank:
    return Bank(currency="EUR")


def _returns(messages: list[ModelMessage]) -> dict[str, str]:
    return {
        part.tool_name: str(part.content)
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    }


def _turn(messages: list[ModelMessage]) -> int:
    return sum(isinstance(m, ModelResponse) for m in messages)


def refunds_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Turn 1: refund (needs approval) and look the order up; then answer with what it read."""
    if _turn(messages) == 0:
        return ModelResponse(
            parts=[
                ToolCallPart("refund", {"order_id": "A-17", "amount": 25.0}, tool_call_id="c_r"),
                ToolCallPart("lookup_order", {"order_id": "A-17"}, tool_call_id="c_l"),
            ]
        )
    returns = _returns(messages)
    return ModelResponse(parts=[TextPart(f"refund: {returns.get('refund')}")])


refunds = Agent(
    FunctionModel(refunds_model),
    name="refunds",
    deps_type=Bank,
    instructions="Refund what the customer asks.",
    system_prompt="You work for the shop.",
    output_type=[str, DeferredToolRequests],
    model_settings={"temperature": 0.1},
)


@refunds.tool(requires_approval=True)
def refund(ctx: RunContext[Bank], order_id: str, amount: float) -> str:
    """Pay back part or all of an order.

    Args:
        order_id: The order.
        amount: How much to pay back.
    """
    LEDGER.append(("refund", {"order_id": order_id, "amount": amount, "call": ctx.tool_call_id}))
    return f"Refunded {amount} {ctx.deps.currency} on order {order_id}."


@refunds.tool_plain
def lookup_order(order_id: str) -> str:
    """Look an order up."""
    LEDGER.append(("lookup_order", order_id))
    return f"Order {order_id}: 2 items."


# A retrying tool: `ModelRetry` tells the model what to fix.
def retry_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    turn = _turn(messages)
    if turn < 2:
        sku = "bad sku" if turn == 0 else "SKU-1"
        return ModelResponse(parts=[ToolCallPart("stock", {"sku": sku}, tool_call_id=f"s{turn}")])
    return ModelResponse(parts=[TextPart(" | ".join(_all_returns(messages)))])


def _all_returns(messages: list[ModelMessage]) -> list[str]:
    return [
        part.model_response_str()
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    ]


def stock(sku: str) -> int:
    """Units in stock of a SKU."""
    if " " in sku:
        raise ModelRetry(f"{sku!r} is not a SKU: SKUs have no spaces")
    return 7


stock_agent = Agent(
    FunctionModel(retry_model), name="stock_agent", toolsets=[FunctionToolset([stock])]
)


class Invoice(BaseModel):
    """The structured output of the invoicing agent."""

    customer: str
    total: float


def invoice_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """First a final_result that does not fit, then one that does."""
    [output_tool] = info.output_tools
    turn = _turn(messages)
    if turn == 0:
        return ModelResponse(parts=[ToolCallPart("price", {"item": "desk"}, tool_call_id="p0")])
    total = "lots" if turn == 1 else 120
    args = {"customer": "ACME", "total": total}
    return ModelResponse(parts=[ToolCallPart(output_tool.name, args, tool_call_id=f"o{turn}")])


def price(item: str) -> float:
    """The price of an item."""
    return 120.0


invoicing = Agent(
    FunctionModel(invoice_model),
    name="invoicing",
    output_type=Invoice,
    tools=[Tool(price, name="price")],
    retries=2,
)

AGENTS = [
    from_pydantic_ai(refunds, deps=make_bank),
    from_pydantic_ai(stock_agent),
    from_pydantic_ai(invoicing),
]


# Three levels, each a Pydantic AI agent: director > hr > accounts, where the approval waits.
def _delegate(tool: str, call_id: str):
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if _turn(messages) == 0:
            prompt = {"prompt": f"please, via {tool}"}
            return ModelResponse(parts=[ToolCallPart(tool, prompt, tool_call_id=call_id)])
        return ModelResponse(parts=[TextPart(f"{tool} said: {_returns(messages)[tool]}")])

    return model


def accounts_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    if _turn(messages) == 0:
        args = {"username": "stzhang", "level": 2}
        return ModelResponse(parts=[ToolCallPart("authorize", args, tool_call_id="c_auth")])
    return ModelResponse(parts=[TextPart(_returns(messages)["authorize"])])


accounts = Agent(FunctionModel(accounts_model), name="accounts", description="Manages accounts.")


@accounts.tool_plain(requires_approval=True)
def authorize(username: str, level: int) -> str:
    """Authorize an account."""
    LEDGER.append(("authorize", {"username": username, "level": level}))
    return f"{username} authorized at level {level}"


hr = Agent(FunctionModel(_delegate("accounts_tool", "c_hr")), name="hr")
director = Agent(FunctionModel(_delegate("hr_tool", "c_dir")), name="director")

DIRECTOR = from_pydantic_ai(
    director, sub_agents=[from_pydantic_ai(hr, sub_agents=[from_pydantic_ai(accounts)])]
)
AGENTS.append(DIRECTOR)


# A tool that decides for itself, while it runs, that it needs approval.
def payout_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    if _turn(messages) == 0:
        return ModelResponse(
            parts=[
                ToolCallPart("payout", {"amount": 5}, tool_call_id="c_small"),
                ToolCallPart("payout", {"amount": 5000}, tool_call_id="c_big"),
            ]
        )
    return ModelResponse(parts=[TextPart(" | ".join(_all_returns(messages)))])


payouts = Agent(FunctionModel(payout_model), name="payouts")


@payouts.tool
def payout(ctx: RunContext[None], amount: int) -> str:
    """Pay an amount out."""
    if amount > 100 and not ctx.tool_call_approved:
        raise ApprovalRequired(metadata={"reason": "large"})
    LEDGER.append(("payout", amount))
    return f"paid {amount}"


AGENTS.append(from_pydantic_ai(payouts))


# Two calls that need approval in one turn: one can be decided while the other waits.
def transfers_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    if _turn(messages) == 0:
        return ModelResponse(
            parts=[
                ToolCallPart("transfer", {"to": "acme", "cents": 100}, tool_call_id="c_t1"),
                ToolCallPart("transfer", {"to": "globex", "cents": 200}, tool_call_id="c_t2"),
            ]
        )
    return ModelResponse(parts=[TextPart(" | ".join(_all_returns(messages)))])


transfers = Agent(
    FunctionModel(transfers_model),
    name="transfers",
    instructions="Move money.",
    output_type=[str, DeferredToolRequests],
)


@transfers.tool_plain(requires_approval=True)
def transfer(to: str, cents: int) -> str:
    """Move money to an account."""
    LEDGER.append(("transfer", {"to": to, "cents": cents}))
    return f"moved {cents} to {to}"


AGENTS.append(from_pydantic_ai(transfers))
