"""Every secret form, per platform, redacted where people and models read it: Slack answers (with
their attached files), the store, and `noc ask --json`.

The forms are listed from the platforms' command references (IOS/IOS-XE, NX-OS, EOS, IOS-XR,
Junos), including those issue 22 found leaking: `mpls ldp` fallback and neighbour passwords,
OSPFv3 IPsec authentication and encryption keys, `vtp password`, credentials inside `banner`
text. Each platform's lines make one device's running config (its startup holds older values),
served by the NAPALM mock driver as a site inventory; the device is then asked about through the
Slack app and through the CLI.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from agents.config import LLMConfig, NetworkConfig
from agents.tools.redact import redact
from bot.cli.main import cli
from bot.config.settings import AccessConfig, RoleGrants, Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.slack_bot import SECRET, Bot

H40 = "1234567890ABCDEF1234567890ABCDEF12345678"

# platform -> (config lines, secret values in them). Values are distinct and searchable.
FORMS: dict[str, tuple[str, list[str]]] = {
    "ios": ("""hostname corpus-ios
banner motd ^C
Authorised access only. Lab Wi-Fi password: BannerWifiIos1
The SNMP community is BannerCommIos2
^C
enable secret 0 EnableIos3
username ops privilege 15 secret 0 UserIos4
username old privilege 1 password 7 060506324F41AB
snmp-server community CommIos5 RO 99
snmp-server host 10.0.0.9 version 2c HostCommIos6
snmp-server user nms NMS v3 auth sha AuthIos7 priv aes 128 PrivIos8
vtp password VtpIos9
mpls ldp password fallback 0 LdpFbIos10
mpls ldp neighbor 10.0.0.2 password LdpNbIos11
mpls ldp neighbor vrf RED 10.0.0.3 password 7 121A0C0411045D5679
crypto isakmp key IsaIos12 address 0.0.0.0
key chain OSPF
 key 1
  key-string 7 02050D480809AB
interface GigabitEthernet0/1
 ip ospf message-digest-key 1 md5 OspfMd5Ios13
 ipv6 ospf authentication ipsec spi 500 sha1 AAAA567890ABCDEF1234567890ABCDEF12345678
interface GigabitEthernet0/2
 ipv6 ospf encryption ipsec spi 1001 esp aes-cbc 128 BBBB0123456789ABCDEF0123456789AB sha1 CCCC567890ABCDEF1234567890ABCDEF12345678
 standby 1 authentication text HsrpIos14
ipv6 router ospf 1
 area 1 authentication ipsec spi 501 md5 DDDD567890ABCDEF1234567890ABCDEF
router bgp 65001
 neighbor 10.0.0.1 password BgpIos15
tacacs-server host 10.1.1.1 key 7 TacIos16AB
ntp authentication-key 1 md5 NtpIos17
line vty 0 4
 password 0 VtyIos18
cts sxp default password CtsIos19
crypto isakmp client configuration group VPN
 key 0 IsaGrpIos20
vpdn-group 1
 l2tp tunnel password L2tpIos21
interface GigabitEthernet0/3
 ip rsvp authentication key 0 RsvpIos22
""", ["BannerWifiIos1", "BannerCommIos2", "EnableIos3", "UserIos4", "060506324F41AB", "CommIos5", "HostCommIos6", "AuthIos7",
      "PrivIos8", "VtpIos9", "LdpFbIos10", "LdpNbIos11", "121A0C0411045D5679", "IsaIos12", "02050D480809AB", "OspfMd5Ios13",
      "AAAA567890ABCDEF", "BBBB0123456789AB", "CCCC567890ABCDEF", "HsrpIos14", "DDDD567890ABCDEF", "BgpIos15", "TacIos16AB",
      "NtpIos17", "VtyIos18", "CtsIos19", "IsaGrpIos20", "L2tpIos21", "RsvpIos22"]),
    "iosxe": ("""hostname corpus-iosxe
