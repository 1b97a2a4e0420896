"""What the Web UI and `temporal workflow metadata` say of each signal, update and query of
`AgentWorkflow`: what it does and the JSON it takes."""

APPROVE = (
    "Approve a waiting tool call. Paste the JSON that Current Details show for it, e.g. "
    '{"tool_call_id": "call_1", "digest": "3f2a..."}. Optional keys: "reason", "approver", '
    '"arguments" (run with these edited arguments), "signature" (for a tool with approvers: '
    "`agent-starter approve ... --key FILE --approver NAME --print` prints it). Send it to the "
    "root run; a decision that fits no waiting call is logged and ignored."
)
REJECT = (
    "Reject a waiting tool call: the same JSON as approve (its digest from Current Details), "
    'optionally with "reason". The agent ends its turn with the rejection.'
)
DECIDE = (
    "Approve or reject a waiting call and answer what was decided: the approve JSON plus "
    '"approved": true or false. Refused, with the reason, when it fits no waiting call.'
)
RESUME = (
    "Wake suspended agents: {} wakes every one; "
    '{"path_ids": ["call_1"], "budget": {"turns": 10}} one sub-agent with a new budget.'
)
MOVE_OUT = (
    "End the run and answer its continuation (what `agent-starter export --move` writes): the "
    "run goes on only where that continuation is resumed."
)
UPGRADE = (
    "Move the run onto the current version of its workers (no input): every agent of the tree "
    "continues as new from its own state at its next wait. Refused when it moves already."
)
INTERNAL = "Internal: sent within the run's agent tree, sealed; ignored when anyone else sends it."
UNKNOWN_SIGNAL = "Any other signal: logged by the worker and ignored."
PENDING_APPROVALS = (
    "Every tool call in the tree that waits for a decision, with the digest a decision carries."
)
GET_CONTINUATION = "The run's continuation in the portable format (what `export` writes)."
GET_CONVERSATION = "Internal: a page of this level's messages, for the model activity."
GET_SUMMARY = "This level's state without its messages (what `agent-starter watch` polls)."
GET_STATE = "This level's whole state, its messages included."
