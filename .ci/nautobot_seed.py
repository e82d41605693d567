"""Seed the CI's Nautobot with what the inventory tests read: two locations, two roles, two
platforms (network_driver set, as Nautobot's docs recommend), four devices with primary IPv4
addresses on a management interface, a tag, and an API token for a superuser.

Run inside Nautobot (`nautobot-server nbshell -c "exec(open(...).read())"`); idempotent,
so a second CI run on a kept machine finds everything in place. Prints `TOKEN <key>` last.
The addresses are from the documentation ranges (RFC 5737): nothing is ever contacted.
"""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from nautobot.dcim.models import Device, DeviceType, Interface, Location, LocationType, Manufacturer, Platform
from nautobot.extras.models import Role, Status, Tag
from nautobot.ipam.models import IPAddress, Namespace, Prefix
from nautobot.users.models import Token

TOKEN_KEY = "0123456789abcdef0123456789abcdef01234567"  # a throwaway server's test token, not a secret

device_ct = ContentType.objects.get_for_model(Device)
active = Status.objects.get(name="Active")
planned = Status.objects.get(name="Planned")
for status in (active, planned):
    status.content_types.add(device_ct, ContentType.objects.get_for_model(Location),
                             ContentType.objects.get_for_model(Interface), ContentType.objects.get_for_model(IPAddress),
                             ContentType.objects.get_for_model(Prefix))

site_type, _ = LocationType.objects.get_or_create(name="Site")
site_type.content_types.add(device_ct)
locations = {name: Location.objects.get_or_create(name=name, location_type=site_type, defaults={"status": active})[0]
             for name in ("HQ", "Branch")}
roles = {}
for name in ("core", "edge"):
    roles[name], _ = Role.objects.get_or_create(name=name)
    roles[name].content_types.add(device_ct)
vendor, _ = Manufacturer.objects.get_or_create(name="Cisco")
arista, _ = Manufacturer.objects.get_or_create(name="Arista")
types = {"ios": DeviceType.objects.get_or_create(manufacturer=vendor, model="ISR4451")[0],
         "eos": DeviceType.objects.get_or_create(manufacturer=arista, model="DCS-7280")[0]}
platforms = {"ios": Platform.objects.get_or_create(name="Cisco IOS", defaults={"network_driver": "cisco_ios"})[0],
             "eos": Platform.objects.get_or_create(name="Arista EOS", defaults={"network_driver": "arista_eos"})[0]}
tag, _ = Tag.objects.get_or_create(name="noc")
tag.content_types.add(device_ct)
namespace = Namespace.objects.get(name="Global")
Prefix.objects.get_or_create(prefix="192.0.2.0/24", namespace=namespace, defaults={"status": active, "type": "network"})

DEVICES = [  # name, location, role, platform, address, tagged, status
    ("nb-core-1", "HQ", "core", "ios", "192.0.2.11/24", True, active),
    ("nb-core-2", "HQ", "core", "eos", "192.0.2.12/24", True, active),
    ("nb-edge-1", "Branch", "edge", "ios", "192.0.2.21/24", False, active),
    ("nb-edge-9", "Branch", "edge", "eos", "192.0.2.29/24", False, planned),
]
for name, location, role, platform, address, tagged, status in DEVICES:
    device, created = Device.objects.get_or_create(name=name, location=locations[location], defaults={
        "device_type": types[platform], "role": roles[role], "platform": platforms[platform], "status": status})
    if not created:
        continue
    interface = Interface.objects.create(device=device, name="mgmt0", type="virtual", status=active)
    ip = IPAddress.objects.create(address=address, namespace=namespace, status=active)
    interface.add_ip_addresses(ip)
    device.primary_ip4 = ip
    device.validated_save()
    if tagged:
        device.tags.add(tag)

user = get_user_model().objects.filter(username="noc-ci").first()
if user is None:
    user = get_user_model().objects.create_superuser("noc-ci", "noc-ci@example.invalid", "noc-ci-password")
Token.objects.get_or_create(user=user, key=TOKEN_KEY)
print("TOKEN", TOKEN_KEY)
