"""No code path may start an adb server on its own: adbutils would start one on the user's
port 5037 when a connection fails; traomay turns that off."""

from __future__ import annotations

import pytest

from traomay.core.errors import AdbServerError
from traomay.device.adb import AdbHub, _port_answers, free_port


def test_a_dead_port_is_an_error_and_starts_nothing():
    dead = free_port(21037)
    default_before = _port_answers("127.0.0.1", 5037)
    with pytest.raises(AdbServerError):
        AdbHub(port=dead).list_phones()
    assert not _port_answers("127.0.0.1", dead)
    if not default_before:
        assert not _port_answers("127.0.0.1", 5037), "an adb server was started on 5037"
