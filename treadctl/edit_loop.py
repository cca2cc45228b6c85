"""Edit a user file in ``$VISUAL``/``$EDITOR`` the way ``visudo`` does: on a temporary copy.

The real file is replaced (atomically) only once the edited text is valid, so a typo never leaves
a broken profile or configuration behind. When the text is not valid the problems are printed and
the walker chooses: edit again, or quit without saving (the edited copy is kept and its path
printed, so no typing is lost). Without a terminal to ask on, it quits without saving.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from treadctl.errors import UsageError

Validator = Callable[[str], list[str]]  # the edited text -> problems (empty: valid)


@dataclass(frozen=True)
class EditResult:
    saved: bool
    changed: bool
    kept_copy: Path | None = None  # where the unsaved text is, when it was not saved


def editor_command() -> list[str]:
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command:
        raise UsageError("set $EDITOR (or $VISUAL) to the editor to use, e.g. EDITOR=nano")
    return shlex.split(command)


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        return "q"
    try:
        return input(prompt).strip().lower()
    except EOFError:
        return "q"


def edit_until_valid(
    original_text: str,
    target: Path,
    validate: Validator,
    *,
    ask: Callable[[str], str] = _ask,
    write: Callable[[Path, str], None] | None = None,
) -> EditResult:
    """Let the user edit ``original_text``; write it to ``target`` once ``validate`` accepts it."""
    command = editor_command()
    folder = Path(tempfile.mkdtemp(prefix="treadctl-edit-"))
    copy = folder / target.name
    copy.write_text(original_text, encoding="utf-8")
    while True:
        try:
            subprocess.run([*command, str(copy)], check=False)
        except OSError as error:
            raise UsageError(f"cannot start the editor {' '.join(command)!r}: {error}") from None
        try:
            text = copy.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the edited copy {copy}: {error}") from None
        if text == original_text:
            _discard(copy)
            return EditResult(saved=False, changed=False)
        problems = validate(text)
        if not problems:
            if write is None:
                from treadctl.atomic import atomic_write_text

                atomic_write_text(target, text)
            else:
                write(target, text)
            _discard(copy)
            return EditResult(saved=True, changed=True)
        for problem in problems:
            print(problem, file=sys.stderr)
        answer = _ask_again(ask)
        if answer != "e":
            print(
                f"treadctl: not saved: {target} is unchanged; your edited text is in {copy}",
                file=sys.stderr,
            )
            return EditResult(saved=False, changed=True, kept_copy=copy)


def _ask_again(ask: Callable[[str], str]) -> str:
    answer = ask("Not valid yet. e = edit again, q = quit without saving: ")
    return "e" if answer in ("e", "edit", "") else "q"


def _discard(copy: Path) -> None:
    try:
        copy.unlink()
        copy.parent.rmdir()
    except OSError:
        pass


def edit_profile_externally(
    path: Path, *, ask: Callable[[str], str] = _ask
) -> tuple[Path, EditResult]:
    """``$EDITOR`` on a copy of the profile at ``path``; returns where it is (or would be)
    saved and how it went. A shipped profile is saved as the user's own copy."""
    from treadctl.paths import user_profiles_dir
    from treadctl.profile.library import is_shipped
    from treadctl.profile.loading import ProfileInvalid, parse_profile

    target = user_profiles_dir() / path.name if is_shipped(path) else path
    if target != path and target.exists():
        raise UsageError(
            f"{path.stem!r} is a shipped profile and you already have a copy, {target}; "
            "edit that one (`treadctl profile edit` picks it by name)"
        )
    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read: {error}") from None

    def problems(text: str) -> list[str]:
        try:
            parse_profile(text, target)
        except ProfileInvalid as error:
            return error.messages
        return []

    return target, edit_until_valid(original, target, problems, ask=ask)
