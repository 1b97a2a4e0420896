"""The per-worker conversation cache: reads only what it lacks, and never a wrong prefix."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from agent_continuations import examples
from agent_continuations.activities import (
    AddedMessage,
    ConversationCache,
    ConversationPage,
    ConversationPageInput,
    DigestChain,
)
from agent_continuations.activities._conversation import (
    PAGE_BYTES,
    ConversationMismatch,
    conversation_page,
    produced_key,
)
from agent_continuations.plugin import agent_data_converter
from agent_continuations.shared import ApprovalDecision
from agent_continuations.storage import PAYLOAD_THRESHOLD_BYTES
from agent_continuations.testing import scripted_model_activities
from agent_continuations.workflows import AgentWorkflow
from helpers import running_worker, start_agent, wait_for_pending
from test_example_agents import PROMPT


class Workflow:
    """A workflow's messages, answering `get_conversation` pages and counting them."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.read: list[tuple[int, int]] = []

    async def fetch(self, page: ConversationPageInput) -> ConversationPage:
        answer = conversation_page(self.messages, page)
        self.read.append((answer.start, len(answer.messages)))
        return answer

    def ref(self):
        return DigestChain().ref(self.messages)


def _messages(count: int, size: int = 10) -> list[dict[str, Any]]:
    return [{"role": "tool", "content": f"{i}".ljust(size, ".")} for i in range(count)]


async def test_a_turn_reads_only_the_messages_added_since_the_last():
    cache, run = ConversationCache(), Workflow(_messages(4))
    assert await cache.messages("wf", run.ref(), run.fetch) == run.messages
    run.messages += _messages(2)
    assert await cache.messages("wf", run.ref(), run.fetch) == run.messages
    assert run.read == [(0, 4), (4, 2)]
    assert cache.reads_from_start == 1
    # A retried call (same reference) reads nothing.
    assert await cache.messages("wf", run.ref(), run.fetch) == run.messages
    assert len(run.read) == 2


async def test_messages_given_or_produced_here_need_no_read():
    cache, run = ConversationCache(), Workflow(_messages(2))
    first = [AddedMessage(message=m) for m in run.messages]  # the first call passes them
    assert await cache.messages("wf", run.ref(), run.fetch, first) == run.messages
    reply = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]}
    result = {"role": "tool", "tool_call_id": "c1", "content": "done"}
    cache.remember("wf", produced_key(None), reply)  # what the activities produced
    cache.remember("wf", produced_key("c1"), result)
    run.messages += [reply, result]
    added = [AddedMessage(reply=True), AddedMessage(tool_call_id="c1")]
    assert await cache.messages("wf", run.ref(), run.fetch, added) == run.messages
    assert run.read == []


async def test_a_produced_message_the_workflow_changed_is_read_instead():
    cache, run = ConversationCache(), Workflow(_messages(2))
    await cache.messages("wf", run.ref(), run.fetch)
    cache.remember("wf", produced_key("c1"), {"role": "tool", "tool_call_id": "c1", "content": "x"})
    run.messages.append({"role": "tool", "tool_call_id": "c1", "content": "edited: x"})
    added = [AddedMessage(tool_call_id="c1")]
    assert await cache.messages("wf", run.ref(), run.fetch, added) == run.messages
    assert run.read == [(0, 2), (2, 1)]  # only the changed message was read
    # A produced message that is missing (another worker ran the tool) is read too.
    run.messages.append({"role": "tool", "tool_call_id": "c2", "content": "y"})
    added = [AddedMessage(tool_call_id="c2")]
    assert await cache.messages("wf", run.ref(), run.fetch, added) == run.messages
    assert run.read[-1] == (3, 1)


async def test_another_run_under_the_same_id_is_read_again_from_the_start():
    cache, first = ConversationCache(), Workflow(_messages(3))
    await cache.messages("wf", first.ref(), first.fetch)
    second = Workflow([{"role": "user", "content": "other"}, *_messages(4)])
    assert await cache.messages("wf", second.ref(), second.fetch) == second.messages
    assert second.read == [(3, 2), (0, 5)]  # tried the rest, found the prefix differs
    assert cache.reads_from_start == 2


async def test_a_conversation_that_does_not_match_its_reference_fails():
    cache, run = ConversationCache(), Workflow(_messages(3))
    ref = run.ref()
    run.messages[1] = {"role": "tool", "content": "forged"}
    with pytest.raises(ConversationMismatch, match="does not match its reference"):
        await cache.messages("wf", ref, run.fetch)


async def test_large_conversations_come_in_pages_and_the_cache_stays_within_its_bytes():
    run = Workflow(_messages(5, size=PAGE_BYTES // 2))
    cache = ConversationCache(max_bytes=2 * PAGE_BYTES)
    assert await cache.messages("a", run.ref(), run.fetch) == run.messages
    assert [count for _, count in run.read] == [1, 1, 1, 1, 1]  # each page one message
    small = Workflow(_messages(2))
    await cache.messages("b", small.ref(), small.fetch)
    run.read.clear()
    await cache.messages("a", run.ref(), run.fetch)  # too big to keep: read again
    assert len(run.read) == 5


def test_a_page_of_small_messages_fits_under_the_payload_store_threshold():
    messages = _messages(1000, size=700)
    page = conversation_page(messages, ConversationPageInput(start=0, end=len(messages)))
    [payload] = agent_data_converter().payload_converter.to_payloads([page])
    assert 1 < len(page.messages) < len(messages)
    assert PAYLOAD_THRESHOLD_BYTES - 2000 < payload.ByteSize() < PAYLOAD_THRESHOLD_BYTES


class CountingCache(ConversationCache):
    """A conversation cache that counts the pages it reads from workflows."""

    def __init__(self) -> None:
        super().__init__()
        self.pages_read = 0

    async def messages(self, workflow_id, ref, fetch, added=None):  # type: ignore[no-untyped-def]
        async def counted(page: ConversationPageInput) -> ConversationPage:
            self.pages_read += 1
            return await fetch(page)

        return await super().messages(workflow_id, ref, counted, added)


async def test_a_tree_on_one_worker_never_queries_its_conversation(
    dev_server_env: WorkflowEnvironment, task_queue: str
):
    client = dev_server_env.client
    warm = CountingCache()
    activities = scripted_model_activities(examples.SCRIPTS, conversation_cache=warm)
    async with running_worker(client, task_queue, model_activities=activities):
        handle = await start_agent(client, task_queue, "hr_agent", PROMPT)
        [entry] = await wait_for_pending(handle)
    assert warm.pages_read == 0  # five model calls, two levels: all from the worker itself
    # A worker that never saw the tree (say, after a restart) replays it, and each level's
    # first model call after the replay passes the conversation inline: nothing to read.
    cold = CountingCache()
    activities = scripted_model_activities(examples.SCRIPTS, conversation_cache=cold)
    async with running_worker(client, task_queue, model_activities=activities):
        await handle.signal(AgentWorkflow.approve, ApprovalDecision(path_ids=entry["path_ids"]))
        output = await handle.result()
    assert output.end_reason == "completed"
    assert cold.pages_read == 0 and cold.reads_from_start == 0
