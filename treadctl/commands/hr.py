"""`treadctl hr suggest --age N`: an age-based heart-rate ceiling, labelled as only a suggestion."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "hr",
        parents=[common],
        help="heart rate: a suggested ceiling from age",
        description="Heart-rate helpers. The ceiling itself is [safety] hr_ceiling_bpm.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    suggest = actions.add_parser(
        "suggest", help="a ceiling from age (Tanaka's formula), as a suggestion only"
    )
    suggest.add_argument("--age", type=_age, required=True, metavar="YEARS")
    parser.set_defaults(func=_main)


def _age(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of years: {text!r}") from None
    if not 10 <= value <= 110:
        raise argparse.ArgumentTypeError("age must be between 10 and 110 years")
    return value


def _main(args: argparse.Namespace) -> int:
    from treadctl.hr.ceiling import suggestion_text

    print(suggestion_text(args.age))
    return 0
