"""Where a setting a line needs can come from besides its own block: enclosing blocks and inheritance.

Why this exists: real configurations rarely set a BGP password on each neighbour. An EVPN fabric
(Arista AVD) puts `neighbor EVPN-OVERLAY-PEERS password ...` on a peer group and only
`neighbor 10.255.0.1 peer group EVPN-OVERLAY-PEERS` on the neighbour; IOS does the same with
`neighbor X peer-group Y` or with session templates (`neighbor X inherit peer-session T` and
`template peer-session T` / ` password ...`, templates inheriting from templates). Neighbours in
VRFs and address families sit one level deeper but may use a group defined at the top of
`router bgp`. A rule that only looks at the neighbour's own sibling lines flags all of these,
which is how one fabric got 60 false findings out of 194 neighbours.

The rule data says which lines link a name to what it inherits from (`InheritLink` in audit.py);
this module follows those links, bounded (a loop in the configuration cannot hang the audit).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hier_config import HConfig, HConfigChild

_KEY = "{key}"
_NAME = "{name}"
_MAX_HOPS = 8  # peer group -> template -> template ...; real configs use two or three


@dataclass(frozen=True)
class Link:
    """One inheritance link, compiled from the rule data.

    `link` (with `{key}`) finds what the key inherits from (one capture group). Without `block`
    that name is checked like the key itself (a peer group: `neighbor GROUP password`); with
    `block` (with `{name}`) the name is a block such as `template peer-session NAME`, satisfied by
    a child matching `provides`, or by following `next` (one capture group) to another block.
    """

    link: str
    block: str | None = None
    provides: str | None = None
    next: str | None = None


def enclosing(node: HConfigChild, scope: HConfigChild | HConfig) -> Iterator[HConfigChild | HConfig]:
    """The node's block, then each enclosing block up to and including `scope`."""
    parent = node.parent
    while True:
        yield parent
        if parent is scope or not isinstance(parent, HConfigChild):
            return
        parent = parent.parent


def _fill(template: str, placeholder: str, value: str) -> re.Pattern[str]:
    return re.compile(template.replace(placeholder, re.escape(value)))


def _lines_in(blocks: list[HConfigChild | HConfig]) -> Iterator[HConfigChild]:
    for block in blocks:
        yield from block.children


def satisfied(node: HConfigChild, key: str, scope: HConfigChild | HConfig, sibling: str, links: tuple[Link, ...]) -> bool:
    """Whether `sibling` (with `{key}`) holds for `key`, directly or through `links`."""
    blocks = list(enclosing(node, scope))
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[str, str]] = [("key", key)]
    hops = 0
    while pending and hops < _MAX_HOPS * 4:
        hops += 1
        kind, name = pending.pop()
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        if kind == "key":
            wanted = _fill(sibling, _KEY, name)
            if any(wanted.search(line.text) for line in _lines_in(blocks) if line is not node):
                return True
            for link in links:
                rx = _fill(link.link, _KEY, name)
                for line in _lines_in(blocks):
                    if (m := rx.search(line.text)) is not None:
                        pending.append(("block", f"{links.index(link)}:{m.group(1)}") if link.block else ("key", m.group(1)))
        else:
            index, _, block_name = name.partition(":")
            link = links[int(index)]
            if _block_satisfies(link, block_name, scope, pending, index):
                return True
    return False


def _block_satisfies(link: Link, name: str, scope: HConfigChild | HConfig, pending: list[tuple[str, str]], index: str) -> bool:
    """Whether the block `link.block` named `name` provides the setting; queue the blocks it inherits."""
    assert link.block is not None
    header = _fill(link.block, _NAME, name)
    provides = re.compile(link.provides) if link.provides else None
    follow = re.compile(link.next) if link.next else None
    for block in scope.children:
        if not header.search(block.text):
            continue
        for line in block.children:
            if provides is not None and provides.search(line.text):
                return True
            if follow is not None and (m := follow.search(line.text)) is not None:
                pending.append(("block", f"{index}:{m.group(1)}"))
    return False
