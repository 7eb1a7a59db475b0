//! The direct exposure of every address, as one SQL query over the catalog's tables: the
//! first hop of the screener's exposure walk (docs/exposure.md), which attributes each transfer
//! of an address to the attributed counterparty on its other side.
//!
//! Per chain model, the value each address moved and who was on the other side:
//! - account chains: each successful transfer, incoming from its sender, outgoing to its
//!   recipient (fees, burns and transfers to oneself aside);
//! - UTXO chains: each output paying the address, split over the paying transaction's inputs
//!   by value (incoming); each transaction spending the address's outputs, split over its other
//!   outputs by value (outgoing); shares under the walk's floor are dropped as the walk drops them.
//!
//! Unsolicited inbound dust (below the dust threshold, never answered) is not scored. A
//! counterparty counts under its role and under each flag holding on the transfer's day
//! (`attributions`); the value is priced by `usd()` at the transfer's block time.

/// The query: rows `(chain, address, category, entity, direction, usd)`, for transfers up to
/// `cutoff` (Unix seconds, the end of the screening day), with the screener's `dust_usd`
/// threshold and `min_share` floor.
pub fn direct_exposure_sql(cutoff: u64, dust_usd: f64, min_share: f64) -> String {
    format!(
        r#"
WITH answered AS (
    SELECT DISTINCT chain, from_address AS address, to_address AS counterparty
    FROM transfers
    WHERE from_address IS NOT NULL AND to_address IS NOT NULL
),
account_in AS (
    SELECT t.chain, t.to_address AS address, t.from_address AS counterparty,
           t.transaction_hash || ':' || CAST(t.transfer_index AS VARCHAR) AS flow, '' AS part,
           1.0 AS weight, t.block_time,
           usd(t.asset, t.value_f64, t.block_timestamp) AS usd, t.value_f64 AS units
    FROM transfers t
    WHERE t.success AND t.kind <> 'fee' AND t.from_address IS NOT NULL
      AND t.to_address IS NOT NULL AND t.from_address <> t.to_address
      AND t.block_timestamp <= {cutoff}
),
account_in_scored AS (
    SELECT i.chain, i.address, i.counterparty, 'incoming' AS direction, i.flow, i.part,
           i.weight, i.block_time, i.usd
    FROM account_in i
    LEFT JOIN answered a
      ON a.chain = i.chain AND a.address = i.address AND a.counterparty = i.counterparty
    WHERE NOT (CASE WHEN i.usd IS NULL THEN i.units = 0 ELSE i.usd < {dust_usd} END
               AND a.address IS NULL)
),
account_out AS (
    SELECT t.chain, t.from_address AS address, t.to_address AS counterparty,
           'outgoing' AS direction,
           t.transaction_hash || ':' || CAST(t.transfer_index AS VARCHAR) AS flow, '' AS part,
           1.0 AS weight, t.block_time,
           usd(t.asset, t.value_f64, t.block_timestamp) AS usd
    FROM transfers t
    WHERE t.success AND t.kind NOT IN ('fee', 'burn') AND t.from_address IS NOT NULL
      AND t.to_address IS NOT NULL AND t.from_address <> t.to_address
      AND t.block_timestamp <= {cutoff}
),
spent_in_time AS (
    SELECT o.chain, o.transaction_hash, o.index, s.block_timestamp AS spent_at
    FROM outputs o
    JOIN transactions s ON s.chain = o.chain AND s.hash = o.spent_by_transaction_hash
    WHERE s.block_timestamp <= {cutoff}
),
funding AS (
    SELECT chain, transaction_hash, index, address, value,
           SUM(value) OVER (PARTITION BY chain, transaction_hash) AS total
    FROM inputs
    WHERE address IS NOT NULL AND value IS NOT NULL
),
utxo_in AS (
    SELECT o.chain, o.address, f.address AS counterparty, 'incoming' AS direction,
           o.transaction_hash || ':' || CAST(o.index AS VARCHAR) AS flow,
           CAST(f.index AS VARCHAR) AS part,
           CAST(f.value AS DOUBLE) / CAST(f.total AS DOUBLE) AS weight, o.block_time,
           usd(o.chain || '/native', CAST(o.value AS DOUBLE) / 100000000.0, o.block_timestamp) AS usd,
           CAST(o.value AS DOUBLE) / 100000000.0 AS units, sp.spent_at
    FROM outputs o
    JOIN funding f ON f.chain = o.chain AND f.transaction_hash = o.transaction_hash
    LEFT JOIN spent_in_time sp
      ON sp.chain = o.chain AND sp.transaction_hash = o.transaction_hash AND sp.index = o.index
    WHERE o.address IS NOT NULL AND f.address <> o.address AND f.total > 0
      AND o.block_timestamp <= {cutoff}
),
utxo_in_scored AS (
    SELECT chain, address, counterparty, direction, flow, part, weight, block_time, usd
    FROM utxo_in
    WHERE weight >= {min_share}
      AND NOT (CASE WHEN usd IS NULL THEN units = 0 ELSE usd < {dust_usd} END
               AND spent_at IS NULL)
),
spends AS (
    SELECT o.chain, o.address, o.spent_by_transaction_hash AS tx, SUM(o.value) AS value
    FROM outputs o
    JOIN transactions s ON s.chain = o.chain AND s.hash = o.spent_by_transaction_hash
    WHERE o.address IS NOT NULL AND s.block_timestamp <= {cutoff}
      AND o.block_timestamp <= {cutoff}
    GROUP BY o.chain, o.address, o.spent_by_transaction_hash
),
paid AS (
    SELECT sp.chain, sp.address, x.address AS counterparty, sp.tx, x.index, x.value,
           SUM(x.value) OVER (PARTITION BY sp.chain, sp.address, sp.tx) AS total,
           sp.value AS spent, x.block_time, x.block_timestamp
    FROM spends sp
    JOIN outputs x ON x.chain = sp.chain AND x.transaction_hash = sp.tx
    WHERE x.address IS NOT NULL AND x.address <> sp.address AND x.value > 0
),
utxo_out AS (
    SELECT chain, address, counterparty, 'outgoing' AS direction, tx AS flow,
           CAST(index AS VARCHAR) AS part,
           CAST(value AS DOUBLE) / CAST(total AS DOUBLE) AS weight, block_time,
           usd(chain || '/native', CAST(spent AS DOUBLE) / 100000000.0, block_timestamp) AS usd
    FROM paid
    WHERE CAST(value AS DOUBLE) / CAST(total AS DOUBLE) >= {min_share}
),
flows AS (
    SELECT * FROM account_in_scored
    UNION ALL SELECT * FROM account_out
    UNION ALL SELECT * FROM utxo_in_scored
    UNION ALL SELECT * FROM utxo_out
),
hits AS (
    SELECT DISTINCT f.chain, f.address, f.direction, f.flow, f.part, a.entity, a.category,
           f.weight * COALESCE(f.usd, 0.0) AS usd
    FROM flows f
    JOIN attributions a ON a.chain = f.chain AND a.address = f.counterparty
    WHERE (a.valid_from IS NULL OR CAST(f.block_time AS DATE) >= a.valid_from)
      AND (a.valid_to IS NULL OR CAST(f.block_time AS DATE) < a.valid_to)
)
SELECT chain, address, category, entity, direction, SUM(usd) AS usd
FROM hits
GROUP BY chain, address, category, entity, direction
ORDER BY chain, address, category, entity, direction
"#
    )
}
