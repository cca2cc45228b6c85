"""Is there a Bluetooth stack to talk to? Checked before a session opens any screen.

On Linux bleak talks to BlueZ over the D-Bus system bus. Without the bus, without the
``org.bluez`` service or without the adapter asked for, a session cannot even connect, so
``treadctl run --device`` says so in one line and exits 2 before the terminal UI starts (as
``scan`` and ``probe`` do). Elsewhere (macOS, Windows) bleak's own errors are translated later.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from treadctl.ble.errors import unavailable
from treadctl.errors import BluetoothUnavailable

CHECK_TIMEOUT_S = 3.0
_BLUEZ = "org.bluez"


def check_bluez(adapter: str | None = None, timeout_s: float = CHECK_TIMEOUT_S) -> None:
    """Raise ``BluetoothUnavailable`` unless BlueZ (and ``adapter``, if given) answers."""
    if not sys.platform.startswith("linux"):
        return
    _run_check(lambda: _check(adapter, timeout_s))


def check_transport(spec: str) -> None:
    """Raise ``BluetoothUnavailable`` unless the bumble transport ``spec`` can be opened."""
    from treadctl.ble.bumble_host import probe_transport

    _run_check(lambda: probe_transport(spec))


def _run_check(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async check to the end from synchronous code, inside a running loop or not."""
    errors: list[BaseException] = []

    def check() -> None:
        try:
            asyncio.run(make())
        except BaseException as error:  # handed to the calling thread
            errors.append(error)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        check()
    else:  # called from inside a loop (a test, the start screen): check on a thread of its own
        thread = threading.Thread(target=check, name="bluez-check")
        thread.start()
        thread.join()
    if errors:
        raise errors[0]


async def _check(adapter: str | None, timeout_s: float) -> None:
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    try:
        async with asyncio.timeout(timeout_s):
            bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    except TimeoutError:
        raise unavailable("the D-Bus system bus did not answer") from None
    except (OSError, ValueError, EOFError) as error:
        raise unavailable("no D-Bus system bus, so no BlueZ") from error
    except Exception as error:  # dbus_fast's own errors (authentication, protocol)
        raise unavailable(f"the D-Bus system bus refused the connection: {error}") from error
    try:
        async with asyncio.timeout(timeout_s):
            reply = await bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member="NameHasOwner",
                    signature="s",
                    body=[_BLUEZ],
                )
            )
            if reply is None or reply.message_type is MessageType.ERROR or not reply.body[0]:
                raise unavailable("the BlueZ service is not running")
            if adapter:
                found = await bus.call(
                    Message(
                        destination=_BLUEZ,
                        path=f"/org/bluez/{adapter}",
                        interface="org.freedesktop.DBus.Properties",
                        member="GetAll",
                        signature="s",
                        body=["org.bluez.Adapter1"],
                    )
                )
                if found is None or found.message_type is MessageType.ERROR:
                    raise BluetoothUnavailable(
                        f"there is no Bluetooth adapter {adapter!r}; list them with "
                        "`bluetoothctl list` (names like hci0, hci1)"
                    )
    except TimeoutError:
        raise unavailable("BlueZ did not answer in time") from None
    finally:
        bus.disconnect()