username netops privilege 15 algorithm-type scrypt secret ScryptXe1
crypto ikev2 keyring KR
 peer HQ
  address 198.51.100.10
  pre-shared-key local 0 IkeLocalXe2
  pre-shared-key remote 0 IkeRemoteXe3
aaa group server radius RAD
 server-private 10.1.1.5 key 0 RadXe4
ospfv3 1
 area 0 encryption ipsec spi 300 esp aes-cbc 256 EEEE0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789AB sha1 FFFF567890ABCDEF1234567890ABCDEF12345678
interface GigabitEthernet1
 ospfv3 authentication ipsec spi 256 md5 0 9999567890ABCDEF1234567890ABCDEF
 vrrp 1 address-family ipv4
ip http client password HttpXe5
wlan CORP 1 CORP
 security wpa psk set-key ascii 0 WpaXe6
mpls ldp password fallback 7 1511021F0725AB
crypto ikev2 profile P
 authentication local pre-share key 0 IkeProfXe7
 authentication remote pre-share key IkeProfXe8
""", ["ScryptXe1", "IkeLocalXe2", "IkeRemoteXe3", "RadXe4", "EEEE0123456789AB", "FFFF567890ABCDEF", "9999567890ABCDEF", "HttpXe5",
      "WpaXe6", "1511021F0725AB", "IkeProfXe7", "IkeProfXe8"]),
    "nxos": ("""hostname corpus-nxos
feature tacacs+
username admin password 5 $5$Abc1$NxHashAdmin1 role network-admin
snmp-server user ops network-admin auth md5 0x3a5c7e9b11d2f4aa priv 0x77aa91c3e0bb45 localizedkey
snmp-server user ops2 network-operator auth sha NxAuth2 priv aes-128 NxPriv3
snmp-server community NxComm4 group network-operator
tacacs-server key 7 "NxTac5"
tacacs-server host 10.1.1.1 key 7 "NxTacHost6"
radius-server host 10.1.1.2 key 7 "NxRad7" authentication accounting
vtp password NxVtp8
router bgp 65001
  neighbor 10.1.1.1
    remote-as 65002
    password 3 5b2c0f4c0b1e4f7aNx9
interface Ethernet1/1
  ip ospf authentication-key 3 a1b2c3d4e5f6Nx10
""", ["NxHashAdmin1", "0x3a5c7e9b11d2f4aa", "0x77aa91c3e0bb45", "NxAuth2", "NxPriv3", "NxComm4", "NxTac5", "NxTacHost6", "NxRad7",
      "NxVtp8", "5b2c0f4c0b1e4f7aNx9", "a1b2c3d4e5f6Nx10"]),
    "eos": ("""hostname corpus-eos
username admin privilege 15 role network-admin secret sha512 $6$saltEos$EosHash1
enable password sha512 $6$saltEos$EosEnable2
snmp-server community EosComm3 ro
tacacs-server host 10.1.1.1 vrf MGMT key 7 EosTac4AB
ntp authentication-key 3 md5 7 EosNtp5
interface Ethernet1
   ospfv3 authentication ipsec spi 3456 sha1 passphrase 0 EosOspf6
interface Ethernet2
   ip ospf authentication-key 7 EosOspfKey7
router bgp 65001
   neighbor 10.0.0.1 password 7 EosBgp8ABC=
router isis CORE
   authentication key 0 EosIsis9
management security
   shared-secret profile P1
      secret S1 0 EosShared10
dot1x
   supplicant profile P
      identity u
      passphrase 7 EosDot1x11
""", ["EosHash1", "EosEnable2", "EosComm3", "EosTac4AB", "EosNtp5", "EosOspf6", "EosOspfKey7", "EosBgp8ABC", "EosIsis9",
      "EosShared10", "EosDot1x11"]),
    "iosxr": ("""hostname corpus-iosxr
username ops
 secret 10 $6$saltXr$XrHash1
username old
 password 7 0822455D0A16XR
snmp-server community XrComm2 RO
tacacs-server host 10.1.1.1 port 49
 key 7 0822455D0A17XR
