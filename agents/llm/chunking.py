"""Large tool results chunked, not cut: what a specialist's Claude loop sees of a long log or a
large configuration.

A tool result above `llm.tool_result_max_chars` used to be cut with a marker, so the end of a
long log (often where the failure is) never reached the model. Now the result is laid out as
lines (a multi-line string field, such as a configuration or log text, line by line; a list item
per line; a scalar as `path: value`), split at line boundaries into at most
`llm.tool_result_max_chunks` parts, and each part is read by one call on the cheap tier
(`llm.tool_result_chunk_tier`, default `fast`), in parallel, for the facts that bear on the
step's question and the lines that show them. The parts' digests are merged into one result:
the facts, and the evidence lines, kept only when they really occur in the part they are quoted
from (a line the model made up is dropped), in the order of the original. The merged result is
what the specialist sees, capped as before.

The first part is read alone: if that call fails (budget spent, provider down, a reply that is
not a digest) the result is cut with the marker as before, and the other parts are not sent to
fail too (each failure weighs on the provider's breaker). A later part whose call failed is
named in the merged result, with its first lines. The offline engine never comes
here: its analysts read the typed result whole.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from agents.config import LLMConfig
from agents.failures import LLMUnavailable
from agents.llm.client import ClaudeClient
from agents.tools.redact import redact_prose
from agents.usage import UsageMeter

CHUNK_SYSTEM = """You read one part of a large tool result for a network operations specialist.
List the facts in this part that bear on the question, and copy the lines that show them as
evidence: whole lines, exactly as they appear in the part. Say nothing about other parts. If
nothing in this part bears on the question, return empty lists."""
_NOTE_LINES = 3  # first lines shown of a part that could not be analysed


class ChunkDigest(BaseModel):
    facts: list[str] = Field(default_factory=list, max_length=20)
    evidence: list[str] = Field(default_factory=list, max_length=40)


def result_lines(data: Any, path: str = "") -> list[str]:
    """The result as lines, each readable on its own (the field path names where it came from)."""
    if isinstance(data, dict):
        return [line for key, value in data.items() for line in result_lines(value, f"{path}.{key}" if path else str(key))]
    if isinstance(data, list):
        out: list[str] = []
        for i, value in enumerate(data):
            if _long(value):
                out += result_lines(value, f"{path}[{i}]")
            else:
                shown = json.dumps(value, separators=(",", ":"), default=str) if isinstance(value, (dict, list)) else value
                out.append(f"{path}[{i}]: {shown}")
        return out
    if isinstance(data, str) and "\n" in data:
        return [f"{path}:"] + data.splitlines()
    return [f"{path}: {data}"]


def _long(value: Any) -> bool:
    """A list item that holds multi-line text (a config in a list of configs) is laid out line by line."""
    return isinstance(value, (dict, list)) and "\\n" in json.dumps(value, default=str)


def split(lines: list[str], size: int) -> list[list[str]]:
    """Consecutive lines in parts of at most `size` characters; a longer line is cut into pieces."""
    parts: list[list[str]] = [[]]
    used = 0
    for line in lines:
        pieces = [line[i:i + size] for i in range(0, len(line), size)] or [""]
        for piece in pieces:
            if used + len(piece) + 1 > size and parts[-1]:
                parts.append([])
                used = 0
            parts[-1].append(piece)
            used += len(piece) + 1
    return parts


def cut(text: str, limit: int) -> str:
    """The old way, kept for when no part could be analysed."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n...[truncated {len(text) - limit} of {len(text)} characters; ask for one device, section or interface]"


async def fit(text: str, data: dict[str, Any], *, tool: str, question: str, agent: str, config: LLMConfig, claude: ClaudeClient,
              meter: UsageMeter, endpoint: str | None = None, usage_to: Callable[[int, float], None] | None = None) -> str:
    """`text` (the result's JSON) when it fits `llm.tool_result_max_chars`; else the merged digest of its parts."""
    limit = config.tool_result_max_chars
    if len(text) <= limit or config.tool_result_max_chunks == 0:
        return cut(text, limit)
    lines = result_lines(data)
    total = sum(len(line) + 1 for line in lines)
    size = max(limit, math.ceil(total / config.tool_result_max_chunks))
    parts = split(lines, size)
    while len(parts) > config.tool_result_max_chunks:  # line boundaries left a part over: a little larger parts
        size = math.ceil(size * 1.1)
        parts = split(lines, size)
    tier = config.tiers[config.tool_result_chunk_tier]

    async def digest(n: int, part: list[str]) -> ChunkDigest:
        body = "\n".join(part)
        parsed, _ = await claude.structured(
            role=f"chunk:{agent}", agent=agent, tier=tier, system=CHUNK_SYSTEM, output_model=ChunkDigest, meter=meter,
            endpoint=endpoint, usage_to=usage_to,
            messages=[{"role": "user", "content": f"Question: {redact_prose(question)}\nTool: {tool}, part {n} of {len(parts)}\n\n{body}"}])
        if parsed is None:
            raise LLMUnavailable("invalid_output", "chunk reply asked for tools")
        return parsed

    try:  # the first part alone: if the cheap tier cannot read it, the others are not sent to fail too
        first: ChunkDigest | BaseException = await digest(1, parts[0])
    except Exception:
        return cut(text, limit)
    rest = await asyncio.gather(*(digest(n, part) for n, part in enumerate(parts[1:], start=2)), return_exceptions=True)
    for outcome in rest:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # cancellation and the like are not a part's failure
    outcomes = [first, *rest]
    facts: list[str] = []
    evidence: list[str] = []
    failed: list[str] = []
    for n, (part, outcome) in enumerate(zip(parts, outcomes, strict=True), start=1):
        if isinstance(outcome, BaseException):
            failed.append(f"part {n} not analysed ({type(outcome).__name__}); it begins: " + " | ".join(part[:_NOTE_LINES]))
            continue
        facts += [f for f in outcome.facts if f not in facts]
        quoted = {line.strip() for line in outcome.evidence}
        evidence += [line for line in part if line.strip() in quoted and line.strip() and line not in evidence]
    return merged_text(tool, total, len(parts), facts, evidence, failed, limit)


def merged_text(tool: str, total: int, parts: int, facts: list[str], evidence: list[str], failed: list[str], limit: int) -> str:
    """The merged digest as JSON within `limit`: whole lines dropped from the end (evidence first,
    then facts) and counted, never a line cut in half."""
    facts, evidence = list(facts), list(evidence)
    dropped = 0
    while True:
        merged: dict[str, Any] = {"tool": tool, "chunked": f"{total} characters in {parts} parts, each read for the question; "
                                                          "facts and the evidence lines they rest on, in the original order",
                                  "facts": facts, "evidence": evidence}
        if failed:
            merged["unanalysed"] = failed
        if dropped:
            merged["omitted"] = f"{dropped} more line(s) to fit; ask for one section or a narrower search"
        out = json.dumps(merged)
        if len(out) <= limit or not (evidence or facts):
            return cut(out, limit)
        (evidence or facts).pop()
        dropped += 1
