"""Find the line of a TOML file a validation error points at.

tomllib gives no positions, so this scans the text once and records, for each header and key
line, the dotted path it defines (with array-of-tables indexes: ``steps.2.bouts.0.speed``). The
scan is deliberately simple; when a path cannot be found the nearest enclosing one is used, so an
error always names a line that helps.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PathPart = str | int
_BARE_OR_QUOTED = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*')


@dataclass(frozen=True)
class _Entry:
    line: int
    path: tuple[PathPart, ...]


def _split_key(text: str) -> list[str] | None:
    """``a."b c".d`` -> ["a", "b c", "d"]; None when it is not a key."""
    parts: list[str] = []
    rest = text
    while True:
        match = _BARE_OR_QUOTED.match(rest)
        if not match:
            return None
        token = match.group(1)
        parts.append(token[1:-1] if token[0] in "\"'" else token)
        rest = rest[match.end() :]
        if not rest:
            return parts
        if rest[0] != ".":
            return None
        rest = rest[1:]


class TomlIndex:
    """Line numbers of the headers and keys of one TOML document."""

    def __init__(self, text: str) -> None:
        self._entries: list[_Entry] = []
        self._scan(text)

    def _scan(self, text: str) -> None:
        counters: dict[tuple[PathPart, ...], int] = {}
        table: tuple[PathPart, ...] = ()
        in_string: str | None = None
        bracket_depth = 0
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            if bracket_depth > 0:
                bracket_depth += _bracket_balance(line)
                continue
            if not line or line.startswith("#"):
                continue
            if line.startswith("[[") and "]]" in line:
                keys = _split_key(line[2 : line.index("]]")])
                if keys is None:
                    continue
                parent = self._resolve(keys[:-1], counters)
                array_path = (*parent, keys[-1])
                index = counters.get(array_path, 0)
                counters[array_path] = index + 1
                table = (*array_path, index)
                self._entries.append(_Entry(number, table))
                continue
            if line.startswith("[") and "]" in line:
                keys = _split_key(line[1 : line.index("]")])
                if keys is None:
                    continue
                table = self._resolve(keys, counters)
                self._entries.append(_Entry(number, table))
                continue
            if "=" not in line:
                continue
            key_text, _, value = line.partition("=")
            keys = _split_key(key_text)
            if keys is None:
                continue
            self._entries.append(_Entry(number, (*table, *keys)))
            value = value.strip()
            for quote in ('"""', "'''"):
                if value.startswith(quote) and value.count(quote) == 1:
                    in_string = quote
            if value.startswith("["):
                bracket_depth = max(0, _bracket_balance(value))

    @staticmethod
    def _resolve(
        keys: Sequence[str], counters: dict[tuple[PathPart, ...], int]
    ) -> tuple[PathPart, ...]:
        """A header's path, with the current index of every array of tables on the way."""
        path: tuple[PathPart, ...] = ()
        for key in keys:
            path = (*path, key)
            if path in counters:
                path = (*path, counters[path] - 1)
        return path

    def line_of(self, loc: Sequence[PathPart]) -> int | None:
        """The line defining ``loc``, else its nearest enclosing table or key; None if nothing."""
        wanted = tuple(loc)
        while wanted:
            for entry in self._entries:
                if entry.path == wanted:
                    return entry.line
            wanted = wanted[:-1]
        return None


def _bracket_balance(text: str) -> int:
    """Open minus closed brackets outside strings and comments (good enough for arrays)."""
    depth = 0
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
    return depth


