"""The start screen: pick a profile (summary, time line, pre-flight check), pick a treadmill
(the simulator, the last one used, or what a scan finds), then start. It also shows this week's
progress in one line, and opens the history (h) and progress (p) screens: read-only, so the
walker can look back before a walk without leaving the program."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from treadctl.errors import TreadctlError
from treadctl.tui import first_paint
from treadctl.tui.outline import Outline
from treadctl.tui.widgets.progress import SessionProgress

if TYPE_CHECKING:  # the profile models and the plan (pydantic) load after the first paint
    from treadctl.config import Config
    from treadctl.profile.library import LibraryEntry
    from treadctl.tui.history_data import HistoryReader
    from treadctl.tui.preview import Preview


@dataclass(frozen=True)
class Device:
    """A treadmill to use: ``address`` None means the built-in simulator."""

    label: str
    address: str | None


SIMULATOR = Device("Simulator (no treadmill needed)", None)


@dataclass(frozen=True)
class StartChoice:
    profile_path: Path
    device: Device


Scanner = Callable[[], Awaitable[Sequence[Device]]]
# What the screen shows, read after its first paint (profiles and configuration need pydantic).
Loader = Callable[[], "tuple[Sequence[LibraryEntry], Config]"]


class StartScreen(Screen[StartChoice | None]):
    """Dismisses with the walker's choice, or None when they leave."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Choose / start", priority=True),
        Binding("tab", "switch", "Switch", priority=True),
        Binding("e", "edit", "Edit"),
        Binding("r", "rescan", "Scan"),
        Binding("h", "history", "History"),
        Binding("p", "progress", "Progress"),
        Binding("q,escape", "leave", "Quit"),
    ]

    def __init__(
        self,
        entries: Sequence[LibraryEntry] = (),
        config: Config | None = None,
        *,
        scanner: Scanner | None = None,
        history: HistoryReader | None = None,
        load: Loader | None = None,
    ) -> None:
        """Either ``entries`` and ``config`` now, or ``load`` to read them once painted."""
        super().__init__()
        self.scanner = scanner
        self._history = history
        self._load = load
        self.entries: list[LibraryEntry] = []
        self.devices: list[Device] = [SIMULATOR]
        self.current: Preview | None = None
        if config is not None:
            self._set_contents(entries, config)

    def _set_contents(self, entries: Sequence[LibraryEntry], config: Config) -> None:
        self.entries = [e for e in entries if not e.shadowed]
        self.config = config
        self.devices = [SIMULATOR]
        if config.last_device:
            self.devices.insert(0, Device(f"Last used: {config.last_device}", config.last_device))

    @property
    def history(self) -> HistoryReader:
        if self._history is None:
            from treadctl.tui.history_data import HistoryReader

            self._history = HistoryReader()
        return self._history

    def compose(self) -> ComposeResult:
        yield Static(
            "[b]treadctl[/b] — pick a profile, then a treadmill, then press Enter", id="start-title"
        )
        yield Static(id="start-progress")
        with Horizontal(id="start-body"):
            with Vertical(id="start-left"):
                profiles = OptionList(*self._profile_options(), id="profiles")
                profiles.border_title = "1 · Profile"
                yield profiles
                devices = OptionList(*self._device_options(), id="devices")
                devices.border_title = "2 · Treadmill"
                yield devices
            with VerticalScroll(id="start-right") as right:
                right.border_title = "Summary and pre-flight check"
                yield Static(id="summary")
                yield SessionProgress(_empty_outline(), id="timeline")
                yield Static(id="preflight")
        yield Footer()

    def _profile_options(self) -> list[Option]:
        options = []
        for entry in self.entries:
            name = entry.profile.name if entry.profile else f"{entry.slug} (invalid)"
            mark = "" if entry.origin == "user" else "  [dim]shipped[/dim]"
            options.append(Option(f"{name}{mark}", id=str(entry.path)))
        return options

    def _device_options(self) -> list[Option]:
        return [Option(d.label, id=str(i)) for i, d in enumerate(self.devices)]

    def on_mount(self) -> None:
        self.query_one("#profiles", OptionList).focus()
        if self._load is None:
            self._fill()
        if first_paint.wanted():
            self.call_after_refresh(first_paint.signal_first_paint)
        if self._load is not None:
            self.call_after_refresh(self._load_then_fill)
        else:
            self.call_after_refresh(self.action_rescan)  # bleak loads once the screen shows

    def _load_then_fill(self) -> None:
        assert self._load is not None
        try:
            entries, config = self._load()
        except TreadctlError:  # a bad configuration: the loader keeps it to report, exit 2
            self.dismiss(None)
            return
        self._load = None
        self._set_contents(entries, config)
        profiles = self.query_one("#profiles", OptionList)
        profiles.add_options(self._profile_options())
        devices = self.query_one("#devices", OptionList)
        devices.clear_options()
        devices.add_options(self._device_options())
        self._fill()
        self.action_rescan()

    def _fill(self) -> None:
        if self.entries:
            self.query_one("#profiles", OptionList).highlighted = 0
            self._show(0)
        self.query_one("#devices", OptionList).highlighted = 0
        self._show_progress()

    def _show_progress(self) -> None:
        """This week of the active program in one line; hidden when there is no program."""
        line = self.query_one("#start-progress", Static)
        try:
            progress = self.history.progress(self.history.sessions())
        except TreadctlError:
            line.update("History cannot be read (h shows why)")
            return
        if progress is None:
            line.display = False
            return
        from treadctl.history.progress_report import summary_line

        line.update(Text(f"{summary_line(progress)}   (p: progress)"))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "profiles":
            self._show(event.option_index)

    def _show(self, index: int) -> None:
        entry = self.entries[index]
        if entry.profile is None:
            self.current = None
            self.query_one("#summary", Static).update(f"[b]{entry.slug}[/b]\n✕ {entry.error}")
            self.query_one("#preflight", Static).update("Fix the file (e = edit) to use it.")
            self.query_one("#timeline", SessionProgress).set_outline(_empty_outline())
            return
        from treadctl.tui.preview import preflight_text, preview

        self.current = preview(entry.profile, self.config.safety, self.config.units)
        self.query_one("#summary", Static).update(self.current.summary)
        self.query_one("#timeline", SessionProgress).set_outline(self.current.outline)
        self.query_one("#preflight", Static).update(preflight_text(self.current))

    def action_switch(self) -> None:
        profiles = self.query_one("#profiles", OptionList)
        devices = self.query_one("#devices", OptionList)
        (devices if profiles.has_focus else profiles).focus()

    def action_choose(self) -> None:
        profiles = self.query_one("#profiles", OptionList)
        if profiles.has_focus:
            self.query_one("#devices", OptionList).focus()
            return
        if profiles.highlighted is None or self.current is None or not self.current.ok:
            self.notify("Pick a valid profile first", severity="warning")
            profiles.focus()
            return
        device_index = self.query_one("#devices", OptionList).highlighted or 0
        entry = self.entries[profiles.highlighted]
        self.dismiss(StartChoice(entry.path, self.devices[device_index]))

    def action_edit(self) -> None:
        if self._load is not None:  # still reading the profiles
            return
        from treadctl.tui.editor import EditorScreen

        index = self.query_one("#profiles", OptionList).highlighted
        if index is None:
            return
        self.app.push_screen(EditorScreen(self.entries[index].path, self.config), self._after_edit)

    def _after_edit(self, saved: Path | None) -> None:
        if saved is None:
            return
        from treadctl.profile.library import list_profiles

        self.entries = [e for e in list_profiles() if not e.shadowed]
        profiles = self.query_one("#profiles", OptionList)
        profiles.clear_options()
        profiles.add_options(self._profile_options())
        index = next((i for i, e in enumerate(self.entries) if e.path == saved), 0)
        profiles.highlighted = index
        self._show(index)

    def action_history(self) -> None:
        if self._load is not None:  # still reading the profiles
            return
        from treadctl.tui.history_screen import HistoryScreen

        self.app.push_screen(HistoryScreen(self.history, units=self.config.units))

    def action_progress(self) -> None:
        if self._load is not None:  # still reading the profiles
            return
        from treadctl.tui.progress_screen import ProgressScreen

        self.app.push_screen(ProgressScreen(self.history))

    def action_rescan(self) -> None:
        if self.scanner is not None:
            self._scan()

    @work(exclusive=True, exit_on_error=False)
    async def _scan(self) -> None:
        assert self.scanner is not None
        devices = self.query_one("#devices", OptionList)
        devices.border_subtitle = "scanning…"
        try:
            found = list(await self.scanner())
        except Exception as error:  # Bluetooth missing, permission refused: say so, keep going
            devices.border_subtitle = "scan failed"
            self.notify(str(error), title="Scan", severity="warning", timeout=6)
            return
        known = {d.address for d in self.devices}
        self.devices.extend(d for d in found if d.address not in known)
        devices.clear_options()
        devices.add_options(self._device_options())
        devices.highlighted = 0
        devices.border_subtitle = f"{len(found)} found"

    def action_leave(self) -> None:
        self.dismiss(None)


def _empty_outline() -> Outline:
    return Outline("", ())


async def ble_scanner() -> list[Device]:
    """Treadmills heard by a short Bluetooth scan."""
    from treadctl.ble.scan import scan

    return [Device(f"{m.name or 'treadmill'}  {m.address}", m.address) for m in await scan()]
