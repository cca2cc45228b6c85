"""The check-in questions as a small Textual app: 0-10 answers, Escape (or empty) skips.

After a session: effort (RPE 0-10) and knee pain (0-10). Before the next: knee pain the
morning after. Separate from the session screen on purpose: the belt has stopped by then.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label


class CheckinApp(App[dict[str, int | None]]):
    """Asks each question in turn; returns {key: answer or None}."""

    CSS = """
    Vertical { padding: 1 2; }
    Label { margin: 1 0 0 0; }
    #error { color: $error; }
    """
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "skip", "skip")
    ]

    def __init__(self, title: str, questions: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._questions = questions
        self._answers: dict[str, int | None] = {key: None for key, _ in questions}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, id="title")
            for key, text in self._questions:
                yield Label(text)
                yield Input(placeholder="0-10, Enter to skip", id=key)
            yield Label("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = event.input.id or ""
        text = event.value.strip()
        error = self.query_one("#error", Label)
        if text:
            if not text.isdigit() or not 0 <= int(text) <= 10:
                error.update("Please give a whole number from 0 to 10 (or leave it empty).")
                return
            self._answers[key] = int(text)
        error.update("")
        keys = [k for k, _ in self._questions]
        index = keys.index(key)
        if index + 1 < len(keys):
            self.query_one(f"#{keys[index + 1]}", Input).focus()
        else:
            self.exit(self._answers)

    def action_skip(self) -> None:
        self.exit(self._answers)


AFTER_QUESTIONS = [
    ("effort", "How hard was that? Effort 0 (rest) to 10 (maximal):"),
    ("pain", "Knee pain now, 0 (none) to 10 (worst):"),
]
MORNING_QUESTIONS = [
    ("morning", "Knee pain this morning, after your last session, 0 (none) to 10 (worst):"),
]


def ask_effort_and_pain() -> tuple[int | None, int | None]:
    answers = CheckinApp("Check-in: how did it go?", AFTER_QUESTIONS).run() or {}
    return answers.get("effort"), answers.get("pain")


def ask_morning_pain() -> int | None:
    answers = CheckinApp("Check-in before you start", MORNING_QUESTIONS).run() or {}
    return answers.get("morning")
