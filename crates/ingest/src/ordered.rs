//! Reading an export block by block with bounded memory, however large it is.
//!
//! An export is a set of files; each file holds the rows of one or more tables (ethereum-etl's
//! `blocks`, `transactions`, `logs`…; a `stream` capture interleaves them), and each row belongs
//! to a block. Exporters write a table's rows in block order, but tables are separate files,
//! partitioned exports split them by block range, and parallel exporters leave stretches out of
//! order (a batch finished by one worker before an earlier batch of another). [`BlockOrder`]
//! hands such an export over one complete block at a time — that block's rows of every table —
//! without holding more than that block:
//!
//! 1. **Scan.** Every file is read once, cheaply (only each row's table and block number), and
//!    cut into *runs*: maximal stretches of one table's rows whose block numbers never go down.
//!    A file in block order is one run per table; a file out of order gets a run for every place
//!    where the order goes back. The scan remembers up to [`KEPT_RUNS`] runs per file and only
//!    the block range of files with more (those are scanned again when their turn comes).
//! 2. **Segments.** Files whose block ranges overlap are read together; the others (the
//!    partitions of `export_all`, cryo's chunk files) one group after another, so only the runs
//!    of the current group are in memory.
//! 3. **Merge.** The runs of a group are merged by block number with a heap of cursors, each
//!    holding its next row and an open reader (at most [`MAX_OPEN_READERS`] readers are open;
//!    others are parked at a file position and reopened when needed). All rows of the smallest
//!    block are handed over together; then they are the caller's to drop.
//!
//! Memory: one block's rows, one row per open reader, and about 100 bytes per run of the current
//! group. A group with more than [`MAX_RUNS`] runs is out of order beyond repair with bounded
//! memory: the import stops with an error naming the file and line (sort the file by block
//! number, or export smaller block ranges).
//!
//! Resuming at block `b` skips whole runs that end before `b`, and starts a run at the last
//! *mark* (recorded every [`MARK_EVERY`] rows at a block boundary) at or before `b`, so a resumed
//! import does not parse again what it already imported.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::path::Path;

use crate::ImportError;

/// Runs one group of overlapping files may have (about 100 bytes each).
pub const MAX_RUNS: usize = 1 << 17;
/// Readers open at once; further runs are parked at a file position.
pub const MAX_OPEN_READERS: usize = 64;
/// Runs per file remembered from the scan; a file with more is scanned again when read.
pub const KEPT_RUNS: usize = 64;
/// Rows between the marks a resumed import may start a run at.
pub const MARK_EVERY: u64 = 1 << 20;

/// Where a row starts: byte offset and 1-based line in a text file; row group and 1-based row
/// in a Parquet file. Only the file that reported it interprets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// Byte offset (text), or row group (Parquet).
    pub offset: u64,
    /// 1-based line (text) or row (Parquet).
    pub line: u64,
}

impl Position {
    /// The start of a text file.
    pub const START: Position = Position { offset: 0, line: 1 };
}

/// One file of an export, read by a format.
pub trait RowFile {
    /// What a row parses into.
    type Row;
    /// Reads one table's rows.
    type Reader: RowReader<Row = Self::Row>;
    /// The file, for messages.
    fn path(&self) -> &Path;
    /// Report every row of the file, in file order, as `(table, block, position)`. Called once
    /// before reading, and again for files whose runs were not kept; a format may remember
    /// what it sees (column types, what the rows carry) for the import to decide on.
    fn scan(
        &mut self,
        each: &mut dyn FnMut(usize, u64, Position) -> Result<(), ImportError>,
    ) -> Result<(), ImportError>;
    /// A reader of `table`'s rows starting with the one at `at`, a position `scan` reported for
    /// that table.
    fn open(&self, table: usize, at: Position) -> Result<Self::Reader, ImportError>;
}

/// Reads the rows of one table of a file, in file order.
pub trait RowReader {
    /// What a row parses into.
    type Row;
    /// The next row of the table: its block, where it starts, the row.
    fn next_row(&mut self) -> Result<Option<(u64, Position, Self::Row)>, ImportError>;
}

/// Rows and block range of one table (over the files that hold it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStats {
    /// Rows over all files.
    pub rows: u64,
    /// The lowest block.
    pub first_block: u64,
    /// The highest block.
    pub last_block: u64,
}