key chain K
 key 1
  key-string password 0822455D0A18XR
mpls ldp
 neighbor 10.0.0.2:0 password encrypted 0822455D0A19XR
router ospf 1
 area 0
  interface GigabitEthernet0/0/0/0
   authentication-key encrypted 0822455D0A20XR
router ospfv3 1
 area 0
  authentication ipsec spi 256 sha1 ABAB567890ABCDEF1234567890ABCDEF12345678
  encryption ipsec spi 257 esp 3des clear CDCD56789A123456789A123456789A123456789A123456 authentication sha1 clear EFEF567890ABCDEF1234567890ABCDEF12345678
router bgp 65001
 neighbor 10.0.0.1
  password encrypted 0822455D0A21XR
router isis CORE
 lsp-password hmac-md5 encrypted 0822455D0A22XR
ntp authentication-key 1 md5 encrypted 0822455D0A23XR
router hsrp
 interface GigabitEthernet0/0/0/1
  address-family ipv4
   hsrp 1
    authentication XrHsrp24
router vrrp
 interface GigabitEthernet0/0/0/2
  address-family ipv4
   vrrp 1
    text-authentication XrVrrp25
""", ["XrHash1", "0822455D0A16XR", "XrComm2", "0822455D0A17XR", "0822455D0A18XR", "0822455D0A19XR", "0822455D0A20XR",
      "ABAB567890ABCDEF", "CDCD56789A12345", "EFEF567890ABCDEF", "0822455D0A21XR", "0822455D0A22XR", "0822455D0A23XR", "XrHsrp24", "XrVrrp25"]),
    "junos": ("""set system host-name corpus-junos
