"""`ConversationFeed`: what a level's model call tells the worker about the messages added
since its previous call, so that a worker that produced them (its reply, its tools' results)
or is given them inline needs no `get_conversation` query."""

from __future__ import annotations

from agent_continuations.activities import AddedMessage, message_bytes
from agent_continuations.shared import JsonDict

# Messages the worker did not produce go inline up to this many bytes a call; past it, the
# call passes none and the worker reads what it lacks with the query, as before.
INLINE_BYTES = 16 * 1024


class ConversationFeed:
    """The messages added since the level's previous model call in this run, as the next call
    passes them: produced by the worker (marked), or inline."""

    def __init__(self, rebuilt: bool = False) -> None:
        self._known = 0  # messages the worker had at the previous call
        self._reply: JsonDict | None = None  # the previous call's reply, kept as returned
        self._tool_results: set[str] = set()  # calls whose `run_tool` result is kept as returned
        # Made by replaying the run's history (a worker that lacked the run): the worker that
        # runs the next call most likely has none of the conversation.
        self._rebuilt = rebuilt

    def added(self, messages: list[JsonDict], replaying: bool = False) -> list[AddedMessage]:
        """What the next call passes of `messages[known:]`, and they count as known from now.
        The first call after a replay passes them all, inline if they fit: a worker that
        lacked the run has not seen them, and need not ask the workflow for them."""
        if self._rebuilt and not replaying:
            self._rebuilt = False
            self._known, self._reply, self._tool_results = 0, None, set()
        new, start = messages[self._known :], self._known
        self._known = len(messages)
        added: list[AddedMessage] = []
        inline = 0
        for index, message in enumerate(new):
            if index == 0 and start > 0 and message == self._reply:
                added.append(AddedMessage(reply=True))
            elif (
                message.get("role") == "tool" and message.get("tool_call_id") in self._tool_results
            ):
                added.append(AddedMessage(tool_call_id=message["tool_call_id"]))
            else:
                inline += len(message_bytes(message))
                added.append(AddedMessage(message=message))
        self._reply, self._tool_results = None, set()
        return added if inline <= INLINE_BYTES else []

    def replied(self, kept: JsonDict, returned: JsonDict) -> None:
        """The model's reply was kept as `kept`: the worker has it when it is as `returned`."""
        self._reply = kept if kept == returned else None

    def tool_ran(self, tool_call_id: str) -> None:
        """`run_tool` answered this call, whose result the conversation keeps as returned."""
        self._tool_results.add(tool_call_id)
