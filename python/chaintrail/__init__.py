"""chaintrail from Python: open a store, trace, screen and query it in-process.

The store and the engines are chaintrail's Rust libraries, the same code the ``chaintrail`` CLI
and server run; long calls release the GIL. Results arrive as the CLI's JSON (``dict``/``list``)
or as Arrow tables (``pyarrow``), with ``to_pandas()`` for DataFrames.

>>> import chaintrail
>>> store = chaintrail.open("chaintrail-data")
>>> trace = store.trace(["anvil:0x91023a…"], policy="fifo")
>>> trace.endpoints.to_pandas()

Amounts are exact: ``amount`` (base units) and ``units`` (whole units) are decimal strings, as
in the CLI's JSON; ``units_float`` is their approximate float for plots and sums.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
from typing import Iterable, Iterator, Optional, Sequence, Union

import pyarrow as pa

from . import _native
from ._native import ChaintrailError

__all__ = ["open", "Store", "Trace", "ChaintrailError", "DEFAULT_MIN_CONFIDENCE"]
__version__ = _native.__version__

DEFAULT_MIN_CONFIDENCE: float = _native.DEFAULT_MIN_CONFIDENCE

DateLike = Union[str, _dt.date]
TimeLike = Union[int, str, _dt.date, _dt.datetime]


def _date_text(date: Optional[DateLike]) -> Optional[str]:
    if date is None or isinstance(date, str):
        return date
    if isinstance(date, _dt.datetime):
        return date.date().isoformat()
    if isinstance(date, _dt.date):
        return date.isoformat()
    raise TypeError(f"date: expected 'YYYY-MM-DD' or datetime.date, got {type(date).__name__}")


def _unix_seconds(value: Optional[TimeLike], *, end_of_day: bool) -> Optional[int]:
    """Unix seconds from seconds, a datetime, or a day (its first or last second, UTC)."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            value = _dt.date.fromisoformat(value)
        except ValueError:
            raise ChaintrailError(f"`{value}`: expected Unix seconds or YYYY-MM-DD") from None
    if isinstance(value, _dt.date):
        start = int(_dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc).timestamp())
        return start + 86_399 if end_of_day else start
    raise TypeError(f"expected Unix seconds, 'YYYY-MM-DD', date or datetime, got {type(value).__name__}")


def _units_float(units: Optional[str]) -> Optional[float]:
    return None if units is None else float(units)


# ---- Arrow schemas of the trace tables (docs/python.md lists their columns) ----

_VALUE_FIELDS = [
    pa.field("chain", pa.string()),
    pa.field("asset", pa.string()),
    pa.field("contract", pa.string()),
    pa.field("decimals", pa.uint8()),
    pa.field("amount", pa.string()),
    pa.field("units", pa.string()),
    pa.field("units_float", pa.float64()),
    pa.field("usd", pa.float64()),
]

ENDPOINTS_SCHEMA = pa.schema(
    [
        pa.field("endpoint", pa.uint32()),
        pa.field("kind", pa.string()),
        pa.field("entity", pa.string()),
        pa.field("category", pa.string()),
        pa.field("flags", pa.list_(pa.string())),
        pa.field("address", pa.string()),
        *_VALUE_FIELDS,
        pa.field("tx", pa.string()),
        pa.field("time", pa.uint64()),
        pa.field("hops", pa.uint32()),
        pa.field("confidence", pa.float64()),
        pa.field("evidence", pa.string()),
        pa.field("deliveries", pa.uint64()),
    ]
)

PATHS_SCHEMA = pa.schema(
    [
        pa.field("endpoint", pa.uint32()),
        pa.field("hop", pa.uint32()),
        pa.field("tx", pa.string()),
        pa.field("time", pa.uint64()),
        pa.field("from", pa.string()),
        pa.field("to", pa.string()),
        *_VALUE_FIELDS,
        pa.field("rule", pa.string()),
    ]
)

BY_ENTITY_SCHEMA = pa.schema(
    [
        pa.field("entity", pa.string()),
        pa.field("category", pa.string()),
        pa.field("kind", pa.string()),
        *_VALUE_FIELDS,
        pa.field("entity_usd", pa.float64()),
    ]
)

