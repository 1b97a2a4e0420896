"""The JSON Schema of the agent outputs, generated from the models in `continuations.format`.

Run `python -m agent_continuations.continuations.schema` to rewrite
`continuation-format.schema.json` after a change to the models; a test fails while the committed
file and the models disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent_continuations.continuations.format import AGENT_OUTPUT_ADAPTER
from agent_continuations.shared import JsonDict

SCHEMA_PATH = Path(__file__).with_name("continuation-format.schema.json")


def build_schema() -> JsonDict:
    """The JSON Schema of one agent output, any `end_reason`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Agent output (portable continuation format)",
        **AGENT_OUTPUT_ADAPTER.json_schema(),
    }


def render_schema() -> str:
    """The schema file's text: indented JSON with a trailing newline."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Rewrite the committed schema file from the models."""
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
