"""GraphSense's multi-input clustering (gs_clustering, PyPI graphsense-clustering) over an
input-set file of `chaintrail cluster export-inputs` (format: crates/cluster/src/inputs.rs).

    partition.py INPUTS [OUT]

Prints one JSON line: the counts, the seconds reading the file into Arrow lists
(`read_seconds`) and the seconds of gs_clustering's own work, feeding the lists and
materialising the mapping (`cluster_seconds`), the multi-address clusters, and the threads the
process ran. With OUT, writes the mapping's cluster_id column there: per address id
0..address count, a little-endian u32 (GraphSense's cluster id is the smallest member id).
"""

import bisect
import json
import os
import struct
import sys
import time

import gs_clustering
import pyarrow as pa
import pyarrow.compute as pc

HEADER = 32
# gs_clustering takes a ListArray (int32 offsets): at most 2^31 - 1 ids per call.
MAX_IDS_PER_CALL = (1 << 31) - 1


def read_input_sets(path):
    """(address count, [pyarrow ListArray of uint32 ids, ...]) from an input-set file."""
    source = pa.memory_map(path, "r")
    data = source.read_buffer()
    magic, address_count, _zero, sets, ids = struct.unpack_from("<8sIIQQ", data, 0)
    if magic != b"CTINSET1":
        raise SystemExit(f"{path}: not an input-set file (write it with chaintrail cluster export-inputs)")
    values_bytes = 4 * ids
    offsets_at = HEADER + values_bytes + (values_bytes % 8)
    values = pa.Array.from_buffers(pa.uint32(), ids, [None, data.slice(HEADER, values_bytes)])
    offsets = pa.Array.from_buffers(pa.uint64(), sets + 1, [None, data.slice(offsets_at, 8 * (sets + 1))])
    offset_list = memoryview(data.slice(offsets_at, 8 * (sets + 1))).cast("B").cast("Q")
    chunks = []
    first = 0
    while first < sets:
        # The last set whose end stays within one call's ids.
        last = bisect.bisect_right(offset_list, offset_list[first] + MAX_IDS_PER_CALL) - 1
        last = max(last, first + 1)
        base = offset_list[first]
        chunk_offsets = pc.subtract(offsets.slice(first, last - first + 1), pa.scalar(base, pa.uint64()))
        chunks.append(
            pa.ListArray.from_arrays(
                chunk_offsets.cast(pa.int32()),
                values.slice(base, offset_list[last] - base),
            )
        )
        first = last
    return address_count, sets, ids, chunks


def threads():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return None


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    started = time.perf_counter()
    address_count, sets, ids, chunks = read_input_sets(sys.argv[1])
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    clustering = gs_clustering.Clustering(max_address_id=max(address_count - 1, 0))
    for chunk in chunks:
        clustering.process_transactions_arrow(chunk)
    mapping = clustering.get_mapping()
    cluster_seconds = time.perf_counter() - started

    cluster_ids = mapping.column("cluster_id")
    sizes = pc.value_counts(cluster_ids).field("counts")
    multi = pc.sum(pc.greater(sizes, 1)).as_py() or 0
    if len(sys.argv) == 3:
        column = cluster_ids.combine_chunks() if hasattr(cluster_ids, "combine_chunks") else cluster_ids
        raw = column.buffers()[1]
        with open(sys.argv[2], "wb") as out:
            out.write(memoryview(raw)[4 * column.offset : 4 * (column.offset + len(column))])
    print(
        json.dumps(
            {
                "gs_clustering": gs_clustering.version(),
                "address_count": address_count,
                "sets": sets,
                "ids": ids,
                "rows": mapping.num_rows,
                "multi_address_clusters": multi,
                "read_seconds": read_seconds,
                "cluster_seconds": cluster_seconds,
                "threads": threads(),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
