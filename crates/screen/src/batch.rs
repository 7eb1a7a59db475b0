//! The addresses of a batch screening, read from a file: a CSV with an `address` column (and
//! optionally a `chain` column), or one address per line.

use std::path::Path;

use chaintrail_core::Chain;

use crate::ScreenError;

/// `(address, chain)` per row; a row without a chain gets `default_chain`. Blank lines are
/// skipped.
pub fn read_batch(
    path: &Path,
    default_chain: Option<Chain>,
) -> Result<Vec<(String, Option<Chain>)>, ScreenError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScreenError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, first)) = lines.next() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = first
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let field = |line: &str, col: usize| line.split(',').nth(col).map(|f| f.trim().to_string());
    let Some(address_col) = column("address") else {
        return Ok(std::iter::once(first)
            .chain(lines.map(|(_, l)| l))
            .map(|l| (l.trim().to_string(), default_chain))
            .collect());
    };
    let chain_col = column("chain");
    lines
        .map(|(index, line)| {
            let address = field(line, address_col).unwrap_or_default();
            let chain = match chain_col
                .and_then(|c| field(line, c))
                .filter(|c| !c.is_empty())
            {
                Some(text) => Some(text.parse::<Chain>().map_err(|e| ScreenError::Batch {
                    path: path.to_path_buf(),
                    line: index + 1,
                    message: format!("{address}: {e}"),
                })?),
                None => default_chain,
            };
            Ok((address, chain))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        text: &str,
        default: Option<Chain>,
    ) -> Result<Vec<(String, Option<Chain>)>, ScreenError> {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("batch.csv");
        std::fs::write(&path, text).expect("write");
        read_batch(&path, default)
    }

    #[test]
    fn csv_with_columns_or_one_address_per_line() {
        let rows = read(
            "id,Chain,Address\n1,bitcoin,bc1qxyz\n\n2,,0xabc\n",
            Some(Chain::Evm(1)),
        )
        .expect("csv");
        assert_eq!(
            rows,
            vec![
                ("bc1qxyz".to_string(), Some(Chain::BITCOIN)),
                ("0xabc".to_string(), Some(Chain::Evm(1))),
            ]
        );
        let rows = read("0xabc\n  bc1qxyz \n", None).expect("list");
        assert_eq!(
            rows,
            vec![("0xabc".to_string(), None), ("bc1qxyz".to_string(), None)]
        );
        assert!(read("", None).expect("empty").is_empty());
    }

    #[test]
    fn a_bad_chain_names_the_line() {
        let err = read("address,chain\n0xabc,ethereum\n0xdef,narnia\n", None).expect_err("narnia");
        let text = err.to_string();
        assert!(text.contains("batch.csv, line 3: 0xdef:"), "{text}");
    }
}
