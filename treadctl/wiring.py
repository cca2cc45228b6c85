"""The composition root of ``treadctl run``: configuration → profile → plan → link → Session →
sinks → run. It sits above every package (nothing in ``session/`` or below imports it).

``treadctl run`` (and the tests, and the benchmark) call ``run_session``. Everything a session's
consumers need is handed to ``attach_sinks`` in one ``Wired`` record, so the audit log, the
history recorder, MQTT and the display each attach with one line and none of them can command the
belt except through ``wired.session.request``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.errors import (
    EXIT_BELT_MAY_BE_MOVING,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SAFETY_STOP,
    UsageError,
)
from treadctl.events import EndStatus, EventBus, SessionEnded

if TYPE_CHECKING:
    from simulators.treadmill import SimulatedTreadmill
    from treadctl.ble.heart_rate import HeartRateStrap
    from treadctl.checkins.flow import CheckinAnswers, CheckinPrompts
    from treadctl.config import Config
    from treadctl.history.recorder import RecordingHandle
    from treadctl.hr.attach import HeartRatePlan
    from treadctl.link import TreadmillLink
    from treadctl.plan import Plan
    from treadctl.profile.models import Profile
    from treadctl.session.audit import AuditLog
    from treadctl.session.engine import Session
    from treadctl.session.headless import HeadlessPrinter

log = logging.getLogger(__name__)

# Headless runs have no keys: after a fault, wait this long (for a remote re-arm, if enabled)
# before ending the session with a safety stop.
HEADLESS_REARM_TIMEOUT_S = 30.0
# ... and while the belt is not confirmed at rest it keeps alarming and escalating this long.
HEADLESS_ALARM_TIMEOUT_S = 120.0


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
    quirks: str | None = None  # --quirks LIST (presets), replacing config and known-device table
    transport: str | None = None  # --transport SPEC: a bumble HCI transport instead of BlueZ
    adapter: str | None = None  # --adapter NAME: the BlueZ adapter (hci0, hci1, ...)
    hr_device: str | None = None  # --hr ADDRESS: a heart-rate strap (else [heart_rate] device)
    sim_hr: str | None = None  # --sim-hr 90,120@60: a simulated strap's schedule
    sim_hr_faults: Sequence[str] = ()  # --sim-hr-fault NAME@SECONDS
    checkin: CheckinAnswers | None = None  # --effort, --pain, --morning-pain
    display: str | None = None  # --display [HOST:]PORT: the view-only big screen


@dataclass
class Wired:
    """A session ready to run, with everything its consumers attach to."""

    options: RunOptions
    config: Config
    profile_name: str
    plan: Plan  # built for default limits until the device is connected
    bus: EventBus
    session: Session  # also the SessionControls
    link: TreadmillLink
    simulator: SimulatedTreadmill | None = None  # with --simulate
    audit_path: Path | None = None
    closers: list[Callable[[], object]] = field(default_factory=list)
    recorder: RecordingHandle | None = None  # once attached
    printer: HeadlessPrinter | None = None  # when headless
    audit: AuditLog | None = None  # once attached
    heart_rate: HeartRatePlan | None = None  # once prepared

    def request(self, request: Request) -> RequestResult:
        return self.session.request(request)


def exit_status(ended: SessionEnded | None) -> int:
    """0 completed, 3 safety stop, 130 interrupted; 4 whenever the belt was not confirmed at
    rest, whatever else happened (the walker must use the console stop)."""
    if ended is not None and not ended.belt_at_rest:
        return EXIT_BELT_MAY_BE_MOVING
    if ended is None or ended.status is EndStatus.SAFETY_STOP:
        return EXIT_SAFETY_STOP
    if ended.status is EndStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_OK


def prepare(options: RunOptions) -> Wired:
    """Everything that can fail on bad input, before anything connects (errors exit 2)."""
    from treadctl.config import load_config
    from treadctl.plan import plan_profile
    from treadctl.profile.loading import load_profile
    from treadctl.session.engine import Session, SessionOptions

    if options.fast and not options.simulate:
        raise UsageError("--fast only works with --simulate (a real belt runs in real time)")
    if options.faults and not options.simulate:
        raise UsageError("--sim-fault only works with --simulate")
    if (options.sim_hr or options.sim_hr_faults) and not options.simulate:
        raise UsageError("--sim-hr and --sim-hr-fault only work with --simulate")
    loaded = load_config(options.config)
    config = loaded.config
    profile = load_profile(options.profile)
    safety = config.safety

    def plan_for(limits: Any) -> Any:
        return plan_profile(profile, safety, limits)

    plan = plan_for(None)  # checks the profile against the caps now; re-planned on connect
    link, simulator = _make_link(options, config)
    bus = EventBus()
    session_options = SessionOptions(
        body_mass_kg=config.body_mass_kg,
        rearm_timeout_s=HEADLESS_REARM_TIMEOUT_S if options.headless else None,
        pause_timeout_s=safety.pause_timeout_s if options.headless else None,
        alarm_timeout_s=HEADLESS_ALARM_TIMEOUT_S if options.headless else None,  # screen: quit
        auto_confirm_turns=options.headless,
        allow_remote_start=config.mqtt.commands.enabled and config.mqtt.commands.allow_start,
    )
    session = Session(plan, link, bus, safety, session_options, plan_for_limits=plan_for)
    wired = Wired(options, config, profile.name, plan, bus, session, link, simulator)
    _prepare_heart_rate(wired, profile)
    return wired


def _prepare_heart_rate(wired: Wired, profile: Profile) -> None:
    from treadctl.hr.attach import HeartRateSources, prepare_heart_rate

    options, config = wired.options, wired.config

    def make_simulated_strap() -> tuple[HeartRateStrap, object]:
        from treadctl.simulated_link import simulated_strap

        return simulated_strap(options.sim_hr, options.sim_hr_faults, options.hr_device)

    sources = HeartRateSources(
        simulate=options.simulate,
        fast=options.fast,
        hr_device=options.hr_device,
        configured_device=config.heart_rate.device,
        simulated_strap=bool(options.sim_hr or options.sim_hr_faults),
    )
    wired.heart_rate = prepare_heart_rate(
        sources,
        safety_bpm=config.safety.hr_ceiling_bpm,
        profile_bpm=profile.hr_ceiling_bpm,
        profile_name=wired.profile_name,
        checkins=config.checkins,
        make_simulated_strap=make_simulated_strap,
    )


def _make_link(
    options: RunOptions, config: Config
) -> tuple[TreadmillLink, SimulatedTreadmill | None]:
    """The link for this run. Every way it can fail before connecting fails here, exit 2, before
    any screen opens: bad quirks or transport, no treadmill given, no Bluetooth (BlueZ)."""
    from treadctl.ble.links import check_radio, make_client, parse_quirks, radio

    quirks = parse_quirks(options.quirks)
    if options.simulate:
        from simulators.faults import FaultSpecError
        from simulators.personalities import UnknownPersonality
        from treadctl.simulated_link import simulated_link

        if options.transport or options.adapter:
            raise UsageError(
                "--simulate runs the simulator inside treadctl; for one over a transport run "
                "`treadctl sim` and use --transport instead of --simulate"
            )
        try:
            return simulated_link(
                options.personality,
                list(options.faults),
                quirks=quirks,
                device_settings=config.devices,
            )
        except (FaultSpecError, UnknownPersonality, ValueError) as error:
            raise UsageError(str(error)) from None
    where = radio(options.transport, options.adapter)
    # Over a transport with no --device: the first FTMS treadmill heard on it.
    address = options.device or ("" if where.transport else config.last_device)
    if not address and where.uses_bluez:
        raise UsageError(
            "no treadmill given: use --device ADDRESS (see `treadctl scan`) or --simulate"
        )
    check_radio(where)
    return make_client(address or "", where, quirks, config.devices), None


def attach_sinks(wired: Wired) -> None:
    """The session's consumers. Each is one call; add new ones here.

    The audit log and the history write on their own threads (a full disk or a locked database
    never stalls the session); MQTT runs on its own thread too. A part that cannot work at all
    (an unwritable audit folder, a history file that is not a database, a broken install) is a
    clear error before the session starts, never a silent session without it."""
    from treadctl.session.audit import AUDIT_FILE_NAME, AuditLog, new_session_dir

    _attach_voice(wired)  # first: its cues reach the audit log before the events behind them
    audit_path = wired.options.audit or new_session_dir(wired.profile_name) / AUDIT_FILE_NAME
    wired.audit_path = audit_path
    try:
        audit = AuditLog(audit_path, reporter=_reporter(wired, "audit", "the audit log"))
    except OSError as error:
        raise _output_error(f"cannot write the audit log {audit_path}: {error.strerror}") from None
    audit.attach(wired.bus)
    wired.audit = audit
    closing = _OutputsClosing()
    closing.writers.append(audit)
    wired.closers.append(lambda: _say_losses(audit.close(closing.left_s()), "audit lines"))
    if wired.options.headless:
        from treadctl.session.headless import HeadlessPrinter

        loop = asyncio.get_running_loop()

        def output_closed() -> None:  # from the printer's thread
            quit_request = Request(RequestKind.QUIT, source="signal:SIGPIPE")
            loop.call_soon_threadsafe(wired.session.request, quit_request)

        printer = HeadlessPrinter(units=wired.config.units, on_closed=output_closed).attach(
            wired.bus
        )
        wired.closers.append(printer.close)
        printer.say(f"audit log: {audit_path}")
        wired.printer = printer
    _attach_heart_rate(wired)
    _attach_recorder(wired, closing)
    _attach_mqtt(wired)
    _attach_display(wired)
    wired.closers.append(closing.start)  # closers run last-first: this one runs first


def _attach_heart_rate(wired: Wired) -> None:
    from treadctl.hr.attach import attach_heart_rate

    if wired.heart_rate is None:
        return
    attach_heart_rate(
        wired.heart_rate,
        bus=wired.bus,
        session=wired.session,
        session_time=wired.session.now,
        safety=wired.config.safety,
        say=wired.printer.say if wired.printer is not None else None,
        headless=wired.options.headless,
        closers=wired.closers,
    )


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


def _attach_voice(wired: Wired) -> None:
    from treadctl.voice.attach import attach_voice

    coach = attach_voice(
        wired.bus,
        wired.config.voice,
        _voice_units(wired),
        speech=wired.options.speech,
        headless=wired.options.headless,
        virtual_clock=wired.options.fast,
        bouts=lambda: wired.session.plan.bouts,
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


def _attach_recorder(wired: Wired, closing: _OutputsClosing | None = None) -> None:
    from treadctl.history.recorder import attach_recorder

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
    wired.recorder = recording
    from treadctl.history.device_info import attach_device_info

    wired.closers.append(attach_device_info(wired.bus, wired.link, recording))


def _attach_mqtt(wired: Wired) -> None:
    if not wired.config.mqtt.enabled:
        return
    from treadctl.mqtt.attach import attach_mqtt

    device_id = _device_label(wired)
    if wired.options.simulate:
        # Simulated sessions on several machines must not share one MQTT identity.
        device_id = f"simulator-{socket.gethostname()}" + _person_suffix()
    attachment = attach_mqtt(
        wired.bus,
        wired.session,
        wired.config.mqtt,
        device_id,
        heart_rate=_hr_source(wired),
        identity=_mqtt_identity(wired),
        now=wired.session.now,
    )
    if attachment is not None:
        wired.closers.append(attachment.close)


def _hr_source(wired: Wired) -> bool:
    """A heart-rate source exists: a strap, or the simulator's treadmill (it sends one)."""
    plan = wired.heart_rate
    return wired.options.simulate or (plan is not None and plan.strap is not None)


