"""A loopback fake of NetBox's REST API: the device list as NetBox 4.6 serves it, for pynetbox.

NetBox is not in the package registries, so the inventory's NetBox path is tested through its real
client (pynetbox) against this server. What it follows, from netbox-community/netbox (4.6.8):

- docs/integrations/rest-api.md: the list envelope (`count`, `next`, `previous`, `results`),
  `limit`/`offset` paging with absolute `next` links, the default page size (PAGINATE_COUNT) and
  the cap (MAX_PAGE_SIZE), `?exclude=config_context`, and `Authorization: Token <key>`.
- netbox/netbox/api/authentication.py and settings.py: an unknown key fails with
  `{"detail": "Invalid token"}`; SessionAuthentication comes first, so DRF answers 403 (not 401);
  no token with LOGIN_REQUIRED is 403 "Authentication credentials were not provided.".
- netbox/dcim/api/serializers_/devices.py (DeviceWithConfigContextSerializer's fields) and the
  `brief_fields` of the nested serializers (site, role, platform, device type, manufacturer,
  IP address, tags: NestedTagSerializer); status is a ChoiceField `{"value", "label"}`.
- netbox/dcim/filtersets.py DeviceFilterSet and dcim/choices.py DeviceStatusChoices: `site`,
  `role` and `tag` take slugs (repeated values: OR for site/role, AND for tags), `status` takes
  values; an unknown slug is a 400 naming the field, as django-filter's form validation says.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

STATUSES = {"offline": "Offline", "active": "Active", "planned": "Planned", "staged": "Staged", "failed": "Failed",
            "inventory": "Inventory", "decommissioning": "Decommissioning"}


class FakeNetBox(LoopbackServer):
    name = "fake-netbox"

    def __init__(self, token: str = "0123456789abcdef0123456789abcdef01234567", *, page_size: int = 2, max_page_size: int = 2) -> None:
        super().__init__()
        self.token = token
        self.page_size = page_size  # PAGINATE_COUNT (NetBox's default is 50; small here so paging happens)
        self.max_page_size = max_page_size  # MAX_PAGE_SIZE (1000 by default)
        self.available = True  # False: 503, as a NetBox behind a proxy during maintenance
        self.requests: list[dict[str, Any]] = []  # every devices request: {"query": [(k, v)...], "auth": ...}
        self._lock = threading.Lock()
        self._devices: list[dict[str, Any]] = []
        self._next_id = 1
        self._sites: dict[str, int] = {}
        self._roles: dict[str, int] = {}
        self._tags: dict[str, int] = {}

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/dcim/devices/", self._devices_list)
        app.router.add_get("/api/status/", self._status)
        return app

    # -- the data ----------------------------------------------------------------------------

    def add_device(self, name: str | None, *, site: str = "hq", role: str = "core", platform: str | None = "cisco-ios",
                   ip4: str | None = None, ip6: str | None = None, status: str = "active", tags: tuple[str, ...] = (),
                   model: str = "ISR4451", custom_fields: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._lock:
            device_id = self._next_id
            self._next_id += 1
            record = self._record(device_id, name, site, role, platform, ip4, ip6, status, tags, model, custom_fields or {})
            self._devices.append(record)
            return record

    def remove_device(self, name: str) -> None:
        with self._lock:
            self._devices = [d for d in self._devices if d["name"] != name]

    def _ref(self, kind: str, table: dict[str, int], slug: str) -> int:
        return table.setdefault(slug, len(table) + 1)

    def _nested(self, path: str, obj_id: int, **fields: Any) -> dict[str, Any]:
        display = fields.get("name") or fields.get("model") or fields.get("address")
        return {"id": obj_id, "url": f"{self.url}/api/{path}/{obj_id}/", "display": display, **fields}

    def _record(self, device_id: int, name: str | None, site: str, role: str, platform: str | None, ip4: str | None,
                ip6: str | None, status: str, tags: tuple[str, ...], model: str, custom_fields: dict[str, Any]) -> dict[str, Any]:
        site_id, role_id = self._ref("site", self._sites, site), self._ref("role", self._roles, role)
        manufacturer = self._nested("dcim/manufacturers", 1, name="Cisco", slug="cisco", description="")
        ips = {}
        for key, address, family in (("primary_ip4", ip4, 4), ("primary_ip6", ip6, 6)):
            ips[key] = self._nested("ipam/ip-addresses", device_id * 10 + family, family={"value": family, "label": f"IPv{family}"},
                                    address=address, description="", dns_name="", nat_inside=None, nat_outside=None) if address else None
        return {
            "id": device_id, "url": f"{self.url}/api/dcim/devices/{device_id}/", "display_url": f"{self.url}/dcim/devices/{device_id}/",
            "display": name or f"Unnamed device ({device_id})", "name": name,
            "device_type": self._nested("dcim/device-types", 1, manufacturer=manufacturer, model=model,
                                        slug=model.lower(), description="", device_count=len(self._devices) + 1),
            "role": self._nested("dcim/device-roles", role_id, name=role.title(), slug=role, description="",
                                 device_count=1, virtualmachine_count=0, _depth=0),
            "tenant": None,
            "platform": self._nested("dcim/platforms", 1, name=platform.replace("-", " ").title(), slug=platform, description="",
                                     device_count=1, virtualmachine_count=0, _depth=0) if platform else None,
            "serial": "", "asset_tag": None,
            "site": self._nested("dcim/sites", site_id, name=site.upper(), description="", slug=site),
            "location": None, "rack": None, "position": None, "face": None, "latitude": None, "longitude": None,
            "parent_device": None, "status": {"value": status, "label": STATUSES[status]}, "airflow": None,
            "primary_ip": ips["primary_ip4"] or ips["primary_ip6"], **ips, "oob_ip": None,
            "cluster": None, "virtual_chassis": None, "vc_position": None, "vc_priority": None, "description": "",
            "owner": None, "comments": "", "config_template": None, "config_context": {"ntp": ["192.0.2.123"]},
            "local_context_data": None,
            "tags": [{"id": self._ref("tag", self._tags, t), "url": f"{self.url}/api/extras/tags/{self._tags[t]}/",
                      "display_url": f"{self.url}/extras/tags/{self._tags[t]}/", "display": t, "name": t, "slug": t,
                      "color": "9e9e9e"} for t in tags],
            "custom_fields": custom_fields, "created": "2026-01-05T10:00:00.000000Z",
            "last_updated": "2026-01-05T10:00:00.000000Z",
            **{f"{k}_count": 0 for k in ("console_port", "console_server_port", "power_port", "power_outlet", "interface",
                                         "front_port", "rear_port", "device_bay", "module_bay", "inventory_item")},
        }

    # -- the API -----------------------------------------------------------------------------

    def _refused(self, request: web.Request) -> web.Response | None:
        if not self.available:
            return web.Response(status=503, text="<html><body>NetBox is down for maintenance</body></html>", content_type="text/html")
        auth = request.headers.get("Authorization", "")
        if not auth:
            return web.json_response({"detail": "Authentication credentials were not provided."}, status=403)
        if auth != f"Token {self.token}":
            return web.json_response({"detail": "Invalid token"}, status=403)
        return None

    async def _status(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        return refused or web.json_response({"netbox-version": "4.6.8-Docker-3.4.1", "python-version": "3.12.3"},
                                            headers={"API-Version": "4.6"})

    async def _devices_list(self, request: web.Request) -> web.Response:
        with self._lock:
            self.requests.append({"query": list(request.query.items()), "auth": request.headers.get("Authorization")})
        refused = self._refused(request)
        if refused is not None:
            return refused
        query = request.query
        with self._lock:
            devices = list(self._devices)
            known = {"site": set(self._sites), "role": set(self._roles), "tag": set(self._tags)}
        for field in ("site", "role", "tag"):
            unknown = [v for v in query.getall(field, []) if v not in known[field]]
            if unknown:
                return web.json_response({field: [f"Select a valid choice. {unknown[0]} is not one of the available choices."]},
                                         status=400)
        bad_status = [v for v in query.getall("status", []) if v not in STATUSES]
        if bad_status:
            return web.json_response({"status": [f"Select a valid choice. {bad_status[0]} is not one of the available choices."]},
                                     status=400)
        for field, key in (("site", "site"), ("role", "role")):
            wanted = query.getall(field, [])
            if wanted:
                devices = [d for d in devices if d[key]["slug"] in wanted]
        for tag in query.getall("tag", []):
            devices = [d for d in devices if tag in {t["slug"] for t in d["tags"]}]
        statuses = query.getall("status", [])
        if statuses:
            devices = [d for d in devices if d["status"]["value"] in statuses]
        if "config_context" in query.getall("exclude", []):
            devices = [{k: v for k, v in d.items() if k != "config_context"} for d in devices]
        try:
            limit = int(query.get("limit", self.page_size)) or self.max_page_size
            offset = int(query.get("offset", 0))
        except ValueError:
            return web.json_response({"detail": "Invalid limit or offset"}, status=400)
        limit = min(limit, self.max_page_size)
        page = devices[offset:offset + limit]
        return web.json_response({"count": len(devices), "next": self._link(request, limit, offset + limit) if offset + limit < len(devices) else None,
                                  "previous": self._link(request, limit, max(0, offset - limit)) if offset > 0 else None,
                                  "results": page}, headers={"API-Version": "4.6"})

    def _link(self, request: web.Request, limit: int, offset: int) -> str:
        params = [(k, v) for k, v in request.query.items() if k not in ("limit", "offset")] + [("limit", str(limit)), ("offset", str(offset))]
        return f"{self.url}{request.path}?{urlencode(params)}"
