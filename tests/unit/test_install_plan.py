"""plan_install decisions, failure mapping, phone-fact parsers, and install routes against a
fake link (end-to-end through the simulator lives with the simulator tests)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traomay.apps.apk import read_apk
from traomay.apps.failures import _NUMERIC, failure_message, parse_failure, short_name
from traomay.apps.install import InstallStatus, install_app
from traomay.apps.manifest import ApkFile, AppEntry
from traomay.apps.plan import (
    PhoneFacts,
    PlanAction,
    parse_df_free,
    parse_installed_version,
    plan_install,
)
from traomay.core.results import ShellResult
from traomay.demo.apkfactory import KEY2, build_apk

ARM64 = ("arm64-v8a", "armeabi-v7a", "armeabi")
GB = 1024**3


def entry_for(infos, **changes) -> AppEntry:
    base = next(i for i in infos if not i.is_split)
    entry = AppEntry(index=1, name="VNeID", package=base.package,
                     files=tuple(ApkFile(i.path.name, i.file_sha256) for i in infos),
                     signer_sha256=base.signer_sha256, version_code=base.version_code,
                     min_sdk=base.min_sdk, abis=tuple(sorted({a for i in infos for a in i.abis})))
    return replace(entry, **changes)


@pytest.fixture
def single(tmp_path):
    return [read_apk(build_apk(tmp_path, version_code=5, min_sdk=21, abis=("arm64-v8a",)))]


@pytest.fixture
def split(tmp_path):
    return [read_apk(build_apk(tmp_path, version_code=9, min_sdk=24)),
            read_apk(build_apk(tmp_path, version_code=9, split="config.arm64_v8a",
                               abis=("arm64-v8a",))),
            read_apk(build_apk(tmp_path, version_code=9, split="config.x86", abis=("x86",)))]


PHONE = PhoneFacts(sdk=29, abis=ARM64, free_bytes=8 * GB)


def test_install_when_absent_and_update_when_older(single):
    plan = plan_install(entry_for(single), single, PHONE, None)
    assert plan.action is PlanAction.INSTALL and plan.files == tuple(single)
    assert plan.reason.msgid.startswith("Install {app}")
    update = plan_install(entry_for(single), single, PHONE, 4)
    assert update.action is PlanAction.INSTALL and update.reason.args["installed"] == 4


@pytest.mark.parametrize("installed", [5, 6])
def test_same_or_newer_installed_is_skipped(single, installed):
    plan = plan_install(entry_for(single), single, PHONE, installed)
    assert plan.action is PlanAction.SKIP and plan.files == ()


def test_too_old_phone_names_android_version(single):
    plan = plan_install(entry_for(single), single, replace(PHONE, sdk=19), None)
    assert plan.action is PlanAction.REFUSE
    assert plan.reason.msgid.startswith("This phone is too old for {app} (needs Android")
    assert plan.reason.args == {"app": "VNeID", "version": "5.0"}


def test_no_matching_abi_and_low_storage(single):
    x86 = plan_install(entry_for(single), single, replace(PHONE, abis=("x86",)), None)
    assert x86.action is PlanAction.REFUSE and "processor" in x86.reason.msgid
    full = plan_install(entry_for(single), single, replace(PHONE, free_bytes=10 * 1024**2), None)
    assert full.action is PlanAction.REFUSE and full.reason.args["free"] == 10
    unknown = plan_install(entry_for(single), single, PhoneFacts(sdk=None), None)
    assert unknown.action is PlanAction.INSTALL  # unknown facts do not refuse


def test_tampered_or_resigned_file_is_refused(tmp_path, single):
    entry = entry_for(single)
    other = read_apk(build_apk(tmp_path / "o", version_code=5, abis=("arm64-v8a",), signer=KEY2))
    plan = plan_install(entry, [other], PHONE, None)
    assert plan.action is PlanAction.REFUSE and "SHA-256" in plan.reason.msgid
    resigned_entry = replace(entry, files=(ApkFile("x.apk", other.file_sha256),))
    plan = plan_install(resigned_entry, [other], PHONE, None)
    assert plan.action is PlanAction.REFUSE and "different publisher" in plan.reason.msgid


def test_unpinned_entry_is_refused(single):
    plan = plan_install(entry_for(single, signer_sha256=""), single, PHONE, None)
    assert plan.action is PlanAction.REFUSE and "not pinned" in plan.reason.msgid


def test_split_keeps_only_matching_abi_split(split):
    plan = plan_install(entry_for(split), split, PHONE, None)
    assert plan.action is PlanAction.INSTALL and plan.is_split
    assert [f.split_name for f in plan.files] == [None, "config.arm64_v8a"]
    missing = plan_install(entry_for(split), split[:2], PHONE, None)
    assert missing.action is PlanAction.REFUSE and "missing" in missing.reason.msgid


# -- failure mapping -------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(_NUMERIC.values()))
def test_every_known_code_has_its_own_message(name):
    msg = failure_message(name, "VNeID")
    assert "({code})" not in msg.msgid and msg.args["app"] == "VNeID"
    assert parse_failure(f"Failure [{name}: details from the phone]") == name


def test_numeric_and_unknown_codes():
    assert parse_failure("Failure [-4]") == "INSTALL_FAILED_INSUFFICIENT_STORAGE"
    assert parse_failure("Error: something odd") == "UNKNOWN"
    generic = failure_message("INSTALL_FAILED_SOMETHING_NEW", "VNeID")
    assert generic.args["code"] == "INSTALL_FAILED_SOMETHING_NEW" and "{code}" in generic.msgid
    assert short_name("INSTALL_PARSE_FAILED_NO_CERTIFICATES") == "PARSE_FAILED_NO_CERTIFICATES"


@given(st.text(max_size=300))
def test_parsers_never_raise(text):
    parse_failure(text)
    parse_df_free(text)
    parse_installed_version(text, "com.vnid")


# -- phone facts -----------------------------------------------------------------------------
def test_df_toybox_and_toolbox():
    toybox = ("Filesystem      1K-blocks    Used Available Use% Mounted on\n"
              "/dev/block/dm-2  24837304 9123456  15713848  37% /data\n")
    assert parse_df_free(toybox) == 15713848 * 1024
    toolbox = ("Filesystem               Size     Used     Free   Blksize\n"
               "/data                   12.0G     3.5G     8.5G   4096\n")
    assert parse_df_free(toolbox) == int(8.5 * GB)
    wrapped = ("Filesystem           1K-blocks      Used Available Use% Mounted on\n"
               "/dev/block/platform/soc/7824900.sdhci/by-name/userdata\n"
               "                       5000000   1000000   4000000  20% /data\n")
    assert parse_df_free(wrapped) == 4000000 * 1024
    assert parse_df_free("df: /data: Permission denied\n") is None


DUMPSYS = """\
Packages:
  Package [com.vnid] (4e1c0d1):
    userId=10123
    versionCode=2100110 minSdk=21 targetSdk=33
    versionName=2.1.11

