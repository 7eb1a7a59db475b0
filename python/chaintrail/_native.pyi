"""Type hints of the extension module. Use the ``chaintrail`` package, which wraps it: these
functions return the CLI's JSON as text and transfers as column batches."""

import os
import pathlib
from typing import Optional, Union

__version__: str
DEFAULT_MIN_CONFIDENCE: float

class ChaintrailError(Exception):
    """An error of chaintrail with the CLI's message; ``hint`` says what to do, when known."""

    hint: Optional[str]

def open(data_dir: Union[str, os.PathLike[str]]) -> Store: ...

class Store:
    @property
    def data_dir(self) -> pathlib.Path: ...
    def stats(self, chain: Optional[str] = None) -> str: ...
    def address(self, address: str, chain: Optional[str] = None, top: int = 10) -> str: ...
    def tx(self, hash: str, chain: Optional[str] = None) -> str: ...
    def labels(self, address: str, date: Optional[str] = None) -> str: ...
    def trace(
        self,
        seeds: list[str],
        policy: str,
        max_hops: int,
        min_value: str,
        until: Optional[str],
        backward: bool,
        min_confidence: float,
        budget: int,
    ) -> str: ...
    def screen(
        self,
        addresses: list[str],
        date: Optional[str] = None,
        chain: Optional[str] = None,
        paths: bool = False,
    ) -> str: ...
    def transfers(
        self,
        address: Optional[str] = None,
        since: Optional[int] = None,
        until: Optional[int] = None,
        chain: Optional[str] = None,
        batch_rows: int = 65536,
    ) -> TransferStream: ...
    def clusters(self, address: str, chain: Optional[str] = None) -> str: ...
    def links(self, what: str) -> str: ...

class TransferStream:
    def next_batch(self) -> Optional[dict[str, list]]: ...
