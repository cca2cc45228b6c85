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
    display: str | None = None  # --display [HOST:]PORT: the view-only big screen


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
    """The session's consumers. Each is one call; add new ones here."""
    from treadctl.session.audit import AUDIT_FILE_NAME, AuditLog, new_session_dir

    _attach_voice(wired)  # first: its cues reach the audit log before the events behind them
    audit_path = wired.options.audit or new_session_dir(wired.profile_name) / AUDIT_FILE_NAME
    wired.audit_path = audit_path
    wired.closers.append(AuditLog(audit_path).attach(wired.bus).close)
    _attach_recorder(wired)
    _attach_mqtt(wired)
    _attach_display(wired)
    if wired.options.headless:
        from treadctl.session.headless import HeadlessPrinter

        HeadlessPrinter().attach(wired.bus)


def _attach_voice(wired: Wired) -> None:
    from treadctl.voice.attach import attach_voice

    coach = attach_voice(
        wired.bus,
        wired.config.voice,
        _voice_units(wired),
        speech=wired.options.speech,
        headless=wired.options.headless,
        virtual_clock=wired.options.fast,
    )
    wired.closers.append(coach.close)


def _voice_units(wired: Wired) -> Any:
    """The spoken units: ``[voice] units``, where "profile" means the profile's own units."""
    wanted = wired.config.voice.units
    if wanted != "profile":
        return wanted
    from treadctl.profile.loading import load_profile

    try:
        return load_profile(wired.options.profile).units
    except Exception:  # loaded once already in prepare(); fall back to the screen's units
        return wired.config.units


def _attach_display(wired: Wired) -> None:
    if wired.options.display is None:
        return
    from treadctl.display.address import parse_display
    from treadctl.display.attach import attach_display

    try:
        attachment = attach_display(
            wired.bus,
            wired.session,
            parse_display(wired.options.display),
            wired.config.units,
            lambda: wired.session.plan.bouts,
            profile_name=wired.profile_name,
            headless=wired.options.headless,
        )
    except Exception:
        _close(wired)  # nothing has moved the belt yet: close what is open, then report
        raise
    wired.closers.append(attachment.close)


def _device_label(wired: Wired) -> str:
    return "simulator" if wired.options.simulate else str(wired.options.device)


def _attach_recorder(wired: Wired) -> None:
    try:
        from treadctl.history.recorder import attach_recorder
    except ImportError:
        return
    try:
        recorder = attach_recorder(
            wired.bus,
            profile_name=wired.profile_name,
            device=_device_label(wired),
            simulated=wired.options.simulate,
            body_mass_kg=wired.config.body_mass_kg,
        )
    except Exception as error:  # the history must never stop a session from running safely
        log.warning("history recording is off for this session: %s", error)
        return
    wired.closers.append(recorder.close)


def _attach_mqtt(wired: Wired) -> None:
    if not wired.config.mqtt.enabled:
        return
    try:
        from treadctl.mqtt.attach import attach_mqtt
    except ImportError:
        return
    device_id = _device_label(wired)
    if wired.options.simulate:
        # Simulated sessions on several machines must not share one MQTT identity.
        device_id = f"simulator-{socket.gethostname()}"
    attachment = attach_mqtt(wired.bus, wired.session, wired.config.mqtt, device_id)
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
        status = _run_with_ui(wired)
        if status is not None:
            return status
        wired.options = _headless(options)
        wired.session.options = _with_headless(wired.session.options)
    ended = run_loop(run_wired(wired), virtual=options.fast)
    return _report(wired, ended)


def _run_with_ui(wired: Wired) -> int | None:
    """Run under the Textual UI if it is installed; None means "fall back to headless"."""
    try:
        from treadctl.tui.app import run_session_ui
    except ImportError:
        return None
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


def _headless(options: RunOptions) -> RunOptions:
    from dataclasses import replace

    return replace(options, headless=True)


def _with_headless(session_options: Any) -> Any:
    from dataclasses import replace

    return replace(
        session_options, rearm_timeout_s=HEADLESS_REARM_TIMEOUT_S, auto_confirm_turns=True
    )


def _report(wired: Wired, ended: SessionEnded | None) -> int:
    if wired.session.error is not None:
        print(
            f"treadctl: internal error: {wired.session.error}; the belt was sent Stop",
            file=sys.stderr,
        )
    if wired.audit_path is not None and wired.options.headless:
        print(f"audit log: {wired.audit_path}")
    return exit_status(ended)
