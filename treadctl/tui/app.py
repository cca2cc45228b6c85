"""The Textual application and the entry points the commands call.

``run_session_ui`` runs a session's engine as a worker inside the app's own event loop, so the
engine, the bus and the UI share one loop and one session clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:  # the session screen loads with a session, not before the start screen
    from treadctl.config import Config
    from treadctl.controls import SessionControls
    from treadctl.events import EventBus, SessionEvent
    from treadctl.plan import Plan
    from treadctl.profile.library import LibraryEntry
    from treadctl.tui.outline import Outline
    from treadctl.tui.sound import Cues
    from treadctl.tui.start_screen import StartChoice
    from treadctl.units import SpeedUnit

STYLES = Path(__file__).parent / "styles"
QUIT_WAIT_S = 15.0  # how long "quit" waits (wall time) for the engine to stop the belt


class TreadctlApp(App[Any]):
    """The app; its first screen decides what it is (session, start, editor)."""

    CSS_PATH = [  # noqa: RUF012 (Textual reads it as a class attribute)
        STYLES / "common.tcss",
        STYLES / "session.tcss",
        STYLES / "start.tcss",
        STYLES / "editor.tcss",
        STYLES / "history.tcss",
    ]
    TITLE = "treadctl"
    ENABLE_COMMAND_PALETTE = False
    # ctrl+q must never leave the belt running: it quits through the session like a confirmed q.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]


class SessionApp(TreadctlApp):
    """Shows one session; runs ``run_engine`` as a worker and exits after the session ends and
    the walker presses q (or at once after a confirmed quit once the engine has stopped)."""

    def __init__(
        self,
        outline: Outline,
        bus: EventBus,
        controls: SessionControls,
        session_clock: Callable[[], float],
        *,
        units: SpeedUnit = "kmh",
        run_engine: Callable[[], Awaitable[Any]] | None = None,
        cues: Cues | None = None,
    ) -> None:
        from treadctl.tui.session_screen import SessionScreen
        from treadctl.tui.sound import TerminalCues

        super().__init__()
        self.bus = bus
        self.run_engine = run_engine
        self.engine_result: Any = None
        self.engine_error: BaseException | None = None
        self._engine_worker: Worker[Any] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._leaving = False
        self.session = SessionScreen(
            outline,
            controls,
            session_clock,
            units=units,
            cues=cues if cues is not None else TerminalCues(self.bell),
            on_quit=self.leave,
        )

    async def on_mount(self) -> None:
        await self.push_screen(self.session)
        self._unsubscribe = self.bus.subscribe(self._on_event)
        if self.run_engine is not None:
            self._engine_worker = self.run_worker(
                self.run_engine(), name="session-engine", exit_on_error=False
            )

    def _on_event(self, event: SessionEvent) -> None:
        self.session.on_session_event(event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._engine_worker:
            return
        if event.state is WorkerState.SUCCESS:
            self.engine_result = event.worker.result
        elif event.state is WorkerState.ERROR:
            self.engine_error = event.worker.error
            self.session.engine_failed(str(event.worker.error))

    def engine_running(self) -> bool:
        worker = self._engine_worker
        return worker is not None and not worker.is_finished

    def leave(self) -> None:
        """Exit once the engine (already asked to quit) has stopped the belt."""
        if self._leaving:
            return
        self._leaving = True
        self.run_worker(self._leave(), name="leave", exit_on_error=False)

    async def _leave(self) -> None:
        worker = self._engine_worker
        if worker is not None and not worker.is_finished:
            self.session.notify("Stopping the belt…", timeout=QUIT_WAIT_S)
            # On a timeout, cancelling the worker on exit runs the engine's own stop-on-exit path.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker.wait(), QUIT_WAIT_S)
        self.exit(self.engine_result)

    async def action_quit(self) -> None:
        """ctrl+q: a deliberate quit; the belt is stopped first."""
        self.session.quit_now()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()


def run_session_ui(
    plan: Plan | Outline,
    bus: EventBus,
    controls: SessionControls,
    session_clock: Callable[[], float],
    units: SpeedUnit,
    run_engine: Callable[[], Awaitable[Any]],
    *,
    profile_name: str = "",
    speech: bool = True,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Any:
    """Run a session under the terminal UI; returns what ``run_engine()`` returned.

    ``plan`` is the session's plan (or an ``Outline`` of it). The engine coroutine runs inside
    the app's loop; if the walker quits, QUIT is requested first and the app waits for the engine.
    Re-raises the engine's exception, if it raised one.
    """
    from treadctl.tui.outline import Outline, outline_from_plan
    from treadctl.tui.sound import TerminalCues

    outline = plan if isinstance(plan, Outline) else outline_from_plan(plan, profile_name)
    app = SessionApp(outline, bus, controls, session_clock, units=units, run_engine=run_engine)
    if not speech:
        app.session.cues = TerminalCues(app.bell, speech=False)
    app.run(loop=loop)
    if app.engine_error is not None:
        raise app.engine_error
    return app.engine_result


class StartApp(TreadctlApp):
    """The start screen (and the editor from it); exits with a ``StartChoice`` or None.

    Given ``load`` instead of ``entries`` and ``config``, the screen paints first and reads the
    profiles and the configuration (pydantic, the plan) right after."""

    def __init__(
        self,
        entries: Any = (),
        config: Any = None,
        scanner: Any = None,
        history: Any = None,
        *,
        load: Callable[[], tuple[Any, Any]] | None = None,
    ) -> None:
        super().__init__()
        self._entries = entries
        self._config = config
        self._scanner = scanner
        self._history = history  # a HistoryReader; None: the user's own history
        self._load = load

    def on_mount(self) -> None:
        from treadctl.tui.start_screen import StartScreen

        screen = StartScreen(
            self._entries,
            self._config,
            scanner=self._scanner,
            history=self._history,
            load=self._load,
        )
        self.push_screen(screen, self.exit)

    async def action_quit(self) -> None:
        """ctrl+q: the editor (opened from here) asks about unsaved changes first."""
        from treadctl.tui.editor import quit_guard

        if not quit_guard(self):
            self.exit()


def run_start_ui(
    config: Config | Callable[[], Config] | None = None, *, scan: bool = True
) -> StartChoice | None:
    """The start screen: returns a ``treadctl.tui.start_screen.StartChoice`` (profile path and
    device; ``device.address`` None means the simulator), or None if the walker left.

    ``config`` may be a function that reads it: the screen then paints before the configuration
    and the profiles are read (both need pydantic), and reads them right after."""
    from treadctl.errors import TreadctlError
    from treadctl.tui.start_screen import ble_scanner

    failed: list[TreadctlError] = []

    def load() -> tuple[Sequence[LibraryEntry], Config]:
        from treadctl.config import load_config
        from treadctl.profile.library import list_profiles

        try:
            if config is None:
                read = load_config().config
            elif callable(config):
                read = config()
            else:
                read = config
            return list_profiles(), read
        except TreadctlError as error:
            failed.append(error)  # the screen closes; the command reports it (exit 2)
            raise

    app = StartApp(scanner=ble_scanner if scan else None, load=load)
    choice = app.run()
    if failed:
        raise failed[0]
    return choice


class EditorApp(TreadctlApp):
    """The profile editor on its own (``treadctl profile edit NAME``)."""

    def __init__(self, path: Path, config: Any, *, external_editor: Any = None) -> None:
        super().__init__()
        self._path = path
        self._config = config
        self._external_editor = external_editor  # tests: instead of suspending for $EDITOR

    def on_mount(self) -> None:
        from treadctl.tui.editor import EditorScreen

        screen = EditorScreen(self._path, self._config, external_editor=self._external_editor)
        self.push_screen(screen, self.exit)

    async def action_quit(self) -> None:
        """ctrl+q with unsaved changes asks first, like Esc."""
        from treadctl.tui.editor import quit_guard

        if not quit_guard(self):
            self.exit()


def run_editor(path_or_name: str | Path, config: Any = None) -> int:
    """Edit a profile (a file path, or a name looked up in the user's folder, then the shipped
    library). Returns the exit status: 0. Raises ProfileError if there is no such profile."""
    from treadctl.config import load_config
    from treadctl.profile.loading import resolve_profile

    path = resolve_profile(path_or_name)
    config = config if config is not None else load_config().config
    EditorApp(path, config).run()
    return 0
