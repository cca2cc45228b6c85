"""The ``[mqtt]`` section of the user configuration (off unless a host is set)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_TOPIC_PREFIX = re.compile(r"^[^#+/\s][^#+\s]*(?<!/)$")


class MqttCommandsConfig(BaseModel):
    """Remote commands are off by default; stop, pause and resume are the only ones when on."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    allow_nudge: bool = False  # speed/incline nudges, always through the supervisor's caps
    allow_start: bool = False  # starting (or re-arming) the belt from a distance


class MqttConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str | None = None  # None: MQTT is off
    port: int = Field(default=1883, ge=1, le=65535)
    tls: bool = False
    ca_file: Path | None = None  # TLS: trust this CA instead of the system's
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None  # read at start, first line; keeps secrets out of config
    client_id: str | None = None  # default: treadctl-<device-id>
    topic_prefix: str | None = None  # default: treadctl/<device-id>
    discovery: bool = True  # Home Assistant MQTT discovery
    discovery_prefix: str = "homeassistant"
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    commands: MqttCommandsConfig = Field(default_factory=MqttCommandsConfig)

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @field_validator("topic_prefix", "discovery_prefix")
    @classmethod
    def _valid_prefix(cls, value: str | None) -> str | None:
        if value is not None and not _TOPIC_PREFIX.match(value):
            raise ValueError(
                "must be an MQTT topic without wildcards (+, #), spaces or a leading/trailing '/'"
            )
        return value

    @model_validator(mode="after")
    def _one_password_source(self) -> MqttConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("set either password or password_file, not both")
        if self.ca_file is not None and not self.tls:
            raise ValueError("ca_file is only used with tls = true")
        return self
