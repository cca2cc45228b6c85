"""The quit confirmation (asked only while the belt moves; Esc here still stops the belt) and the
editor's "discard unsaved changes?". Each question has its own footer: the keys shown at the
bottom are the keys that answer it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

QUIT = "quit"
STOP = "stop"
STAY = "stay"


class ConfirmQuit(ModalScreen[str]):
    """Dismisses with ``quit:<key>`` (y, or a second Ctrl-C), ``stay`` (n) or ``stop:<key>``
    (Esc / s: stop the belt, stay). The footer shows the keys: y / n / Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose('quit:y')", "Yes, stop and quit", priority=True),
        Binding("n", "choose('stay')", "No, keep walking", priority=True),
        Binding("escape", "choose('stop:escape')", "Stop belt", priority=True, key_display="Esc"),
        Binding("s", "choose('stop:s')", "Stop belt", priority=True, show=False),
        Binding("ctrl+c", "choose('quit:ctrl+c')", "Quit", priority=True, show=False),
    ]

    def __init__(self, title: str = "Stop the belt and quit?") -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(f"[b]{self._title}[/b]", id="confirm-title")
            yield Static(
                "y = yes, stop and quit\nn = no, keep walking\nEsc / s = stop the belt now"
            )
        yield Footer()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ConfirmDiscard(ModalScreen[bool]):
    """Leaving the editor with unsaved changes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose(True)", "Discard", priority=True),
        Binding("n,escape", "choose(False)", "Keep editing", key_display="n/Esc", priority=True),
    ]

    def __init__(self, question: str = "Discard unsaved changes?") -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(f"[b]{self.question}[/b]", id="confirm-title")
            yield Static("y = discard them\nn / Esc = keep editing (ctrl+s saves)")
        yield Footer()

    def action_choose(self, choice: bool) -> None:
        self.dismiss(choice)
