"""The address index's lookups, checked against the rule they implement (written here as the
plain scan over every owner it replaced), on random owner sets with shared addresses, VRFs known
and unknown, and every device as the asker: the grouped lookup must answer exactly the same."""

from __future__ import annotations

import random

from agents.tools.address_index import AddressIndex, AddressOwner, same_vrf


def reference_owner(owners: list[AddressOwner], vrf: str | None, exclude: str | None) -> AddressOwner | None:
    candidates = [o for o in owners if o.device != exclude]
    if len({o.device for o in candidates}) == 1:
        return candidates[0]
    if vrf is not None and all(o.vrf is not None for o in candidates):
        in_vrf = [o for o in candidates if o.vrf is not None and same_vrf(o.vrf, vrf)]
        if len({o.device for o in in_vrf}) == 1:
            return in_vrf[0]
    return None


def test_grouped_lookup_answers_as_the_scan_over_every_owner():
    rng = random.Random(27)
    devices = [f"r{i}" for i in range(6)]
    vrfs = [None, "global", "default", "CUST", "MGMT"]
    for _ in range(400):
        pairs = [(rng.choice(["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
                  AddressOwner(rng.choice(devices), rng.choice(["ge0", "ge1", "lo0"]), rng.choice(vrfs)))
                 for _ in range(rng.randint(0, 8))]
        index = AddressIndex(pairs)
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "192.0.2.9"):
            owners = [o for a, o in pairs if a == address]
            for vrf in (None, "global", "default", "CUST", "OTHER"):
                for exclude in (None, *devices):
                    assert index.owner(address, vrf, exclude=exclude) == reference_owner(owners, vrf, exclude), (pairs, address, vrf, exclude)
        for device in devices:
            assert index.addresses_of(device) == {a for a, o in pairs if o.device == device}


def test_an_address_shared_by_a_thousand_devices_is_refused_as_ambiguous():
    """Anycast on every leaf: no single owner, so no cross-check; a lone owner in the session's VRF still answers."""
    index = AddressIndex((("10.255.0.1", AddressOwner(f"leaf-{i}", "vlan10", "default")) for i in range(1000)))
    assert index.owner("10.255.0.1", "default", exclude="leaf-1") is None
    assert index.owner("10.255.0.1", None) is None
    single = AddressIndex([("10.0.0.9", AddressOwner("a", "ge0", "default")), ("10.0.0.9", AddressOwner("b", "ge0", "CUST"))])
    assert single.owner("10.0.0.9", "CUST", exclude="x") == AddressOwner("b", "ge0", "CUST")
    assert single.owner("10.0.0.9", "global", exclude="b") == AddressOwner("a", "ge0", "default")
