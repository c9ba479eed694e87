"""``Failure [INSTALL_FAILED_X: ...]`` from pm/cmd package, turned into plain instructions.

Codes: PackageManager.INSTALL_* (android-facts.md §10). The phone's own message after the
colon is device text: it goes to logs, never into the Msg.
"""

from __future__ import annotations

import re

from traomay.core.msg import Msg

_FAILURE = re.compile(r"Failure\s*\[\s*([A-Za-z0-9_-]+)")

# PackageManager numeric codes -> names (older pm builds may print only the number).
_NUMERIC = {
    -1: "INSTALL_FAILED_ALREADY_EXISTS", -2: "INSTALL_FAILED_INVALID_APK",
    -4: "INSTALL_FAILED_INSUFFICIENT_STORAGE", -7: "INSTALL_FAILED_UPDATE_INCOMPATIBLE",
    -10: "INSTALL_FAILED_REPLACE_COULDNT_DELETE", -12: "INSTALL_FAILED_OLDER_SDK",
    -14: "INSTALL_FAILED_NEWER_SDK", -15: "INSTALL_FAILED_TEST_ONLY",
    -16: "INSTALL_FAILED_CPU_ABI_INCOMPATIBLE", -17: "INSTALL_FAILED_MISSING_FEATURE",
    -22: "INSTALL_FAILED_VERIFICATION_FAILURE", -25: "INSTALL_FAILED_VERSION_DOWNGRADE",
    -26: "INSTALL_FAILED_PERMISSION_MODEL_DOWNGRADE", -28: "INSTALL_FAILED_MISSING_SPLIT",
    -29: "INSTALL_FAILED_DEPRECATED_SDK_VERSION", -103: "INSTALL_PARSE_FAILED_NO_CERTIFICATES",
    -104: "INSTALL_PARSE_FAILED_INCONSISTENT_CERTIFICATES", -110: "INSTALL_FAILED_INTERNAL_ERROR",
    -111: "INSTALL_FAILED_USER_RESTRICTED", -113: "INSTALL_FAILED_NO_MATCHING_ABIS",
    -115: "INSTALL_FAILED_ABORTED", -118: "INSTALL_FAILED_BAD_SIGNATURE",
    -131: "INSTALL_FAILED_MULTI_ARCH_NOT_MATCH_ALL_NATIVE_ABIS",
}

UNKNOWN = "UNKNOWN"

# Short name (without INSTALL_ / FAILED_) -> what the volunteer should do.
_MESSAGES: dict[str, Msg] = {
    "ALREADY_EXISTS": Msg("{app} is already on the phone and could not be replaced. Restart "
                          "the phone and try again."),
    "INVALID_APK": Msg("The phone says the {app} file is broken. Run 'traomay manifest check' "
                       "and ask the district for a fresh copy."),
    "INSUFFICIENT_STORAGE": Msg("Not enough free storage on the phone for {app}. Delete files "
                                "or apps, then try again."),
    "UPDATE_INCOMPATIBLE": Msg("Another build of {app}, signed by a different publisher, is "
                               "already on the phone. Uninstall it on the phone (Settings > "
                               "Apps), then try again."),
    "REPLACE_COULDNT_DELETE": Msg("The old version of {app} could not be replaced. Restart the "
                                  "phone and try again."),
    "OLDER_SDK": Msg("This phone's Android is too old for {app}."),
    "NEWER_SDK": Msg("This phone's Android is too new for this {app} file. Ask the district "
                     "for a newer APK."),
    "TEST_ONLY": Msg("The {app} file is a test build. Ask the district for the official APK."),
    "CPU_ABI_INCOMPATIBLE": Msg("{app} has no version for this phone's processor."),
    "NO_MATCHING_ABIS": Msg("{app} has no version for this phone's processor."),
    "MULTI_ARCH_NOT_MATCH_ALL_NATIVE_ABIS": Msg("{app} has no version for this phone's "
                                                "processor."),
    "MISSING_FEATURE": Msg("This phone lacks a hardware feature that {app} needs."),
    "VERIFICATION_FAILURE": Msg("The phone's app check (Play Protect) refused {app}. Turn off "
                                "\"Verify apps over USB\" in Developer options and try again."),
    "VERSION_DOWNGRADE": Msg("The phone already has a newer {app} than the APK file. Nothing "
                             "to install."),
    "PERMISSION_MODEL_DOWNGRADE": Msg("The {app} on the phone cannot be replaced by this older "
                                      "file. Ask the district for a newer APK."),
    "MISSING_SPLIT": Msg("{app} needs more APK parts than were given. Run 'traomay manifest "
                         "check' and pin all its files."),
    "DEPRECATED_SDK_VERSION": Msg("This phone's Android refuses {app} because the APK was made "
                                  "for a very old Android. Ask the district for a newer APK."),
    "PARSE_FAILED_NO_CERTIFICATES": Msg("The phone found no valid signature in the {app} file. "
                                        "Ask the district for a fresh copy."),
    "PARSE_FAILED_INCONSISTENT_CERTIFICATES": Msg("The {app} files are signed inconsistently. "
                                                  "Ask the district for a fresh copy."),
    "BAD_SIGNATURE": Msg("The phone says the signature of the {app} file is bad. Ask the "
                         "district for a fresh copy."),
    "INTERNAL_ERROR": Msg("The phone had an internal error while installing {app}. Restart "
                          "the phone and try again."),
    # Xiaomi MIUI/HyperOS also needs "Install via USB" in Developer options [3P].
    "USER_RESTRICTED": Msg("The phone blocks installing apps over USB. Allow it in Developer "
                           "options (Xiaomi: \"Install via USB\"), then try again."),
    # Some vendors (Xiaomi, Oppo/realme, vivo) ask on screen before a USB install [3P].
    "ABORTED": Msg("The install of {app} was cancelled on the phone. Unlock the phone, accept "
                   "any question on the screen, and try again."),
}
_GENERIC = Msg("The phone refused to install {app} ({code}). Note the code and ask a "
               "technician.")


def short_name(code: str) -> str:
    """INSTALL_FAILED_X -> X; INSTALL_PARSE_FAILED_Y -> PARSE_FAILED_Y."""
    name = code.upper()
    name = name.removeprefix("INSTALL_")
    return name.removeprefix("FAILED_")


def parse_failure(output: str) -> str:
    """The failure code in pm/cmd output (``UNKNOWN`` when there is none to read)."""
    match = _FAILURE.search(output)
    if not match:
        return UNKNOWN
    code = match.group(1)
    if code.lstrip("-").isdigit():
        return _NUMERIC.get(int(code), code)
    return code.upper()


def failure_message(code: str, app: str) -> Msg:
    template = _MESSAGES.get(short_name(code))
    if template is None:
        return Msg(_GENERIC.msgid, {"app": app, "code": code})
    return Msg(template.msgid, {"app": app, "code": code})