def _person_suffix() -> str:
    """``-<person>`` for a named person: two people's dry runs on one machine get their own
    topics and client ids instead of knocking each other off the broker."""
    from treadctl.paths import DEFAULT_PERSON, current_person

    person = current_person()
    return "" if person == DEFAULT_PERSON else f"-{person}"


def _mqtt_identity(wired: Wired) -> dict[str, str]:
    """The person and profile every MQTT state message names (for the clinic view)."""
    from treadctl.paths import current_person

    return {"person": current_person(), "profile": wired.profile_name}


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


# Every way out sends Stop first. These end the session (the terminal closed, an SSH session
# dropped, tmux killed, Ctrl-\\); SIGTSTP (Ctrl-Z) stops the belt before the process suspends.
QUIT_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")


def _install_signals(loop: asyncio.AbstractEventLoop, wired: Wired) -> list[int]:
    """Signal handlers that ask the session's door: they never write to a terminal or pipe
    themselves (a dead or full pipe must not block the loop before Stop is sent)."""
    installed: list[int] = []

    def on_quit(signum: int) -> None:
        from treadctl.wording import signal_words

        name = signal.Signals(signum).name
        wired.session.request(Request(RequestKind.QUIT, source=f"signal:{name}"))
        notice(f"treadctl: {signal_words(signum)}: stopping the belt")

    def on_suspend(signum: int) -> None:
        wired.session.request(Request(RequestKind.STOP, source="signal:SIGTSTP"))
        notice("treadctl: Ctrl-Z: stopping the belt before suspending; re-arm after fg")
        loop.create_task(_suspend_after_stop(wired))

    handlers: list[tuple[str, Callable[[int], None]]] = [(n, on_quit) for n in QUIT_SIGNALS]
    if wired.options.headless:
        handlers.append(("SIGTSTP", on_suspend))
    for name, handler in handlers:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, handler, sig)
            installed.append(sig)
    return installed


