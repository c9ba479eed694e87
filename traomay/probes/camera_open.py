"""Camera probe: open the phone's own camera app by intent, wait for an open camera device
in ``dumpsys media.camera``, then leave the app (HOME releases the camera).

This shows the camera service can start a camera, not that the picture is good. It runs
only when the list already meets the counts (a phone missing a camera fails without it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from traomay.checks import camera
from traomay.core.polling import Clock, Sleep, poll_until
from traomay.core.results import ShellRunner, Unknown

# MediaStore.INTENT_ACTION_STILL_IMAGE_CAMERA: the phone's own camera app, no picture saved.
OPEN_CAMERA = "am start -a android.media.action.STILL_IMAGE_CAMERA"
# KEYCODE_HOME: leave the camera app (it releases the camera when it goes to background).
CLOSE_CAMERA = "input keyevent 3"
DUMP = "dumpsys media.camera"


def run(shell: ShellRunner, facts: camera.Facts, criteria: Mapping[str, Any], *,
        clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> camera.Facts:
    c = {**camera.DEFAULT_CRITERIA, **criteria}
    enough = (facts.count("front") >= int(c["min_front"])
              and facts.count("back") >= int(c["min_back"]))
    if not c["open_test"] or not enough:
        return facts
    before = camera.connect_events(shell.shell(DUMP, timeout=30.0).output)
    started = shell.shell(OPEN_CAMERA, timeout=15.0)
    if started.failed or "Error" in started.output:
        return replace(facts, opened=Unknown("the camera app could not be started"))
    try:
        polled = poll_until(lambda: shell.shell(DUMP, timeout=30.0).output,
                            lambda text: camera.camera_opened(text, before),
                            float(c["open_timeout_s"]), float(c["poll_interval_s"]),
                            clock=clock, sleep=sleep)
    finally:
        shell.shell(CLOSE_CAMERA, timeout=15.0)
    return replace(facts, opened=polled.done)
