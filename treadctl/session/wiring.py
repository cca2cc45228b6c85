"""The run composition: configuration → profile → plan → link → Session → sinks → run.

``treadctl run`` (and the tests, and the benchmark) call ``run_session``. Everything a session's
consumers need is handed to ``attach_sinks`` in one ``Wired`` record, so the audit log, the
history recorder, MQTT and the display each attach with one line and none of them can command the
belt except through ``wired.session.request``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SAFETY_STOP,
    UsageError,
)
from treadctl.events import EndStatus, EventBus, SessionEnded

log = logging.getLogger(__name__)

# Headless runs have no keys: after a fault, wait this long (for a remote re-arm, if enabled)
# before ending the session with a safety stop.
HEADLESS_REARM_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RunOptions:
    """What ``treadctl run`` was asked to do (the parsed command line)."""

    profile: str
    device: str | None = None
    simulate: bool = False
    headless: bool = True
    fast: bool = False
    personality: str = "spec"
    faults: Sequence[str] = ()
    audit: Path | None = None
    config: Path | None = None
    speech: bool = True


@dataclass
class Wired:
    """A session ready to run, with everything its consumers attach to."""

    options: RunOptions
    config: Any  # treadctl.config.Config
    profile_name: str
    plan: Any  # treadctl.plan.Plan (built for default limits until the device is connected)
    bus: EventBus
    session: Any  # treadctl.session.engine.Session: also the SessionControls
    link: Any  # treadctl.link.TreadmillLink
    simulator: Any = None  # simulators.treadmill.SimulatedTreadmill with --simulate
    audit_path: Path | None = None
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def request(self, request: Request) -> RequestResult:
        return self.session.request(request)  # type: ignore[no-any-return,unused-ignore]


def exit_status(ended: SessionEnded | None) -> int:
    if ended is None or ended.status is EndStatus.SAFETY_STOP:
        return EXIT_SAFETY_STOP
    if ended.status is EndStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_OK


def prepare(options: RunOptions) -> Wired:
    """Everything that can fail on bad input, before anything connects (errors exit 2)."""
    from treadctl.config import load_config
    from treadctl.plan import build_plan
    from treadctl.profile.loading import load_profile
    from treadctl.session.engine import Session, SessionOptions

    if options.fast and not options.simulate:
        raise UsageError("--fast only works with --simulate (a real belt runs in real time)")
    if options.faults and not options.simulate:
        raise UsageError("--sim-fault only works with --simulate")
    loaded = load_config(options.config)
    config = loaded.config
    profile = load_profile(options.profile)
    bouts = profile.expand()
    safety = config.safety

    def plan_for(limits: Any) -> Any:
        return build_plan(profile.name, bouts, safety, limits)

    plan = plan_for(None)  # checks the profile against the caps now; re-planned on connect
    link, simulator = _make_link(options, config)
    bus = EventBus()
    session_options = SessionOptions(
        body_mass_kg=config.body_mass_kg,
        rearm_timeout_s=HEADLESS_REARM_TIMEOUT_S if options.headless else None,
        auto_confirm_turns=options.headless,
        allow_remote_start=config.mqtt.commands.enabled and config.mqtt.commands.allow_start,
    )
    session = Session(plan, link, bus, safety, session_options, plan_for_limits=plan_for)
    return Wired(options, config, profile.name, plan, bus, session, link, simulator)


def _make_link(options: RunOptions, config: Any) -> tuple[Any, Any]:
    if options.simulate:
        from simulators.faults import FaultSpecError
        from simulators.personalities import UnknownPersonality
        from treadctl.ble.simulate import simulated_link

        try:
            return simulated_link(options.personality, list(options.faults))
        except (FaultSpecError, UnknownPersonality, ValueError) as error:
            raise UsageError(str(error)) from None
    address = options.device or config.last_device
    if not address:
        raise UsageError(
            "no treadmill given: use --device ADDRESS (see `treadctl scan`) or --simulate"
        )
    from treadctl.ble.client import FtmsClient

    return FtmsClient(address), None


def attach_sinks(wired: Wired) -> None:
    """The session's consumers. Each is one call; add new ones here.

    The audit log and the history write on their own threads (a full disk or a locked database
    never stalls the session); MQTT runs on its own thread too. A part that cannot work at all
    (an unwritable audit folder, a history file that is not a database, a broken install) is a
    clear error before the session starts, never a silent session without it."""
    from treadctl.session.audit import AUDIT_FILE_NAME, AuditLog, new_session_dir

    audit_path = wired.options.audit or new_session_dir(wired.profile_name) / AUDIT_FILE_NAME
    wired.audit_path = audit_path
    try:
        audit = AuditLog(audit_path, reporter=_reporter(wired, "audit", "the audit log"))
    except OSError as error:
        raise _output_error(f"cannot write the audit log {audit_path}: {error.strerror}") from None
    audit.attach(wired.bus)
    closing = _OutputsClosing()
    closing.writers.append(audit)
    wired.closers.append(lambda: _say_losses(audit.close(closing.left_s()), "audit lines"))
    _attach_recorder(wired, closing)
    _attach_mqtt(wired)
    wired.closers.append(closing.start)  # closers run last-first: this one runs first
    if wired.options.headless:
        from treadctl.session.headless import HeadlessPrinter

        HeadlessPrinter().attach(wired.bus)


# At the end, the audit log and the history get this long, together, to write what is left (a
# database another program holds locked, a disk that is full); then the end says what was lost.
OUTPUTS_CLOSE_BUDGET_S = 5.0


class _OutputsClosing:
    """Lets the writer threads finish side by side, within one shared time budget."""

    def __init__(self) -> None:
        self.writers: list[Any] = []  # each has finish() (non-blocking)
        self._deadline: float | None = None

    def start(self) -> None:
        import time

        self._deadline = time.monotonic() + OUTPUTS_CLOSE_BUDGET_S
        for writer in self.writers:
            writer.finish()

    def left_s(self) -> float:
        import time

        if self._deadline is None:
            self.start()
        assert self._deadline is not None
        return max(0.05, self._deadline - time.monotonic())


def _output_error(message: str) -> Exception:
    from treadctl.history.sink_status import OutputError

    return OutputError(message)


def _reporter(wired: Wired, output: str, what: str) -> Any:
    """Problems of a writer thread: one stderr line and an ``OutputProblem`` on the bus."""
    from treadctl.history.sink_status import ProblemReporter

    loop: asyncio.AbstractEventLoop | None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    return ProblemReporter(output, what, bus=wired.bus, loop=loop, now=wired.session.now)


def _say_losses(report: Any, unit: str) -> None:
    """At the end of the session: what an output could not write (nothing if it is complete)."""
    from treadctl.history.sink_status import describe_loss

    line = None if report is None else describe_loss(report, unit)
    if line is not None:
        print(f"treadctl: incomplete record: {line}", flush=True)


def _device_label(wired: Wired) -> str:
    return "simulator" if wired.options.simulate else str(wired.options.device)


def _attach_recorder(wired: Wired, closing: _OutputsClosing | None = None) -> None:
    try:
        from treadctl.history.recorder import attach_recorder
    except ImportError as error:
        raise _output_error(
            f"the history recorder cannot be loaded ({error}); reinstall treadctl"
        ) from None
    loop: asyncio.AbstractEventLoop | None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    # A database that cannot be used at all raises HistoryError (a clear message, exit 2).
    recording = attach_recorder(
        wired.bus,
        profile_name=wired.profile_name,
        device=_device_label(wired),
        simulated=wired.options.simulate,
        body_mass_kg=wired.config.body_mass_kg,
        loop=loop,
        now=wired.session.now,
    )
    left_s = closing.left_s if closing is not None else lambda: OUTPUTS_CLOSE_BUDGET_S
    if closing is not None:
        closing.writers.append(recording)
    wired.closers.append(lambda: _say_losses(recording.close(left_s()), "history records"))


def _attach_mqtt(wired: Wired) -> None:
    if not wired.config.mqtt.enabled:
        return
    try:
        from treadctl.mqtt.attach import attach_mqtt
    except ImportError as error:
        raise _output_error(
            f"MQTT is configured ([mqtt] host) but cannot be loaded ({error}); reinstall "
            "treadctl or remove host from [mqtt]"
        ) from None
    device_id = _device_label(wired)
    if wired.options.simulate:
        # Simulated sessions on several machines must not share one MQTT identity.
        device_id = f"simulator-{socket.gethostname()}"
    attachment = attach_mqtt(
        wired.bus, wired.session, wired.config.mqtt, device_id, now=wired.session.now
    )
    if attachment is not None:
        wired.closers.append(attachment.close)


async def run_wired(wired: Wired) -> SessionEnded:
    """Run the session on the current loop with signal handling; close the sinks after."""
    loop = asyncio.get_running_loop()
    attach_sinks(wired)
    installed = _install_signals(loop, wired)
    try:
        return await wired.session.run()  # type: ignore[no-any-return,unused-ignore]
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        _close(wired)


def _install_signals(loop: asyncio.AbstractEventLoop, wired: Wired) -> list[int]:
    """Ctrl-C and SIGTERM ask the session to quit: the belt stops before the link closes."""
    installed: list[int] = []

    def on_signal(signum: int) -> None:
        print(f"treadctl: {signal.Signals(signum).name}: stopping the belt", file=sys.stderr)
        wired.session.request(Request(RequestKind.QUIT, source="signal"))

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
    return installed


def _close(wired: Wired) -> None:
    for close in reversed(wired.closers):
        try:
            close()
        except Exception:
            log.exception("closing a session consumer failed")
    wired.closers.clear()


def run_session(options: RunOptions) -> int:
    """``treadctl run``: returns the exit status (0 completed, 3 safety stop, 130 interrupted)."""
    from treadctl.clock import run as run_loop

    wired = prepare(options)
    if not options.headless:
        return _run_with_ui(wired)
    ended = run_loop(run_wired(wired), virtual=options.fast)
    return _report(wired, ended)


def _run_with_ui(wired: Wired) -> int:
    """Run under the Textual UI. A UI that cannot be loaded is a clear error (exit 2), never a
    silent headless session: the walker asked for a screen to follow."""
    try:
        from treadctl.tui.app import run_session_ui
    except ImportError as error:
        raise _output_error(
            f"the terminal UI cannot be loaded ({error}); reinstall treadctl, or run with "
            "--headless"
        ) from None
    ended = run_session_ui(
        wired.plan,
        wired.bus,
        wired.session,
        wired.session.now,
        wired.config.units,
        lambda: run_wired(wired),
        profile_name=wired.profile_name,
        speech=wired.options.speech,
    )
    ended = ended if isinstance(ended, SessionEnded) else wired.session.ended
    _print_ending(wired, ended)
    return _report(wired, ended)


def _print_ending(wired: Wired, ended: SessionEnded | None) -> None:
    """Once the terminal UI has closed: how the session ended, and where its log is."""
    from treadctl.session.headless import describe

    if ended is not None:
        print(describe(ended))
    if wired.audit_path is not None:
        print(f"audit log: {wired.audit_path}")


def _report(wired: Wired, ended: SessionEnded | None) -> int:
    if wired.session.error is not None:
        print(
            f"treadctl: internal error: {wired.session.error}; the belt was sent Stop",
            file=sys.stderr,
        )
    if wired.audit_path is not None and wired.options.headless:
        print(f"audit log: {wired.audit_path}")
    return exit_status(ended)
