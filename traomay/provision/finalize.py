"""The last step before hand-over: what a normal owner expects back (automatic updates on,
developer options and USB debugging off), and a refusal to call a phone still in Test
Harness Mode finished."""

from __future__ import annotations

from dataclasses import dataclass, field

from traomay.core.errors import TraomayError
from traomay.core.msg import N_, Msg
from traomay.core.results import ShellRunner

# Settings that test-harness mode changes and a normal owner expects back
# (TestHarnessModeService, Android 10+; android-facts.md §9), with what a volunteer calls
# them. adb_enabled goes last: the phone disconnects when USB debugging is switched off.
FINALIZE_SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    ("global", "ota_disable_automatic_update", "0", N_("automatic system updates on")),
    ("global", "stay_on_while_plugged_in", "0", N_("screen no longer kept on while charging")),
    ("global", "development_settings_enabled", "0", N_("developer options off")),
)
TEST_HARNESS = "persist.sys.test_harness"

# What each restored item is called on screen (key -> msgid).
FINALIZE_LABELS: dict[str, str] = {
    **{f"{ns}/{key}": label for ns, key, _v, label in FINALIZE_SETTINGS},
    TEST_HARNESS: N_("Test Harness Mode left"),
}


@dataclass
class FinalizeOutcome:
    restored: list[str]  # keys of FINALIZE_LABELS
    not_restored: list[str]
    adb_disabled: bool
    still_test_harness: bool = False
    warnings: list[Msg] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"restored": self.restored, "not_restored": self.not_restored,
                "adb_disabled": self.adb_disabled,
                "still_test_harness": self.still_test_harness}


# A phone still in Test Harness Mode must not reach a household (docs/test-harness.md):
# adbd turns USB debugging back on at boot, and from Android 12 its watchdog reboots the
# phone into the bootloader after 600 s with no adb client (inferred from the adbd source,
# not checked on a phone). Only a factory reset from Settings leaves the mode.
TEST_HARNESS_WARNING = Msg(
    "This phone is still in Test Harness Mode: it may restart into a black bootloader screen "
    "about 10 minutes after each start. Before hand-over, do a factory reset from Settings, "
    "then install the apps again.")


def finalize_phone(link: ShellRunner, disable_adb: bool = True) -> FinalizeOutcome:
    restored, not_restored = [], []
    for namespace, key, value, _label in FINALIZE_SETTINGS:
        link.shell(f"settings put {namespace} {key} {value}", timeout=15.0)
        got = link.shell(f"settings get {namespace} {key}", timeout=15.0).output.strip()
        (restored if got == value else not_restored).append(f"{namespace}/{key}")
    # persist.sys.test_harness can only be set by system_server (sepolicy, Android 10-15):
    # it stays until the next factory reset. The lock screen is the new owner's to set.
    harness = link.shell(f"getprop {TEST_HARNESS}", timeout=15.0).output.strip()
    outcome = FinalizeOutcome(restored, not_restored, adb_disabled=False,
                              still_test_harness=harness == "1")
    if outcome.still_test_harness:
        not_restored.append(TEST_HARNESS)
        outcome.warnings.append(TEST_HARNESS_WARNING)
        disable_adb = False  # the volunteer still needs adb to finish this phone
    if disable_adb:
        try:
            link.shell("settings put global adb_enabled 0", timeout=10.0)
        except TraomayError:
            pass  # the phone dropped USB debugging as asked, before answering
        outcome.adb_disabled = True
    return outcome