async def _suspend_after_stop(wired: Wired) -> None:
    """Ctrl-Z: once the Stop has been sent (bounded), suspend for real; the halt stays latched,
    so after ``fg`` the belt only moves again after a re-arm."""
    supervisor = wired.session.supervisor
    if supervisor is not None:
        await supervisor.wait_for_stops()
    if wired.audit is not None:  # the Stop and its answer are on disk before we freeze
        await asyncio.get_running_loop().run_in_executor(None, wired.audit.flush, 2.0)
    os.kill(os.getpid(), signal.SIGSTOP)


def notice(message: str) -> None:
    """A line for stderr that can never block the loop or raise (the terminal may be gone):
    written by a daemon thread of its own."""
    global _notice_thread
    _NOTICES.put(message)
    if _notice_thread is None:
        _notice_thread = threading.Thread(target=_write_notices, name="notices", daemon=True)
        _notice_thread.start()


def _write_notices() -> None:
    while True:
        message = _NOTICES.get()
        with contextlib.suppress(Exception):
            sys.stderr.write(message + "\n")
            sys.stderr.flush()


_NOTICES: SimpleQueue[str] = SimpleQueue()
_notice_thread: threading.Thread | None = None


def _close(wired: Wired) -> None:
    for close in reversed(wired.closers):
        try:
            close()
        except Exception:
            log.exception("closing a session consumer failed")
    wired.closers.clear()


