"""The ``[mqtt]`` section of the user configuration (off unless a host is set)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class MqttCommandsConfig(BaseModel):
    """Remote commands are off by default; stop, pause and resume are the only ones when on."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    allow_nudge: bool = False  # speed/incline nudges, always through the supervisor's caps
    allow_start: bool = False  # starting the belt from a distance


class MqttConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str | None = None  # None: MQTT is off
    port: int = Field(default=1883, ge=1, le=65535)
    tls: bool = False
    ca_file: Path | None = None
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    client_id: str | None = None
    topic_prefix: str | None = None  # default: treadctl/<device-id>
    discovery: bool = True  # Home Assistant MQTT discovery
    discovery_prefix: str = "homeassistant"
    commands: MqttCommandsConfig = Field(default_factory=MqttCommandsConfig)

    @property
    def enabled(self) -> bool:
        return self.host is not None
