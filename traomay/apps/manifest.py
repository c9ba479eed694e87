"""``apk_manifest.yaml``: which apps every phone gets, pinned to exact files and signers.

The APK files live in an ``apks/`` folder beside the manifest (not committed: the district
supplies them). ``load_manifest`` validates strictly; every problem is a BadInputError whose
message names the file, the app (1-based index and name) and the key. ``pin`` fills an entry
from APK files; ``check`` verifies the files against their entries.

Writing: ``pin`` rewrites the whole file in a fixed layout. The comment block at the top of
the file is kept; comments elsewhere are lost, which is why per-app remarks belong in the
``note`` key (it survives pinning).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from traomay.apps.apk import PACKAGE_RE, ApkInfo, read_apk, read_apk_cached
from traomay.apps.manifest_yaml import StrictLoader, with_app, write_manifest
from traomay.core.errors import BadInputError
from traomay.core.msg import Msg

SCHEMA_VERSION = 1
APKS_DIR = "apks"
KNOWN_ABIS = ("armeabi", "armeabi-v7a", "arm64-v8a", "x86", "x86_64", "mips", "mips64",
              "riscv64")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ENTRY_KEYS = ("name", "package", "required", "version_code", "min_sdk", "abis",
              "signer_sha256", "expected_signer_sha256", "files", "note")
FINGERPRINT_RE = re.compile(r"^[0-9A-Fa-f]{2}(:?[0-9A-Fa-f]{2}){31}$")


@dataclass(frozen=True)
class ApkFile:
    path: str  # relative to the apks/ folder, "/" separated
    sha256: str  # "" until pinned


@dataclass(frozen=True)
class AppEntry:
    index: int  # 1-based position in the file, for messages
    name: str
    package: str  # "" until pinned
    files: tuple[ApkFile, ...] = ()
    signer_sha256: str = ""
    version_code: int | None = None
    min_sdk: int | None = None
    abis: tuple[str, ...] = ()
    required: bool = True
    note: str = ""
    # The publisher's certificate SHA-256 as the district received it (from the publisher,
    # not read from the APK); "" = not given. Pin and install refuse any other signer.
    expected_signer_sha256: str = ""

    @property
    def pinned(self) -> bool:
        return bool(self.package and self.files and self.signer_sha256
                    and self.version_code is not None and all(f.sha256 for f in self.files))


@dataclass(frozen=True)
class Manifest:
    path: Path
    apps: tuple[AppEntry, ...]
    schema: int = SCHEMA_VERSION

    @property
    def apks_dir(self) -> Path:
        return self.path.parent / APKS_DIR

    def file_path(self, apk: ApkFile) -> Path:
        return self.apks_dir / apk.path

    def find(self, package_or_name: str) -> AppEntry | None:
        key = package_or_name.casefold()
        for app in self.apps:
            if app.package.casefold() == key or app.name.casefold() == key:
                return app
        return None


# Literal msgids (the catalog extractor needs them written out).
_ENTRY_MSGS = {
    "missing": Msg("In {file}, app {index} ({name}): '{key}' is missing."),
    "unknown": Msg("In {file}, app {index} ({name}): '{key}' is not a known setting; check "
                   "the spelling."),
    "text": Msg("In {file}, app {index} ({name}): '{key}' must be text."),
    "int": Msg("In {file}, app {index} ({name}): '{key}' must be a whole number."),
    "sdk": Msg("In {file}, app {index} ({name}): '{key}' must be an Android API level "
               "between 1 and 1000."),
    "bool": Msg("In {file}, app {index} ({name}): '{key}' must be true or false."),
    "list": Msg("In {file}, app {index} ({name}): '{key}' must be a list."),
    "mapping": Msg("In {file}, app {index} ({name}): '{key}' must be a mapping."),
    "sha": Msg("In {file}, app {index} ({name}): '{key}' must be 64 lowercase hexadecimal "
               "characters (SHA-256), or empty until pinned."),
    "fingerprint": Msg("In {file}, app {index} ({name}): '{key}' must be the publisher's "
                       "certificate SHA-256: 64 hexadecimal characters (colons allowed), or "
                       "empty."),
    "package": Msg("In {file}, app {index} ({name}): '{key}' must be a package name like "
                   "com.example.app, or empty until pinned."),
    "path": Msg("In {file}, app {index} ({name}): '{key}' must be a file name inside the "
                "apks folder."),
    "abi": Msg("In {file}, app {index} ({name}): '{key}' has an unknown processor type "
               "{value}."),
    "duplicate": Msg("In {file}, app {index} ({name}): package {value} is listed twice."),
}


def _entry_error(file: Path, index: int, name: str, key: str, kind: str, value: Any = "",
                 ) -> BadInputError:
    template = _ENTRY_MSGS[kind]
    return BadInputError(Msg(template.msgid, {"file": str(file), "index": index,
                                              "name": name or "?", "key": key,
                                              "value": str(value)}))


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise BadInputError(Msg("Cannot read the app manifest {file}.", {"file": str(path)}),
                            detail=str(exc)) from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BadInputError(Msg(
            "{file} is not valid YAML (line {line}, column {column}): {problem}",
            {"file": str(path), "line": mark.line + 1 if mark else 0,
             "column": mark.column + 1 if mark else 0,
             "problem": str(getattr(exc, "problem", "") or exc)}), detail=str(exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("apps"), list):
        raise BadInputError(Msg("{file} must have 'schema: 1' and an 'apps' list.",
                                {"file": str(path)}))
    for key in data:
        if key not in ("schema", "apps"):
            raise BadInputError(Msg("In {file}: '{key}' is not a known setting; check the "
                                    "spelling.", {"file": str(path), "key": str(key)}))
    schema = data.get("schema")
    if schema != SCHEMA_VERSION:
        raise BadInputError(Msg("{file} has schema {found}; this traomay reads schema "
                                "{expected}. Update traomay or the file.",
                                {"file": str(path), "found": str(schema),
                                 "expected": SCHEMA_VERSION}))
    apps: list[AppEntry] = []
    for index, raw in enumerate(data["apps"], start=1):
        app = _entry(path, index, raw)
        if app.package and any(a.package == app.package for a in apps):
            raise _entry_error(path, index, app.name, "package", "duplicate", app.package)
        apps.append(app)
    return Manifest(path=path, apps=tuple(apps), schema=schema)


def _entry(file: Path, index: int, raw: Any) -> AppEntry:
    if not isinstance(raw, dict):
        raise _entry_error(file, index, "", "apps", "mapping")
    name = raw.get("name")
    shown = name if isinstance(name, str) else ""

    def fail(key: str, kind: str, value: Any = "") -> BadInputError:
        return _entry_error(file, index, shown, key, kind, value)

    for key in raw:
        if key not in ENTRY_KEYS:
            raise fail(str(key), "unknown")
    if "name" not in raw or "package" not in raw:
        raise fail("name" if "name" not in raw else "package", "missing")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "text")
    package = raw["package"] if raw["package"] is not None else ""
    if not isinstance(package, str):
        raise fail("package", "text")
    if package and not PACKAGE_RE.match(package):
        raise fail("package", "package")
    signer = raw.get("signer_sha256") or ""
    if not isinstance(signer, str) or (signer and not SHA256_RE.match(signer)):
        raise fail("signer_sha256", "sha")
    expected = raw.get("expected_signer_sha256") or ""
    if not isinstance(expected, str) or (expected and not FINGERPRINT_RE.match(expected.strip())):
        raise fail("expected_signer_sha256", "fingerprint")
    expected = expected.strip().replace(":", "").lower()  # keytool prints AB:CD:..
    numbers = {}
    for key in ("version_code", "min_sdk"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 0):
            raise fail(key, "int")
        if key == "min_sdk" and value is not None and not 1 <= value <= 1000:
            raise fail(key, "sdk")
        numbers[key] = value
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise fail("required", "bool")
    note = raw.get("note") or ""
    if not isinstance(note, str):
        raise fail("note", "text")
    abis = raw.get("abis") or []
    if not isinstance(abis, list):
        raise fail("abis", "list")
    for abi in abis:
        if abi not in KNOWN_ABIS:
            raise fail("abis", "abi", abi)
    return AppEntry(index=index, name=name.strip(), package=package,
                    files=_files(raw.get("files"), fail), signer_sha256=signer,
                    version_code=numbers["version_code"], min_sdk=numbers["min_sdk"],
                    abis=tuple(abis), required=required, note=note,
                    expected_signer_sha256=expected)


def _files(raw: Any, fail) -> tuple[ApkFile, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail("files", "list")
    files = []
    for i, item in enumerate(raw, start=1):
        where = f"files[{i}]"
        if not isinstance(item, dict):
            raise fail(where, "mapping")
        for key in item:
            if key not in ("path", "sha256"):
                raise fail(f"{where}.{key}", "unknown")
        rel = item.get("path")
        if not isinstance(rel, str) or not _safe_relative(rel):
            raise fail(f"{where}.path", "path" if "path" in item else "missing")
        sha = item.get("sha256") or ""
        if not isinstance(sha, str) or (sha and not SHA256_RE.match(sha)):
            raise fail(f"{where}.sha256", "sha")
        files.append(ApkFile(path=rel, sha256=sha))
    return tuple(files)


def _safe_relative(rel: str) -> bool:
    parts = rel.replace("\\", "/").split("/")
    return bool(rel.strip()) and not rel.startswith(("/", "\\")) and ":" not in rel \
        and all(p not in ("", ".", "..") for p in parts)




# -- pin -----------------------------------------------------------------------------------
def pin(manifest_path: str | Path, apk_paths: Sequence[str | Path], *,
        name: str | None = None, new_signer: bool = False) -> AppEntry:
    """Read the APK file(s) of one app and write their facts into the manifest.

    The entry is found by package, else by ``name`` (how "Bình Dương Số", whose package is
    not known in advance, gets pinned), else a new entry is added. Files outside ``apks/``
    are copied into it. Returns the written entry.

    Every file's signature must verify as Android verifies it (``read_apk`` refuses it
    otherwise). The signer must equal the entry's ``expected_signer_sha256`` when the
    district gave one, and may replace an already pinned, different signer only with
    ``new_signer=True`` (a publisher's key change is rare; a doctored file is not).
    """
    manifest = load_manifest(manifest_path)
    infos = [read_apk(p) for p in apk_paths]
    base = _base_apk(manifest.path, infos)
    for info in infos:
        if not info.signature_verified:  # read_apk refuses these; never pin one anyway
            raise BadInputError(Msg("The signature of {file} could not be verified, so it "
                                    "is not pinned.", {"file": str(info.path)}))
        if (info.package, info.version_code, info.signer_sha256) != (
                base.package, base.version_code, base.signer_sha256):
            raise BadInputError(Msg(
                "{file} does not belong with {base}: package, version and signer must be the "
                "same for all files of one app.", {"file": str(info.path), "base": str(base.path)}))
    existing = manifest.find(base.package) or (manifest.find(name) if name else None)
    app_name = (name or (existing.name if existing else base.package)).strip()
    args = {"app": app_name, "file": str(base.path), "found": base.signer_sha256}
    expected = existing.expected_signer_sha256 if existing else ""
    if expected and base.signer_sha256 != expected:
        raise BadInputError(Msg(
            "{file} is signed by {found}, not by the publisher the district expects for {app} "
            "({expected}). It is not pinned: do not use this file.",
            {**args, "expected": expected}))
    if existing and existing.signer_sha256 and existing.signer_sha256 != base.signer_sha256 \
            and not new_signer:
        raise BadInputError(Msg(
            "{app} is pinned to signer {pinned}, but {file} is signed by {found}. If the "
            "publisher really changed its key, confirm the new fingerprint with the district "
            "and pin again with --new-signer.", {**args, "pinned": existing.signer_sha256}))
    ordered = [base] + sorted((i for i in infos if i.is_split), key=lambda i: i.split_name or "")
    files = [_into_apks_dir(manifest, info) for info in ordered]
    abis = sorted({abi for info in infos for abi in info.abis})
    entry = AppEntry(
        index=existing.index if existing else len(manifest.apps) + 1,
        name=app_name,
        package=base.package,
        files=tuple(files),
        signer_sha256=base.signer_sha256,
        version_code=base.version_code,
        min_sdk=base.min_sdk,
        abis=tuple(abis),
        required=existing.required if existing else True,
        note=existing.note if existing else "",
        expected_signer_sha256=expected,
    )
    write_manifest(with_app(manifest, entry))
    return load_manifest(manifest.path).find(entry.package) or entry


def _base_apk(manifest_path: Path, infos: Sequence[ApkInfo]) -> ApkInfo:
    bases = [info for info in infos if not info.is_split]
    if len(bases) != 1:
        raise BadInputError(Msg(
            "Give exactly one base APK (plus its split APKs, if any) to pin; got {count}.",
            {"count": len(bases), "file": str(manifest_path)}))
    return bases[0]


def _into_apks_dir(manifest: Manifest, info: ApkInfo) -> ApkFile:
    apks = manifest.apks_dir.resolve()
    source = info.path.resolve()
    if apks in source.parents:
        return ApkFile(path=source.relative_to(apks).as_posix(), sha256=info.file_sha256)
    target = apks / source.name
    try:
        apks.mkdir(parents=True, exist_ok=True)
        if target.exists():
            if hashlib.sha256(target.read_bytes()).hexdigest() != info.file_sha256:
                raise BadInputError(Msg(
                    "{target} already exists with other contents; rename {file} or remove the "
                    "old file first.", {"target": str(target), "file": str(info.path)}))
        else:
            shutil.copyfile(source, target)
    except OSError as exc:
        raise BadInputError(Msg("Cannot copy {file} into {folder}.",
                                {"file": str(info.path), "folder": str(apks)}),
                            detail=str(exc)) from None
    return ApkFile(path=target.name, sha256=info.file_sha256)


# -- check ---------------------------------------------------------------------------------
class FileStatus(str, Enum):
    OK = "ok"
    NOT_PINNED = "not_pinned"
    MISSING = "missing"
    HASH_MISMATCH = "hash_mismatch"
    BAD_APK = "bad_apk"
    SIGNER_MISMATCH = "signer_mismatch"
    WRONG_APP = "wrong_app"  # package or version differ from the entry


@dataclass(frozen=True)
class FileCheck:
    app: str
    required: bool
    path: str  # as written in the manifest ("" for an entry without files)
    status: FileStatus
    message: Msg
    info: ApkInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status is FileStatus.OK


def check(manifest: Manifest) -> list[FileCheck]:
    """One row per file (or per unpinned app): does the file on disk match its entry?"""
    rows: list[FileCheck] = []
    for app in manifest.apps:
        if not app.pinned:
            rows.append(FileCheck(app.name, app.required, "", FileStatus.NOT_PINNED, Msg(
                "{app} is not pinned yet: put its APK files in {folder} and run "
                "'traomay manifest pin'.", {"app": app.name, "folder": str(manifest.apks_dir)})))
            continue
        rows.extend(_check_file(manifest, app, f) for f in app.files)
    return rows


def _check_file(manifest: Manifest, app: AppEntry, apk: ApkFile) -> FileCheck:
    path = manifest.file_path(apk)
    args = {"app": app.name, "file": apk.path}

    def row(status: FileStatus, msg: Msg, info: ApkInfo | None = None) -> FileCheck:
        return FileCheck(app.name, app.required, apk.path, status, msg, info)

    if not path.is_file():
        return row(FileStatus.MISSING, Msg("{app}: {file} is missing from {folder}.",
                                           {**args, "folder": str(manifest.apks_dir)}))
    try:
        info = read_apk(path)
    except BadInputError as exc:
        return row(FileStatus.BAD_APK, exc.message)
    if info.file_sha256 != apk.sha256:
        return row(FileStatus.HASH_MISMATCH, Msg(
            "{app}: {file} is not the pinned file (its SHA-256 differs). Get the right file, "
            "or pin the new one.", args), info)
    if info.signer_sha256 != app.signer_sha256:
        return row(FileStatus.SIGNER_MISMATCH, Msg(
            "{app}: {file} is signed by a different publisher than pinned. Do not install it.",
            args), info)
    if app.expected_signer_sha256 and info.signer_sha256 != app.expected_signer_sha256:
        return row(FileStatus.SIGNER_MISMATCH, Msg(
            "{app}: {file} is not signed by the publisher the district expects "
            "({expected}). Do not install it.",
            {**args, "expected": app.expected_signer_sha256}), info)
    if info.package != app.package or info.version_code != app.version_code:
        return row(FileStatus.WRONG_APP, Msg(
            "{app}: {file} is {package} version {version}, but the manifest says {expected} "
            "version {expected_version}.",
            {**args, "package": info.package, "version": info.version_code,
             "expected": app.package, "expected_version": app.version_code}), info)
    return row(FileStatus.OK, Msg("{app}: {file} is correct.", args), info)


def read_app_apks(manifest: Manifest, app: AppEntry) -> list[ApkInfo]:
    """ApkInfo of every file of ``app`` (for plan_install); BadInputError if one is unusable."""
    infos = []
    for apk in app.files:
        path = manifest.file_path(apk)
        if not path.is_file():
            raise BadInputError(Msg("{app}: {file} is missing from {folder}.",
                                    {"app": app.name, "file": apk.path,
                                     "folder": str(manifest.apks_dir)}))
        infos.append(read_apk_cached(path))  # verified once per file, not per phone
    return infos
