"""The speech programs treadctl can drive, and the command line each one needs.

Pure apart from ``shutil.which``: ``find_engine`` says which program will speak (or why none
can), ``speak_argv`` builds the command for one sentence, ``wav_argv`` renders one to a WAV file
(espeak-ng only: the tests and ``treadctl`` check speech without a sound card).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

from treadctl.voice.config import VoiceConfig

ENGINES = ("espeak-ng", "spd-say", "say")  # "auto" tries them in this order
INSTALL_HINT = (
    "install one to hear the cues: sudo apt install espeak-ng (Debian/Ubuntu), "
    "sudo dnf install espeak-ng (Fedora); macOS has `say` built in"
)
Which = Callable[[str], str | None]


@dataclass(frozen=True)
class EngineChoice:
    """The speech program to use (``path`` None: none can speak; ``notice`` says why)."""

    name: str | None
    path: str | None
    notice: str = ""


def find_engine(config: VoiceConfig, which: Which = shutil.which) -> EngineChoice:
    wanted = ENGINES if config.engine == "auto" else (config.engine,)
    for name in wanted:
        path = which(name)
        if path:
            return EngineChoice(name, path)
    if config.engine == "auto":
        notice = f"no speech program found (espeak-ng, spd-say or say); {INSTALL_HINT}"
    else:
        notice = f"the speech program {config.engine} is not installed; {INSTALL_HINT}"
    return EngineChoice(None, None, f"voice: {notice}. The cues are shown and logged only.")


def speak_argv(name: str, path: str, config: VoiceConfig, text: str) -> list[str]:
    """The command that speaks ``text`` aloud (and returns once it has been said)."""
    if name == "espeak-ng":
        return [path, *_espeak_options(config), "--", text]
    if name == "spd-say":
        rate = max(-100, min(100, round((config.rate_wpm - 175) / 2)))  # 175 wpm is spd's 0
        volume = round(config.volume_pct * 2 - 100)  # -100 .. 100
        argv = [path, "--wait", "-r", str(rate), "-i", str(volume), "-l", config.language]
        if config.voice:
            argv += ["-y", config.voice]
        return [*argv, "--", text]
    if name == "say":
        argv = [path, "-r", str(config.rate_wpm)]
        if config.voice:
            argv += ["-v", config.voice]
        loudness = f"[[volm {config.volume_pct / 100:.2f}]] "  # say's embedded volume command
        return [*argv, "--", loudness + text]
    raise ValueError(f"unknown speech program {name}")


def wav_argv(path: str, config: VoiceConfig, text: str, wav_path: str) -> list[str]:
    """espeak-ng rendering ``text`` to ``wav_path`` instead of the sound card."""
    return [path, *_espeak_options(config), "-w", wav_path, "--", text]


def _espeak_options(config: VoiceConfig) -> list[str]:
    amplitude = round(config.volume_pct * 2)  # espeak-ng -a: 0 .. 200, 100 is its default
    return ["-v", config.voice or config.language, "-s", str(config.rate_wpm), "-a", str(amplitude)]
