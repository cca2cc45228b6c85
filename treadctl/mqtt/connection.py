"""How to reach the broker: the aiomqtt client built from ``[mqtt]``, with the last will set.

Secrets are read once, before the session starts, so a missing password file is a clear
configuration error instead of a silent reconnect loop during the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiomqtt

from treadctl.errors import ConfigError
from treadctl.mqtt.config import MqttConfig
from treadctl.mqtt.payloads import UNAVAILABLE
from treadctl.mqtt.topics import Topics, topic_id

log = logging.getLogger(__name__)

ClientFactory = Callable[[], aiomqtt.Client]


@dataclass(frozen=True)
class ConnectionSettings:
    host: str
    port: int
    client_id: str
    keepalive_s: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    timeout_s: float = 5.0  # per broker round trip; a slower broker counts as gone


def connection_settings(config: MqttConfig, device_id: str) -> ConnectionSettings:
    """Settings from the config; raises ``ConfigError`` for an unreadable password or CA file."""
    if config.host is None:
        raise ConfigError("MQTT is off: set host in [mqtt] to turn it on")
    password = config.password
    if config.password_file is not None:
        try:
            lines = config.password_file.expanduser().read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ConfigError(
                f"cannot read the MQTT password file {config.password_file}: {error.strerror}"
            ) from None
        password = lines[0] if lines else ""
    if config.ca_file is not None and not config.ca_file.expanduser().is_file():
        raise ConfigError(f"the MQTT CA file {config.ca_file} does not exist")
    return ConnectionSettings(
        host=config.host,
        port=config.port,
        client_id=config.client_id or f"treadctl-{topic_id(device_id)}",
        keepalive_s=config.keepalive_s,
        username=config.username,
        password=password,
        tls=config.tls,
        ca_file=None if config.ca_file is None else str(config.ca_file.expanduser()),
    )


def client_factory(settings: ConnectionSettings, topics: Topics) -> ClientFactory:
    """A factory for fresh clients (one per connection attempt), each with the ``offline`` will."""
    will = aiomqtt.Will(topics.availability, UNAVAILABLE, qos=1, retain=True)
    tls_params = aiomqtt.TLSParameters(ca_certs=settings.ca_file) if settings.tls else None

    def make() -> aiomqtt.Client:
        return aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=settings.password,
            identifier=settings.client_id,
            will=will,
            keepalive=settings.keepalive_s,
            timeout=settings.timeout_s,
            tls_params=tls_params,
            logger=log,
        )

    return make
