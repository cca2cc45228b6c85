"""The user configuration (``config.toml``): units, body mass, safety caps, MQTT, pace zones.

The defaults are chosen for a beginner walking backward for the first time: gentle caps, slow
ramps, a slow belt while turning around. A file only needs the keys it changes; ``load_config``
also records where every effective value came from, for ``treadctl config show``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from treadctl.checkins.config import CheckinConfig
from treadctl.device_config import DeviceSettings
from treadctl.display_config import DisplayConfig
from treadctl.errors import ConfigError
from treadctl.hr.config import HeartRateConfig
from treadctl.mqtt.config import MqttConfig
from treadctl.person.config import PeopleConfig
from treadctl.profile.locate import LocatedValueError, located_messages, toml_syntax_message
from treadctl.voice.config import VoiceConfig

# Absolute limits no configuration may exceed: a walking program, not a running one.
ABSOLUTE_MAX_SPEED_KMH = 20.0
ABSOLUTE_MAX_INCLINE_PCT = 20.0
ABSOLUTE_MAX_ACCELERATION_KMH_PER_S = 2.0

DEFAULT_SOURCE = "default"


class SafetyConfig(BaseModel):
    """Caps and pacing the supervisor and the plan enforce; backward caps are the stricter ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_speed_kmh: float = Field(default=8.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    max_backward_speed_kmh: float = Field(default=4.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    max_incline_pct: float = Field(default=10.0, ge=0, le=ABSOLUTE_MAX_INCLINE_PCT)
    max_backward_incline_pct: float = Field(default=6.0, ge=0, le=ABSOLUTE_MAX_INCLINE_PCT)
    max_acceleration_kmh_per_s: float = Field(
        default=0.5, gt=0, le=ABSOLUTE_MAX_ACCELERATION_KMH_PER_S
    )
    max_backward_acceleration_kmh_per_s: float = Field(
        default=0.25, gt=0, le=ABSOLUTE_MAX_ACCELERATION_KMH_PER_S
    )
    # No telemetry for this long -> Stop. Longer than 10 s would defeat the purpose.
    watchdog_s: float = Field(default=3.0, gt=0, le=10.0)
    # Belt speed while the walker turns around; 0 stops the belt.
    turn_speed_kmh: float = Field(default=1.0, ge=0, le=ABSOLUTE_MAX_SPEED_KMH)
    turn_hold_s: float = Field(default=5.0, ge=0, le=120.0)
    confirm_turns: bool = False
    # Nudges (+/- keys, remote nudges) stay within this much of the bout's planned target in
    # total, and at most one is taken every nudge_interval_s (the caps still apply on top).
    max_nudge_kmh: float = Field(default=1.0, ge=0, le=3.0)
    max_nudge_incline_pct: float = Field(default=2.0, ge=0, le=5.0)
    nudge_interval_s: float = Field(default=1.0, ge=0.2, le=10.0)
    # Without keys (headless), a paused session ends after this long instead of waiting for ever.
    pause_timeout_s: float = Field(default=600.0, gt=0, le=7200.0)
    # Heart rate (README "Heart rate"): a ceiling that only slows, then stops. None: no ceiling.
    hr_ceiling_bpm: int | None = Field(default=None, ge=60, le=220)
    hr_ceiling_margin_bpm: int = Field(default=10, ge=1, le=40)
    hr_ceiling_stop_s: float = Field(default=30.0, gt=0, le=600)
    hr_ceiling_hold_s: float = Field(default=20.0, gt=0, le=600)
    hr_ceiling_step_kmh: float = Field(default=0.3, gt=0, le=2.0)
    require_hr: bool = False  # an untrusted heart rate stops the belt instead of a banner

    @model_validator(mode="before")
    @classmethod
    def _mph_keys(cls, data: Any) -> Any:
        """Speeds may be written in mph (``max_speed_mph``), but only one of the two per cap."""
        return _fold_mph(data, SPEED_KEYS)

    @model_validator(mode="after")
    def _backward_is_stricter(self) -> Self:
        pairs = (
            ("max_backward_speed_kmh", "max_speed_kmh"),
            ("max_backward_incline_pct", "max_incline_pct"),
            ("max_backward_acceleration_kmh_per_s", "max_acceleration_kmh_per_s"),
        )
        for backward, forward in pairs:
            if getattr(self, backward) > getattr(self, forward):
                raise LocatedValueError(
                    (backward,),
                    f"must not be above {forward} ({getattr(self, forward):g})",
                )
        if self.turn_speed_kmh > self.max_backward_speed_kmh:
            raise LocatedValueError(
                ("turn_speed_kmh",),
                f"must not be above max_backward_speed_kmh ({self.max_backward_speed_kmh:g})",
            )
        return self


SPEED_KEYS = (
    "max_speed_kmh",
    "max_backward_speed_kmh",
    "turn_speed_kmh",
    "max_acceleration_kmh_per_s",
    "max_backward_acceleration_kmh_per_s",
)


def _fold_mph(data: Any, kmh_keys: tuple[str, ...]) -> Any:
    from treadctl.units import fold_mph_keys

    try:
        return fold_mph_keys(data, kmh_keys)
    except KeyError as error:
        mph_key = str(error.args[0])
        raise LocatedValueError(
            (mph_key,), f"give either {mph_key} or {mph_key.replace('mph', 'kmh')}, not both"
        ) from None


class ZonesConfig(BaseModel):
    """Belt speeds for the pace zones of Zwift run workouts (``pace="0"`` .. ``"4"``), which
    give targets as a fraction of one of these. Walking-friendly defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mile_kmh: float = Field(default=6.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    k5_kmh: float = Field(default=5.5, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    k10_kmh: float = Field(default=5.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    half_marathon_kmh: float = Field(default=4.5, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    marathon_kmh: float = Field(default=4.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)

    def for_pace(self, pace: int) -> float:
        """Speed of Zwift's pace zone number (0 one mile, 1 5 km, 2 10 km, 3 half, 4 full)."""
        speeds = (self.mile_kmh, self.k5_kmh, self.k10_kmh, self.half_marathon_kmh)
        return speeds[pace] if 0 <= pace < len(speeds) else self.marathon_kmh


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: Literal["kmh", "mph"] = "kmh"  # an alias of display.units, kept for old files
    display: DisplayConfig = Field(default_factory=DisplayConfig)
    body_mass_kg: float = Field(default=70.0, gt=20, le=400)  # for energy estimates
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    zones: ZonesConfig = Field(default_factory=ZonesConfig)
    heart_rate: HeartRateConfig = Field(default_factory=HeartRateConfig)
    checkins: CheckinConfig = Field(default_factory=CheckinConfig)
    voice: VoiceConfig = Field(default_factory=VoiceConfig)
    last_device: str | None = None  # address of the treadmill used last
    devices: dict[str, DeviceSettings] = Field(default_factory=dict)  # [devices."ADDRESS"]
    people: PeopleConfig = Field(default_factory=PeopleConfig)

    @model_validator(mode="before")
    @classmethod
    def _units_alias(cls, data: Any) -> Any:
        """``[display] units`` and the older top-level ``units`` are one setting."""
        return fold_units_alias(data)


def fold_units_alias(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    display = data.get("display")
    if display is not None and not isinstance(display, dict):
        return data  # the model says what is wrong with it
    chosen = display.get("units") if display else None
    if chosen is None:
        if "units" in data:
            return {**data, "display": {**(display or {}), "units": data["units"]}}
        return data
    if "units" in data and data["units"] != chosen:
        raise LocatedValueError(
            ("units",),
            f"says {data['units']!r} but [display] units says {chosen!r}; keep one of them",
        )
    return {**data, "units": chosen}


@dataclass(frozen=True)
class LoadedConfig:
    """The effective configuration, the file it was read from (which may not exist) and, for
    each dotted key, ``"default"`` or the path of the file that set it."""

    config: Config
    path: Path
    sources: dict[str, str]


def default_config_path() -> Path:
    from treadctl.paths import default_config_path as _default

    return _default()


def load_config(path: Path | None = None) -> LoadedConfig:
    """Read the configuration; with no ``path``, the default file (defaults if it is absent).

    An explicit ``path`` (``--config FILE``) must exist. Errors are ConfigError with
    ``file:line: key: reason``.
    """
    explicit = path is not None
    config_path = Path(path) if path is not None else default_config_path()
    if not config_path.exists():
        if explicit:
            raise ConfigError(f"{config_path}: configuration file not found")
        config = Config()
        return _locked(LoadedConfig(config, config_path, _sources(config, {}, config_path)))
    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{config_path}: cannot read: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(toml_syntax_message(error, config_path, text)) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        messages = located_messages(error.errors(), config_path, text)
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise ConfigError(messages[0] + more) from None
    return _locked(LoadedConfig(config, config_path, _sources(config, data, config_path)))


def _locked(loaded: LoadedConfig) -> LoadedConfig:
    """The selected person's prescription caps applied (they can be tightened, not loosened)."""
    from treadctl.prescription.apply import apply_prescription

    return apply_prescription(loaded)


def config_from_args(args: Any) -> LoadedConfig:
    """The configuration a command should use: ``--config FILE`` if given, else the default."""
    value = getattr(args, "config", None)
    return load_config(Path(value) if value else None)


def _sources(config: Config, data: dict[str, Any], path: Path) -> dict[str, str]:
    sources: dict[str, str] = {}
    for key in flatten(config.model_dump(mode="json")):
        sources[key] = str(path) if _present(data, key) else DEFAULT_SOURCE
    return sources


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"safety": {"watchdog_s": 3}}`` -> ``{"safety.watchdog_s": 3}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted_key = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{dotted_key}."))
        else:
            flat[dotted_key] = value
    return flat


def _present(data: dict[str, Any], dotted_key: str) -> bool:
    """Whether the file set ``dotted_key`` (also as its mph twin, or via the units alias)."""
    if "kmh" in dotted_key and _present_exactly(data, dotted_key.replace("kmh", "mph")):
        return True
    if dotted_key in ("units", "display.units"):
        return _present_exactly(data, "units") or _present_exactly(data, "display.units")
    return _present_exactly(data, dotted_key)


def _present_exactly(data: dict[str, Any], dotted_key: str) -> bool:
    node: Any = data
    for part in dotted_key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
