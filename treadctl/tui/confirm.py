"""The quit confirmation: asked only while the belt moves. Esc here still stops the belt."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

QUIT = "quit"
STOP = "stop"
STAY = "stay"


class ConfirmQuit(ModalScreen[str]):
    """Dismisses with ``quit`` (y), ``stay`` (n) or ``stop`` (Esc / s: stop the belt, stay)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose('quit')", "Yes, stop and quit", priority=True),
        Binding("n", "choose('stay')", "No, keep walking", priority=True),
        Binding("escape,s", "choose('stop')", "Stop belt", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static("[b]Stop the belt and quit?[/b]", id="confirm-title")
            yield Static(
                "y = yes, stop and quit\nn = no, keep walking\nEsc / s = stop the belt now"
            )

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ConfirmDiscard(ModalScreen[bool]):
    """Leaving the editor with unsaved changes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose(True)", "Discard", priority=True),
        Binding("n,escape", "choose(False)", "Keep editing", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static("[b]Discard unsaved changes?[/b]", id="confirm-title")
            yield Static("y = discard and leave\nn / Esc = keep editing (ctrl+s saves)")

    def action_choose(self, choice: bool) -> None:
        self.dismiss(choice)
