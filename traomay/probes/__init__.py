"""Everything that drives a phone: radios on and off, the camera app, the touch grid, the
incoming call, the drain test. The checks stay pure; a probe reads the phone, calls the
check's parser, and returns new facts.

``ACTIVE`` is the table of active steps an inspection runs after parsing (a check without
an entry here has none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from traomay.probes import bluetooth_on, camera_open, gps_fix, wifi_scan

ActiveProbe = Callable[..., Any]  # (shell, facts, criteria, *, clock, sleep) -> facts

ACTIVE: Mapping[str, ActiveProbe] = {
    "camera": camera_open.run,
    "wifi": wifi_scan.run,
    "bluetooth": bluetooth_on.run,
    "gps": gps_fix.run,
}
