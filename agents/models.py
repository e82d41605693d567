"""The data that flows through the supervisor: requests, tasks, agent responses and answers.

These are the contract between the supervisor, the specialists, the CLI and (later) Slack and
the Claude backend, so every field is typed and every model serialises to plain JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from agents.access import Role
from agents.catalogue import catalogue
from agents.severity import Severity

MAX_QUESTION_CHARS = 4000


def cut_question(text: str) -> tuple[str, bool]:
    """The one text a question is routed, authorised and answered on: stripped and cut to
    MAX_QUESTION_CHARS. Returns (text, whether it was cut)."""
    text = (text or "").strip()
    return text[:MAX_QUESTION_CHARS], len(text) > MAX_QUESTION_CHARS


class _SpecialistNames(type):
    """Class-level behaviour of `Specialist`: iterate, test membership and name members like an
    Enum (`Specialist.diagnosis`), but over the catalogue's folders, known only at start-up."""

    def __iter__(cls) -> Iterator[Specialist]:
        return iter([Specialist(name) for name in catalogue().names])

    def __len__(cls) -> int:
        return len(catalogue().names)

    def __contains__(cls, value: object) -> bool:
        return isinstance(value, str) and value in catalogue()

    def __getattr__(cls, name: str) -> Specialist:
        if not name.startswith("_") and name in catalogue():
            return Specialist(name)
        raise AttributeError(f"no specialist named '{name}' (known: {', '.join(catalogue().names)})")


class Specialist(str, metaclass=_SpecialistNames):
    """A specialist's name, checked against the catalogue (agents/catalogue.py): a specialist is a
    folder, so the set of names is data, not code. Behaves like the str Enum it replaced
    (`.value`, `Specialist("config")` raising ValueError for an unknown name) and validates and
    serialises as a plain string whose JSON schema lists the names known when it is generated."""

    def __new__(cls, value: object) -> Specialist:
        if isinstance(value, Specialist):
            return value
        if not isinstance(value, str) or value not in catalogue():
            raise ValueError(f"{value!r} is not a specialist (known: {', '.join(catalogue().names)})")
        return super().__new__(cls, value)

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def name(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"<Specialist {str.__str__(self)}>"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls, serialization=core_schema.plain_serializer_function_ser_schema(str.__str__, when_used="always"))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "enum": catalogue().names}


class ExecutionMode(str, Enum):
    auto = "auto"
    sequential = "sequential"
    parallel = "parallel"
    hybrid = "hybrid"


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class Request(BaseModel):
    """One question from a person, already cut to the size limit."""

    id: str = Field(default_factory=new_id)
    question: str
    mode: ExecutionMode = ExecutionMode.auto
    truncated: bool = False
    # A follow-up in a thread carries the earlier answer's devices and findings; every step sees them.
    context_devices: list[str] = Field(default_factory=list)
    context_findings: list["Finding"] = Field(default_factory=list)
    # Notes for the answer that the caller knows before the engine starts (e.g. thread context withheld).
    notices: list[str] = Field(default_factory=list)
    user: str | None = None
    channel: str | None = None
    # The caller's role: every tool call of this request is checked against it (fail closed: viewer).
    role: Role = "viewer"
    # Queue order under resilience.max_concurrent_requests (1 first; FIFO within a priority).
    priority: int = Field(3, ge=1, le=5)
    # The rule route the front door decided the role on (bot.runtime): the engine starts from it
    # instead of routing the same text again. Not stored: it is the request's, not its record's.
    route: "RouteDecision | None" = Field(None, exclude=True)

    @classmethod
    def from_text(cls, text: str, **kwargs: Any) -> "Request":
        """Build a request, cutting over-long text at MAX_QUESTION_CHARS (the answer says so)."""
        question, truncated = cut_question(text)
        return cls(question=question, truncated=truncated, **kwargs)


class Finding(BaseModel):
    agent: str
    text: str
    severity: Severity = Severity.info
    device: str | None = None
    kind: str | None = None


class Recommendation(BaseModel):
    agent: str
    text: str
    commands: list[str] = Field(default_factory=list)
    device: str | None = None
    priority: int = 3  # 1 = do first


class Evidence(BaseModel):
    """One tool call an agent made and what came of it."""

    tool: str
    device: str | None = None
    ok: bool
    summary: str
    duration_s: float = 0.0
    reused: bool = False  # read once earlier in this request (agents/memory.py), not read again


class DataRequest(BaseModel):
    """One specialist asking another for data through the supervisor."""

    from_agent: str
    to_agent: str
    instruction: str
    chain: list[str]
    outcome: Literal["answered", "refused-loop", "refused-depth", "failed"]
    reason: str = ""


class QosQuery(BaseModel):
    """One specialist asking another, typed: which QoS policies are applied on these interfaces of
    `device` (performance asks config when it finds congestion)."""

    kind: Literal["qos"] = "qos"
    device: str
    interfaces: list[str]