set system root-authentication encrypted-password "$6$saltJn$JunRoot1"
set system login user ops authentication plain-text-password-value JunPlain2
set system radius-server 10.0.0.1 secret "$9$JunRad3"
set system tacplus-server 10.0.0.2 secret JunTac4
set system ntp authentication-key 1 type md5 value "$9$JunNtp5"
set snmp community JunComm6 authorization read-only
set snmp v3 usm local-engine user u1 authentication-sha authentication-password JunSnmpAuth7
set snmp v3 usm local-engine user u1 privacy-aes128 privacy-password JunSnmpPriv8
set protocols ospf area 0 interface ge-0/0/0 authentication md5 1 key "$9$JunOspf9"
set protocols bgp group G authentication-key JunBgp10
set protocols ldp authentication-key JunLdp11
set protocols isis interface ge-0/0/1 level 2 hello-authentication-key JunIsis12
set protocols vrrp authentication-key JunVrrp13
set security ike policy P1 pre-shared-key ascii-text JunPsk14
set security ipsec security-association SA1 manual authentication algorithm hmac-sha1-96 key ascii-text JunSaAuth15
set security ipsec security-association SA1 manual encryption algorithm 3des-cbc key ascii-text JunSaEnc16
set protocols ospf3 area 0 interface ge-0/0/2 ipsec-sa SA1
set protocols ospf area 1 interface ge-0/0/3 authentication simple-password JunSimple17
set access profile P client C chap-secret JunChap18
set interfaces pp0 unit 0 ppp-options pap password JunPap19
set security macsec connectivity-association CA pre-shared-key ckn abcd1234 cak JunCak20
set interfaces pp0 unit 0 ppp-options pap local-password JunPapLocal21
set access profile P client C firewall-user password JunFwUser22
set services mobile-ip peer ip-address 10.0.0.1 spi 256 key ascii JunMip23
""", ["JunRoot1", "JunPlain2", "JunRad3", "JunTac4", "JunNtp5", "JunComm6", "JunSnmpAuth7", "JunSnmpPriv8", "JunOspf9", "JunBgp10",
      "JunLdp11", "JunIsis12", "JunVrrp13", "JunPsk14", "JunSaAuth15", "JunSaEnc16", "JunSimple17", "JunChap18", "JunPap19", "JunCak20", "JunPapLocal21", "JunFwUser22", "JunMip23"]),
}
NAPALM_OS = {"ios": "ios", "iosxe": "ios", "nxos": "nxos", "eos": "eos", "iosxr": "iosxr", "junos": "junos"}
DEVICES = [f"corpus-{p}" for p in FORMS]
ALL_VALUES = [v for _, values in FORMS.values() for v in values]


def _startup(running: str, values: list[str]) -> str:
    """The startup config: the values before their last rotation, and one line changed since."""
    for value in values:
        running = running.replace(value, value[::-1])
    first, _, rest = running.partition("\n")
    return f"{first}-old\n{rest}"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forms")
    hosts = {}
    for n, (platform, (config, values)) in enumerate(FORMS.items(), start=1):
        device = root / "devices" / f"corpus-{platform}"
        device.mkdir(parents=True)
        (device / "get_config.1").write_text(json.dumps({"running": config, "startup": _startup(config, values), "candidate": ""}))
        hosts[f"corpus-{platform}"] = {"hostname": f"192.0.2.{n}", "platform": "mock",
                                       "data": {"os": NAPALM_OS[platform], "role": "edge", "site": "lab"},
                                       "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(device)}}}}}
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (inventory / "groups.yaml").write_text("---\n{}\n")
    (inventory / "defaults.yaml").write_text("---\n{}\n")
    return inventory


def _leaks(blob: str) -> list[str]:
    hidden = ALL_VALUES + [v[::-1] for v in ALL_VALUES]
    return sorted(v for v in hidden if v in blob)


@pytest.mark.parametrize("platform", list(FORMS))
def test_every_listed_form_is_redacted(platform: str) -> None:
    config, values = FORMS[platform]
    out = redact(config)
    assert [v for v in values if v in out] == []
    assert out.count("\n") == config.count("\n") and out.count("<redacted>") >= len(values) - 1


def test_noc_ask_json_shows_the_configs_without_a_secret(runner, inventory: Path, tmp_path: Path) -> None:
    config = tmp_path / "noc.yml"
    config.write_text(yaml.safe_dump({"network": {"inventory": str(inventory)}}))
    shown = runner.invoke(cli, ["--config", str(config), "ask", f"show the running config of {', '.join(DEVICES)}", "--json", "-q"])
    diffed = runner.invoke(cli, ["--config", str(config), "ask", f"compare running with startup on {', '.join(DEVICES)}", "--json", "-q"])
    for result in (shown, diffed):
        assert result.exit_code in (0, 1), result.output
        assert "config" in json.loads(result.stdout)["specialists"]
        assert _leaks(result.output) == []
    assert shown.output.count("<redacted>") > 50 and "unsaved" in diffed.output


async def test_slack_answers_files_and_store_hold_no_secret(fake_slack, inventory: Path, tmp_path: Path) -> None:
    settings = Settings(
        llm=LLMConfig(), network=NetworkConfig(inventory=inventory), store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress="edit"),
        access=AccessConfig(operator=RoleGrants(users=["UOPS"])),
    )
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake_slack.api_url, 3))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    bot = Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)
    try:
        for question in ("show the running config of", "compare running with startup on"):
            await bot.post(app_mention_event(f"{question} {', '.join(DEVICES)}", user="UOPS"))
            await bot.settle(timeout_s=120)
    finally:
        await running.stop(runtime)
    files = "".join(f["content"].decode() for f in fake_slack.files.values())
    slack = json.dumps([c.args for c in fake_slack.calls]) + files
    assert slack.count("&lt;redacted&gt;") + files.count("<redacted>") > 50, "the configs were shown (in blocks or files)"
    with sqlite3.connect(tmp_path / "noc.db") as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
        store = json.dumps({t: [list(map(str, row)) for row in db.execute(f'select * from "{t}"')] for t in tables})
    assert "corpus-junos" in store
    assert _leaks(slack) == [] and _leaks(store) == []
