"""The user configuration (``config.toml``): units, body mass, safety caps, MQTT, pace zones.

The defaults are chosen for a beginner walking backward for the first time: gentle caps, slow
ramps, a slow belt while turning around. A file only needs the keys it changes; ``load_config``
also records where every effective value came from, for ``treadctl config show``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from treadctl.ble.device_config import DeviceSettings
from treadctl.checkins.config import CheckinConfig
from treadctl.display_config import DisplayConfig
from treadctl.errors import ConfigError
from treadctl.hr.config import HeartRateConfig
from treadctl.mqtt.config import MqttConfig
from treadctl.person.config import PeopleConfig
from treadctl.profile.zones import ZonesConfig
from treadctl.safety_config import SafetyConfig
from treadctl.toml_locate import LocatedValueError, located_messages, toml_syntax_message
from treadctl.voice.config import VoiceConfig

DEFAULT_SOURCE = "default"


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

    safety, sources = apply_prescription(loaded.config.safety)
    if not sources:
        return loaded
    config = loaded.config.model_copy(update={"safety": safety})
    return LoadedConfig(config, loaded.path, {**loaded.sources, **sources})


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
