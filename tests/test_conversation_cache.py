"""The per-worker conversation cache: reads only what it lacks, and never a wrong prefix."""

from __future__ import annotations

from typing import Any

import pytest

from agent_continuations.activities import (
    ConversationCache,
    ConversationPage,
    ConversationPageInput,
    DigestChain,
)
from agent_continuations.activities._conversation import (
    PAGE_BYTES,
    ConversationMismatch,
    conversation_page,
)
from agent_continuations.plugin import agent_data_converter
from agent_continuations.storage import PAYLOAD_THRESHOLD_BYTES


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
