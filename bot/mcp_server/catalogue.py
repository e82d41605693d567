"""The MCP tool listing, derived from the tool catalogue (agents/tools/registry.py).

Each network tool is offered with the JSON schema of its declared argument model as input schema
and the schema of its typed result as output schema; nothing here restates an argument. `noc_ask`
is the one tool that is not a catalogue entry: the whole supervisor, answering a question. The
change pipeline has no tool here: proposing, approving and applying changes stays in Slack and
`noc change`, behind the two-person approval.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from pydantic import BaseModel, ConfigDict, Field

from agents.access import Role
from agents.models import ExecutionMode
from agents.tools.registry import TOOL_SPECS, result_model, tool_definition
from agents.tools.roles import ToolRoles

ASK_TOOL = "noc_ask"
_READ_ONLY = types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class AskArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=2, max_length=8000, description="the question, as you would ask it in Slack, "
                                                                     "e.g. 'why is the branch office slow?'")
    mode: ExecutionMode | None = Field(None, description="how to run the specialists (default: the configured mode)")


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema


def _tool(name: str) -> types.Tool:
    definition = tool_definition(name)
    return types.Tool(name=name, description=definition["description"], input_schema=definition["input_schema"],
                      output_schema=_schema(result_model(name)), annotations=_READ_ONLY)


def ask_tool() -> types.Tool:
    return types.Tool(
        name=ASK_TOOL, input_schema=_schema(AskArgs), annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
        description="Ask the NOC's specialists a question: the supervisor routes it, runs the specialists on live device "
                    "data and returns the answer with its summary, findings, severity, confidence, recommendations and "
                    "trace. Data the caller's role may not see is skipped and said so in `notices`.")


def listed_tools(roles: ToolRoles, role: Role) -> list[types.Tool]:
    """The tools a caller holding `role` may call (a call to another is still refused at call time)."""
    names = [name for name in (*TOOL_SPECS, ASK_TOOL) if roles.allowed(role, name)]
    return [ask_tool() if name == ASK_TOOL else _tool(name) for name in names]