impl TableStats {
    fn of(block: u64) -> TableStats {
        TableStats {
            rows: 1,
            first_block: block,
            last_block: block,
        }
    }

    fn merge(&mut self, other: &TableStats) {
        self.rows += other.rows;
        self.first_block = self.first_block.min(other.first_block);
        self.last_block = self.last_block.max(other.last_block);
    }
}

/// A block number and its rows of every table.
pub type BlockRows<R> = (u64, Vec<Placed<R>>);

/// A row with the file, table and line it came from.
#[derive(Debug)]
pub struct Placed<R> {
    /// Index of the file among the export's files.
    pub file: usize,
    /// The table (the format's numbering).
    pub table: usize,
    /// The row's 1-based line (or row) in its file.
    pub line: u64,
    /// The parsed row.
    pub row: R,
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    block: u64,
    at: Position,
    rows_before: u64,
}

/// A stretch of one table's rows in one file whose block numbers never go down.
#[derive(Debug, Clone)]
struct Run {
    file: usize,
    table: usize,
    first: u64,
    last: u64,
    start: Position,
    rows: u64,
    marks: Vec<Mark>,
}

struct FileIndex {
    tables: BTreeMap<usize, TableStats>,
    /// `None` when the file had more than [`KEPT_RUNS`] runs.
    runs: Option<Vec<Run>>,
}

impl FileIndex {
    fn range(&self) -> Option<(u64, u64)> {
        let first = self.tables.values().map(|t| t.first_block).min()?;
        let last = self.tables.values().map(|t| t.last_block).max()?;
        Some((first, last))
    }
}

/// What to do when a file has more runs than allowed.
#[derive(Clone, Copy)]
enum TooManyRuns {
    /// Keep counting rows, forget the runs (the scan before reading).
    Forget,
    /// Stop with an error (reading a group).
    Fail,
}

fn scan_file<F: RowFile>(
    file: &mut F,
    id: usize,
    limit: usize,
    too_many: TooManyRuns,
) -> Result<FileIndex, ImportError> {
    let path = file.path().to_path_buf();
    let mut tables: BTreeMap<usize, TableStats> = BTreeMap::new();
    let mut runs: Vec<Run> = Vec::new();
    let mut open: HashMap<usize, usize> = HashMap::new();
    let mut forgotten = false;
    file.scan(&mut |table, block, at| {
        match tables.get_mut(&table) {
            Some(stats) => stats.merge(&TableStats::of(block)),
            None => {
                tables.insert(table, TableStats::of(block));
            }
        }
        if forgotten {
            return Ok(());
        }
        if let Some(run) = open.get(&table).map(|&i| &mut runs[i])
            && block >= run.last
        {
            let since_mark = run.rows - run.marks.last().map_or(0, |m| m.rows_before);
            if block > run.last && since_mark >= MARK_EVERY {
                run.marks.push(Mark {
                    block,
                    at,
                    rows_before: run.rows,
                });
            }
            run.last = block;
            run.rows += 1;
            return Ok(());
        }
        if runs.len() >= limit {
            match too_many {
                TooManyRuns::Forget => {
                    forgotten = true;
                    runs = Vec::new();
                    return Ok(());
                }
                TooManyRuns::Fail => {
                    return Err(ImportError::Parse {
                        path: path.clone(),
                        line: at.line,
                        message: format!(
                            "block {block} comes after block {}: more than {MAX_RUNS} stretches \
                             of rows out of block order in this part of the export, too many to \
                             merge with bounded memory; sort the file by block number (the rows \
                             of one block may stay in any order) or export smaller block ranges",
                            runs.last().map_or(block, |r| r.last)
                        ),
                    });
                }
            }
        }
        open.insert(table, runs.len());
        runs.push(Run {
            file: id,
            table,
            first: block,
            last: block,
            start: at,
            rows: 1,
            marks: Vec::new(),
        });
        Ok(())
    })?;
    Ok(FileIndex {
        tables,
        runs: (!forgotten).then_some(runs),
    })
}

/// Total size of an export's files: an import's cursor keeps it, and a changed size means a
/// changed export (imported again from the start, stored transactions skipped by hash).
pub fn total_bytes<F: RowFile>(files: &[F]) -> Result<u64, ImportError> {
    files.iter().try_fold(0u64, |sum, file| {
        let meta = std::fs::metadata(file.path()).map_err(|source| ImportError::Read {
            path: file.path().to_path_buf(),
            source,
        })?;
        Ok(sum + meta.len())
    })
}

