"""NetBox through pynetbox against the loopback NetBox fake (`tests.fakes.netbox_api`): the token
variable and an inventory configuration pointing at the fake. The `netbox` fixture is in
tests/conftest.py."""

from __future__ import annotations

from agents.network.sources.config import InventoryConfig, InventoryFilters
from tests.fakes.netbox_api import FakeNetBox

TOKEN_ENV = "NOC_TEST_NETBOX_TOKEN"


def config(fake: FakeNetBox, **filters) -> InventoryConfig:
    return InventoryConfig(source="netbox", url=fake.url, token_env=TOKEN_ENV, filters=InventoryFilters(**filters))