def dotted(loc: Sequence[PathPart]) -> str:
    """``("steps", 2, "speed")`` -> ``steps[3].speed``: positions are 1-based, as a reader
    counts ``[[steps]]`` blocks."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else part
    return text


class LocatedValueError(ValueError):
    """Raised by a model-level validator to blame one field (pydantic puts model errors at the
    model's own location otherwise)."""

    def __init__(self, loc: Sequence[PathPart], reason: str) -> None:
        super().__init__(reason)
        self.loc = tuple(loc)
        self.reason = reason


def _reason(error: Any) -> tuple[tuple[PathPart, ...], str]:
    loc = tuple(error.get("loc", ()))
    ctx_error = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_error, LocatedValueError):
        return (*loc, *ctx_error.loc), ctx_error.reason
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return loc, "unknown key (check the spelling)"
    if kind == "missing":
        return loc, "required but missing"
    plain = plain_reason(error, loc)
    if plain is not None:
        return loc, plain
    message = str(error.get("msg", "invalid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return loc, message


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _seconds_words(value: Any) -> str:
    """``14400`` -> ``14400 s (4 h)``; seconds with hours or minutes for a person to read."""
    if not isinstance(value, int | float):
        return str(value)
    if value >= 3600 and value % 3600 == 0:
        return f"{value:g} s ({value / 3600:g} h)"
    if value >= 60 and value % 60 == 0:
        return f"{value:g} s ({value / 60:g} min)"
    return f"{value:g} s"


def _is_duration(loc: Sequence[PathPart]) -> bool:
    last = str(loc[-1]) if loc else ""
    return last in ("duration", "duration_s") or last.endswith("_s")


_BY_TYPE = {
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": 'must be text in quotes, like "Warm-up"',
    "list_type": "must be a list",
    "dict_type": "must be a table of keys",
    "model_type": "must be a table of keys",
    "model_attributes_type": "must be a table of keys",
    "finite_number": "must be a number",
}


def plain_reason(error: Any, loc: Sequence[PathPart] = ()) -> str | None:
    """A pydantic error in words a walker reads, or None to keep pydantic's own text.

    ``less_than_equal`` on a duration -> "at most 14400 s (4 h)"; an enum -> "must be forward
    or backward"; a string too long -> "at most 80 characters"."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    seconds = _is_duration(loc)
    bound = _seconds_words if seconds else _num
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "greater_than":
        return f"must be more than {bound(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        return f"must be at least {bound(ctx.get('ge'))}"
    if kind == "less_than":
        return f"must be below {bound(ctx.get('lt'))}"
    if kind == "less_than_equal":
        return f"at most {bound(ctx.get('le'))}"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"must be {expected}" if expected else None
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else None
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        wanted = ctx.get("min_length", 1)
        if loc and str(loc[-1]) in ("steps", "bouts") and wanted == 1:
            return "needs at least one bout"
        return f"needs at least {wanted} {'entry' if wanted == 1 else 'entries'}"
    return None


def located_messages(
    errors: Sequence[Any], path: Path, text: str, ignore: Collection[str] = ()
) -> list[str]:
    """One ``file:line: field: reason`` line per pydantic error: unknown keys first, then in
    file order.

    ``ignore`` drops location parts that are not keys in the file (union tags).
    """
    index = TomlIndex(text)
    located: list[tuple[int, int, str]] = []
    for error in errors:
        loc, reason = _reason(error)
        loc = tuple(part for part in loc if not (isinstance(part, str) and part in ignore))
        line = index.line_of(loc) or 1
        field = dotted(loc) or "(top level)"
        # A typo'd key also makes the real key "missing": name the typo first.
        rank = 0 if error.get("type") == "extra_forbidden" else 1
        located.append((rank, line, f"{path}:{line}: {field}: {reason}"))
    seen: set[str] = set()
    ordered: list[str] = []
    for _, _, message in sorted(located, key=lambda item: item[:2]):
        if message not in seen:
            seen.add(message)
            ordered.append(message)
    return ordered


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")


def toml_syntax_message(error: Exception, path: Path, text: str) -> str:
    """``file:line: invalid TOML: reason`` from a tomllib error."""
    message = str(error)
    match = _TOML_POSITION.search(message)
    at_end = max(1, len(text.splitlines()))
    line = int(match.group(1)) if match and match.group(1) else at_end
    reason = _TOML_POSITION.sub("", message).strip()
    return f"{path}:{line}: invalid TOML: {reason}"
