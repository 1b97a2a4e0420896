"""What the model reads of an MCP tool's result: its text and structured content, and a line
describing each image, audio clip or resource, never dropped silently."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mcp import types


def _size(data: str) -> str:
    try:
        return f"{len(base64.b64decode(data, validate=True))} bytes"
    except (binascii.Error, ValueError):
        return "undecodable data"


def _block_text(block: Any) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent):
        return f"[image: {block.mime_type}, {_size(block.data)}, not shown]"
    if isinstance(block, types.AudioContent):
        return f"[audio: {block.mime_type}, {_size(block.data)}, not played]"
    if isinstance(block, types.ResourceLink):
        kind = f", {block.mime_type}" if block.mime_type else ""
        return f"[resource link: {block.uri} ({block.name}{kind})]"
    if isinstance(block, types.EmbeddedResource):
        resource = block.resource
        if isinstance(resource, types.TextResourceContents):
            return f"[resource {resource.uri}]\n{resource.text}"
        kind = resource.mime_type or "binary"
        return f"[resource {resource.uri}: {kind}, {_size(resource.blob)}, not shown]"
    return f"[{getattr(block, 'type', type(block).__name__)} content, not shown]"


def result_text(result: types.CallToolResult) -> str:
    """The result's content blocks as text, one after another, then its structured content as
    JSON unless a text block already says exactly that."""
    parts = [_block_text(block) for block in result.content]
    if result.structured_content is not None:
        structured = json.dumps(result.structured_content, ensure_ascii=False)
        said = any(_same_json(part, result.structured_content) for part in parts)
        if not said:
            parts.append(structured)
    return "\n".join(parts)


def _same_json(text: str, value: Any) -> bool:
    # Servers often wrap a plain result as {"result": ...} in structured content.
    wrapped = value.get("result") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(wrapped, str) and wrapped == text:
        return True
    try:
        said = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return bool(said == value or (wrapped is not None and said == wrapped))
