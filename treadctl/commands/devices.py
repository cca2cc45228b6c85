"""`treadctl devices`: the quirk presets, the known-device table and the configured devices."""

from __future__ import annotations

import argparse


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "devices",
        parents=[common],
        help="list device quirks, known treadmills and your [devices] settings",
        description='List the quirk presets (for --quirks and [devices."ADDRESS"] quirks), '
        "the treadmills whose quirks are documented in public (with the source), and the "
        "[devices] tables of your configuration.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=_main)


_PRESET_HELP = {
    "spec": "no quirk: the device follows the FTMS specification",
    "control-preamble": "send Request Control and Start before every speed/incline target",
    "start-before-speed": "hold speed targets until the belt runs (sent right after Start)",
    "mph-range": "the Supported Speed Range holds mph values in its km/h fields",
    "reports-mph": "Treadmill Data and target-speed status report mph in the km/h fields",
    "mph-commands": "the device reads Set Target Speed as mph",
    "request-control-twice": "send Request Control twice, half a second apart",
    "slow-response": "wait 5 s (not 2 s) for each Control Point answer",
}


def _main(args: argparse.Namespace) -> int:
    import json

    from treadctl.ble.known_devices import KNOWN_DEVICES
    from treadctl.ble.quirks import PRESETS
    from treadctl.config import config_from_args

    devices = config_from_args(args).config.devices
    if args.json:
        print(
            json.dumps(
                {
                    "presets": {
                        name: {"fields": list(q.names()), "help": _PRESET_HELP.get(name, "")}
                        for name, q in PRESETS.items()
                    },
                    "known_devices": [
                        {
                            "device": d.device,
                            "match": d.field if d.pattern else None,
                            "pattern": d.pattern,
                            "quirks": list(d.quirks),
                            "fact": d.fact,
                            "source": d.source,
                        }
                        for d in KNOWN_DEVICES
                    ],
                    "configured": {
                        key: settings.model_dump(mode="json", exclude_none=True)
                        for key, settings in devices.items()
                    },
                },
                indent=2,
            )
        )
        return 0
    print('Quirk presets (--quirks LIST, or quirks = [...] in a [devices."ADDRESS"] table):')
    width = max(len(name) for name in PRESETS)
    for name in PRESETS:
        print(f"  {name:<{width}}  {_PRESET_HELP.get(name, '')}")
    print("\nKnown devices (applied automatically where the name or Device Information matches):")
    for d in KNOWN_DEVICES:
        if d.pattern:
            match = f"{d.field} {d.pattern}" if d.field != "name" else f"name {d.pattern}"
        else:
            match = f"no documented name: set --quirks {','.join(d.quirks)} by hand"
        print(f"  {d.device}: {', '.join(d.quirks)} ({match})")
        print(f"      {d.fact}")
        print(f"      source: {d.source}")
    print("\nYour devices ([devices] in the configuration):")
    if not devices:
        print('  none; add e.g. [devices."AA:BB:CC:DD:EE:FF"] with quirks = ["slow-response"]')
    for key, settings in devices.items():
        values = settings.model_dump(mode="json", exclude_none=True)
        shown = ", ".join(f"{k} = {v}" for k, v in values.items()) or "(empty)"
        print(f'  "{key}": {shown}')
    return 0