class CongestionQuery(BaseModel):
    """Typed: the congested interfaces of these devices and whether each has a QoS policy
    (diagnosis asks performance when it sees high utilisation)."""

    kind: Literal["congestion"] = "congestion"
    devices: list[str]


# What a specialist may ask another for besides prose: the answering specialist reads the query's
# fields, never the instruction text (agents/specialists/replies.py holds the typed answers).
SpecialistQuery = Annotated[QosQuery | CongestionQuery, Field(discriminator="kind")]


class AgentTask(BaseModel):
    """What a specialist is asked to do in one step of a plan."""

    id: str
    agent: Specialist
    instruction: str
    devices: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    phase: int = 0
    priority: int = Field(3, ge=1, le=5)  # the plan step's: its LLM calls queue by it when the limit binds
    context: list[Finding] = Field(default_factory=list)
    context_recommendations: list[Recommendation] = Field(default_factory=list)
    chain: list[str] = Field(default_factory=list)
    query: SpecialistQuery | None = None  # set when another specialist asked in typed form


class Usage(BaseModel):
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0


class AgentResponse(BaseModel):
    """Every specialist's report, whatever produced it (offline rules or Claude)."""

    agent: Specialist
    task: str
    status: Literal["success", "failure", "partial"]
    summary: str = ""
    findings: list[Finding] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    severity: Severity = Severity.info
    evidence: list[Evidence] = Field(default_factory=list)
    duration_s: float = 0.0
    result: dict[str, Any] = Field(default_factory=dict)  # the specialist's own typed result, dumped
    requests: list[DataRequest] = Field(default_factory=list)
    error: str | None = None
    engine: str = "offline"  # offline | claude | offline-fallback
    instance: str | None = None  # the pool instance that produced it
    degraded: str | None = None
    usage: Usage = Field(default_factory=Usage)
    refused: list[str] = Field(default_factory=list)  # tool calls the request's role did not allow


class PlanStep(BaseModel):
    id: str
    agent: Specialist
    instruction: str
    devices: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    # 1 starts first when the concurrency limits bind: the primary's critical path (planner.prioritise).
    priority: int = Field(3, ge=1, le=5)


class Plan(BaseModel):
    steps: list[PlanStep]
    mode: ExecutionMode
    phases: list[list[str]] = Field(default_factory=list)
    reason: str = ""
    kind: str | None = None  # the kind of request whose plan shape it follows (agents/workflows.yaml), if any


class RouteDecision(BaseModel):
    primary: Specialist
    specialists: list[Specialist]
    devices: list[str] = Field(default_factory=list)
    unknown_devices: list[str] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)  # learned router: probability that each specialist is needed
    confidence: float = 1.0  # calibrated probability that the primary is right; Claude routes below llm.router_confidence
    margin: float = 0.0  # primary's probability minus the runner-up's (keyword points for the keyword fallback)
    hints: list[str] = Field(default_factory=list)  # role/site words that narrowed the device search
    method: str = "keywords"


class TraceEntry(BaseModel):
    t: float  # seconds since the request started
    event: str
    detail: str = ""


AnswerStatus = Literal["ok", "partial", "degraded", "failed"]
AutomationLevel = Literal["auto", "review", "human"]


class Answer(BaseModel):
    request_id: str
    question: str
    status: AnswerStatus
    primary: Specialist
    specialists: list[Specialist]
    devices: list[str] = Field(default_factory=list)
    severity: Severity
    severity_votes: dict[str, str] = Field(default_factory=dict)
    severity_rule: str = "most_severe"  # engine.severity_vote that turned the votes into `severity`
    incident_priority: str = "P4"  # the ticket priority engine.incident_priorities maps `severity` to
    confidence: float
    automation: AutomationLevel
    summary: str
    findings: list[Finding] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    failed_agents: list[str] = Field(default_factory=list)
    responses: list[AgentResponse] = Field(default_factory=list)
    plan: Plan | None = None
    trace: list[TraceEntry] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = 0.0
    # The strongest role among the tools whose data this answer holds: who may see it again
    # (details, thread follow-ups). Stored answers from before this field count as operator.
    data_role: Role = "operator"


# From the answer eval suite (evals/, docs/benchmarks.md): on its tuning half every answer with a
# confidence from 0.6 to 0.7 was right (17 of 17) and every one under 0.6 wrong (6 of 6), so a
# reviewer, not a decider, is enough from 0.6 (was 0.7). Answers over 0.9 were all right too (10 of
# 10), too few to widen automation on: that threshold stays.
AUTO_ABOVE = 0.9
REVIEW_FROM = 0.6


def automation_level(confidence: float) -> AutomationLevel:
    """>0.9 safe to automate, 0.6-0.9 a human reviews, below 0.6 a human decides."""
    if confidence > AUTO_ABOVE:
        return "auto"
    if confidence >= REVIEW_FROM:
        return "review"
    return "human"


Request.model_rebuild()
