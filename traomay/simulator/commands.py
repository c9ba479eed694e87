"""Toybox-style commands and the command registry used by shell.Shell.

Framework commands (cmd, svc, service, am, input, getevent, wm) are in services.py,
``dumpsys`` in dumpsys.py and ``pm`` / ``cmd package`` in installer.py.
"""

from __future__ import annotations

import functools
import re
import time
from typing import TYPE_CHECKING

from traomay.simulator.profile import STATUS_CODES

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone
    from traomay.simulator.shell import Command, Result

OK: Result = (b"", b"", 0)


def _out(text: str, code: int = 0) -> Result:
    return text.encode(), b"", code


def _err(text: str, code: int = 1) -> Result:
    return b"", text.encode(), code


def echo(phone: Phone, args: list[str], stdin: bytes) -> Result:
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    return _out(" ".join(args) + ("\n" if newline else ""))


def true_(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return OK


def false_(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return b"", b"", 1


def id_(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return _out("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),"
                "1011(adb),1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),"
                "3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid) "
                "context=u:r:shell:s0\n")


def whoami(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return _out("shell\n")


def date(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if args and args[0] == "+%s":
        return _out(f"{int(time.time())}\n")
    return _out(time.strftime("%a %b %d %H:%M:%S ICT %Y", time.gmtime(time.time() + 7 * 3600))
                + "\n")


def getprop(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if not args:
        return _out("".join(f"[{k}]: [{v}]\n" for k, v in sorted(phone.props.items())))
    default = args[1] if len(args) > 1 else ""
    return _out(phone.props.get(args[0], default) + "\n")


def setprop(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if len(args) != 2:
        return _err("usage: setprop NAME VALUE\n")
    if args[0].startswith("ro.") and args[0] in phone.props:
        return _err(f"Failed to set property '{args[0]}' to '{args[1]}'.\n"
                    "See dmesg for error reason.\n")
    phone.props[args[0]] = args[1]
    return OK


def settings(phone: Phone, args: list[str], stdin: bytes) -> Result:
    while args and args[0] in ("--user", "--lineage"):
        args = args[2:] if args[0] == "--user" else args[1:]
    if len(args) < 2:
        return _err("usage:  settings [--user <USER_ID> | current] get namespace key\n", 255)
    verb, ns, rest = args[0], args[1], args[2:]
    if ns not in ("global", "secure", "system"):
        return _err(f"Invalid namespace '{ns}'\n", 255)
    if verb == "get" and rest:
        value = phone.get_setting(ns, rest[0])
        return _out(("null" if value is None else value) + "\n")
    if verb == "put" and len(rest) >= 2:
        phone.put_setting(ns, rest[0], rest[1])
        return OK
    if verb == "delete" and rest:
        found = phone.settings.get(ns, {}).pop(rest[0], None) is not None
        return _out(f"Deleted {1 if found else 0} rows\n")
    if verb == "list":
        keys = dict(phone.settings.get(ns, {}))
        return _out("".join(f"{k}={v}\n" for k, v in sorted(keys.items())))
    return _err("Invalid command: " + verb + "\n", 255)


# --- files ----------------------------------------------------------------------------------

SYSFS = "/sys/class/power_supply/battery/"
SYSFS_HEALTH = {"good": "Good", "dead": "Dead", "overheat": "Overheat", "cold": "Cold",
                "over_voltage": "Over voltage", "unspecified_failure": "Unspecified failure",
                "unknown": "Unknown"}


def _sysfs_battery(phone: Phone, name: str) -> str | None:
    b = phone.profile.battery
    values = {
        "capacity": str(b.level), "charge_full_design": str(b.design_mah * 1000),
        "charge_full": str((b.learned_mah or b.design_mah) * 1000),
        "cycle_count": str(b.cycle_count if b.cycle_count is not None else 0),
        "voltage_now": str(b.voltage_mv * 1000), "temp": str(b.temperature_dc),
        "health": SYSFS_HEALTH[b.health],
        "status": {2: "Charging", 3: "Discharging", 4: "Not charging", 5: "Full"}.get(
            STATUS_CODES[b.status], "Unknown"),
        "technology": b.technology, "present": "1",
    }
    return values.get(name)


def cat(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if not args or args == ["-"]:
        return stdin, b"", 0
    out, err, code = bytearray(), bytearray(), 0
    for path in args:
        if path.startswith(SYSFS):
            value = _sysfs_battery(phone, path[len(SYSFS):])
            if value is None:
                err += f"cat: {path}: No such file or directory\n".encode()
                code = 1
            elif not phone.profile.battery.sysfs_readable:
                # sepolicy: shell may read sysfs_batteryinfo only where the vendor labelled it
                err += f"cat: {path}: Permission denied\n".encode()
                code = 1
            else:
                out += (value + "\n").encode()
            continue
        data = phone.read_file(path)
        if data is None:
            if phone.stat_file(path):
                err += f"cat: {path}: Is a directory\n".encode()
            else:
                err += f"cat: {path}: No such file or directory\n".encode()
            code = 1
        else:
            out += data
    return bytes(out), bytes(err), code


def ls(phone: Phone, args: list[str], stdin: bytes) -> Result:
    long = any(a.startswith("-") and "l" in a for a in args)
    paths = [a for a in args if not a.startswith("-")] or ["/sdcard"]
    out, err, code = [], [], 0
    for path in paths:
        st = phone.stat_file(path)
        if st is None:
            err.append(f"ls: {path}: No such file or directory\n")
            code = 1
            continue
        entries = phone.list_dir(path) if st[0] & 0o040000 else [(path, st[0], st[1], st[2])]
        for name, mode, size, mtime in entries:
            if long:
                kind = "d" if mode & 0o040000 else "-"
                stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))
                out.append(f"{kind}rw-rw---- 1 shell shell {size:>8} {stamp} {name}\n")
            else:
                out.append(name + "\n")
    return "".join(out).encode(), "".join(err).encode(), code


def rm(phone: Phone, args: list[str], stdin: bytes) -> Result:
    force = any(a.startswith("-") and "f" in a for a in args)
    code, err = 0, []
    for path in (a for a in args if not a.startswith("-")):
        if not phone.delete_file(path) and not force:
            err.append(f"rm: {path}: No such file or directory\n")
            code = 1
    return b"", "".join(err).encode(), code


def mkdir(phone: Phone, args: list[str], stdin: bytes) -> Result:
    for path in (a for a in args if not a.startswith("-")):
        phone.dirs.add(phone.norm(path))
    return OK


# --- text filters (for pipelines such as ``dumpsys ... | grep X``) ----------------------------

def grep(phone: Phone, args: list[str], stdin: bytes) -> Result:
    flags, pattern, max_count = set(), None, None
    it = iter(args)
    for a in it:
        if a == "-m":
            max_count = int(next(it, "0"))
        elif a.startswith("-") and pattern is None and len(a) > 1:
            flags.update(a[1:])
        elif pattern is None:
            pattern = a
    if pattern is None:
        return _err("usage: grep [-Eiov] PATTERN\n", 2)
    try:
        rx = re.compile(pattern if "E" in flags else pattern.replace("\\|", "|"),
                        re.IGNORECASE if "i" in flags else 0)
    except re.error:
        rx = re.compile(re.escape(pattern))
    out: list[str] = []
    for line in stdin.decode(errors="replace").splitlines():
        hit = rx.search(line)
        if bool(hit) != ("v" in flags):
            out.extend(m.group(0) for m in rx.finditer(line)) if "o" in flags else out.append(line)
        if max_count is not None and len(out) >= max_count:
            break
    return _out("".join(x + "\n" for x in out), 0 if out else 1)


def head(phone: Phone, args: list[str], stdin: bytes) -> Result:
    count = 10
    for k, a in enumerate(args):
        if a == "-n" and k + 1 < len(args):
            count = int(args[k + 1])
        elif a.startswith("-") and a[1:].isdigit():
            count = int(a[1:])
    return b"".join(stdin.splitlines(keepends=True)[:count]), b"", 0


def wc(phone: Phone, args: list[str], stdin: bytes) -> Result:
    lines = stdin.count(b"\n")
    return _out(f"{lines}\n" if "-l" in args else f"{len(stdin)}\n")


def sh(phone: Phone, args: list[str], stdin: bytes) -> Result:
    if len(args) >= 2 and args[0] == "-c":
        res = phone.shell.run(args[1], stdin)
        return res.stdout, res.stderr, res.exit_code
    return OK


def reboot(phone: Phone, args: list[str], stdin: bytes) -> Result:
    phone.request_reboot()
    return OK


@functools.cache
def registry() -> dict[str, Command]:
    """All commands by name (built once; imported late to avoid import cycles)."""
    from traomay.simulator import dumpsys, installer, services, storage

    table: dict[str, Command] = {
        "echo": echo, "true": true_, "false": false_, "id": id_, "whoami": whoami,
        "date": date, "getprop": getprop, "setprop": setprop, "settings": settings,
        "cat": cat, "ls": ls, "rm": rm, "mkdir": mkdir, "grep": grep, "head": head, "wc": wc,
        "sh": sh, "reboot": reboot, "sleep": true_, "sync": true_,
        "dumpsys": dumpsys.dumpsys, "pm": installer.pm, "df": storage.df,
    }
    table.update(services.COMMANDS)
    return table
