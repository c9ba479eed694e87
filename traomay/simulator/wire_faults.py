"""Hook points for per-phone wire faults (roadmap: drop mid-shell, mid-push, mid-install,
during reboot; slow links; garbage). The default does nothing.

A fault plan subclasses WireFaults and is passed to PhoneServer / SimulatedHub per phone.
Hooks run on the simulator's event loop: they may ``await asyncio.sleep()`` to be slow,
return different bytes to corrupt output, call ``server.unplug()``, or raise
DropConnection to cut the TCP connection where they stand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traomay.simulator.adb_wire import Message
    from traomay.simulator.server import PhoneServer
    from traomay.simulator.wire_stream import Stream


class DropConnection(Exception):
    """Raised by a hook: the phone's TCP connection goes away right here."""


class WireFaults:
    async def on_message(self, server: PhoneServer, message: Message) -> None:
        """Every message from the adb server, before it is handled (e.g. a WRTE of a push)."""

    async def before_service(self, server: PhoneServer, service: str) -> None:
        """After OPEN was accepted, before the service runs (``shell,v2:getprop``, ``sync:``)."""

    async def before_write(self, server: PhoneServer, stream: Stream, chunk: bytes) -> bytes:
        """Each WRTE payload the phone is about to send; return what to send instead."""
        return chunk

    def reboot_seconds(self, server: PhoneServer, seconds: float) -> float | None:
        """The phone is about to reboot for ``seconds``: return how long it really stays
        away (None: it never comes back, as a phone stuck in a boot loop)."""
        return seconds