/// An export's files, scanned, ready to be read block by block (see the module docs).
pub struct BlockOrder<F> {
    files: Vec<F>,
    index: Vec<FileIndex>,
}

impl<F: RowFile> BlockOrder<F> {
    /// Scan every file once.
    pub fn scan(mut files: Vec<F>) -> Result<BlockOrder<F>, ImportError> {
        let index = files
            .iter_mut()
            .enumerate()
            .map(|(id, file)| scan_file(file, id, KEPT_RUNS, TooManyRuns::Forget))
            .collect::<Result<_, _>>()?;
        Ok(BlockOrder { files, index })
    }

    /// The export's files, in the order they were given.
    pub fn files(&self) -> &[F] {
        &self.files
    }

    /// Rows and block range per table, over all files.
    pub fn tables(&self) -> BTreeMap<usize, TableStats> {
        let mut all: BTreeMap<usize, TableStats> = BTreeMap::new();
        for (table, stats) in self.index.iter().flat_map(|i| &i.tables) {
            match all.get_mut(table) {
                Some(total) => total.merge(stats),
                None => {
                    all.insert(*table, *stats);
                }
            }
        }
        all
    }

    /// The rows of blocks `start` and later, block by block.
    pub fn read_from(&mut self, start: u64) -> Blocks<'_, F> {
        let mut files: Vec<(u64, u64, usize)> = self
            .index
            .iter()
            .enumerate()
            .filter_map(|(id, index)| {
                let (first, last) = index.range()?;
                (last >= start).then_some((first, last, id))
            })
            .collect();
        files.sort();
        let mut segments: VecDeque<Vec<usize>> = VecDeque::new();
        let mut segment_last = 0u64;
        for (first, last, id) in files {
            match segments.back_mut() {
                Some(segment) if first <= segment_last => {
                    segment.push(id);
                    segment_last = segment_last.max(last);
                }
                _ => {
                    segments.push_back(vec![id]);
                    segment_last = last;
                }
            }
        }
        Blocks {
            order: self,
            start,
            segments,
            runs: Vec::new(),
            next_run: 0,
            heap: BinaryHeap::new(),
            cursors: HashMap::new(),
            open: HashSet::new(),
        }
    }
}

enum Cursor<Rd, R> {
    /// Reading: the run's next row (the head) and the rows after it.
    Open {
        head: (u64, Position, R),
        reader: Rd,
        remaining: u64,
    },
    /// Reader closed to stay within [`MAX_OPEN_READERS`]: the head is read again from `at`.
    Parked {
        block: u64,
        at: Position,
        remaining: u64,
    },
}

/// Complete blocks of an export in block order (from [`BlockOrder::read_from`]).
pub struct Blocks<'a, F: RowFile> {
    order: &'a mut BlockOrder<F>,
    start: u64,
    segments: VecDeque<Vec<usize>>,
    /// Runs of the current group of files, by first block.
    runs: Vec<Run>,
    next_run: usize,
    /// (head block, run) of every cursor.
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    cursors: HashMap<usize, Cursor<F::Reader, F::Row>>,
    /// Runs whose cursor holds an open reader.
    open: HashSet<usize>,
}

