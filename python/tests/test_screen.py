"""Screenings from Python equal the CLI's `screen --format json`; the Arrow table holds them."""

import pytest

import chaintrail
from conftest import cli_json, run_cli

#: A fixed screening date, so that the answers do not depend on the day the tests run.
DATE = "2026-02-01"


@pytest.fixture(scope="session")
def screened(store, ronin_seed):
    """A deposit address the heist reached, and the thief's first address."""
    trace = store.trace(ronin_seed, policy="fifo")
    service = next(e for e in trace.report["endpoints"] if e["kind"] == "service")
    first_hop = trace.report["endpoints"][0]["path"][0]["to"]
    return [service["address"], first_hop]


def test_screening_equals_the_cli(store, demo_dir, screened):
    python = store.screening(screened, date=DATE)
    cli = cli_json(demo_dir, "screen", *screened, "--date", DATE)
    assert python == cli
    assert [s["risk"] for s in python] == [s["risk"] for s in cli]
    assert any(s["exposures"] for s in python)


def test_screen_table_has_a_row_per_exposure(store, demo_dir, screened):
    table = store.screen(screened, date=DATE)
    cli = cli_json(demo_dir, "screen", *screened, "--date", DATE)
    expected_rows = sum(max(1, len(s["exposures"])) for s in cli)
    assert table.num_rows == expected_rows
    usd = [u for u in table.column("exposure_usd").to_pylist() if u is not None]
    assert usd == [e["usd"] for s in cli for e in s["exposures"]]
    risks = dict(zip(table.column("address").to_pylist(), table.column("risk").to_pylist()))
    assert risks == {s["address"]: s["risk"] for s in cli}


def test_a_bad_address_raises_the_cli_message(store, demo_dir):
    with pytest.raises(chaintrail.ChaintrailError) as err:
        store.screen(["0x1234"], date=DATE)
    stderr = run_cli(demo_dir, "screen", "0x1234", "--date", DATE, check=False).stderr
    assert stderr.splitlines()[0] == f"error: {err.value}"
    assert str(err.value).startswith("screening 0x1234: ")
