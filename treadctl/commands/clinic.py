"""`treadctl clinic`: follow every treadmill publishing to the configured MQTT broker."""

from __future__ import annotations

import argparse


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "clinic",
        parents=[common],
        help="follow every treadmill on the MQTT broker; stop any of them",
        description="A screen for the physiotherapist: every treadmill publishing to the "
        "broker of [mqtt] (person, profile, bout, direction, speed, heart rate, link), alarms "
        "first. Read-only, except Stop, which each treadmill judges by its own remote-command "
        "rules ([mqtt.commands] enabled = true on that machine).",
    )
    parser.add_argument(
        "--host", metavar="HOST", help="broker host (default: [mqtt] host of the configuration)"
    )
    parser.add_argument("--port", type=int, metavar="PORT", help="broker port (default: [mqtt])")
    parser.add_argument(
        "--root",
        default="treadctl",
        metavar="TOPIC",
        help="topic root the treadmills publish under (default: treadctl)",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from treadctl.config import config_from_args
    from treadctl.errors import UsageError

    mqtt = config_from_args(args).config.mqtt
    update: dict[str, object] = {}
    if args.host:
        update["host"] = args.host
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            raise UsageError("--port must be between 1 and 65535")
        update["port"] = args.port
    mqtt = mqtt.model_copy(update=update)
    if mqtt.host is None:
        raise UsageError("which broker? Set host in [mqtt] of the configuration, or pass --host")
    root = args.root.strip().strip("/")
    if not root or any(c in root for c in "#+ "):
        raise UsageError("--root must be a topic without wildcards or spaces, e.g. treadctl")
    from treadctl.tui.clinic_app import run_clinic

    run_clinic(mqtt, root)
    return 0
