"""What `noc tool` says about a tool's arguments, derived from the tools' own declarations.

The argument models in `agents.tools.registry` are what validates a call (from the CLI and from
Claude alike) and what gives Claude its JSON schema; help, completion and error messages are read
from the same schema here, so they cannot drift from what a call accepts. The role a tool needs
comes from `agents.access` (with the configured `access.tool_roles` on top).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agents.tools.registry import TOOL_SPECS, Tool


@dataclass(frozen=True)
class ArgDoc:
    """One argument of a tool as a user types it: `name=value`."""

    name: str
    kind: str  # text, integer, number, list, choice
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None

    @property
    def is_list(self) -> bool:
        return self.kind == "list"

    def accepts(self) -> str:
        """What the argument accepts, in words: 'one of bgp, ospf', 'an integer from 1 to 200'."""
        if self.choices:
            return ("a comma-separated list of " if self.is_list else "one of ") + ", ".join(self.choices)
        if self.kind in ("integer", "number"):
            what = "an integer" if self.kind == "integer" else "a number"
            if self.minimum is not None and self.maximum is not None:
                return f"{what} from {self.minimum:g} to {self.maximum:g}"
            if self.minimum is not None:
                return f"{what} of at least {self.minimum:g}"
            return what
        if self.min_length:
            return f"text of at least {self.min_length} characters"
        return "a comma-separated list" if self.is_list else "text"

    def metavar(self) -> str:
        if self.choices:
            return ("|" if not self.is_list else ",").join(self.choices)
        return {"integer": "N", "number": "X", "list": "A,B"}.get(self.kind, "TEXT")

    def line(self) -> str:
        """`limit=N  optional, an integer from 1 to 200 (default 50): most recent matching events`."""
        default = f" (default {self.default})" if not self.required and self.default is not None else ""
        need = "required" if self.required else "optional"
        return f"{need}, {self.accepts()}{default}: {self.description}"


def _plain(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an Optional[...] property (pydantic writes it as anyOf [..., null])."""
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    return {**prop, **branches[0]} if len(branches) == 1 else prop


def arg_docs(spec: Tool[Any, Any]) -> list[ArgDoc]:
    """The tool's arguments, required first, each as its model declares it."""
    schema = spec.args.model_json_schema()
    required = set(schema.get("required", []))
    out = []
    for name, raw in schema.get("properties", {}).items():
        prop = _plain(raw)
        kind, choices = prop.get("type", "string"), tuple(prop.get("enum", ()))
        if kind == "array":
            choices, kind = tuple(prop.get("items", {}).get("enum", ())), "list"
        elif choices:
            kind = "choice"
        out.append(ArgDoc(name=name, kind={"string": "text"}.get(kind, kind), required=name in required,
                          description=prop.get("description", ""), choices=choices, default=raw.get("default"),
                          minimum=prop.get("minimum"), maximum=prop.get("maximum"), min_length=prop.get("minLength")))
    return sorted(out, key=lambda a: not a.required)


def usage_of(name: str) -> str:
    """`check_routing_protocol device=TEXT protocol=bgp|ospf`, optional arguments in brackets."""
    args = [f"{a.name}={a.metavar()}" if a.required else f"[{a.name}={a.metavar()}]" for a in arg_docs(TOOL_SPECS[name])]
    return " ".join([name, *args])


def parse_arguments(name: str, items: tuple[str, ...]) -> dict[str, Any]:
    """`key=value` words to the tool's arguments; a list argument takes comma-separated values.

    Raises ValueError with one line naming the argument and what it accepts."""
    docs = {a.name: a for a in arg_docs(TOOL_SPECS[name])}
    args: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"arguments are name=value, got '{item}'; {name} takes {_takes(name)}")
        if key not in docs:
            raise ValueError(f"{name} has no argument '{key}'; it takes {_takes(name)}")
        args[key] = [v for v in value.split(",") if v] if docs[key].is_list else value
    try:
        TOOL_SPECS[name].args.model_validate(args)
    except ValidationError as exc:
        raise ValueError(validation_message(name, exc, args)) from None
    return args


def _takes(name: str) -> str:
    docs = arg_docs(TOOL_SPECS[name])
    return ", ".join(f"{a.name}={a.metavar()}" + ("" if a.required else " (optional)") for a in docs) or "no arguments"


def validation_message(name: str, exc: ValidationError, given: dict[str, Any]) -> str:
    """One line for the first problem: which argument, what was given, what it accepts."""
    docs = {a.name: a for a in arg_docs(TOOL_SPECS[name])}
    error = exc.errors()[0]
    arg = str(error["loc"][0]) if error["loc"] else ""
    doc = docs.get(arg)
    if doc is None:
        return f"{name}: {error['msg']}; it takes {_takes(name)}"
    if error["type"] == "missing":
        return f"{name} needs {arg}=: {doc.accepts()} ({doc.description})"
    shown = given.get(arg)
    shown = ",".join(shown) if isinstance(shown, list) else shown
    return f"{name}: {arg}={shown!s} is not valid: {arg} takes {doc.accepts()}"
