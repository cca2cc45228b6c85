"""Home Assistant MQTT discovery: the treadmill appears as a device with sensors and buttons.

Pure: returns (topic, payload) pairs, published retained. Buttons exist only for enabled
commands; for the others an empty retained payload is sent, which removes a button that an
earlier configuration had created.
"""

from __future__ import annotations

from typing import Any

from treadctl import __version__
from treadctl.mqtt.commands import allowed_commands
from treadctl.mqtt.config import MqttCommandsConfig
from treadctl.mqtt.payloads import AVAILABLE, UNAVAILABLE, encode
from treadctl.mqtt.topics import Topics, topic_id
from treadctl.view import SessionState

# key, name, telemetry field, unit, device_class, state_class, icon
_SENSORS: tuple[tuple[str, str, str, str | None, str | None, str | None, str | None], ...] = (
    ("speed", "Speed", "speed_kmh", "km/h", "speed", "measurement", None),
    ("incline", "Incline", "incline_pct", "%", None, "measurement", "mdi:slope-uphill"),
    ("distance", "Distance", "distance_m", "m", "distance", "total_increasing", None),
    ("energy", "Energy", "energy_kcal", "kcal", None, "total_increasing", "mdi:fire"),
    ("heart_rate", "Heart rate", "heart_rate_bpm", "bpm", None, "measurement", "mdi:heart-pulse"),
    ("bout", "Bout", "bout", None, None, None, "mdi:counter"),
    ("direction", "Direction", "direction", None, "enum", None, "mdi:swap-vertical"),
    ("remaining", "Bout remaining", "remaining_s", "s", "duration", None, None),
)
_BUTTONS = {"stop": "Stop belt", "pause": "Pause", "resume": "Resume"}


def discovery_messages(
    topics: Topics,
    device_id: str,
    commands: MqttCommandsConfig,
    discovery_prefix: str = "homeassistant",
    device_name: str | None = None,
    heart_rate: bool = True,
) -> list[tuple[str, bytes]]:
    """``heart_rate`` False (no strap, no heart rate from the treadmill): the heart-rate sensor
    is removed (an empty retained config) instead of announced."""
    node = topic_id(device_id)
    device = {
        "identifiers": [f"treadctl_{node}"],
        "name": device_name or f"Treadmill {device_id}",
        "manufacturer": "treadctl",
        "model": "FTMS treadmill (retro walking)",
        "sw_version": __version__,
    }
    common = {
        "availability_topic": topics.availability,
        "payload_available": AVAILABLE.decode(),
        "payload_not_available": UNAVAILABLE.decode(),
        "device": device,
    }
    messages: list[tuple[str, bytes]] = []

    def config_topic(component: str, key: str) -> str:
        return f"{discovery_prefix}/{component}/{node}/{key}/config"

    for key, name, field, unit, device_class, state_class, icon in _SENSORS:
        if key == "heart_rate" and not heart_rate:
            messages.append((config_topic("sensor", key), b""))
            continue
        sensor: dict[str, Any] = {
            **common,
            "name": name,
            "unique_id": f"treadctl_{node}_{key}",
            "state_topic": topics.telemetry,
            "value_template": f"{{{{ value_json.{field} }}}}",
        }
        if unit is not None:
            sensor["unit_of_measurement"] = unit
        if device_class is not None:
            sensor["device_class"] = device_class
        if device_class == "enum":
            sensor["options"] = ["forward", "backward"]
        if state_class is not None:
            sensor["state_class"] = state_class
        if icon is not None:
            sensor["icon"] = icon
        messages.append((config_topic("sensor", key), encode(sensor)))

    state = {
        **common,
        "name": "State",
        "unique_id": f"treadctl_{node}_state",
        "state_topic": topics.state,
        "value_template": "{{ value_json.state }}",
        "device_class": "enum",
        "options": [str(s) for s in SessionState],
        "icon": "mdi:walk",
    }
    messages.append((config_topic("sensor", "state"), encode(state)))

    enabled = allowed_commands(commands)
    for word, name in _BUTTONS.items():
        topic = config_topic("button", word)
        if word not in enabled:
            messages.append((topic, b""))  # removes a button left by an earlier configuration
            continue
        button = {
            **common,
            "name": name,
            "unique_id": f"treadctl_{node}_{word}",
            "command_topic": topics.command,
            "payload_press": encode({"command": word}).decode(),
        }
        if word == "stop":
            button["icon"] = "mdi:stop-circle"
        messages.append((topic, encode(button)))
    return messages