TRANSFERS_SCHEMA = pa.schema(
    [
        pa.field("chain", pa.string()),
        pa.field("block", pa.uint64()),
        pa.field("time", pa.uint64()),
        pa.field("tx", pa.string()),
        pa.field("position", pa.uint32()),
        pa.field("from", pa.string()),
        pa.field("to", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("asset", pa.string()),
        pa.field("contract", pa.string()),
        pa.field("decimals", pa.uint8()),
        pa.field("amount", pa.string()),
        pa.field("units", pa.string()),
        pa.field("success", pa.bool_()),
    ]
)


def _value_columns(value: dict) -> dict:
    return {
        "chain": value["chain"],
        "asset": value["asset"],
        "contract": value["contract"],
        "decimals": value["decimals"],
        "amount": value["amount"],
        "units": value["units"],
        "units_float": _units_float(value["units"]),
        "usd": value["usd"],
    }


def _table(rows: list, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


class Trace:
    """A trace's result: ``endpoints``, ``paths`` and ``by_entity`` as Arrow tables, the report
    itself as ``report`` (the CLI's ``trace --format json``)."""

    def __init__(self, report_json: str):
        self._json = report_json
        self.report: dict = _json.loads(report_json)
        endpoints, paths = [], []
        for i, e in enumerate(self.report["endpoints"]):
            row = {k: e[k] for k in ("kind", "entity", "category", "flags", "address", "tx", "time", "hops", "confidence", "evidence", "deliveries")}
            endpoints.append({"endpoint": i, **row, **_value_columns(e["value"])})
            for step in e["path"]:
                paths.append(
                    {
                        "endpoint": i,
                        **{k: step[k] for k in ("hop", "tx", "time", "from", "to", "rule")},
                        **_value_columns(step["value"]),
                    }
                )
        by_entity = [
            {
                "entity": t["entity"],
                "category": t["category"],
                "kind": t["kind"],
                **_value_columns(v),
                "entity_usd": t["usd"],
            }
            for t in self.report["by_entity"]
            for v in t["values"]
        ]
        #: Where the value ended, one row per endpoint, largest first (``endpoint`` numbers them).
        self.endpoints: pa.Table = _table(endpoints, ENDPOINTS_SCHEMA)
        #: Each endpoint's path from the seed, one row per step (``endpoint`` joins them).
        self.paths: pa.Table = _table(paths, PATHS_SCHEMA)
        #: Totals per entity (or per kind, unattributed), one row per entity and asset.
        self.by_entity: pa.Table = _table(by_entity, BY_ENTITY_SCHEMA)

    @property
    def policy(self) -> str:
        return self.report["policy"]

    @property
    def seeded(self) -> list:
        """What was seeded, per asset (the report's ``seeded`` values)."""
        return self.report["seeded"]

    @property
    def stats(self) -> dict:
        """The work it took: events, holders, edges, ms, budget_exhausted."""
        return self.report["stats"]

    def to_pandas(self, table: str = "endpoints"):
        """One of the tables (``endpoints``, ``paths`` or ``by_entity``) as a pandas DataFrame."""
        if table not in ("endpoints", "paths", "by_entity"):
            raise ValueError(f"table: expected endpoints, paths or by_entity, got {table!r}")
        return getattr(self, table).to_pandas()

    def to_json(self) -> str:
        """The report as JSON, the same document as ``chaintrail trace --format json``."""
        return self._json

    def __repr__(self) -> str:
        return f"<Trace {self.report['direction']} {self.policy}: {self.endpoints.num_rows} endpoints>"


def _transfer_batches(stream) -> Iterator[pa.RecordBatch]:
    while True:
        columns = stream.next_batch()
        if columns is None:
            return
        yield pa.RecordBatch.from_pydict(columns, schema=TRANSFERS_SCHEMA)


class Store:
    """An open chaintrail store (``chaintrail.open(data_dir)``)."""

    def __init__(self, native: "_native.Store"):
        self._native = native

    @property
    def data_dir(self) -> str:
        return str(self._native.data_dir)

    def stats(self, chain: Optional[str] = None) -> list:
        """Rows, bytes per record and ids per chain (``chaintrail stats --format json``)."""
        return _json.loads(self._native.stats(chain))

    def address(self, address: str, chain: Optional[str] = None, top: int = 10) -> list:
        """Balances, activity, labels, cluster and top counterparties of an address on every chain
        where it appears (``chaintrail address --format json``)."""
        return _json.loads(self._native.address(address, chain, top))

    def tx(self, hash: str, chain: Optional[str] = None) -> dict:
        """A transaction's transfers, or its inputs, outputs and fee (``chaintrail tx``)."""
        return _json.loads(self._native.tx(hash, chain))

    def labels(self, address: str, date: Optional[DateLike] = None) -> dict:
        """Who an address is, from which source, valid when (``chaintrail labels show``)."""
        return _json.loads(self._native.labels(address, _date_text(date)))

    def trace(
        self,
        seeds: Union[str, Sequence[str]],
        policy: str = "fifo",
        max_hops: int = 20,
        min_value: Union[str, int, float] = "0",
        until: Optional[TimeLike] = None,
        backward: bool = False,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        budget: int = 20_000_000,
    ) -> Trace:
        """Follow funds from ``seeds`` (``<chain>:<tx hash | address | txid:vout>``) with a taint
        policy (poison, haircut, fifo, lifo, tiho), as ``chaintrail trace`` does."""
        if isinstance(seeds, str):
            seeds = [seeds]
        until_text = None if until is None else str(_unix_seconds(until, end_of_day=True))
        return Trace(
            self._native.trace(
                list(seeds), policy, max_hops, str(min_value), until_text, backward, min_confidence, budget
            )
        )

    def screening(
        self,
        addresses: Union[str, Iterable[str]],
        date: Optional[DateLike] = None,
        chain: Optional[str] = None,
        paths: bool = False,
    ) -> list:
        """The screenings as the CLI's ``screen --format json`` gives them (nested dicts)."""
        if isinstance(addresses, str):
            addresses = [addresses]
        return _json.loads(self._native.screen(list(addresses), _date_text(date), chain, paths))

    def screen(
        self,
        addresses: Union[str, Iterable[str]],
        date: Optional[DateLike] = None,
        chain: Optional[str] = None,
    ) -> pa.Table:
        """Screen addresses: one row per address with its risk, reason, sanctions status and
        identifications (``sanctions``: the OFAC status, ``sanctioned``, ``not_sanctioned`` or
        ``unknown``), and one row per exposure (``exposure_*`` columns; an address without
        exposures has one row with them empty)."""
        rows = []
        for s in self.screening(addresses, date, chain):
            summary = {
                "address": s["address"],
                "chains": " ".join(s["chains"]),
                "risk": s["risk"],
                "at": s["at"],
                "sanctions": s["sanctions"]["status"],
                "risk_reason": s["risk_reason"],
                "identified_as": "; ".join(f"{o['name']} ({o['category']})" for o in s["ownership"]),
                "origin": s["origin"],
            }
            exposures = s["exposures"] or [None]
            for e in exposures:
                rows.append({**summary, **_exposure_columns(e)})
        return _table(rows, SCREEN_SCHEMA)

    def transfers(
        self,
        address: Optional[str] = None,
        since: Optional[TimeLike] = None,
        until: Optional[TimeLike] = None,
        chain: Optional[str] = None,
        batch_rows: int = 65_536,
    ) -> pa.RecordBatchReader:
        """The account chains' transfers (only an address's, only in blocks timed within
        ``since..until``, both inclusive, days in UTC), streamed from the store in batches of
        ``batch_rows``: ``.read_all()`` for one table, or iterate the batches."""
        stream = self._native.transfers(
            address,
            _unix_seconds(since, end_of_day=False),
            _unix_seconds(until, end_of_day=True),
            chain,
            batch_rows,
        )
        return pa.RecordBatchReader.from_batches(TRANSFERS_SCHEMA, _transfer_batches(stream))

    def clusters(self, address: str, chain: Optional[str] = None) -> list:
        """The address's cluster on each clustered chain (``chaintrail cluster show``)."""
        return _json.loads(self._native.clusters(address, chain))

    def links(self, what: str) -> dict:
        """What was derived about a transaction or address: bridge joins, pending inbounds,
        deposit addresses, with the evidence (``chaintrail links show``)."""
        return _json.loads(self._native.links(what))

    def __repr__(self) -> str:
        return f"<chaintrail.Store {self.data_dir}>"


SCREEN_SCHEMA = pa.schema(
    [
        pa.field("address", pa.string()),
        pa.field("chains", pa.string()),
        pa.field("risk", pa.string()),
        pa.field("at", pa.string()),
        pa.field("sanctions", pa.string()),
        pa.field("risk_reason", pa.string()),
        pa.field("identified_as", pa.string()),
        pa.field("origin", pa.string()),
        pa.field("exposure_category", pa.string()),
        pa.field("exposure_entity", pa.string()),
        pa.field("exposure_direction", pa.string()),
        pa.field("exposure_type", pa.string()),
        pa.field("exposure_hops", pa.uint32()),
        pa.field("exposure_usd", pa.float64()),
        pa.field("exposure_share", pa.float64()),
        pa.field("exposure_level", pa.string()),
        pa.field("exposure_rule", pa.string()),
        pa.field("exposure_alert", pa.bool_()),
    ]
)


def _exposure_columns(e: Optional[dict]) -> dict:
    if e is None:
        return {}
    return {
        "exposure_category": e["category"],
        "exposure_entity": e["entity"],
        "exposure_direction": e["direction"],
        "exposure_type": e["exposure_type"],
        "exposure_hops": e["min_hops"],
        "exposure_usd": e["usd"],
        "exposure_share": e["share"],
        "exposure_level": e["level"],
        "exposure_rule": e.get("rule"),
        "exposure_alert": e["alert"],
    }


def open(data_dir: Union[str, "_os.PathLike[str]"] = "chaintrail-data") -> Store:
    """Open the store at ``data_dir`` (as the CLI's ``--data-dir``): its chains, labels,
    clusters, links and prices. Raises ``ChaintrailError`` when there is no store."""
    return Store(_native.open(_os.fspath(data_dir)))
