""" "Did you mean …?": the closest known names to a mistyped one (difflib, standard library)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

CUTOFF = 0.7


def close_matches(word: str, known: Iterable[str], *, limit: int = 3) -> list[str]:
    """The known names closest to ``word``, best first (a prefix match counts as close)."""
    names = sorted(set(known))
    lowered = word.lower()
    prefixed = [name for name in names if name.lower().startswith(lowered)] if lowered else []
    import difflib  # only on a mistyped name

    matches = difflib.get_close_matches(lowered, names, n=limit, cutoff=CUTOFF)
    ordered = [*matches, *(name for name in prefixed if name not in matches)]
    return ordered[:limit]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``" Did you mean 'history'?"`` (with the leading space), or "" when nothing is close."""
    matches = close_matches(word, known)
    if not matches:
        return ""
    if len(matches) == 1:
        return f" Did you mean {matches[0]!r}?"
    return " Did you mean " + ", ".join(repr(m) for m in matches[:-1]) + f" or {matches[-1]!r}?"


class SuggestingParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose "invalid choice" error names the closest choices, for
    commands, actions and option values alike (sub-parsers inherit the class)."""

    def _check_value(self, action: argparse.Action, value: object) -> None:
        choices = action.choices
        if choices is None or value in choices:
            return
        known = [str(choice) for choice in choices]
        hint = did_you_mean(str(value), known)
        listed = ", ".join(known)
        raise argparse.ArgumentError(
            action, f"invalid choice: {value!r}.{hint} (choose from {listed})"
        )
