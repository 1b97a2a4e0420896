"""The conversation by reference: the model call's input names the messages by their number
and digest, and the activity reads what it lacks from its own workflow.

Each message is recorded in history once, where it arises (the prompt in the input, a reply
or a tool result as an activity result), instead of again in every model call's input.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from agent_continuations.shared import JsonDict, WithoutDefaults
from agent_continuations.storage import PAYLOAD_THRESHOLD_BYTES

# The workflow query `call_model` reads the conversation with.
CONVERSATION_QUERY = "get_conversation"
# A page of the `get_conversation` query holds at most this much, or one message: under the
# payload store's threshold (less room for the page's own fields), so answering the query,
# which only reads, writes nothing to the store. Only a page of one larger message is stored,
# content-addressed: the same page once however often it is read.
PAGE_BYTES = PAYLOAD_THRESHOLD_BYTES - 1024
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024


class ConversationRef(BaseModel):
    """The conversation a model call answers: its first `length` messages, whose digest chain
    ends in `digest`."""

    length: int = Field(ge=0)
    digest: str


class AddedMessage(WithoutDefaults):
    """A message added since the level's previous model call: given inline (`message`), or
    produced by an activity on the worker, which then finds it without asking the workflow:
    the previous call's reply (`reply`), or the result of the tool call `tool_call_id`."""

    message: JsonDict | None = None
    reply: bool = False
    tool_call_id: str | None = None

    def key(self) -> str | None:
        """Under which key the worker keeps the message it produced (see `produced_key`)."""
        if self.reply:
            return produced_key(None)
        return produced_key(self.tool_call_id) if self.tool_call_id is not None else None


def produced_key(tool_call_id: str | None) -> str:
    """The key of a message an activity produced: a model reply, or a tool call's result."""
    return "reply" if tool_call_id is None else f"tool:{tool_call_id}"


