"""Who is walking? The first question of the start screen when several people use treadctl.

Shown only when nobody was named (no ``--person``, no ``TREADCTL_PERSON``, no ``[people]
default``) and the installation has people besides the default person. The choice selects that
person's configuration, caps, history and program for the rest of the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from treadctl.person import DEFAULT_PERSON

DEFAULT_LABEL = "default (the original single-user data)"


class PersonPicker(Screen[str | None]):
    """Dismisses with the chosen person's name, or None when the walker leaves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Choose", priority=True),
        Binding("q,escape", "leave", "Quit"),
    ]

    def __init__(self, people: Sequence[str]) -> None:
        super().__init__()
        self.people = list(people)

    def compose(self) -> ComposeResult:
        yield Static("[b]treadctl[/b] — who is walking today? Pick a name, then press Enter")
        options = [
            Option(DEFAULT_LABEL if name == DEFAULT_PERSON else name, id=name)
            for name in self.people
        ]
        people = OptionList(*options, id="people")
        people.border_title = "Person"
        yield people
        yield Footer()

    def on_mount(self) -> None:
        people = self.query_one("#people", OptionList)
        people.highlighted = 0
        people.focus()

    def action_choose(self) -> None:
        index = self.query_one("#people", OptionList).highlighted
        self.dismiss(self.people[index or 0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.people[event.option_index])

    def action_leave(self) -> None:
        self.dismiss(None)


def pick_person(people: Sequence[str]) -> str | None:
    from treadctl.tui.app import TreadctlApp

    class PickerApp(TreadctlApp):
        def on_mount(self) -> None:
            self.push_screen(PersonPicker(people), self.exit)

    result: Any = PickerApp().run()
    return result if isinstance(result, str) else None


def choose_person_if_needed(source: str) -> bool:
    """Ask who is walking when nobody was named and there are several people; select the answer.

    Returns False when the walker left instead of choosing."""
    from treadctl.person import known_people, select

    people = known_people()
    if source != "default" or len(people) < 2:
        return True
    chosen = pick_person(people)
    if chosen is None:
        return False
    select(chosen)
    return True
