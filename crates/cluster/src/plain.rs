//! The plain partition of co-spent address sets: a union-find holding only a parent per address
//! id, each set rooted at its smallest id (link by minimum, path halving). The engine's
//! union-find (`chaintrail_links::unionfind`) also keeps a size and a label per id for the label
//! guard and the collapse reports; the plain multi-input partition needs neither, and at a third
//! of the memory its random accesses stay in cache far longer (docs/benchmarks.md, "Clustering
//! against GraphSense"). The root being the smallest id, the partition column is every id's root,
//! as `UnionFind::canonical` gives it.

/// Disjoint sets of ids `0..len`, each rooted at its smallest id.
pub struct MinRootSets {
    parent: Vec<u32>,
}

impl MinRootSets {
    /// `len` singletons.
    pub fn new(len: usize) -> MinRootSets {
        MinRootSets {
            parent: (0..len as u32).collect(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Merge the sets of every id of `set` (ids below `len`).
    pub fn join(&mut self, set: &[u32]) {
        let Some((&first, rest)) = set.split_first() else {
            return;
        };
        let mut root = self.find(first);
        for &other in rest {
            let other = self.find(other);
            if other < root {
                self.parent[root as usize] = other;
                root = other;
            } else if other > root {
                self.parent[other as usize] = root;
            }
        }
    }

    /// Per id, the smallest id of its set.
    pub fn into_column(mut self) -> Vec<u32> {
        // Ascending: a parent is smaller than its child, so it is final before the child reads it.
        for x in 0..self.parent.len() {
            let parent = self.parent[x] as usize;
            self.parent[x] = self.parent[parent];
        }
        self.parent
    }
}

#[cfg(test)]
mod tests {
    use super::MinRootSets;

    #[test]
    fn sets_rooted_at_their_smallest_id() {
        let mut sets = MinRootSets::new(8);
        sets.join(&[5, 7]);
        sets.join(&[6, 3, 7]);
        sets.join(&[2, 1]);
        sets.join(&[4]);
        sets.join(&[]);
        assert_eq!(sets.into_column(), vec![0, 1, 1, 3, 4, 3, 3, 3]);
    }
}