def run_session(options: RunOptions) -> int:
    """``treadctl run``: returns the exit status (0 completed, 3 safety stop, 4 the belt may
    still be moving, 130 interrupted; ``treadctl run --help`` lists them)."""
    from treadctl.virtual_time import run as run_loop

    wired = prepare(options)
    _checkins(wired, None, before=True)
    if not options.headless:
        return _run_with_ui(wired)
    ended = run_loop(run_wired(wired), virtual=options.fast)
    _checkins(wired, ended, before=False)
    return _report(wired, ended)


def _checkins(wired: Wired, ended: SessionEnded | None, *, before: bool) -> None:
    """Effort and knee pain: the morning-after question before, this session's after."""
    from treadctl.checkins.flow import CheckinAnswers, after_session, before_session

    answers = wired.options.checkin or CheckinAnswers()
    prompts = _checkin_prompts(wired)
    if before:
        before_session(answers, prompts)
    else:
        recorder = wired.recorder
        after_session(recorder.session_id if recorder is not None else None, answers, prompts)


def _checkin_prompts(wired: Wired) -> CheckinPrompts | None:
    """The terminal UI's questions, unless this run must not ask (headless, or
    ``[checkins] ask = false``)."""
    from treadctl.checkins.flow import CheckinPrompts

    if wired.options.headless or not wired.config.checkins.ask:
        return None
    from treadctl.tui import checkin

    return CheckinPrompts(checkin.ask_morning_pain, checkin.ask_effort_and_pain)


def _run_with_ui(wired: Wired) -> int:
    """Run under the Textual UI. A UI that cannot be loaded is a clear error (exit 2, from
    ``cli.main``), never a silent headless session: the walker asked for a screen to follow."""
    from treadctl.tui.app import run_session_ui

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
    _checkins(wired, ended, before=False)
    return _report(wired, ended)


def _print_ending(wired: Wired, ended: SessionEnded | None) -> None:
    """Once the terminal UI has closed: how the session ended, and where its log is."""
    from treadctl.session.headless import describe

    if wired.audit_path is not None:
        _say(f"audit log: {wired.audit_path}")
    if ended is not None:
        _say(describe(ended, wired.config.units) or "")


def _report(wired: Wired, ended: SessionEnded | None) -> int:
    if wired.session.error is not None:
        _say(f"treadctl: internal error: {wired.session.error}; the belt was sent Stop", sys.stderr)
    return exit_status(ended)


def _say(text: str, out: Any = None) -> None:
    """Print, but a closed stdout or stderr never turns an honest exit status into another."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=out if out is not None else sys.stdout, flush=True)