class ConversationPageInput(BaseModel):
    """Input of the `get_conversation` query: messages from `start`, before `end`."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class ConversationPage(BaseModel):
    """Messages from `start` on, as many as fit in a page."""

    start: int
    messages: list[JsonDict]


def message_bytes(message: JsonDict) -> bytes:
    """A message in one canonical JSON form, the same before and after a round trip."""
    return json.dumps(message, sort_keys=True, separators=(",", ":")).encode()


class DigestChain:
    """Digests of a conversation's prefixes: `digests[n]` covers the first n messages, each
    digest hashing the previous one with the next message."""

    def __init__(self) -> None:
        self.digests = [""]

    def extend(self, messages: list[JsonDict]) -> None:
        """Cover `messages`, of which the first `len(self.digests) - 1` are covered already."""
        for message in messages[len(self.digests) - 1 :]:
            self.digests.append(
                hashlib.sha256(self.digests[-1].encode() + message_bytes(message)).hexdigest()
            )

    def ref(self, messages: list[JsonDict]) -> ConversationRef:
        """The reference to `messages`, the conversation this chain follows."""
        self.extend(messages)
        return ConversationRef(length=len(messages), digest=self.digests[len(messages)])


def conversation_page(messages: list[JsonDict], page: ConversationPageInput) -> ConversationPage:
    """The messages `page` asks for, cut before `PAGE_BYTES` (but never empty in range)."""
    taken: list[JsonDict] = []
    size = 0
    for message in messages[page.start : page.end]:
        size += len(message_bytes(message)) + 1  # and the comma after it
        if taken and size > PAGE_BYTES:
            break
        taken.append(message)
    return ConversationPage(start=page.start, messages=taken)


FetchPage = Callable[[ConversationPageInput], Awaitable[ConversationPage]]


class ConversationMismatch(Exception):
    """The messages read do not match the reference."""


@dataclass
class _Cached:
    messages: list[JsonDict] = field(default_factory=list)
    chain: DigestChain = field(default_factory=DigestChain)
    size: int = 0
    # Messages this worker's activities produced since, by `produced_key`.
    produced: dict[str, JsonDict] = field(default_factory=dict)

    def drop_produced(self) -> int:
        """Forget the produced messages; how many bytes they took."""
        size = sum(len(message_bytes(m)) for m in self.produced.values())
        self.produced = {}
        return size

    def with_added(self, ref: ConversationRef, added: list[AddedMessage]) -> _Cached | None:
        """This conversation's first messages and `added`, if that is the conversation `ref`
        names (None when a message is missing or the digests differ)."""
        start = ref.length - len(added)
        if not added or start < 0 or len(self.messages) < start:
            return None
        resolved = [
            a.message if a.message is not None else self.produced.get(a.key() or "") for a in added
        ]
        if any(message is None for message in resolved):
            return None
        candidate = _Cached(self.messages[:start], DigestChain(), 0)
        candidate.chain.digests = self.chain.digests[: start + 1]
        candidate.messages += [m for m in resolved if m is not None]
        candidate.chain.extend(candidate.messages)
        if not _matches(candidate, ref):
            return None
        candidate.size = sum(len(message_bytes(m)) for m in candidate.messages)
        return candidate


class ConversationCache:
    """The conversations a worker has read lately, per workflow ID, least recently used
    dropped past `max_bytes`: a turn reads only the messages added since the last one.

    A worker that never saw the run (or dropped it) reads the whole conversation once.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[str, _Cached] = OrderedDict()
        self._size = 0
        self.reads_from_start = 0  # conversations the cache lacked and read whole

    def remember(self, workflow_id: str, key: str, message: JsonDict) -> None:
        """Keep a message an activity of this worker produced for the workflow (`key` from
        `produced_key`), for its next model call to find without asking the workflow."""
        entry = self._entries.pop(workflow_id, None) or _Cached()
        self._size -= entry.size
        old = entry.produced.get(key)
        entry.size += len(message_bytes(message)) - (len(message_bytes(old)) if old else 0)
        entry.produced[key] = message
        self._keep(workflow_id, entry)

    async def messages(
        self,
        workflow_id: str,
        ref: ConversationRef,
        fetch: FetchPage,
        added: list[AddedMessage] | None = None,
    ) -> list[JsonDict]:
        """The conversation `ref` names, from the cache and the `added` messages, and through
        `fetch` for what they lack.

        Raises:
            ConversationMismatch: The workflow's messages do not match the reference.
        """
        entry = self._entries.pop(workflow_id, None) or _Cached()
        self._size -= entry.size
        extended = entry.with_added(ref, added or [])
        if extended is not None:
            entry = extended
        entry.size -= entry.drop_produced()  # what was produced before this call is used up
        if entry.messages and not _matches(entry, ref) and len(entry.messages) < ref.length:
            await _read_more(entry, ref.length, fetch)  # only the messages added since
        if not _matches(entry, ref):  # not cached, another run under this ID, or stale
            self.reads_from_start += 1
            entry = _Cached()
            await _read_more(entry, ref.length, fetch)
            if not _matches(entry, ref):
                raise ConversationMismatch(
                    f"the conversation read from workflow {workflow_id} does not match "
                    f"its reference ({ref.length} messages)"
                )
        self._keep(workflow_id, entry)
        return entry.messages[: ref.length]

    def _keep(self, workflow_id: str, entry: _Cached) -> None:
        if entry.size > self._max_bytes:
            return
        self._entries[workflow_id] = entry
        self._size += entry.size
        while self._size > self._max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= dropped.size


def _matches(entry: _Cached, ref: ConversationRef) -> bool:
    digests = entry.chain.digests
    return ref.length < len(digests) and digests[ref.length] == ref.digest


async def _read_more(entry: _Cached, length: int, fetch: FetchPage) -> None:
    """Read messages `len(entry.messages)` to `length` into `entry`, page by page."""
    while len(entry.messages) < length:
        page = await fetch(ConversationPageInput(start=len(entry.messages), end=length))
        if page.start != len(entry.messages) or not page.messages:
            raise ConversationMismatch(
                f"asked for messages from {len(entry.messages)}, got {len(page.messages)} "
                f"from {page.start}"
            )
        added = page.messages[: length - len(entry.messages)]
        entry.messages.extend(added)
        entry.size += sum(len(message_bytes(m)) for m in added)
    entry.chain.extend(entry.messages)
