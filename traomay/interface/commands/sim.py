"""``traomay sim`` (a simulated hub for training) and ``traomay demo`` (the whole job on
simulated phones), rendered for the volunteer."""

from __future__ import annotations

import threading
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from traomay.core.i18n import _, render
from traomay.core.msg import N_, Msg
from traomay.interface.app import OPTIONS, app, hub, open_inventory

sim_app = typer.Typer(
    invoke_without_command=True, rich_markup_mode=None,
    help=N_("Training on simulated phones: a simulated USB hub until Ctrl-C. In another "
            "terminal, 'traomay sim do PHONE ACTION' does what a person does with a phone."))
app.add_typer(sim_app, name="sim")

# What each action of traomay.simulator.actions stands for, as the trainee reads it.
ACTION_HELP: dict[str, str] = {
    "look": N_("look at the phone (what to record with 'traomay attest')"),
    "allow": N_("tap \"Allow\" on \"Allow USB debugging?\""),
    "ring": N_("call the phone from another phone (it rings 10 s)"),
    "remove-account": N_("remove the donor's Google account in Settings"),
    "remove-lock": N_("remove the screen lock in Settings"),
    "bluetooth-on": N_("turn Bluetooth on in Settings"),
    "outdoors": N_("take the phone outdoors, for GPS satellites"),
    "charger-wall": N_("plug a wall charger in"),
    "charger-usb": N_("back on the hub's USB power"),
    "charger-off": N_("pull the charger out (the phone stays connected)"),
    "unplug": N_("pull the USB cable out (the phone runs on battery)"),
    "plug": N_("plug the USB cable back in"),
    "factory-reset": N_("erase the phone from Settings (factory reset)"),
    "usb-debugging": N_("turn USB debugging on again (after a reset)"),
}
Action = Enum("Action", {name: name for name in ACTION_HELP}, type=str)  # type: ignore[misc]