impl<F: RowFile> Blocks<'_, F> {
    /// File `id` of the export (as named in [`Placed::file`]).
    pub fn file(&self, id: usize) -> &F {
        &self.order.files[id]
    }

    /// The next block and its rows from every table, in file order per run; `None` after the
    /// last block.
    pub fn next_block(&mut self) -> Result<Option<BlockRows<F::Row>>, ImportError> {
        loop {
            let horizon = self.heap.peek().map_or(u64::MAX, |Reverse((b, _))| *b);
            if let Some(run) = self.runs.get(self.next_run)
                && run.first.max(self.start) <= horizon
            {
                let id = self.next_run;
                self.next_run += 1;
                self.activate(id)?;
                continue;
            }
            if !self.heap.is_empty() {
                break;
            }
            let Some(files) = self.segments.pop_front() else {
                return Ok(None);
            };
            self.load_segment(&files)?;
        }
        let Some(&Reverse((block, _))) = self.heap.peek() else {
            return Ok(None);
        };
        let mut rows = Vec::new();
        while let Some(&Reverse((head, run))) = self.heap.peek() {
            if head != block {
                break;
            }
            self.heap.pop();
            self.drain(run, block, &mut rows)?;
        }
        Ok(Some((block, rows)))
    }

    fn load_segment(&mut self, files: &[usize]) -> Result<(), ImportError> {
        let mut runs = Vec::new();
        for &id in files {
            let kept = self.order.index[id].runs.clone();
            let file_runs = match kept {
                Some(runs) => runs,
                None => {
                    let limit = MAX_RUNS.saturating_sub(runs.len());
                    let file = &mut self.order.files[id];
                    scan_file(file, id, limit, TooManyRuns::Fail)?
                        .runs
                        .unwrap_or_default()
                }
            };
            runs.extend(file_runs.into_iter().filter(|r| r.last >= self.start));
        }
        runs.sort_by_key(|r| (r.first, r.file, r.start));
        self.runs = runs;
        self.next_run = 0;
        Ok(())
    }

    fn changed(&self, run: usize, detail: String) -> ImportError {
        let path = self.order.files[self.runs[run].file].path();
        ImportError::Source(format!(
            "{}: {detail}: the file changed while it was imported; run the import again",
            path.display()
        ))
    }

    /// Open a reader for `run` at `at`, parking the open cursor needed last if too many are open.
    fn open_reader(&mut self, run: usize, at: Position) -> Result<F::Reader, ImportError> {
        if self.open.len() >= MAX_OPEN_READERS {
            let latest = self
                .open
                .iter()
                .filter_map(|id| match self.cursors.get(id) {
                    Some(Cursor::Open { head, .. }) => Some((head.0, *id)),
                    _ => None,
                })
                .max();
            if let Some((_, id)) = latest
                && let Some(Cursor::Open {
                    head, remaining, ..
                }) = self.cursors.remove(&id)
            {
                self.open.remove(&id);
                self.cursors.insert(
                    id,
                    Cursor::Parked {
                        block: head.0,
                        at: head.1,
                        remaining: remaining + 1,
                    },
                );
            }
        }
        let run = &self.runs[run];
        self.order.files[run.file].open(run.table, at)
    }

    /// Keep a cursor holding a reader.
    fn keep_open(
        &mut self,
        id: usize,
        head: (u64, Position, F::Row),
        reader: F::Reader,
        remaining: u64,
    ) {
        self.heap.push(Reverse((head.0, id)));
        self.cursors.insert(
            id,
            Cursor::Open {
                head,
                reader,
                remaining,
            },
        );
        self.open.insert(id);
    }

    /// Start reading a run at its first row of block `start` or later.
    fn activate(&mut self, id: usize) -> Result<(), ImportError> {
        let run = &self.runs[id];
        let (at, rows_before) = run
            .marks
            .iter()
            .rev()
            .find(|m| m.block <= self.start)
            .map_or((run.start, 0), |m| (m.at, m.rows_before));
        let mut remaining = run.rows - rows_before;
        let mut reader = self.open_reader(id, at)?;
        while remaining > 0 {
            let Some((block, at, row)) = reader.next_row()? else {
                return Err(self.changed(id, "it ends early".to_string()));
            };
            remaining -= 1;
            if block < self.start {
                continue;
            }
            self.keep_open(id, (block, at, row), reader, remaining);
            return Ok(());
        }
        Ok(())
    }

    /// Move the rows of `block` from run `id` to `rows`; keep the cursor if rows remain.
    fn drain(
        &mut self,
        id: usize,
        block: u64,
        rows: &mut Vec<Placed<F::Row>>,
    ) -> Result<(), ImportError> {
        let (file, table) = (self.runs[id].file, self.runs[id].table);
        self.open.remove(&id);
        let (mut reader, head, mut remaining) = match self.cursors.remove(&id) {
            Some(Cursor::Open {
                head,
                reader,
                remaining,
            }) => (reader, head, remaining),
            Some(Cursor::Parked {
                block: parked,
                at,
                remaining,
            }) => {
                let mut reader = self.open_reader(id, at)?;
                match reader.next_row()? {
                    Some(head) if head.0 == parked => (reader, head, remaining - 1),
                    _ => {
                        return Err(self.changed(id, format!("block {parked} is no longer there")));
                    }
                }
            }
            None => return Ok(()),
        };
        let place = |(_, at, row): (u64, Position, F::Row)| Placed {
            file,
            table,
            line: at.line,
            row,
        };
        rows.push(place(head));
        while remaining > 0 {
            let Some(next) = reader.next_row()? else {
                return Err(self.changed(id, "it ends early".to_string()));
            };
            remaining -= 1;
            if next.0 < block {
                return Err(self.changed(
                    id,
                    format!("line {}: block {} after block {block}", next.1.line, next.0),
                ));
            }
            if next.0 == block {
                rows.push(place(next));
                continue;
            }
            self.keep_open(id, next, reader, remaining);
            return Ok(());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::path::PathBuf;
    use std::rc::Rc;

    /// A file of (table, block) rows held in memory; the position's line is the row index + 1.
    struct Rows {
        path: PathBuf,
        rows: Vec<(usize, u64)>,
        scans: usize,
        /// Readers open now, and the most ever open at once.
        open: Rc<Cell<(usize, usize)>>,
    }

    struct RowsReader {
        rows: Vec<(usize, u64)>,
        table: usize,
        next: usize,
        open: Rc<Cell<(usize, usize)>>,
    }

    impl Drop for RowsReader {
        fn drop(&mut self) {
            let (now, most) = self.open.get();
            self.open.set((now - 1, most));
        }
    }

    impl RowReader for RowsReader {
        type Row = (usize, u64);
        fn next_row(&mut self) -> Result<Option<(u64, Position, (usize, u64))>, ImportError> {
            while let Some(&(table, block)) = self.rows.get(self.next) {
                self.next += 1;
                if table == self.table {
                    let at = Position {
                        offset: self.next as u64 - 1,
                        line: self.next as u64,
                    };
                    return Ok(Some((block, at, (table, block))));
                }
            }
            Ok(None)
        }
    }

    impl RowFile for Rows {
        type Row = (usize, u64);
        type Reader = RowsReader;
        fn path(&self) -> &Path {
            &self.path
        }
        fn scan(
            &mut self,
            each: &mut dyn FnMut(usize, u64, Position) -> Result<(), ImportError>,
        ) -> Result<(), ImportError> {
            self.scans += 1;
            for (i, &(table, block)) in self.rows.iter().enumerate() {
                let at = Position {
                    offset: i as u64,
                    line: i as u64 + 1,
                };
                each(table, block, at)?;
            }
            Ok(())
        }
        fn open(&self, table: usize, at: Position) -> Result<RowsReader, ImportError> {
            let (now, most) = self.open.get();
            self.open.set((now + 1, most.max(now + 1)));
            Ok(RowsReader {
                rows: self.rows.clone(),
                table,
                next: at.offset as usize,
                open: self.open.clone(),
            })
        }
    }

    fn file(name: &str, rows: Vec<(usize, u64)>) -> Rows {
        Rows {
            path: PathBuf::from(name),
            rows,
            scans: 0,
            open: Rc::new(Cell::new((0, 0))),
        }
    }

    /// A block with its rows as (file, table, line).
    type Read = (u64, Vec<(usize, usize, u64)>);

    /// Every block with its rows, in the order handed over.
    fn read(order: &mut BlockOrder<Rows>, start: u64) -> Vec<Read> {
        let mut blocks = order.read_from(start);
        let mut out = Vec::new();
        while let Some((block, rows)) = blocks.next_block().expect("read") {
            let mut rows: Vec<_> = rows
                .into_iter()
                .map(|p| {
                    assert_eq!(p.row.1, block, "a row of another block");
                    (p.file, p.table, p.line)
                })
                .collect();
            rows.sort();
            out.push((block, rows));
        }
        out
    }

    #[test]
    fn tables_in_separate_files_are_merged_block_by_block() {
        let blocks = file("blocks", vec![(0, 1), (0, 2), (0, 3)]);
        let txs = file("txs", vec![(1, 1), (1, 1), (1, 3)]);
        let mut order = BlockOrder::scan(vec![blocks, txs]).expect("scan");
        assert_eq!(order.tables()[&1].rows, 3);
        assert_eq!(
            read(&mut order, 0),
            vec![
                (1, vec![(0, 0, 1), (1, 1, 1), (1, 1, 2)]),
                (2, vec![(0, 0, 2)]),
                (3, vec![(0, 0, 3), (1, 1, 3)]),
            ]
        );
        // Resuming skips what came before.
        assert_eq!(read(&mut order, 3), vec![(3, vec![(0, 0, 3), (1, 1, 3)])]);
    }

    #[test]
    fn interleaved_tables_and_out_of_order_batches_come_out_in_block_order() {
        // A parallel stream: batches 20-21 before 10-11, tables interleaved per batch.
        let rows = vec![
            (0, 20),
            (0, 21),
            (1, 21),
            (0, 10),
            (0, 11),
            (1, 10),
            (1, 11),
        ];
        let mut order = BlockOrder::scan(vec![file("stream", rows)]).expect("scan");
        assert_eq!(
            read(&mut order, 0),
            vec![
                (10, vec![(0, 0, 4), (0, 1, 6)]),
                (11, vec![(0, 0, 5), (0, 1, 7)]),
                (20, vec![(0, 0, 1)]),
                (21, vec![(0, 0, 2), (0, 1, 3)]),
            ]
        );
    }

    #[test]
    fn disjoint_partitions_are_read_one_after_another() {
        let files = vec![
            file("blocks_2", vec![(0, 200), (0, 201)]),
            file("blocks_1", vec![(0, 100), (0, 101)]),
            file("txs_1", vec![(1, 101)]),
            file("txs_2", vec![(1, 200)]),
        ];
        let mut order = BlockOrder::scan(files).expect("scan");
        let segments: Vec<Vec<usize>> = order.read_from(0).segments.into_iter().collect();
        assert_eq!(segments, vec![vec![1, 2], vec![3, 0]]);
        let blocks: Vec<u64> = read(&mut order, 0).into_iter().map(|(b, _)| b).collect();
        assert_eq!(blocks, vec![100, 101, 200, 201]);
    }

    #[test]
    fn a_file_with_many_overlapping_runs_is_scanned_again_and_parks_readers() {
        // Two interleaved batches, row by row: 0, 200, 1, 201, …: every pair is a run, and all
        // runs overlap, so more cursors are active than readers may be open.
        let n = (MAX_OPEN_READERS + 36) as u64;
        let rows: Vec<(usize, u64)> = (0..n).flat_map(|b| [(0, b), (0, b + 200)]).collect();
        let mut order = BlockOrder::scan(vec![file("interleaved", rows)]).expect("scan");
        assert!(order.index[0].runs.is_none(), "more than KEPT_RUNS runs");
        let got = read(&mut order, 0);
        assert_eq!(order.files[0].scans, 2);
        // Never more readers than the limit, and all closed at the end.
        assert_eq!(order.files[0].open.get(), (0, MAX_OPEN_READERS));
        let expected: Vec<Read> = (0..n)
            .map(|b| (b, vec![(0, 0, 2 * b + 1)]))
            .chain((0..n).map(|b| (b + 200, vec![(0, 0, 2 * b + 2)])))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_file_too_far_out_of_order_is_refused_naming_the_line() {
        let n = MAX_RUNS as u64 + 1;
        let rows: Vec<(usize, u64)> = (0..n).rev().map(|b| (0, b)).collect();
        let mut order = BlockOrder::scan(vec![file("shuffled.csv", rows)]).expect("scan");
        let err = order
            .read_from(0)
            .next_block()
            .expect_err("too many runs")
            .to_string();
        assert!(
            err.starts_with(&format!(
                "shuffled.csv:{n}: block 0 comes after block 1: more than"
            )),
            "{err}"
        );
        assert!(err.contains("sort the file by block number"), "{err}");
    }

    #[test]
    fn resuming_starts_at_the_last_mark_before_the_block() {
        let n = MARK_EVERY * 2 + 10;
        let rows: Vec<(usize, u64)> = (0..n).map(|i| (0, i / 2)).collect();
        let mut order = BlockOrder::scan(vec![file("big", rows)]).expect("scan");
        let runs = order.index[0].runs.clone().expect("kept");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].marks.len(), 2);
        let start = n / 2 - 2;
        let mut blocks = order.read_from(start);
        let (block, rows) = blocks.next_block().expect("read").expect("a block");
        assert_eq!(block, start);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, start * 2 + 1);
    }
}
