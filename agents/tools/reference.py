"""docs/reference/tools.md, rendered from the tool declarations (agents/tools/registry.py).

Why generated: the page lists what each tool takes, returns, reads and which role it needs; all
of that is declared once in `TOOLS`, so the page is a function of the declarations and a test
(tests/scenario/test_tools_reference.py) fails when it drifts. After changing a tool:
`python -m agents.tools.reference --write`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agents.tools.declaration import Tool
from agents.tools.registry import TOOLS
from agents.tools.results import ToolResult

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "tools.md"

_HEADER = """\
# Network tools

Generated from the tool declarations in `agents/tools/registry.py` by
`python -m agents.tools.reference --write`; do not edit by hand (a test compares this page with
the declarations).

Every tool is declared once: its arguments (a pydantic model), its typed result, the least role
that may call it (`access.tool_roles` in the settings overrides it, see
[access-control.md](access-control.md)), what it reads and its implementation. Claude's tool
schema, the role gate, `noc tool` (help and completion), the MCP server and this page come from
that declaration. A specialist's analyst calls a tool typed:
`cfg = await ctx.call(GET_DEVICE_CONFIG, device="edge-rtr-01")` gives a `DeviceConfig`.

Every result also carries `tool`, `device`, `ok`, `error` (`kind` and `message` when `ok` is
false) and `observations` (what the tool noticed, with a severity).

| Tool | Role | Reads | Result |
|---|---|---|---|
"""


def _type(annotation: Any) -> str:
    """`list[agents.tools.results.DeviceSummary] | None` as `list[DeviceSummary] | None`."""
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    text = re.sub(r"\b(?:[a-z_][a-z0-9_]*\.)+([A-Za-z_])", r"\1", text)
    return text.replace("typing.", "").replace("NoneType", "None")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _arguments(model: type[BaseModel]) -> list[str]:
    if not model.model_fields:
        return ["Takes no arguments."]
    rows = ["| Argument | Type | Required | Description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        need = "yes" if field.is_required() else f"no (default `{field.default}`)"
        rows.append(f"| `{name}` | `{_cell(_type(field.annotation))}` | {need} | {_cell(field.description or '')} |")
    return rows


def _result(model: type[ToolResult]) -> list[str]:
    own = {n: f for n, f in model.model_fields.items() if n not in ToolResult.model_fields}
    rows = [f"Returns `{model.__name__}`:", "", "| Field | Type |", "|---|---|"]
    rows += [f"| `{name}` | `{_cell(_type(field.annotation))}` |" for name, field in own.items()]
    return rows


def _section(tool: Tool[Any, Any]) -> list[str]:
    return [f"## `{tool.name}`", "", tool.description, "",
            f"Needs the **{tool.role}** role; reads {', '.join(tool.reads)}. A refusal says it skipped {tool.withheld}.", "",
            *_arguments(tool.args), "", *_result(tool.result), ""]


def render() -> str:
    """The whole page, tools in declaration order."""
    index = [f"| [`{t.name}`](#{t.name}) | {t.role} | {', '.join(t.reads)} | `{t.result.__name__}` |" for t in TOOLS]
    body = [line for tool in TOOLS for line in _section(tool)]
    return _HEADER + "\n".join(index) + "\n\n" + "\n".join(body).rstrip() + "\n"


def main(argv: list[str], page: Path = PAGE) -> int:
    """`--write` rewrites the page; `--check` exits 1 when it differs; no option prints it."""
    text = render()
    if "--write" in argv:
        page.write_text(text, encoding="utf-8")
    elif "--check" in argv:
        if not page.is_file() or page.read_text(encoding="utf-8") != text:
            print(f"{page.name} is out of date: run python -m agents.tools.reference --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
