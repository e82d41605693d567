"""What declares a tool: one `Tool` value holds everything the rest of the system reads about it.

Why one declaration: the Claude tool schema (`definition`), the role gate's default
(`agents.tools.roles`), `noc tool` with its help and completion (bot/cli/tool_help.py), the MCP
server's tool list and output schema, the tools reference (docs/reference/tools.md, rendered by
`agents.tools.reference`) and the typed call a specialist makes (`AnalysisContext.call`) are
all read from this value, so adding a tool is one entry in `agents.tools.registry` and nothing
can drift. `Tool` is generic in its argument model and its result model: `ctx.call(tool, ...)`
returns the declared result type, so an analyst's `rules.py` type-checks under mypy --strict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from agents.access import Role
from agents.tools.results import ToolError, ToolResult

if TYPE_CHECKING:
    from agents.tools.network import Toolbox

# What a tool reads, in the words the reference and `noc tool --help` use (and an operator
# weighs when granting a role): the configuration is operator data, the rest is state.
Reads = Literal["inventory", "device state", "counters", "configuration", "logs", "runbooks"]


class ToolArgs(BaseModel):
    """Base of every tool's argument model: unknown arguments are refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


A = TypeVar("A", bound=ToolArgs)
R = TypeVar("R", bound=ToolResult)


@dataclass(frozen=True)
class Tool(Generic[A, R]):
    """One tool: its name, what it does, its arguments and result, the role it needs, what it
    reads, and its implementation (`run`, over a `Toolbox`, with the validated arguments)."""

    name: str
    description: str
    args: type[A]
    result: type[R]
    role: Role  # the least role that may call it; `access.tool_roles` in the settings overrides it
    reads: tuple[Reads, ...]
    # How a refusal by the tool gate names what was withheld ("needs operator: skipped the running config of edge-rtr-01").
    withheld: str
    run: Callable[[Toolbox, A], Awaitable[R]]

    def definition(self) -> dict[str, Any]:
        """The Anthropic tool definition: name, description and the JSON schema of the arguments."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return {"name": self.name, "description": self.description, "input_schema": schema}

    def failed(self, error: ToolError, device: str | None = None) -> R:
        """A failure as this tool's own result type (every result field but the base ones has a default)."""
        return self.result(tool=self.name, device=device, ok=False, error=error)

    def typed(self, result: ToolResult) -> R:
        """`result` as this tool's result type: a failure made before the tool ran (the role
        gate, bad arguments) is a plain `ToolResult` and becomes a failed `R` with its error."""
        if isinstance(result, self.result):
            return result
        error = result.error or ToolError(kind="failed", message=f"{self.name} returned no {self.result.__name__}")
        return self.failed(error, result.device)
