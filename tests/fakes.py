"""The one fake a unit test may use for a phone: the simulator's own phone model, reached
without the wire. ``SimShell`` runs each command line through ``Phone.run`` exactly as the
simulated phone's adbd would, so probe tests exercise the same shell, settings and radios
the end-to-end tests reach through the real adb server. Faults are injected per command:
a refusal (the phone's own "unknown command" reply) or an exception (the phone went away).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from traomay.core.results import ShellResult
from traomay.simulator.phone import Phone

Hook = Callable[[str, int], ShellResult | None]  # (command, nth call of it) -> reply or None


def sim_phone(profile: str, **state: Any) -> Phone:
    """A simulated phone from a bundled profile; ``state`` sets Phone attributes
    (``wifi_enabled=False``) or, for ``wifi``/``bluetooth``/``location``/``battery``,
    replaces fields of that part of the profile (``bluetooth={"broken": True}``)."""
    phone = Phone.from_profile(profile)
    for key, value in state.items():
        if isinstance(value, dict):
            part = getattr(phone.profile, key)
            phone.profile = dataclasses.replace(
                phone.profile, **{key: dataclasses.replace(part, **value)})
        else:
            setattr(phone, key, value)
    return phone


class SimShell:
    """A ShellRunner over one simulated phone, recording every command."""

    def __init__(self, phone: Phone, hooks: dict[str, Hook] | None = None) -> None:
        self.phone = phone
        self.hooks = hooks or {}
        self.commands: list[str] = []
        self._counts: dict[str, int] = {}

    def shell(self, command: str, timeout: float = 30.0) -> ShellResult:
        self.commands.append(command)
        for prefix, hook in self.hooks.items():
            if command.startswith(prefix):
                n = self._counts[prefix] = self._counts.get(prefix, 0) + 1
                reply = hook(command, n)
                if reply is not None:
                    return reply
        out = self.phone.run(command)
        text = (out.stdout + out.stderr).decode("utf-8", "replace")
        return ShellResult(text, out.exit_code)


def refused(text: str = "Unknown command", code: int = 255) -> Hook:
    """A hook: the phone answers as it does for a command it does not have."""
    return lambda command, n: ShellResult(f"{text}\n", code)


def raises(exc: BaseException, on_call: int = 1) -> Hook:
    """A hook: the ``on_call``-th such command never answers (the phone went away)."""

    def hook(command: str, n: int) -> ShellResult | None:
        if n == on_call:
            raise exc
        return None

    return hook


class FakeClock:
    """A clock the probes sleep on without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)

    def __call__(self) -> float:
        return self.now


def undecorated(parse: Callable[..., Any]) -> Callable[..., Any]:
    """A check's parser without its ``never_raises`` guard: property tests call this, so a
    parser that raises fails them instead of hiding behind the guard."""
    return getattr(parse, "__wrapped__", parse)