Hidden system packages:
  Package [com.vnid] (77aa12):
    versionCode=1 minSdk=21 targetSdk=33
"""


def test_installed_version_ignores_hidden_system_entry():
    assert parse_installed_version(DUMPSYS, "com.vnid") == 2100110
    assert parse_installed_version(DUMPSYS, "com.vn") is None
    hidden_only = DUMPSYS.split("Hidden")[0].replace("com.vnid", "com.other") + \
        "Hidden" + DUMPSYS.split("Hidden")[1]
    assert parse_installed_version(hidden_only, "com.vnid") is None
    assert parse_installed_version("Unable to find package: com.vnid\n", "com.vnid") is None


# -- install routes against a fake phone -----------------------------------------------------
class FakeLink:
    """Accepts installs like pm does and remembers the installed versionCode."""

    def __init__(self, features=("cmd", "shell_v2"), answer="Success", version_after=None):
        self._features = frozenset(features)
        self.answer = answer
        self.version_after = version_after
        self.installed: int | None = None
        self.commands: list[str] = []
        self.received = 0
        self.files: dict[str, bytes] = {}

    def features(self):
        return self._features

    def shell(self, command, timeout=30.0):
        self.commands.append(command)
        if command.startswith("dumpsys package"):
            if self.installed is None:
                return ShellResult("", 0)
            return ShellResult(f"Packages:\n  Package [com.vnid] (1):\n"
                               f"    versionCode={self.installed} minSdk=21\n", 0)
        if command.startswith("pm install-create"):
            return ShellResult("Success: created install session [7]\n", 0)
        if command.startswith(("pm install ", "pm install-commit")):
            return self._finish()
        return ShellResult("Success\n" if command.startswith("pm ") else "", 0)

    def exec_out(self, command, payload=(), timeout=120.0):
        self.commands.append(command)
        for chunk in payload:
            self.received += len(chunk)
        if "install-create" in command:
            return "Success: created install session [7]\n"
        if "install-write" in command:
            size = re.search(r"-S (\d+)", command).group(1)
            return f"Success: streamed {size} bytes\n"
        if re.search(r"install(-commit)? ", command + " ") and "abandon" not in command:
            return self._finish().output
        return "Success\n"

    def push(self, data, remote, mode=0o644):
        self.received += len(data)
        self.files[remote] = data

    def _finish(self):
        if self.answer.startswith("Success"):
            self.installed = self.version_after or self.target
        return ShellResult(self.answer + "\n", 0)


def run_twice(link, entry, infos):
    link.target = entry.version_code
    first = install_app(link, plan_install(entry, infos, PHONE, None))
    from traomay.apps.install import installed_version
    again = install_app(link, plan_install(entry, infos, PHONE,
                                           installed_version(link, entry.package)))
    return first, again


@pytest.mark.parametrize(("features", "route"), [(("cmd",), "stream"), ((), "push")])
def test_single_install_then_second_run_pushes_nothing(single, features, route):
    link = FakeLink(features)
    first, again = run_twice(link, entry_for(single), single)
    assert first.status is InstallStatus.INSTALLED and first.route == route
    assert first.bytes_pushed == single[0].size == link.received
    assert first.installed_version == 5
    assert again.status is InstallStatus.SKIPPED and again.bytes_pushed == 0
    assert not any("uninstall" in c for c in link.commands)
    if route == "push":
        assert "pm install -r /data/local/tmp/traomay-install.apk" in link.commands
        assert "rm -f /data/local/tmp/traomay-install.apk" in link.commands


@pytest.mark.parametrize("features", [("cmd",), ()])
def test_split_install_uses_a_session(split, features):
    link = FakeLink(features)
    first, again = run_twice(link, entry_for(split), split)
    assert first.status is InstallStatus.INSTALLED, first
    assert first.bytes_pushed == split[0].size + split[1].size
    writes = [c for c in link.commands if "install-write" in c]
    assert len(writes) == 2 and all(" 7 " in c for c in writes)
    assert any(c.endswith("install-commit 7") for c in link.commands)
    assert again.bytes_pushed == 0


def test_failure_is_mapped_and_never_uninstalls(single):
    link = FakeLink(answer="Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE: Package com.vnid "
                           "signatures do not match]")
    link.target = 5
    outcome = install_app(link, plan_install(entry_for(single), single, PHONE, 3))
    assert outcome.status is InstallStatus.FAILED
    assert outcome.failure_code == "INSTALL_FAILED_UPDATE_INCOMPATIBLE"
    assert "Uninstall it on the phone" in outcome.message.msgid
    assert not any("uninstall" in c for c in link.commands)


def test_wrong_version_after_install_is_a_failure(single):
    link = FakeLink(version_after=4)
    link.target = 5
    outcome = install_app(link, plan_install(entry_for(single), single, PHONE, None))
    assert outcome.status is InstallStatus.FAILED and outcome.installed_version == 4
