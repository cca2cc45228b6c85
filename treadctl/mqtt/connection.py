"""How to reach the broker: the aiomqtt client built from ``[mqtt]``, with the last will set.

Secrets are read once, before the session starts, so a missing password file is a clear
configuration error instead of a silent reconnect loop during the session.

Every process has its own client identity (``treadctl-<device-id>-<host>-<pid>``; a configured
``client_id`` gets ``-<pid>`` appended): a broker disconnects the older of two clients with one
identity, so two sessions on one host (two simulators, a test and a real run) sharing one would
knock each other off the broker in turn.

MQTT 5 is spoken where the broker does (so a retained command can be recognised whenever it
arrives, see ``publisher``), MQTT 3.1.1 otherwise.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

import aiomqtt
from aiomqtt import ProtocolVersion

from treadctl.errors import ConfigError
from treadctl.mqtt.config import MqttConfig
from treadctl.mqtt.payloads import UNAVAILABLE
from treadctl.mqtt.topics import Topics, topic_id

log = logging.getLogger(__name__)

ClientFactory = Callable[[ProtocolVersion, bool], aiomqtt.Client]
PROBE_TIMEOUT_S = 1.5  # the first MQTT 5 attempt: a 3.1.1-only broker may just not answer
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")


def process_client_id(configured: str | None, device_id: str) -> str:
    """This process's own MQTT client identity (see the module docstring)."""
    pid = os.getpid()
    if configured:
        return f"{configured}-{pid}"
    host = _UNSAFE_ID.sub("_", socket.gethostname())[:24] or "host"
    return f"treadctl-{topic_id(device_id)}-{host}-{pid}"


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
        client_id=process_client_id(config.client_id, device_id),
        keepalive_s=config.keepalive_s,
        username=config.username,
        password=password,
        tls=config.tls,
        ca_file=None if config.ca_file is None else str(config.ca_file.expanduser()),
    )


def client_factory(settings: ConnectionSettings, topics: Topics) -> ClientFactory:
    """A factory for fresh clients (one per connection attempt), each with the ``offline`` will.
    Incoming messages wait in a ``StopFirstQueue``: a stop is taken ahead of everything else."""
    from treadctl.mqtt.incoming import StopFirstQueue

    will = aiomqtt.Will(topics.availability, UNAVAILABLE, qos=1, retain=True)
    tls_params = aiomqtt.TLSParameters(ca_certs=settings.ca_file) if settings.tls else None

    def make(protocol: ProtocolVersion = ProtocolVersion.V5, probe: bool = False) -> aiomqtt.Client:
        return aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=settings.password,
            identifier=settings.client_id,
            will=will,
            keepalive=settings.keepalive_s,
            timeout=min(settings.timeout_s, PROBE_TIMEOUT_S) if probe else settings.timeout_s,
            tls_params=tls_params,
            logger=log,
            protocol=protocol,
            queue_type=StopFirstQueue,
        )

    return make
