"""Camera: does the phone have a front camera and at least one back camera?

Reads ``dumpsys media.camera`` (CameraService::dump), whose layout changed over the years:

- 5.1: ``Camera 0 static information:`` then ``  Facing: BACK|FRONT``;
- 6 to 7.1: ``Camera 0 information:`` then ``  Facing: BACK|FRONT``;
- 8.1+: the camera provider dump, one ``== Camera HAL device device@3.5/legacy/0 (v3.5)
  static information: ==`` block per HAL device, with ``Facing: Back|Front`` in "API1 info"
  and ``android.lens.facing`` in the characteristics. API1 info prints "Front" for an
  EXTERNAL (USB) camera, so android.lens.facing wins when present. Android 8.1 also lists
  the same camera id once per HAL version (device@1.0/legacy/0 and device@3.3/legacy/0):
  cameras are counted once per provider/id.

This proves the cameras are present and registered. The active step
(traomay.probes.camera_open) also opens the phone's camera app by intent and looks for an
open camera device in the dump: the camera service can start a camera (not that the
picture is good).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traomay.core.msg import Msg
from traomay.core.results import CheckResult, Status, Unknown

NAME = "camera"

COMMANDS: dict[str, str] = {"camera": "dumpsys media.camera"}

DEFAULT_CRITERIA: Mapping[str, Any] = {
    "min_front": 1,
    "min_back": 1,
    "open_test": True,
    "open_timeout_s": 8.0,
    "poll_interval_s": 1.0,
}

# 8.1+: "Device 0 is open. Client instance dump:"; every version: the event log line
# "CONNECT device 0 client for package ..." (CameraService.cpp).
_OPEN_NOW = re.compile(r"^\s*(?:\|.*:\s*)?Device \S+ is open\b", re.MULTILINE)
_CONNECT = re.compile(r"CONNECT device \S+ client for package", re.MULTILINE)

_HAL_DEVICE = re.compile(
    r"^== Camera HAL device (?:device@[\d.]+/)?(\S+?) \(v[^)]*\) static information: ==",
    re.MULTILINE,
)
_OLD_CAMERA = re.compile(r"^Camera (\S+?) (?:static )?information:\s*$", re.MULTILINE)
_FACING_API1 = re.compile(r"^\s*Facing:\s*(\w+)", re.MULTILINE | re.IGNORECASE)
_LENS_FACING = re.compile(r"android\.lens\.facing \([0-9a-fA-F]+\): byte\[1\]\s*\n\s*\[\s*(\w+)")
_DEVICE_COUNT = re.compile(r"^Number of camera devices:\s*(\d+)", re.MULTILINE)
_LENS_CODES = {"0": "front", "1": "back", "2": "external",
               "front": "front", "back": "back", "external": "external"}


@dataclass(frozen=True)
class Camera:
    camera_id: str
    facing: str  # "front" | "back" | "external" | "unknown"
    facing_source: str  # "android.lens.facing" | "api1" | "none"


@dataclass(frozen=True)
class Facts:
    dump_format: str | Unknown  # "provider" (8.1+), "information" (6-7.1), "static" (5.1)
    cameras: tuple[Camera, ...]
    reported_count: int | Unknown  # "Number of camera devices"
    dump_timed_out: bool
    opened: bool | Unknown | None = None  # the camera app opened a camera (None: not tried)

    def count(self, facing: str) -> int:
        return sum(1 for c in self.cameras if c.facing == facing)


def parse(sections: Mapping[str, str]) -> Facts:
    """Pure; never raises."""
    try:
        text = sections.get("camera")
    except Exception:
        text = None
    if not isinstance(text, str) or not text.strip():
        return Facts(Unknown("no 'dumpsys media.camera' output"), (), Unknown("no output"), False)
    timed_out = "DUMP TIMEOUT" in text
    count_match = _DEVICE_COUNT.search(text)
    reported: int | Unknown = (
        int(count_match.group(1)) if count_match else Unknown("'Number of camera devices' missing")
    )
    provider = list(_HAL_DEVICE.finditer(text))
    if provider:
        return Facts("provider", _provider_cameras(text, provider), reported, timed_out)
    old = list(_OLD_CAMERA.finditer(text))
    if old:
        fmt = "static" if "static information" in old[0].group(0) else "information"
        return Facts(fmt, _blocks(text, old, lens=False), reported, timed_out)
    if "Camera Provider HAL" in text or reported == 0:
        # 8.1+ service with no HAL devices at all (e.g. the Sunmi T2s: "0 devices").
        return Facts("provider", (), reported, timed_out)
    first = text.strip().splitlines()[0][:80]
    why = "permission denied" if "Permission Denial" in text else f"unfamiliar format ({first!r})"
    return Facts(Unknown(why), (), reported, timed_out)


def _provider_cameras(text: str, headers: list[re.Match[str]]) -> tuple[Camera, ...]:
    seen: dict[str, Camera] = {}
    for camera in _blocks(text, headers, lens=True):
        previous = seen.get(camera.camera_id)
        # keep the better-informed entry (android.lens.facing beats API1 info)
        if previous is None or (previous.facing_source != "android.lens.facing"
                                and camera.facing_source == "android.lens.facing"):
            seen[camera.camera_id] = camera
    return tuple(seen.values())


def _blocks(text: str, headers: list[re.Match[str]], lens: bool) -> list[Camera]:
    cameras = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        block = text[header.end():end]
        facing, source = "unknown", "none"
        lens_match = _LENS_FACING.search(block) if lens else None
        if lens_match and lens_match.group(1).lower() in _LENS_CODES:
            facing, source = _LENS_CODES[lens_match.group(1).lower()], "android.lens.facing"
        else:
            api1 = _FACING_API1.search(block)
            if api1 and api1.group(1).lower() in ("back", "front"):
                facing, source = api1.group(1).lower(), "api1"
        cameras.append(Camera(header.group(1), facing, source))
    return cameras


def evaluate(facts: Facts, criteria: Mapping[str, Any]) -> CheckResult:
    c = {**DEFAULT_CRITERIA, **criteria}
    front, back = facts.count("front"), facts.count("back")
    m: dict[str, Any] = {
        "dump_format": facts.dump_format if isinstance(facts.dump_format, str) else None,
        "front": front, "back": back, "external": facts.count("external"),
        "unknown_facing": facts.count("unknown"),
        "camera_ids": ",".join(cam.camera_id for cam in facts.cameras),
        "reported_count": facts.reported_count if isinstance(facts.reported_count, int) else None,
        "dump_timed_out": facts.dump_timed_out,
    }
    if isinstance(facts.dump_format, Unknown):
        return CheckResult(NAME, Status.ERROR, Msg(
            "Could not read the camera list: {reason}", {"reason": facts.dump_format.reason}), m)
    args = {"front": front, "back": back}
    m["opened"] = facts.opened if isinstance(facts.opened, bool) else None
    if front >= int(c["min_front"]) and back >= int(c["min_back"]):
        if facts.opened is False:
            return CheckResult(NAME, Status.NEEDS_OPERATOR, Msg(
                "Found {front} front and {back} back cameras, but the camera app did not open "
                "a camera: open it by hand and check that both cameras show a picture", args), m)
        if facts.opened is True:
            return CheckResult(NAME, Status.PASS, Msg(
                "Found {front} front and {back} back cameras; the camera app opened a camera",
                args), m)
        return CheckResult(NAME, Status.PASS, Msg(
            "Found {front} front and {back} back cameras", args), m)
    unread = facts.count("unknown") > 0 or (
        isinstance(facts.reported_count, int) and facts.reported_count > len(facts.cameras))
    if unread or facts.dump_timed_out:
        # Not a verdict on the phone: part of the dump was missing or unreadable.
        return CheckResult(NAME, Status.ERROR, Msg(
            "Camera list incomplete (found {front} front, {back} back): check the cameras by hand",
            args), m)
    return CheckResult(NAME, Status.FAIL, Msg(
        "Missing camera: found {front} front and {back} back (need {need_front} front, "
        "{need_back} back)", {**args, "need_front": c["min_front"], "need_back": c["min_back"]}),
        m)


def connect_events(text: str) -> int:
    """How many "CONNECT device ..." lines the camera service's event log holds."""
    return len(_CONNECT.findall(text))


def camera_opened(text: str, connects_before: int) -> bool:
    """A camera device is open now, or a client connected since ``connects_before``."""
    return bool(_OPEN_NOW.search(text)) or connect_events(text) > connects_before
