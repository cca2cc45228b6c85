"""`treadctl sim` and fault specs: listing, choosing, and bad input as one clear line."""

from __future__ import annotations

import pytest

from simulators import PERSONALITIES, Fault, FaultKind, FaultSpecError, parse_fault, personality
from treadctl.cli import main


def test_list_personalities_names_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--list-personalities"]) == 0
    out = capsys.readouterr().out
    for name in ("spec", "needs-start-before-speed", "half-kmh-steps", "no-incline", "mph-range",
                 "padded-status", "keeps-running-on-disconnect", "stops-on-disconnect",
                 "slow-response"):  # fmt: skip
        assert name in out and name in PERSONALITIES


def test_list_faults_names_every_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--list-faults"]) == 0
    out = capsys.readouterr().out
    assert all(kind.value in out for kind in FaultKind)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sim", "--personality", "fastest"], "unknown personality 'fastest'"),
        (["sim", "--fault", "explode@10"], "unknown fault 'explode'"),
        (["sim", "--fault", "stale"], "expected NAME@SECONDS"),
        (["sim", "--fault", "stale@-3"], "must be 0 or more seconds"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_parse_fault_forms() -> None:
    assert parse_fault("console-stop@300") == Fault(FaultKind.CONSOLE_STOP, 300.0)
    assert parse_fault(" Stale@12.5+30 ") == Fault(FaultKind.STALE, 12.5, 30.0)
    assert str(parse_fault("disconnect@60+5")) == "disconnect@60+5"
    with pytest.raises(FaultSpecError):
        parse_fault("runaway@soon")


def test_personalities_differ_where_they_claim_to() -> None:
    spec = personality("spec")
    assert personality("slow-response").response_delay_s >= 1.0 > spec.response_delay_s
    assert personality("half-kmh-steps").speed_increment_kmh == 0.5
    assert personality("padded-status").status_pad_to == 3
    assert personality("keeps-running-on-disconnect").stop_after_disconnect_s is None
    assert personality("stops-on-disconnect").stop_after_disconnect_s == 0.0
    assert spec.stop_after_disconnect_s == 2.0


def test_the_simulator_package_exports_exactly_what_it_loads_lazily() -> None:
    """``simulators/__init__`` lists its names twice (``__all__`` for tools, ``_HOMES`` for the
    lazy loader): both say the same, and each name loads from its home."""
    import simulators

    assert sorted(simulators.__all__) == sorted(simulators._HOMES)
    for name in simulators.__all__:
        assert getattr(simulators, name) is not None
