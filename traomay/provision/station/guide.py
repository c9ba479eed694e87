"""What the volunteer is told at the station, in the words the phone itself shows.

Settings paths are written with the phone's own Vietnamese labels (docs: vi-glossary.md):
AOSP/Pixel and near-stock brands (Nokia, Motorola, Vsmart), Samsung One UI, Xiaomi MIUI/
HyperOS, OPPO/realme and vivo. Labels marked [C] there come from community guides; the
messages say the names may differ a little on the phone.
"""

from __future__ import annotations

from traomay.core.msg import Msg

# -- short actions: the one next thing, shown in the phone's row -----------------------------
TAP_ALLOW = Msg("tap Allow on the phone")
REMOVE_GOOGLE = Msg("remove the Google account")
SIGN_OUT_MAKER = Msg("sign out of the phone maker's account")
SWIPE_GRID = Msg("draw over the whole grid on the screen")
CALL_PHONE = Msg("call this phone")
CALL_PHONE_NUMBER = Msg("call this phone (number {number})")
ERASE = Msg("erase the phone in Settings")
WAIT_BACK = Msg("after the erase: setup without an account, USB debugging on, plug back in")
UNPLUG_DONE = Msg("unplug: done")
SET_ASIDE = Msg("set aside: not for a household ({reasons})")
CONTACT_DONOR = Msg("set aside: locked to its donor (FRP), contact the donor")
REPLUG = Msg("unplug it and plug it back in")


def family(brand: str, manufacturer: str = "") -> str:
    text = f"{brand} {manufacturer}".lower()
    for name, words in (("samsung", ("samsung",)),
                        ("xiaomi", ("xiaomi", "redmi", "poco")),
                        ("oppo", ("oppo", "realme", "oneplus")),
                        ("vivo", ("vivo", "iqoo"))):
        if any(w in text for w in words):
            return name
    return "aosp"


def remove_account_steps(fam: str) -> tuple[Msg, ...]:
    if fam == "samsung":
        path = Msg("Cài đặt › Tài khoản và sao lưu › Quản lý tài khoản › (the Google account) › "
                   "Xóa tài khoản, then confirm.")
    else:
        path = Msg("Cài đặt › Mật khẩu và tài khoản (Android 9: Tài khoản) › (the Google "
                   "account) › Xóa tài khoản, then confirm. The names may differ a little on "
                   "this phone.")
    return (path, Msg("If the phone asks for the screen lock PIN, ask the donor for it. The "
                      "station sees the account gone by itself."))


def erase_steps(fam: str) -> tuple[Msg, ...]:
    paths = {
        "samsung": Msg("Cài đặt › Quản lý chung › Đặt lại › Khôi phục cài đặt gốc › Đặt lại › "
                       "Xóa hết."),
        # MIUI 8 labels (vi-glossary.md §1C); newer MIUI/HyperOS, OPPO, realme and vivo
        # resource files were not found: Settings' own search finds the entry on all of them.
        "xiaomi": Msg("Cài đặt › Cài đặt bổ sung › Sao lưu & đặt lại › Đặt lại về dữ liệu "
                      "gốc (on newer phones: type 'đặt lại' in the search box of Cài đặt)."),
    }
    erase = paths.get(fam, Msg("Cài đặt › Hệ thống › Tùy chọn đặt lại › Xóa mọi dữ liệu (đặt "
                               "lại về trạng thái ban đầu) › Xóa mọi dữ liệu. If the names "
                               "differ, type 'đặt lại' in the search box of Cài đặt."))
    return (Msg("Erase the phone from Settings (its data, photos and messages are deleted "
                "for good):"), erase, *after_erase_steps(fam))


def after_erase_steps(fam: str) -> tuple[Msg, ...]:
    developer = {
        "samsung": Msg("Turn on developer mode: Cài đặt › Thông tin điện thoại › Thông tin "
                       "phần mềm › tap Số hiệu bản tạo 7 times; then Tùy chọn cho nhà phát "
                       "triển › Gỡ lỗi qua USB."),
        "xiaomi": Msg("Turn on developer mode: Cài đặt › Giới thiệu điện thoại › tap Phiên bản "
                      "MIUI (or OS) 7 times; then Cài đặt bổ sung › Tùy chọn nhà phát triển › "
                      "Gỡ lỗi USB."),
    }.get(fam, Msg("Turn on developer mode: Cài đặt › Giới thiệu về điện thoại › tap Số bản "
                   "dựng 7 times; then Hệ thống › Tùy chọn cho nhà phát triển › Gỡ lỗi qua "
                   "USB."))
    return (Msg("When it restarts, go through the setup screens without signing in to any "
                "account (skip Google)."), developer,
            Msg("Plug it back into the hub, unlock it and tap Cho phép (Allow). The station "
                "finds it again by itself."))
