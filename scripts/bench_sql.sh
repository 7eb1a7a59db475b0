#!/bin/sh
# SQL over the store (chaintrail-sql: DataFusion table providers over the mapped columns) against
# the alternative route, the Parquet export queried by DuckDB (PyPI `duckdb`, a prebuilt peer).
# Prints wall seconds per query (median of 3) for both, and the export's own cost.
#
# Usage: scripts/bench_sql.sh DATA_DIR EXPORT_DIR PYTHON_WITH_DUCKDB
#   DATA_DIR   a store (e.g. after `chaintrail demo` or `chaintrail bench store`)
#   EXPORT_DIR where `chaintrail export --format parquet` writes (replaced)
set -eu
data="$1"; export_dir="$2"; python="$3"
root="$(cd "$(dirname "$0")/.." && pwd)"
sql="$root/target/release/chaintrail-sql"
cli="${CHAINTRAIL:-$root/target/release/chaintrail}"
chain="${CHAIN:-anvil}"

median3() {  # command… → median wall seconds of 3 runs
  for i in 1 2 3; do
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | sort -n | sed -n 2p
}

rm -rf "$export_dir"
s=$(date +%s.%N); "$cli" --data-dir "$data" export --format parquet --out "$export_dir" > /dev/null; e=$(date +%s.%N)
echo "export: $(echo "$e - $s" | bc) s, $(du -sb "$export_dir" | cut -f1) bytes"

q1="SELECT count(*), sum(value_f64) FROM transfers"
q2="SELECT to_address, count(*) AS n FROM transfers GROUP BY to_address ORDER BY n DESC, to_address LIMIT 10"
q3="SELECT t.to_address, count(*) AS n FROM transfers t JOIN transfers u ON u.from_address = t.to_address GROUP BY t.to_address ORDER BY n DESC, t.to_address LIMIT 10"
for q in "$q1" "$q2" "$q3"; do
  echo "query: $q"
  echo "  chaintrail-sql (providers): $(median3 "$sql" --data-dir "$data" "$q") s"
  dq=$(echo "$q" | sed "s#FROM transfers t JOIN transfers u#FROM '$export_dir/$chain/transfers.parquet' t JOIN '$export_dir/$chain/transfers.parquet' u#; s#FROM transfers#FROM '$export_dir/$chain/transfers.parquet'#")
  echo "  duckdb over the export:     $(median3 "$python" -c "import duckdb,sys; duckdb.sql(sys.argv[1]).fetchall()" "$dq") s"
done
echo "direct-exposure job: $(median3 "$sql" --data-dir "$data" --direct-exposure) s"
