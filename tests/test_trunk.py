"""The carrier trunk's settings and rendering (ivr/asterisk/trunk.py): nothing changes
without a [trunk]; with one, the carrier is identified by address, only its endpoint
trusts P-Asserted-Identity, its numbers reach the hotline, calls out use it with the
hotline's caller ID, and trunk.anonymous = false drops the anonymous endpoint. Real SIP:
tests/test_call_trunk.py."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from ivr import config as config_mod
from ivr.asterisk import trunk
from ivr.asterisk.render import render_text, values_for
from ivr.asterisk.sandbox import AsteriskInstall
from ivr.config import PROJECT_DIR, Config
from ivr.errors import ConfigError
from ivr.secrets import Secrets

DIALPLAN = PROJECT_DIR / "dialplan"
SECRETS = Secrets(**{f.name: "s" for f in dataclasses.fields(Secrets)})
INSTALL = AsteriskInstall(("asterisk",), Path("/m"), Path("/d"), "system")
CARRIER = {"trunk.addresses": "203.0.113.10, 198.51.100.0/28"}


def _rendered(config: Config, name: str) -> str:
    values = values_for(config, INSTALL, SECRETS)
    return render_text((DIALPLAN / name).read_text(), values, name)


def _section(text: str, head: str) -> str:
    """One section's lines (up to the next section or a blank line)."""
    return text.split(head, 1)[1].split("\n\n", 1)[0]


def test_trunk_none_configured_renders_what_there_was() -> None:
    config = config_mod.load(env={})
    pjsip, extensions = _rendered(config, "pjsip.conf"), _rendered(config, "extensions.conf")
    assert not config.trunk.enabled
    assert "\n[anonymous](caller-template)\n" in pjsip and "set_var" not in _section(
        pjsip, "[anonymous](caller-template)"
    )
    assert "exten =>" not in _section(extensions, "[hajj-trunk-in]")
    assert '$["no" = "yes"]?hajj-trunk-out' in extensions  # callbacks ring the demo phone
    assert "[hajj-trunk]" not in trunk.pjsip_text(config, SECRETS)


def test_trunk_carrier_identified_by_address_only_it_trusts_pai() -> None:
    config = config_mod.load(env={}, overrides=CARRIER)
    text = trunk.pjsip_text(config, SECRETS)
    identify = _section(text, "[hajj-trunk]\ntype = identify")
    assert "match = 203.0.113.10\nmatch = 198.51.100.0/28" in identify
    endpoint = _section(text, "[hajj-trunk](caller-template)")
    assert "trust_id_inbound = yes" in endpoint and "context = hajj-trunk-in" in endpoint
    assert "send_pai = yes" in endpoint and "from_user = 500425" in endpoint
    assert "contact = sip:203.0.113.10:5060" in text  # no host: the first address
    assert "registration" not in text and "auth" not in text
    pjsip = _rendered(config, "pjsip.conf")
    # Never the anonymous endpoint's, nor a template's (a comment may name it).
    assert not re.search(r"^trust_id_inbound", pjsip, re.M)
    anonymous = _section(pjsip, "[anonymous](caller-template)")
    assert "set_var = HAJJ_CALLER_TRUST=none" in anonymous
    assert "#tryinclude pjsip_trunk.conf" in pjsip


def test_trunk_numbers_each_form_goes_to_the_hotline_others_nowhere() -> None:
    extensions = _rendered(config_mod.load(env={}, overrides=CARRIER), "extensions.conf")
    inbound = _section(extensions, "[hajj-trunk-in]\n")
    assert re.findall(r"exten => (\S+),1,Goto\(hajj-trunk-caller,s,1\)", inbound) == [
        "500425",
        "+62500425",
        "62500425",
        "0500425",
    ]
    caller = _section(extensions, "[hajj-trunk-caller]\n")
    assert "PJSIP_HEADER(read,P-Asserted-Identity)" in caller
    assert "Goto(hajj-inbound,500425,1)" in caller
    listed = config_mod.load(env={}, overrides={**CARRIER, "trunk.numbers": "1500425, +621500425"})
    assert listed.trunk.number_list("500425") == ["1500425", "+621500425"]


