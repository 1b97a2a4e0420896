"""The agents a worker runs, passed to it explicitly, and how its workflows find them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from agent_continuations.agent_definitions._agent import Agent
from agent_continuations.agent_definitions._approvers import ApproverKeys
from agent_continuations.agent_definitions._secrets import WorkerSecrets

# The catalog each worker of this process serves, by the task queue it polls (a replayer's
# under `REPLAYER`): `AgentWorkflow` runs in a sandbox and can only look agents up by name.
# `AgentPlugin` fills it from the agents it is given; nothing registers by being imported.
_by_task_queue: dict[str, AgentCatalog] = {}
REPLAYER = ""


class UnknownAgentError(LookupError):
    """No agent of that name is in the catalog."""


class AgentCatalog:
    """Agents by name, each with its sub-agents to any depth, and what their runs take from
    the worker: the default model and the workers' secrets.

    Args:
        agents: The agents; their sub-agents are added too.
        default_model: The model of agents that name none, unless a run names one.
        secrets: The workers' secrets (see `WorkerSecrets`); none by default.
        approver_keys: The public keys of the approvers the agents' tools name; given (a
            worker's catalog), every approver a tool names must have one.
        seal_key: The continuation seal key, with which starters seal resume inputs.

    Raises:
        ValueError: Two different agents have the same name.
    """

    def __init__(
        self,
        agents: Iterable[Agent] = (),
        default_model: str | None = None,
        secrets: WorkerSecrets | None = None,
        approver_keys: ApproverKeys | None = None,
        seal_key: bytes | None = None,
    ) -> None:
        self.default_model = default_model or None
        self.secrets = secrets or WorkerSecrets()
        self.seal_key = seal_key or None
        # A catalog that runs agents (a worker's) checks that it can verify their approvers.
        self._checks_approvers = approver_keys is not None
        self.approver_keys = approver_keys or ApproverKeys()
        self._agents: dict[str, Agent] = {}
        for agent in agents:
            self._add(agent)

    def _add(self, agent: Agent) -> None:
        named = {*agent.approvers, *(a for tool in agent.tools for a in tool.approvers)}
        unknown = sorted(named - set(self.approver_keys.names()))
        if self._checks_approvers and unknown:
            raise ValueError(
                f"agent {agent.name!r} names approvers without a key: {', '.join(unknown)} "
                "(put NAME.pub.pem in AGENT_APPROVER_KEYS)"
            )
        known = self._agents.setdefault(agent.name, agent)
        if known is not agent:
            raise ValueError(f"two different agents are named {agent.name!r}")
        for sub_agent in agent.sub_agents:
            self._add(sub_agent)

    def get(self, name: str) -> Agent:
        """The agent called `name`.

        Raises:
            UnknownAgentError: The catalog has no such agent; the message lists those it has.
        """
        try:
            return self._agents[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise UnknownAgentError(f"unknown agent {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        """The agents' names, sorted."""
        return sorted(self._agents)

    def __iter__(self) -> Iterator[Agent]:
        return iter(self._agents.values())

    def __len__(self) -> int:
        return len(self._agents)


def serve_catalog(task_queue: str, catalog: AgentCatalog) -> None:
    """Make `catalog` the one the workflows polled from `task_queue` in this process run."""
    _by_task_queue[task_queue] = catalog


def catalog_for(task_queue: str) -> AgentCatalog:
    """The catalog served on `task_queue`, else the replayer's, else an empty one."""
    return _by_task_queue.get(task_queue) or _by_task_queue.get(REPLAYER) or AgentCatalog()
