"""Identity parsing on every real getprop capture, plus device keys and IMEI parsing."""

import pytest

from tests.conftest import capture_rows, require_captures
from traomay.provision.identify import Identity, identity_from_sections, luhn_ok, parse_imei_parcel

GETPROPS = capture_rows("getprop.txt")

# folder -> (brand, manufacturer, model, android_version, sdk, first ABI), read from the files
EXPECTED = {
    "samsung-galaxy_s8_SM-G9500-9": ("samsung", "samsung", "SM-G9500", "9", 28, "arm64-v8a"),
    "oppo-A5s_CPH1909-8.1.0": ("OPPO", "OPPO", "CPH1909", "8.1.0", 27, "arm64-v8a"),
    "xiaomi-redmi_5A_riva-7.1.2": ("Xiaomi", "Xiaomi", "Redmi 5A", "7.1.2", 25, "arm64-v8a"),
    "google-pixel_sailfish-10": ("google", "Google", "Pixel", "10", 29, "arm64-v8a"),
}


@pytest.mark.parametrize("folder,path", GETPROPS, ids=[f for f, _ in GETPROPS])
def test_every_getprop_capture_identifies(folder, path):
    require_captures()
    ident = identity_from_sections({"getprop": path.read_text(encoding="utf-8",
                                                              errors="replace")})
    assert ident.brand and ident.manufacturer and ident.model, folder
    assert ident.android_version and ident.sdk and ident.sdk >= 21, folder
    assert ident.abis, folder
    assert ident.marketing_name  # falls back to the model
    if folder in EXPECTED:
        brand, maker, model, release, sdk, abi = EXPECTED[folder]
        assert (ident.brand, ident.manufacturer, ident.model) == (brand, maker, model)
        assert (ident.android_version, ident.sdk, ident.abis[0]) == (release, sdk, abi)
    assert ident.candidate_keys() or ident.serial_is_junk


def test_marketing_name_from_vendor_key():
    require_captures()
    path = dict(GETPROPS)["xiaomi-redmi_note8pro_begonia-11"]
    ident = identity_from_sections({"getprop": path.read_text(encoding="utf-8")})
    assert ident.marketing_name == "Redmi Note 8 Pro"


def test_samsung_marketing_name_from_settings():
    props = "[ro.product.brand]: [samsung]\n[ro.product.manufacturer]: [samsung]\n" \
            "[ro.product.model]: [SM-A105F]\n[ro.build.version.sdk]: [30]\n"
    ident = identity_from_sections({"getprop": props, "device_name": "Galaxy A10\n"})
    assert ident.marketing_name == "Galaxy A10"


def _ident(serial: str, imeis=(), android_id="") -> Identity:
    return Identity("nokia", "HMD Global", "Nokia 2", "Nokia 2", "e1", "7.1.1", 25,
                    ("armeabi-v7a",), serial, tuple(imeis), android_id)


def test_duplicate_junk_serial_gives_distinct_keys():
    a = _ident("0123456789ABCDEF", android_id="1111aaaa2222bbbb")
    b = _ident("0123456789ABCDEF", android_id="3333cccc4444dddd")
    assert a.serial_is_junk
    assert set(a.candidate_keys()).isdisjoint(b.candidate_keys())


def test_shared_serial_is_not_used_as_key():
    a = _ident("R58M12ABCDE", android_id="1111aaaa2222bbbb")
    assert any(k.startswith("serial-") for k in a.candidate_keys())
    assert not any(k.startswith("serial-") for k in a.candidate_keys(serial_shared=True))


def test_imei_key_comes_first_and_survives_reset():
    before = _ident("0123456789ABCDEF", imeis=["490154203237518"], android_id="1111aaaa2222bbbb")
    after = _ident("0123456789ABCDEF", imeis=["490154203237518"], android_id="9999eeee8888ffff")
    assert before.candidate_keys()[0] == after.candidate_keys()[0]


def test_imei_parcel_parsing():
    reply = ("Result: Parcel(\n"
             "  0x00000000: 00000000 0000000f 00390034 00310030 '........4.9.0.1.'\n"
             "  0x00000010: 00340035 00300032 00320033 00370033 '5.4.2.0.3.2.3.7.'\n"
             "  0x00000020: 00310035 00000038                   '5.1.8...        ')\n")
    assert parse_imei_parcel(reply) == "490154203237518"
    assert parse_imei_parcel("Result: Parcel(ffffffff 'Requires READ_PHONE_STATE')") == ""
    assert luhn_ok("490154203237518") and not luhn_ok("490154203237519")
