"""``traomay demo`` and ``traomay sim``: simulated phones behind the real adb server.

The demo starts the bundled adb on a private port with a private HOME (never the user's
server on 5037), attaches simulated phones, runs the pipeline on all of them at once,
prints a table per phone, writes the inventory to a file it names, and shuts down.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from rich.text import Text

from traomay.core.errors import BadInputError
from traomay.core.i18n import _, render
from traomay.core.msg import Msg
from traomay.device.adb import AdbHub, free_port, instruction_for_state, private_adb_server
from traomay.interface import render as ui
from traomay.inventory.store import Inventory
from traomay.provision.pipeline import PhoneReport, process_phones

DEMO_DB = Path("traomay-demo") / "demo-inventory.sqlite"


def _load_phones(profile_names: str | None, count: int | None, unauthorized_first: bool):
    from traomay.simulator.phone import Phone
    from traomay.simulator.profile import default_hub_profiles, list_profiles

    names = [n.strip() for n in profile_names.split(",") if n.strip()] if profile_names \
        else list(default_hub_profiles())
    known = set(list_profiles())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadInputError(Msg("Unknown phone profile {name}. Known profiles: {known}.",
                                {"name": unknown[0], "known": ", ".join(sorted(known))}))
    if count:
        names = [names[i % len(names)] for i in range(count)]
    seen: dict[str, int] = {}
    phones = []
    for i, name in enumerate(names):
        copy = seen.get(name, 0)
        seen[name] = copy + 1
        phones.append(Phone.from_profile(name, authorized=not (unauthorized_first and i == 0),
                                         copy=copy))
    return phones, names


def _wait_listed(hub: AdbHub, expected: int, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        listings = hub.list_phones()
        if len(listings) >= expected and all(p.state in ("device", "unauthorized")
                                              for p in listings):
            return listings
        if time.monotonic() > deadline:
            return listings
        time.sleep(0.1)


def _demo_manifest(folder: Path):
    """Stand-in APKs (NOT the real apps) signed with a throw-away key, pinned into a copy
    of apk_manifest.yaml in the demo folder. Bình Dương Số's stand-in asks for Android 8.0
    (SDK 26) so the demo shows an old phone being refused; the real minimum is unknown."""
    from traomay.apps.install_manifest import find_manifest_file
    from traomay.apps.manifest import load_manifest, pin
    from traomay.demo.apkfactory import build_apk, make_signer

    folder.mkdir(parents=True, exist_ok=True)
    for old in (folder / "apks").glob("*.apk") if (folder / "apks").is_dir() else []:
        old.unlink()
    manifest_path = folder / "apk_manifest.yaml"
    source = find_manifest_file()
    manifest_path.write_text(source.read_text(encoding="utf-8") if source else
                             "schema: 1\napps: []\n", encoding="utf-8")
    signer = make_signer("traomay demo stand-in")
    staging = folder / "district"
    vneid = build_apk(staging, package="com.vnid", version_code=2011, min_sdk=21,
                      signer=signer, name="vneid-standin.apk")
    bds = build_apk(staging, package="vn.gov.binhduong.dichvu.standin", version_code=3,
                    min_sdk=26, signer=signer, name="binhduongso-standin.apk")
    pin(manifest_path, [vneid])
    pin(manifest_path, [bds], name="Bình Dương Số")
    shutil.rmtree(staging, ignore_errors=True)
    return load_manifest(manifest_path)


def _demo_criteria(manifest) -> dict:
    """The shipped thresholds; only the active steps' waits are shortened (simulated radios
    answer at once), and the compatibility check reads the demo manifest."""
    from traomay.checks.criteria import load_criteria

    crit = {k: dict(v) for k, v in load_criteria().items()}
    crit["wifi"].update(scan_timeout_s=3.0, poll_interval_s=0.2)
    crit["bluetooth"].update(enable_timeout_s=3.0, poll_interval_s=0.2)
    crit["gps"].update(fix_timeout_s=2.0, poll_interval_s=0.2)
    crit["camera"].update(open_timeout_s=3.0, poll_interval_s=0.2)
    crit["compatibility"] = {"required_apps": [
        {"name": a.name, "min_sdk": a.min_sdk or 0, "abis": list(a.abis)}
        for a in manifest.apps if a.required]}
    return crit


def run_demo(db_path: Path | None = None, phones: int | None = None,
             station: str | None = None) -> int:
    from traomay.checks.registry import CHECK_ORDER
    from traomay.provision.pipeline import PhoneStage
    from traomay.provision.stages import (
        Volunteer,
        account_stage,
        inspect_stage,
        install_stage,
        operator_tests_stage,
        verdict_stage,
    )
    from traomay.simulator.hub import SimulatedHub

    con = ui.console()
    db_path = Path(db_path) if db_path else DEMO_DB
    if db_path == DEMO_DB:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    sim_phones, names = _load_phones(None, phones, unauthorized_first=True)
    manifest = _demo_manifest(DEMO_DB.parent)
    criteria = _demo_criteria(manifest)
    by_serial: dict[str, object] = {}
    sim_hub_ref: list = []  # the running SimulatedHub, for the demo volunteer's phone calls
    lock = threading.Lock()

    def say(report: PhoneReport, msg: Msg) -> None:
        with lock:
            con.print(ui.line(f"t:{report.listing.transport_id} {ui.phone_name(report.identity)}"
                              f": {render(msg)}", "yellow"))

    def remove_account(report: PhoneReport) -> bool:
        phone = by_serial.get(report.listing.serial)
        say(report, Msg("(demo) The volunteer removes the Google account in Settings > "
                        "Accounts, then the reset is tried again."))
        phone.accounts.clear()  # type: ignore[attr-defined]
        return True

    volunteer = Volunteer(
        operator_inputs=lambda report: {"appearance": {
            "screen_ok": True, "back_ok": True, "who": "demo volunteer"}},
        remove_google_account=remove_account, say=say,
        call_phone=lambda report: sim_hub_ref[0].ring(
            sim_hub_ref[0].addresses.index(report.listing.serial), seconds=2.0))
    home = Path(tempfile.mkdtemp(prefix="traomay-demo-"))
    try:
        port = free_port(15037)
        con.print(ui.line(_("Starting a private adb server on port {port} and {n} simulated "
                            "phones…").format(port=port, n=len(sim_phones)), "bold"))
        with private_adb_server(home, port) as server, \
                SimulatedHub(sim_phones, adb_port=port) as sim_hub, \
                Inventory(db_path, station=station or "demo-station") as inventory:
            by_serial.update(zip(sim_hub.addresses, sim_phones, strict=True))
            sim_hub_ref.append(sim_hub)
            hub = server.hub()
            listings = _wait_listed(hub, len(sim_phones))
            waiting = [p for p in listings if p.state == "unauthorized"]
            for listing in waiting:
                con.print(ui.line(_("Phone {serial}: {todo}").format(
                    serial=listing.serial, todo=render(instruction_for_state(listing.state))),
                    "yellow"))
            if waiting:
                con.print(ui.line(_("(demo) The volunteer taps \"Allow\" on that phone."), "dim"))
                sim_hub.allow(0)
                hub.wait_for(lambda p: p.serial == waiting[0].serial and p.ready, timeout=15)
            con.print(ui.line(_("Identify, check, remove old accounts, install apps: all "
                                "phones at once…"), "bold"))
            stages: list[PhoneStage] = [
                inspect_stage(criteria, volunteer, list(CHECK_ORDER)),
                operator_tests_stage(volunteer, touch_timeout=15.0, call_timeout=8.0),
                account_stage(hub, volunteer, come_back_timeout=60.0),
                install_stage(manifest),
                verdict_stage(),
            ]
            started = time.monotonic()
            reports = process_phones(hub, inventory, hub.list_phones(), later_stages=stages)
            elapsed = time.monotonic() - started
            _print_reports(con, reports)
            con.print(ui.line(_("Phones processed at once: {n}, in {s:.1f} s.").format(
                n=len(reports), s=elapsed)))
            _print_summary(con, reports, inventory)
        con.print(ui.line(_("Inventory written to {path}").format(path=db_path.resolve()),
                          "bold green"))
        con.print(ui.line(_("Look at one phone: traomay --db {path} explain id:1").format(
            path=db_path), "dim"))
        return 0 if len(reports) == len(names) and all(r.ok for r in reports) else 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _next_step(rep: PhoneReport) -> Text:
    """What the phone needs next: each failing criterion's evidence, else what is waiting
    for a person (the check's own instruction)."""
    verdict = rep.stages.get("verdict")
    if rep.problem is not None:
        return ui.msg_cell(rep.problem, "yellow")
    if verdict is None:
        return ui.cell("")
    failing = [line for line in verdict.lines if line.status == "fail"]
    lines = failing or [line for line in verdict.lines if line.status != "pass"]
    texts = [render(line.summary or line.label).rstrip(". ") for line in lines]
    text = "; ".join(dict.fromkeys(texts))  # two criteria can share one reason
    return ui.cell(text, "red" if failing else "yellow")


def _print_reports(con, reports: list[PhoneReport]) -> None:
    rows = []
    for rep in reports:
        ident = rep.identity
        verdict = rep.stages.get("verdict")
        checks = rep.stages.get("inspect", {})
        passed = sum(1 for v in checks.values() if v == "pass")
        rows.append([
            ui.cell(f"t:{rep.listing.transport_id}"),
            ui.cell(ui.phone_with_model(ident) if ident else rep.listing.model),
            ui.cell(ident.android_version if ident else ""),
            ui.cell(ident.serial if ident else ""),
            ui.cell(f"{passed}/{len(checks)}" if checks else ""),
            ui.status_text(verdict.verdict) if verdict else ui.cell(""),
            _next_step(rep),
        ])
    con.print(ui.table(_("Phones on the simulated hub"),
                       [_("ID"), _("Phone (model)"), _("Android"), _("Serial"),
                        _("Checks passed"), _("Verdict"), _("Failing, or waiting for")], rows))


def _print_summary(con, reports: list[PhoneReport], inventory: Inventory) -> None:
    verdicts = [r.stages["verdict"].verdict for r in reports if "verdict" in r.stages]
    trips = [r.stages.get("round_trips", 0) for r in reports]
    con.print(ui.line(_("Verdicts: {p} pass, {f} fail, {i} waiting for a person.").format(
        p=verdicts.count("pass"), f=verdicts.count("fail"), i=verdicts.count("incomplete")),
        "bold"))
    con.print(ui.line(_("Devices in the inventory: {n} (phones that share serial "
                        "0123456789ABCDEF are still separate records).").format(
        n=len(inventory.devices())), "dim"))
    if trips:
        con.print(ui.line(_("adb shell calls per phone for the checks: {lo}-{hi} (all "
                            "read-only outputs in one call; the rest are radio tests).").format(
            lo=min(trips), hi=max(trips)), "dim"))


def run_training_hub(phones: int, profile_names: str | None, list_only: bool,
                     adb_port: int | None) -> None:
    """``traomay sim``: attach simulated phones to the adb server the other commands use."""
    from traomay.simulator.hub import SimulatedHub
    from traomay.simulator.profile import list_profiles, load_profile

    con = ui.console()
    if list_only:
        rows = []
        for name in list_profiles():
            prof = load_profile(name)
            rows.append([name, getattr(prof, "description", "")])
        con.print(ui.table(_("Phone profiles"), [_("Name"), _("Description")], rows))
        return
    sim_phones, _names = _load_phones(profile_names, phones, unauthorized_first=False)
    hub = AdbHub(port=adb_port)
    hub.ensure_server()
    with SimulatedHub(sim_phones, adb_port=hub.port) as sim_hub:
        con.print(ui.line(_("{n} simulated phones attached to the adb server on port {port}. "
                            "Use 'traomay devices' in another terminal. Ctrl-C to stop.").format(
            n=len(sim_phones), port=hub.port), "bold"))
        sim_hub.run_forever_until_interrupted()
