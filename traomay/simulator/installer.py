"""``pm`` / ``cmd package``: list, path, uninstall and the three install routes adb uses
(streamed ``install -S N``, push + ``pm install PATH``, sessions for install-multiple).

Install outcomes follow PackageManager's order of checks: parse, certificates, SDK, ABI,
storage, then update rules (same signer, no version downgrade).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from traomay.simulator.apk import ApkError, ApkInfo, parse_apk

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone
    from traomay.simulator.shell import Result

def streamed_install_size(command: str) -> int:
    """Bytes the wire must read from the host before run() for streaming installs."""
    if "install" not in command:  # every other command: no need to split it
        return 0
    for prefix in ("exec:", "shell,v2,raw:", "shell,v2:", "shell:", "abb_exec:"):
        if command.startswith(prefix):
            command = ("package " if prefix == "abb_exec:" and not command[len(prefix):]
                       .startswith("package") else "") + command[len(prefix):]
            break
    try:
        words = shlex.split(command.replace("\0", " "))
    except ValueError:
        return 0
    if words[:1] == ["exec"]:
        words = words[1:]
    if words[:2] == ["cmd", "package"]:
        words = words[2:]
    elif words[:1] in (["pm"], ["package"]):
        words = words[1:]
    else:
        return 0
    if not words or words[0] not in ("install", "install-write"):
        return 0
    sizes = [words[k + 1] for k, w in enumerate(words[:-1]) if w == "-S"]
    if not sizes or not sizes[0].isdigit():
        return 0
    positional = [w for k, w in enumerate(words[1:], 1)
                  if not w.startswith("-") and words[k - 1] not in ("-S", "-i", "--user",
                                                                     "--install-reason")]
    if words[0] == "install" and positional and positional[-1] != "-":
        return 0  # installing a file already on the phone
    if words[0] == "install-write" and len(positional) >= 3 and positional[-1] != "-":
        return 0
    return int(sizes[0])


def _failure(code: str, message: str) -> str:
    return f"Failure [{code}: {message}]\n"


def evaluate_install(phone: Phone, apk: bytes, flags: set[str]) -> str:
    """'Success\\n' (and the package recorded) or a 'Failure [...]' line."""
    tmp = f"/data/app/vmdl{phone.next_session}.tmp/base.apk"
    try:
        info = parse_apk(apk)
    except ApkError as exc:
        return _failure("INSTALL_PARSE_FAILED_NOT_APK", f"Failed to parse {tmp}: {exc}")
    if not info.package:
        return _failure("INSTALL_PARSE_FAILED_BAD_MANIFEST", f"{tmp}: no package name")
    if info.signer is None:
        return _failure("INSTALL_PARSE_FAILED_NO_CERTIFICATES",
                        f"Failed to collect certificates from {tmp}")
    if info.min_sdk > phone.sdk:
        return _failure("INSTALL_FAILED_OLDER_SDK",
                        f"Failed parse during installPackageLI: /data/app/vmdl.tmp/base.apk "
                        f"(at Binary XML file line #7): Requires newer sdk version "
                        f"#{info.min_sdk} (current version is #{phone.sdk})")
    abi = _choose_abi(phone, info)
    if info.abis and abi is None:
        return _failure("INSTALL_FAILED_NO_MATCHING_ABIS",
                        "Failed to extract native libraries, res=-113")
    if len(apk) * 2 > phone.storage_free:  # code + dexopt output
        return _failure("INSTALL_FAILED_INSUFFICIENT_STORAGE",
                        "Failed to override installation location")
    old = phone.apps.get(info.package)
    if old is not None:
        if old.signer and old.signer != info.signer:
            return _failure("INSTALL_FAILED_UPDATE_INCOMPATIBLE",
                            f"Package {info.package} signatures do not match previously "
                            "installed version; ignoring!")
        if info.version_code < old.version_code and "-d" not in flags:
            return _failure("INSTALL_FAILED_VERSION_DOWNGRADE",
                            f"Downgrade detected: Update version code {info.version_code} "
                            f"is older than current {old.version_code}")
    _record(phone, info, abi, len(apk))
    return "Success\n"


def _choose_abi(phone: Phone, info: ApkInfo) -> str | None:
    supported = phone.props.get("ro.product.cpu.abilist", "armeabi-v7a").split(",")
    return next((a for a in supported if a in info.abis), None)


def _record(phone: Phone, info: ApkInfo, abi: str | None, size: int) -> None:
    from traomay.simulator.phone import InstalledApp

    old = phone.apps.get(info.package)
    phone.apps[info.package] = InstalledApp(
        info.package, info.version_code, info.version_name, info.min_sdk, info.target_sdk,
        old.system if old else False, info.signer or "", abi,
        f"/data/app/{info.package}-{(phone.next_session % 7) + 1}/base.apk")
    phone.storage_free -= size
    phone.next_session += 1


def _split_flags(args: list[str]) -> tuple[set[str], list[str]]:
    flags, rest = set(), []
    takes_value = {"-S", "-i", "--user", "--install-reason", "-p", "--abi", "--originating-uri",
                   "--referrer", "--pkg"}
    it = iter(args)
    for a in it:
        if a in takes_value:
            flags.add(f"{a}={next(it, '')}")
        elif a.startswith("-") and a != "-":
            flags.add(a)
        else:
            rest.append(a)
    return flags, rest


def _install(phone: Phone, args: list[str], stdin: bytes) -> Result:
    flags, rest = _split_flags(args)
    if not rest or rest[-1] == "-":
        return evaluate_install(phone, stdin, flags).encode(), b"", 0
    data = phone.read_file(rest[-1])
    if data is None:
        msg = (f"Error: Unable to open file: {rest[-1]}\n"
               f"Consider using a file under /data/local/tmp/\n"
               f"Error: Can't open file: {rest[-1]}\n")
        return b"", msg.encode(), 1
    return evaluate_install(phone, data, flags).encode(), b"", 0


def _sessions(phone: Phone, verb: str, args: list[str], stdin: bytes) -> Result:
    from traomay.simulator.phone import InstallSession

    flags, rest = _split_flags(args)
    if verb == "install-create":
        sid = phone.next_session
        phone.next_session += 1
        phone.sessions[sid] = InstallSession()
        return f"Success: created install session [{sid}]\n".encode(), b"", 0
    if not rest or not rest[0].isdigit() or int(rest[0]) not in phone.sessions:
        return (b"", b"Exception occurred while executing:\njava.lang.SecurityException: "
                b"Caller has no access to session -1\n", 255)
    sid = int(rest[0])
    if verb == "install-write":
        name = rest[1] if len(rest) > 1 else "base.apk"
        source = rest[2] if len(rest) > 2 else "-"
        data = stdin if source == "-" else (phone.read_file(source) or b"")
        phone.sessions[sid].apks[name] = data
        return f"Success: streamed {len(data)} bytes\n".encode(), b"", 0
    session = phone.sessions.pop(sid)
    if verb == "install-abandon":
        return b"Success\n", b"", 0
    base = next((d for d in session.apks.values() if d), b"")
    result = evaluate_install(phone, base, flags)
    return result.encode(), b"", 0 if result.startswith("Success") else 1


def cmd_package(phone: Phone, args: list[str], stdin: bytes) -> Result:
    sub, rest = (args[0] if args else ""), args[1:]
    if sub == "install":
        out, err, code = _install(phone, rest, stdin)
        return out, err, code if not out.startswith(b"Failure") else 1
    if sub in ("install-create", "install-write", "install-commit", "install-abandon"):
        return _sessions(phone, sub, rest, stdin)
    if sub == "list" and rest[:1] == ["packages"]:
        flags, filt = _split_flags(rest[1:])
        lines = []
        for name, app in sorted(phone.apps.items()):
            if ("-3" in flags and app.system) or ("-s" in flags and not app.system):
                continue
            if filt and filt[0] not in name:
                continue
            line = f"package:{app.path}={name}" if "-f" in flags else f"package:{name}"
            if "--show-versioncode" in flags:
                line += f" versionCode:{app.version_code}"
            lines.append(line + "\n")
        return "".join(lines).encode(), b"", 0
    if sub == "path" and rest:
        app = phone.apps.get(rest[-1])
        return (f"package:{app.path}\n".encode(), b"", 0) if app else (b"", b"", 1)
    if sub == "uninstall" and rest:
        app = phone.apps.get(rest[-1])
        if app is None or app.system:
            return b"Failure [DELETE_FAILED_INTERNAL_ERROR]\n", b"", 1
        del phone.apps[rest[-1]]
        return b"Success\n", b"", 0
    if sub in ("grant", "revoke", "clear", "disable-user", "enable"):
        if rest and rest[-1] not in phone.apps and sub != "grant":
            return b"", f"Error: Unknown package: {rest[-1]}\n".encode(), 255
        return (b"Success\n" if sub == "clear" else b""), b"", 0
    return f"Unknown command: {sub}\n".encode(), b"", 255


def pm(phone: Phone, args: list[str], stdin: bytes) -> Result:
    return cmd_package(phone, args, stdin)
