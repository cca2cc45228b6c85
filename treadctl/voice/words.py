"""Numbers, speeds and durations as words, so every speech engine says them the same way.

Pure functions: ``speed_words(1.3, "kmh") == "one point three kilometres an hour"``.
"""

from __future__ import annotations

from treadctl.units import SpeedUnit, from_kmh

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "kmh": ("kilometre an hour", "kilometres an hour"),
    "mph": ("mile an hour", "miles an hour"),
}


def integer_words(number: int) -> str:
    """0 .. 9999 in words (``42`` -> ``forty-two``); larger numbers as digits."""
    if number < 0:
        return "minus " + integer_words(-number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = f"{_ONES[hundreds]} hundred"
        return head + (f" and {integer_words(rest)}" if rest else "")
    if number < 10000:
        thousands, rest = divmod(number, 1000)
        head = f"{_ONES[thousands]} thousand"
        if not rest:
            return head
        return head + (" and " if rest < 100 else " ") + integer_words(rest)
    return str(number)


def decimal_words(value: float, places: int = 1) -> str:
    """``1.3`` -> ``one point three``; ``2.0`` -> ``two`` (rounded to ``places``)."""
    text = f"{abs(value):.{places}f}".rstrip("0").rstrip(".")
    whole, _, fraction = text.partition(".")
    words = integer_words(int(whole))
    if fraction:
        words += " point " + " ".join(_ONES[int(digit)] for digit in fraction)
    return ("minus " if value < 0 and text != "0" else "") + words


def speed_words(speed_kmh: float, unit: SpeedUnit) -> str:
    """A belt speed in the walker's unit, one decimal: ``one point three kilometres an hour``."""
    value = round(from_kmh(speed_kmh, unit), 1)
    one, many = UNIT_WORDS[unit]
    return f"{decimal_words(value)} {one if value == 1 else many}"


def duration_words(duration_s: float) -> str:
    """``120`` -> ``two minutes``; ``90`` -> ``one minute thirty seconds``; ``3600`` -> ``one
    hour``. Rounded to the second."""
    total_s = max(0, round(duration_s))
    hours, rest = divmod(total_s, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    for amount, name in ((hours, "hour"), (minutes, "minute"), (seconds, "second")):
        if amount:
            parts.append(f"{integer_words(amount)} {name}{'' if amount == 1 else 's'}")
    return " ".join(parts) if parts else "zero seconds"


def incline_words(incline_pct: float) -> str:
    return f"incline {decimal_words(incline_pct)} percent"


def count_word(seconds_left: int) -> str:
    """A countdown number as a word (``3`` -> ``three``)."""
    return integer_words(seconds_left)
