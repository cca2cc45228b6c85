"""Keeping a profile's comments with the step they describe while the editor moves steps about.

tomlkit stores the blank line and the comments *above* a ``[[steps]]`` header as the tail of the
step before it. Insert a step after that one, or move it, and the comment would travel with the
wrong step. ``attach_leading_comments`` moves each such tail onto the header it precedes (the
table's ``trivia.indent``, printed just before its header), so it follows its own step; ``tidy``
keeps one blank line between steps after a change. Neither changes what a loaded file prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import tomlkit
from tomlkit.items import AoT, Comment, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

NESTED_INDENT = 2  # how far a new bout inside a repeat block is indented


def _tables(steps: AoT) -> Iterator[tuple[Table, bool]]:
    """Every step and nested bout in file order, with whether it is a repeat block."""
    for step in steps:
        bouts = step.get("bouts")
        yield step, isinstance(bouts, AoT)
        if isinstance(bouts, AoT):
            for bout in bouts:
                yield bout, False


def _pop_tail(table: Table) -> str:
    """Remove the trailing blank lines and comments of ``table``; returns them as text."""
    body = table.value.body
    tail: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace | Comment):
        tail.append(body.pop()[1])
    return "".join(item.as_string() for item in reversed(tail))


def attach_leading_comments(doc: TOMLDocument) -> None:
    """Move the comments above each step's header from the previous step onto that step."""
    steps = doc.get("steps")
    if not isinstance(steps, AoT):
        return
    tables = list(_tables(steps))
    for (before, is_block), (after, _) in pairwise(tables):
        if is_block:
            continue  # a repeat block's own tail comes before its first bout: it stays there
        tail = _pop_tail(before)
        after.trivia.indent = tail + after.trivia.indent


def tidy(doc: TOMLDocument) -> None:
    """One blank line before every step but a list's first (whose blank line, if any, comes
    from what precedes the list), after steps were added or moved."""
    steps = doc.get("steps")
    if not isinstance(steps, AoT):
        return
    lists: list[AoT] = [steps]
    lists.extend(s["bouts"] for s in steps if isinstance(s.get("bouts"), AoT))
    for tables in lists:
        for index, table in enumerate(tables):
            indent = table.trivia.indent
            if index > 0 and "\n" not in indent:
                table.trivia.indent = "\n" + indent
            elif index == 0:
                table.trivia.indent = indent.lstrip("\n")


def new_bout(*, nested: bool, like: Table | None = None) -> Table:
    """A fresh bout, indented like its siblings when it goes inside a repeat block."""
    bout = tomlkit.table()
    bout["direction"] = "forward"
    bout["duration"] = "1m"
    bout["speed"] = 3.0
    return indent_like(bout, like) if nested else bout


def indent_like(table: Table, like: Table | None) -> Table:
    """Indent ``table``'s header and keys by as much as ``like``'s header (or the default)."""
    spaces = NESTED_INDENT
    if like is not None:
        last_line = like.trivia.indent.rsplit("\n", 1)[-1]
        spaces = len(last_line) - len(last_line.lstrip(" "))
    table.trivia.indent = ""
    for _, item in table.value.body:
        if not isinstance(item, Whitespace):
            item.trivia.indent = ""
    return table.indent(spaces) if spaces else table