@pytest.mark.parametrize(
    ("number_format", "dialled"), [("national", "${EXTEN}"), ("e164", "+62${EXTEN:1}")]
)
def test_trunk_calls_out_through_the_trunk_with_the_callerid_after_the_allow_list(
    number_format: str, dialled: str
) -> None:
    config = config_mod.load(
        env={},
        overrides={**CARRIER, "trunk.callerid": "62500425", "trunk.number_format": number_format},
    )
    extensions = _rendered(config, "extensions.conf")
    assert '$["yes" = "yes"]?hajj-trunk-out' in _section(extensions, "[hajj-callback-out]\n")
    out = _section(extensions, "[hajj-trunk-out]\n").splitlines()
    assert out[0] == "exten => _X.,1,Gosub(hajj-callback-allowed,${EXTEN},1)"
    assert ' same => n,Set(CALLERID(all)="62500425" <62500425>)' in out
    assert f" same => n,Dial(PJSIP/{dialled}@hajj-trunk)" in out


def test_trunk_registration_and_digest_auth_password_from_the_secrets() -> None:
    config = config_mod.load(
        env={},
        overrides={
            **CARRIER,
            "trunk.register": True,
            "trunk.username": "kemenag",
            "trunk.host": "sip.carrier.example",
        },
    )
    secret = dataclasses.replace(SECRETS, trunk_password="c4rr13r-pw")
    text = trunk.pjsip_text(config, secret)
    assert "username = kemenag\npassword = c4rr13r-pw" in _section(text, "[hajj-trunk-auth]")
    registration = _section(text, "[hajj-trunk]\ntype = registration")
    assert "server_uri = sip:sip.carrier.example" in registration
    assert "client_uri = sip:kemenag@sip.carrier.example" in registration
    assert "outbound_auth = hajj-trunk-auth" in registration
    assert "outbound_auth = hajj-trunk-auth" in _section(text, "[hajj-trunk](caller-template)")


@pytest.mark.parametrize("password", ["", "semi;colon", "two\nlines"])
def test_trunk_username_without_a_usable_password_is_refused_never_echoed(password: str) -> None:
    config = config_mod.load(env={}, overrides={**CARRIER, "trunk.username": "kemenag"})
    with pytest.raises(ConfigError, match="trunk_password") as raised:
        trunk.pjsip_text(config, dataclasses.replace(SECRETS, trunk_password=password))
    assert not password or password not in str(raised.value)


def test_trunk_anonymous_off_leaves_no_anonymous_endpoint() -> None:
    config = config_mod.load(env={}, overrides={**CARRIER, "trunk.anonymous": False})
    pjsip = _rendered(config, "pjsip.conf")
    assert "[anonymous]" not in pjsip
    assert "endpoint_identifier_order = ip,username,anonymous" in pjsip  # finds nobody


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"trunk.addresses": "carrier.example"}, "not an IP address"),
        ({"trunk.addresses": "2001:db8::1"}, "not IPv4"),
        ({**CARRIER, "trunk.host": "sip.example\nallow=all"}, "trunk.host"),
        ({"trunk.addresses": "198.51.100.0/28"}, "trunk.host is needed"),
        ({**CARRIER, "trunk.numbers": "500425,500425"}, "names a number twice"),
        ({**CARRIER, "trunk.numbers": "500425,50o425"}, "'50o425' is not a number"),
        ({**CARRIER, "trunk.callerid": "Kemenag"}, "'Kemenag' is not a number"),
        ({**CARRIER, "trunk.number_format": "intl"}, "trunk.number_format"),
        ({**CARRIER, "trunk.codecs": "alaw,opus"}, "trunk.codecs"),
        ({**CARRIER, "trunk.codecs": ""}, "trunk.codecs"),
        ({**CARRIER, "trunk.username": "a b"}, "trunk.username"),
        ({**CARRIER, "trunk.register": True}, "trunk.register = true needs trunk.username"),
        ({"trunk.anonymous": False}, "trunk.anonymous = false needs trunk.addresses"),
    ],
)
def test_trunk_bad_setting_is_named(overrides: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(error)):
        config_mod.load(env={}, overrides=overrides)


def test_trunk_settings_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[trunk]\naddresses = "203.0.113.10"\nanonymous = false\ncodecs = "alaw"\n')
    loaded = config_mod.load(file=path, env={})
    assert loaded.trunk.enabled and not loaded.trunk.anonymous
    assert loaded.trunk.codec_list() == ["alaw"]
    assert "allow = alaw\n" in trunk.pjsip_text(loaded, SECRETS)
