"""The start screen: pick a profile (summary, time line, pre-flight check), pick a treadmill
(the simulator, the last one used, or what a scan finds), then start. It also shows this week's
progress in one line, and opens the history (h) and progress (p) screens: read-only, so the
walker can look back before a walk without leaving the program."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from treadctl.config import Config
from treadctl.errors import TreadctlError
from treadctl.history.progress_report import summary_line
from treadctl.profile.library import LibraryEntry
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.outline import Outline
from treadctl.tui.preview import Preview, preflight_text, preview
from treadctl.tui.widgets.progress import SessionProgress


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
        entries: Sequence[LibraryEntry],
        config: Config,
        *,
        scanner: Scanner | None = None,
        history: HistoryReader | None = None,
    ) -> None:
        super().__init__()
        self.entries = [e for e in entries if not e.shadowed]
        self.config = config
        self.scanner = scanner
        self.history = history if history is not None else HistoryReader()
        self.devices: list[Device] = [SIMULATOR]
        if config.last_device:
            self.devices.insert(0, Device(f"Last used: {config.last_device}", config.last_device))
        self.current: Preview | None = None

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
        profiles = self.query_one("#profiles", OptionList)
        profiles.focus()
        if self.entries:
            profiles.highlighted = 0
            self._show(0)
        self.query_one("#devices", OptionList).highlighted = 0
        self._show_progress()
        self.action_rescan()

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
        from treadctl.tui.history_screen import HistoryScreen

        self.app.push_screen(HistoryScreen(self.history, units=self.config.units))

    def action_progress(self) -> None:
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
