"""A demo store built once per test session by the real CLI, and a runner of that CLI, so that
every test can compare the package's answers with the CLI's JSON for the same question."""

import json
import os
import pathlib
import subprocess

import pytest

import chaintrail

REPO = pathlib.Path(__file__).resolve().parents[2]
#: The CLI the answers are compared with (scripts/test builds it; CHAINTRAIL_BIN overrides).
CLI = os.environ.get("CHAINTRAIL_BIN", str(REPO / "target" / "debug" / "chaintrail"))
#: Small enough to build in seconds, large enough for three heists with every kind of endpoint.
DEMO_SCALE = "20000"


def run_cli(data_dir, *args, check=True):
    return subprocess.run(
        [CLI, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        check=check,
    )


def cli_json(data_dir, *args):
    return json.loads(run_cli(data_dir, *args, "--format", "json").stdout)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    if not os.access(CLI, os.X_OK):
        pytest.fail(f"no chaintrail CLI at {CLI}: run `cargo build -p chaintrail` (or set CHAINTRAIL_BIN)")
    data_dir = tmp_path_factory.mktemp("demo") / "store"
    run_cli(data_dir, "demo", "--scale", DEMO_SCALE)
    return data_dir


@pytest.fixture(scope="session")
def store(demo_dir):
    return chaintrail.open(demo_dir)


@pytest.fixture(scope="session")
def truth(demo_dir):
    return json.loads((demo_dir / "sim" / "ground_truth.json").read_text())


@pytest.fixture(scope="session")
def ronin_seed(truth):
    heist = next(h for h in truth["heists"] if h["variant"] == "ronin")
    return f"{heist['victim_address']['chain']}:{heist['exploit_txs'][0]}"
