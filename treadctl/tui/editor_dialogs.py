"""The editor's own questions: what to do with a file that sent the walker here broken.

Each dialog has its own footer, so the keys at the bottom of the screen are the keys that work
now (not the editor's, underneath)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

DROP = "drop"
EXTERNAL = "external"
LOOK = "look"
MAX_LISTED = 8


class RepairUnknownKeys(ModalScreen[str]):
    """Unknown keys (typos such as ``sped``), listed with an offer to drop them or to hand the
    file to ``$EDITOR``; or, with ``structure``, a file the table cannot show at all."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "choose('drop')", "Drop them", priority=True),
        Binding("e", "choose('external')", "Open in $EDITOR", priority=True),
        Binding("escape", "choose('look')", "Look first", key_display="Esc", priority=True),
    ]

    def __init__(self, listed: list[str], *, structure: str | None = None) -> None:
        super().__init__()
        self.listed = listed
        self.structure = structure

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            if self.structure is not None:
                yield Static("[b]The editor cannot show this file[/b]", id="confirm-title")
                yield Static(f"Because {self.structure}.\ne = open it in $EDITOR · Esc = close")
            else:
                count = len(self.listed)
                yield Static(
                    f"[b]{count} unknown key{'s' if count != 1 else ''} in this profile[/b]",
                    id="confirm-title",
                )
                shown = self.listed[:MAX_LISTED]
                more = f"\n… and {count - MAX_LISTED} more" if count > MAX_LISTED else ""
                yield Static("\n".join(shown) + more, id="repair-keys")
                yield Static(
                    "\nd = drop them (ctrl+z puts them back)\ne = open the file in $EDITOR\n"
                    "Esc = look at the table first"
                )
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No "drop them" for a file the table cannot show."""
        return not (action == "choose" and parameters == (DROP,) and self.structure is not None)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