@sim_app.callback()
def sim(
    ctx: typer.Context,
    phones: Annotated[int, typer.Option("--phones", min=1, max=64,
                                        help=N_("How many phones."))] = 8,
    profiles: Annotated[str | None, typer.Option(
        "--profiles", help=N_("Comma-separated profile names (see --list)."))] = None,
    list_profiles: Annotated[bool, typer.Option(
        "--list", help=N_("List the phone profiles: what each one needs to reach its "
                          "verdict."))] = False,
    time_scale: Annotated[float, typer.Option(
        "--time-scale", min=1, max=3600,
        help=N_("The simulated battery's clock runs this many times faster (drain test): "
                "at 60, a 30-minute test takes 30 s."))] = 60.0,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from traomay.interface import render as ui

    if list_profiles:
        _list_profiles()
        return
    from traomay.demo.demo import load_phones

    _check_profile_names(profiles)
    sim_phones = load_phones(profiles, phones, unauthorized_first=False)
    for phone in sim_phones:
        phone.time_scale = time_scale
    adb = hub()
    _run_training_hub(sim_phones, adb.port, time_scale, ui.console())


def _check_profile_names(profiles: str | None) -> None:
    """A profile name that does not exist is a wrong option value (exit 2), said before
    anything starts."""
    from traomay.core.errors import UsageError
    from traomay.simulator.profile import list_profiles as names

    known = names()
    for name in (n.strip() for n in (profiles or "").split(",")):
        if name and name not in known:
            raise UsageError(Msg("Unknown phone profile {name}. Known profiles: {known}.",
                                 {"name": name, "known": ", ".join(known)}))


def _list_profiles() -> None:
    from rich.padding import Padding

    from traomay.core.i18n import current_language
    from traomay.interface import render as ui
    from traomay.simulator.profile import list_profiles as names
    from traomay.simulator.profile import load_profile

    con = ui.console()
    con.print(ui.line(_("Phone profiles of 'traomay sim', and what a volunteer does to reach "
                        "each one's verdict:"), "bold"))
    for name in names():
        profile = load_profile(name)
        training = profile.training
        description = (profile.description_vi if current_language() == "vi" and
                       profile.description_vi else profile.description)
        con.print()
        con.print(ui.line(f"{name} · {profile.props.get('ro.product.model', '')}, Android "
                          f"{profile.props.get('ro.build.version.release', '')}", "bold"))
        steps = ", ".join(training.actions) or "-"
        con.print(Padding(Text.assemble(
            ui.line(" ".join(description.split())), "\n", _("Expected verdict: "),
            ui.status_text(training.verdict), "\n",
            ui.line(_("Actions (traomay sim do PHONE ACTION): {actions}").format(
                actions=steps))), (0, 0, 0, 2), expand=False))
    con.print()
    con.print(ui.line(_("Actions:"), "bold"))
    for action, help_text in ACTION_HELP.items():
        con.print(ui.line(f"  {action:<15} {_(help_text)}"))


def _run_training_hub(sim_phones: list[Any], adb_port: int, time_scale: float,
                      con: Any) -> None:
    """The hub and its control channel until Ctrl-C; lines typed here ("t:3 ring") are
    played as 'traomay sim do' would."""
    import sys
    import time

    from traomay.interface import render as ui
    from traomay.simulator.control import ControlServer
    from traomay.simulator.hub import SimulatedHub

    with SimulatedHub(sim_phones, adb_port=adb_port) as sim_hub, \
            ControlServer(sim_hub, time_scale=time_scale) as control:
        rows = []
        for i in range(len(sim_phones)):
            info = control.phone_info(i)
            tid = info["transport_id"]
            rows.append([ui.cell(f"t:{tid}" if tid else "-"), ui.cell(info["address"]),
                         ui.cell(_model_words(info)), ui.cell(info["profile"])])
        con.print(ui.table(_("Simulated phones"), [_("ID"), _("Serial"), _("Phone"),
                                                   _("Profile")], rows))
        con.print(ui.line(_("{n} simulated phones attached to the adb server on port {port}. "
                            "Use 'traomay devices' in another terminal; play what a person "
                            "does with 'traomay sim do PHONE ACTION' (list: traomay sim "
                            "--list). Ctrl-C to stop.").format(n=len(sim_phones),
                                                              port=adb_port), "bold"))
        _stop_on_sigterm()
        try:
            if sys.stdin is not None and sys.stdin.isatty():
                con.print(ui.line(_("You can also type an action here, e.g.: t:1 ring"),
                                  "dim"))
                for typed in sys.stdin:
                    words = typed.split()
                    if len(words) == 2 and words[1] in ACTION_HELP:
                        _say_outcome(control.handle({"phone": words[0],
                                                     "action": words[1]}), words[0])
                    elif words:
                        ui.say(Msg("Type a phone and an action, e.g.: t:1 ring. Actions: "
                                   "{actions}.", {"actions": ", ".join(ACTION_HELP)}),
                               "yellow")
            while True:  # stdin closed or not a terminal: wait for Ctrl-C
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    con.print(ui.line(_("Stopped: the simulated phones are gone from the adb server."),
                      "bold"))


def _stop_on_sigterm() -> None:
    """A service manager or a test stops the hub with SIGTERM: detach the phones as for
    Ctrl-C (a process started in the background ignores SIGINT)."""
    import signal

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # not the main thread, or no SIGTERM here
        pass


@sim_app.command("do", help=N_("Do what a person does with a simulated phone of the "
                               "running 'traomay sim' (see 'traomay sim --list')."))
def sim_do(
    phone: Annotated[str, typer.Argument(help=N_(
        "t:N, id:N (#N on the station's screen), the adb serial (127.0.0.1:PORT), or the "
        "profile name"))],
    action: Annotated[Action, typer.Argument(help=N_(
        "What you do: look, allow, ring, remove-account, remove-lock, bluetooth-on, "
        "outdoors, charger-wall, charger-usb, charger-off, unplug, plug, factory-reset, "
        "usb-debugging"))],
    seconds: Annotated[float | None, typer.Option(
        "--seconds", min=0.5, max=120, help=N_("ring: how many seconds it rings."))] = None,
) -> None:
    from traomay.core.errors import DeviceNotFound
    from traomay.simulator.control import ControlUnavailable, send
    from traomay.simulator.hub import default_adb_port  # the same rule as the adb layer's

    port = OPTIONS.adb_port or default_adb_port()
    request: dict[str, Any] = {"phone": _adb_serial_of(phone), "action": action.value}
    if seconds is not None:
        request["seconds"] = seconds
    try:
        answer = send(request, port)
    except ControlUnavailable as exc:
        raise DeviceNotFound(Msg(
            "No 'traomay sim' is running for the adb server on port {port}. Start it in "
            "another terminal: traomay sim", {"port": port}), detail=exc.where) from None
    if not answer.get("ok"):
        error = answer.get("error")
        if error == "unknown_phone":
            known = ", ".join(_phone_words(p) for p in answer.get("phones", []))
            raise DeviceNotFound(Msg("No simulated phone {name}. Phones of 'traomay sim': "
                                     "{known}.", {"name": phone, "known": known}))
        raise DeviceNotFound(Msg("The simulator refused the request ({error}). Start "
                                 "'traomay sim' again.", {"error": str(error)}))
    _say_outcome(answer, phone)
    if not answer.get("done", True):
        raise typer.Exit(1)


def _adb_serial_of(name: str) -> str:
    """``id:N`` or ``#N`` (the inventory id, as 'traomay station' numbers phones): the adb
    serial the phone was last seen on, from the inventory; any other name goes to the
    simulator as typed (t:N, the adb serial, a profile name)."""
    import json

    from traomay.core.errors import DeviceNotInInventory

    text = name.strip()
    number = text[1:] if text.startswith("#") else text[3:] if text.lower().startswith(
        "id:") else None
    if number is None or not number.isdigit():
        return text
    with open_inventory(read_only=True) as inventory:
        seen = [json.loads(e["data"] or "{}") for e in inventory.events(int(number))
                if e["kind"] == "seen"]
    serials = [s["adb_serial"] for s in seen if s.get("adb_serial")]
    if not serials:
        raise DeviceNotInInventory(Msg("The inventory has no phone id:{id} seen on adb.",
                                       {"id": number}))
    return str(serials[-1])


# Screen words for the outcome messages.
_SCREEN = {"ok": N_("not cracked"), "cracked": N_("cracked")}
_BACK = {"ok": N_("flat"), "bulging": N_("bulging (swollen battery)")}
_BATTERY = {"charging": N_("charging"), "full": N_("full"), "discharging": N_("draining"),
            "not_charging": N_("not charging")}

OUTCOMES: dict[str, str] = {
    "appearance": N_("You look at {phone}: the screen is {screen_words}, the back cover is "
                     "{back_words}. Record it: traomay attest {name} --screen {screen} "
                     "--back {back} --by NAME"),
    "allowed": N_("You tapped Allow on {phone}: it is ready ({now})."),
    "already_allowed": N_("{phone} already allows this computer."),
    "unplugged": N_("{phone} is unplugged: plug it in first (traomay sim do {name} plug)."),
    "adb_off": N_("USB debugging is off on {phone}: turn it on first (traomay sim do {name} "
                  "usb-debugging)."),
    "ringing": N_("{phone} rings for {seconds} s: someone is calling it."),
    "cannot_ring": N_("{phone} does not ring: no SIM card in service."),
    "account_removed": N_("The Google account was removed from {phone}. Check again: traomay "
                          "accounts {name}"),
    "no_google_account": N_("{phone} has no Google account."),
    "lock_removed": N_("The screen lock of {phone} was removed (it was: {was})."),
    "no_lock": N_("{phone} has no screen lock."),
    "bluetooth_on": N_("Bluetooth is on in the Settings of {phone}. Check again: traomay "
                       "recheck {name} --only bluetooth"),
    "bluetooth_already_on": N_("Bluetooth is already on on {phone}."),
    "bluetooth_broken": N_("You turn Bluetooth on, but the switch falls back off: the "
                           "Bluetooth of {phone} is broken."),
    "outdoors": N_("{phone} is outdoors: it receives {satellites} satellites. Check again: "
                   "traomay recheck {name} --only gps"),
    "no_gps_hardware": N_("{phone} has no GPS receiver."),
    "charger_ac": N_("{phone} is on a wall charger; its battery is {status}. Check again: "
                     "traomay recheck {name} --only charging"),
    "charger_usb": N_("{phone} is on the hub's USB power; its battery is {status}."),
    "charger_none": N_("The charger of {phone} is out; its battery is {status}."),
    "unplugged_now": N_("{phone} is unplugged: it left the list and runs on battery. Plug it "
                        "back: traomay sim do {name} plug"),
    "already_unplugged": N_("{phone} is already unplugged."),
    "plugged": N_("{phone} is plugged back in ({now})."),
    "plugged_adb_off": N_("{phone} is plugged in and charging, but USB debugging is off: "
                          "the computer does not see it (traomay sim do {name} "
                          "usb-debugging)."),
    "already_plugged": N_("{phone} is already plugged in."),
    "factory_reset": N_("{phone} was erased from Settings and restarts into the setup "
                        "screens. USB debugging is off, so it left the list. Next: traomay "
                        "sim do {name} usb-debugging, then allow."),
    "usb_debugging_on": N_("USB debugging is on again on {phone}; it asks \"Allow USB "
                           "debugging?\" ({now}). Tap Allow: traomay sim do {name} allow"),
    "usb_debugging_on_unplugged": N_("USB debugging is on again on {phone}; plug it in: "
                                     "traomay sim do {name} plug"),
    "usb_debugging_already_on": N_("USB debugging is already on on {phone}."),
}


def _model_words(info: dict[str, Any]) -> str:
    """"OPPO CPH1909", "Nokia 1 Plus" (the brand once), from the phone's own props."""
    from traomay.interface import render as ui

    brand, model = str(info.get("brand", "")), str(info.get("model", ""))
    name = model if model.lower().startswith(brand.lower()) else f"{brand} {model}"
    return ui.for_terminal(name.strip(), 60)


def _phone_words(info: dict[str, Any]) -> str:
    tid = info.get("transport_id")
    name = _model_words(info)
    return f"t:{tid} ({name})" if tid else f"{info.get('address')} ({name})"


def _say_outcome(answer: dict[str, Any], name: str) -> None:
    from traomay.interface import render as ui

    if not answer.get("ok"):
        ui.say(Msg("No simulated phone {name}.", {"name": name}), "yellow")
        return
    code = str(answer.get("code"))
    details = dict(answer.get("details") or {})
    before, after = answer.get("before") or {}, answer.get("phone") or {}
    now = after.get("state")
    args: dict[str, Any] = {
        "phone": _phone_words(before if before.get("transport_id") else after),
        "name": name,
        "now": (f"t:{after.get('transport_id')}, " + _("ready") if now == "device" else
                f"t:{after.get('transport_id')}, " + _("waiting for Allow")
                if now == "unauthorized" else _("not in the list")),
        **details,
    }
    if code == "appearance":
        args["screen_words"] = _(_SCREEN.get(details.get("screen", ""), "?"))
        args["back_words"] = _(_BACK.get(details.get("back", ""), "?"))
    if "status" in details:
        args["status"] = _(_BATTERY.get(str(details["status"]), str(details["status"])))
    if "seconds" in details:
        args["seconds"] = f"{float(details['seconds']):g}"
    msgid = OUTCOMES.get(code, "{phone}: {code}")
    args.setdefault("code", code)
    style = "green" if answer.get("done", True) else "yellow"
    # soft_wrap: the command in the message is copied whole, never cut at the line's end
    ui.console().print(ui.msg_cell(Msg(msgid, args), style), soft_wrap=True)


@app.command(help=N_("Show the whole job on simulated phones (no real phone needed)."))
def demo(
    phones: Annotated[int, typer.Option("--phones", min=0, max=64,
                                        help=N_("0 = one of each profile."))] = 0,
) -> None:
    from traomay.demo.demo import DEMO_DB_NAME, demo_folder, run_demo
    from traomay.interface import render as ui
    from traomay.interface import station_view as view
    from traomay.interface.commands.station import ChangePrinter
    from traomay.interface.folder import command_prefix, quote

    con = ui.console()

    def announce(msg: Msg) -> None:
        con.print(ui.line(render(msg), "bold"))

    def watch(station: Any) -> Any:
        """The volunteer's screen as the station goes: one line per change of a row."""
        box: list[Any] = []
        thread = threading.Thread(target=lambda: box.append(station.run()), daemon=True)
        thread.start()
        print_changes = ChangePrinter(station.board)
        while thread.is_alive():
            thread.join(0.25)
            print_changes()
        print_changes()
        return box[0]

    # Always the demo's own folder in the per-user data folder (writable wherever the demo
    # was started, and never the volunteer's campaign folder, whose files it would replace).
    folder = demo_folder()
    db_path = Path(OPTIONS.db).absolute() if OPTIONS.db else folder / DEMO_DB_NAME
    result = run_demo(db_path, phones=phones or None, station=OPTIONS.station,
                      work_folder=folder, runner=watch, announce=announce)
    snapshot = result.snapshot
    con.print(view.summary_table(snapshot))
    con.print(view.summary_text(snapshot.summary, len(snapshot.rows)))
    con.print(ui.line(_("Phones carried at once: {n}, in {s:.1f} s.").format(
        n=len(snapshot.rows), s=result.seconds)))
    con.print(ui.line(_("Devices in the inventory: {n} (phones that share serial "
                        "0123456789ABCDEF are still separate records).").format(
        n=result.devices_in_inventory), "dim"))
    written = [result.samples.csv, result.samples.report_csv, result.samples.report_pdf,
               result.samples.certificate] if result.samples else []
    if result.allocation is not None:
        written += [result.allocation.public_list,
                    result.allocation.handover.form if result.allocation.handover else None]
    for path in (p for p in written if p is not None):
        con.print(ui.line(_("Written: {path}").format(path=Path(path).resolve()), "green"),
                  soft_wrap=True)
    con.print(ui.line(_("Inventory written to {path}").format(path=db_path.resolve()),
                      "bold green"), soft_wrap=True)
    # A command that works as typed: after 'make demo' traomay is not on PATH.
    where = f"--db {quote(db_path)}" if OPTIONS.db else f"--campaign {quote(folder)}"
    con.print(ui.line(_("Look at one phone: {command}").format(
        command=f"{command_prefix()} {where} explain id:1"), "dim"), soft_wrap=True)
    stuck = [r for r in snapshot.rows if r.state in ("problem", "gone", "waiting_back")]
    raise typer.Exit(1 if stuck else 0)
