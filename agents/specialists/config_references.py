"""Named objects in a configuration and every way a line can refer to them, as data.

Why a table of kinds: "referenced but not defined" and "defined but never used" are only as good
as the list of places a name can be used. Real configurations use an ACL from a crypto map
(`match address`), a class-map (`match access-group name`), NAT (`ip nat inside source list`),
SNMP views and groups; a prefix-list from a route-map (`match ip address prefix-list`) or a
neighbour; a route-map from EVPN (`route-target export evpn route-map`), NAT, PBR and a dozen BGP
commands. Treating `match ip address prefix-list X` as an ACL called "prefix-list" flagged 38
devices of one network; each reference now belongs to exactly one kind.

A use pattern captures one name (group 1) or, for commands that take several (`match ip address
prefix-list A B`), a space-separated list in the group named `names`. Definitions are matched on
top-level lines only; uses anywhere except on a definition line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class ReferenceKind:
    """One kind of named object: how it is defined and how it is used."""

    name: str
    define: tuple[str, ...]
    use: tuple[str, ...]
    ignore: frozenset[str] = field(default_factory=frozenset)  # names that need no definition
    numbered_ok: bool = False  # numbered objects (`access-list 10`) are defined another way

    def defines(self, line: str) -> str | None:
        return next((m.group(1) for rx in _compiled(self.define) if (m := rx.match(line))), None)

    def uses(self, line: str) -> set[str]:
        names: set[str] = set()
        for rx in _compiled(self.use):
            for m in rx.finditer(line):
                if "names" in m.re.groupindex:
                    names.update(m.group("names").split())
                else:
                    names.add(m.group(1))
        return {n for n in names if n not in self.ignore and not (self.numbered_ok and n.isdigit())}


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """A kind's patterns compiled once (re's own cache is looked up on every line otherwise)."""
    return tuple(re.compile(rx) for rx in patterns)


KINDS: tuple[ReferenceKind, ...] = (
    ReferenceKind(
        "policy-map",
        define=(r"^policy-map (?:type \S+ )?(\S+)",),
        use=(r"service-policy (?:input|output|type \S+ \S+ )?\s*(\S+)",),
    ),
    ReferenceKind(
        "class-map",
        define=(r"^class-map (?:type \S+ )?(?:match-\S+ )?(\S+)",),
        use=(r"^\s*class (?!type )(\S+)", r"^\s*class type \S+ (\S+)", r"^\s*match class-map (\S+)"),
        ignore=frozenset({"class-default"}),
    ),
    ReferenceKind(
        "ip access-list",
        define=(r"^ip access-list (?:standard |extended |resequence )?(\S+)",),
        use=(
            r"^\s*(?:ip )?access-class (\S+)",  # line vty, `ip http access-class`
            r"^\s*ip access-group (\S+)",  # interfaces, EOS management ssh/api
            r"^\s*match ip address (?!prefix-list )(?P<names>\S+(?: \S+)*)",
            r"^\s*match address (?!prefix-list |local )(\S+)",  # crypto maps (IKEv2 `match address local` is an address)
            r"^\s*match access-group (?:name )?(\S+)",  # class-maps
            r"^ip nat (?:inside|outside) source (?:static )?list (\S+)",
            r"^snmp-server community \S+ (?:view \S+ )?(?i:ro|rw)(?: (?:SystemOwner|SDROwner))?(?: (?i:ipv6) \S+)?(?: (?i:ipv4))? (\S+)",
            r"^snmp-server (?:group|user) .* access (?:ipv6 \S+ )?(?!ipv6\b)(\S+)",
            r"^snmp-server ipv4 access-list (\S+)",
            r"^ntp access-group (?:ipv4 )?(?:peer|serve|serve-only|query-only) (\S+)",
            r"^\s*distribute-list (?!prefix)(\S+) (?:in|out)\b",
            r"quiet-mode access-class (\S+)",
        ),
        numbered_ok=True,
    ),
    ReferenceKind(
        "ipv6 access-list",
        define=(r"^ipv6 access-list (\S+)",),
        use=(
            r"^\s*ipv6 (?:access-class|traffic-filter|access-group) (\S+)",
            r"^\s*match ipv6 address (?!prefix-list )(\S+)",
            r"^snmp-server ipv6 access-list (\S+)",
            r"^snmp-server (?:group|user) .* access ipv6 (\S+)",
        ),
    ),
    ReferenceKind(
        "mac access-list",
        define=(r"^mac access-list (?:extended )?(\S+)",),
        use=(r"^\s*mac access-group (\S+)",),
    ),
    ReferenceKind(
        "prefix-list",
        define=(r"^ip(?:v6)? prefix-list (\S+)",),
        use=(
            r"^\s*match ip(?:v6)? address prefix-list (?P<names>\S+(?: \S+)*)",
            r"^\s*neighbor \S+ prefix-list (\S+) (?:in|out)\b",
            r"^\s*distribute-list prefix(?:-list)? (\S+)",
        ),
    ),
    ReferenceKind(
        "route-map",
        define=(r"^route-map (\S+)",),
        use=(
            r"\broute-map (\S+)",  # neighbours, redistribute, EVPN route-targets, NAT, PBR, originate ...
            r"\b(?:table|attribute|suppress|unsuppress|advertise|inject|exist|non-exist)-map (\S+)",
        ),
    ),
    ReferenceKind(
        "community-list",
        define=(r"^ip community-list (?:standard |expanded )?(\S+)",),
        use=(r"^\s*match community (?P<names>\S+(?: \S+)*?)(?: exact-match)?$", r"^\s*set comm-list (\S+) delete"),
    ),
    ReferenceKind(
        "as-path access-list",
        define=(r"^ip as-path access-list (\S+)",),
        use=(r"^\s*match as-path (?P<names>\S+(?: \S+)*)", r"^\s*neighbor \S+ filter-list (\S+) (?:in|out)\b"),
    ),
)


def validate_references(running: str) -> tuple[list[str], dict[str, list[str]]]:
    """Dangling references and unused objects, per kind; redacted names (`<redacted>`) are skipped."""
    lines = running.splitlines()
    problems: list[str] = []
    unused: dict[str, list[str]] = {}
    for kind in KINDS:
        defined: set[str] = set()
        used: set[str] = set()
        for line in lines:
            name = kind.defines(line)
            if name is not None:
                defined.add(name)
                continue
            used |= kind.uses(line)
        used.discard("<redacted>")
        problems += [f"{kind.name} {name} is referenced but not defined" for name in sorted(used - defined)]
        unused[kind.name] = sorted(defined - used)
        problems += [f"unused {kind.name} {name} (defined, never referenced)" for name in unused[kind.name]]
    return problems, unused
