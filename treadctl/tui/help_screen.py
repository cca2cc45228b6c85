"""The keys, in words."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

SESSION_KEYS = """\
[b]Keys while walking[/b]

  space      pause / resume
  Esc or s   stop the belt now (the session pauses; r re-arms)
  + / −      nudge the speed (never above the caps)
  n          skip to the next bout
  r          re-arm after a stop, a fault or a reconnect
  Enter      I have turned round (when turns wait for you)
  q          stop the belt and quit (asks while the belt moves)
  ?          this help

Keys only ask the supervisor; it applies the caps and ramps.
The treadmill's safety key is always your emergency stop.

[dim]Esc, s or ? closes this help (Esc and s also stop the belt).[/dim]"""


class HelpScreen(ModalScreen[None]):
    """Closing with Esc or s also stops the belt: those keys always mean stop."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,h,q", "close", "Close", priority=True),
        Binding("escape,s", "stop", "Stop belt", priority=True),
    ]

    def __init__(self, text: str = SESSION_KEYS, *, on_stop: object = None) -> None:
        super().__init__()
        self._text = text
        self._on_stop = on_stop

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(self._text)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_stop(self) -> None:
        if callable(self._on_stop):
            self._on_stop()
        self.dismiss(None)
