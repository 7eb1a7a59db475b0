//! Union-find over address ids (union by size, path halving) whose roots may carry a label: the
//! one disjoint-set structure of the co-spend detector here and of the entity clustering in
//! `chaintrail-cluster`. A merge of two roots carrying different labels is refused, never made
//! silently.

/// No label on a root.
const UNLABELLED: u32 = u32::MAX;

/// Disjoint sets of address ids `0..len`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
    label: Vec<u32>,
}

/// What [`UnionFind::union`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Union {
    /// Both were already one set, rooted here.
    Same(u32),
    /// Two sets became one: the new root, the root absorbed, and the new size.
    Merged {
        /// The root of the merged set.
        root: u32,
        /// The root that now points to `root`.
        absorbed: u32,
        /// Size of the merged set.
        size: u32,
    },
    /// Refused: the two roots carry these different labels.
    Refused(u32, u32),
}

impl UnionFind {
    /// `len` singletons, unlabelled.
    pub fn new(len: usize) -> UnionFind {
        UnionFind {
            parent: (0..len as u32).collect(),
            size: vec![1; len],
            label: vec![UNLABELLED; len],
        }
    }

    /// Sets given by a representative per id (`representative[x]` is in `x`'s set and is its
    /// own representative), as a canonical partition column stores them.
    pub fn from_representatives(representative: &[u32]) -> Option<UnionFind> {
        let len = representative.len();
        let mut sets = UnionFind::new(0);
        sets.parent = representative.to_vec();
        sets.size = vec![0; len];
        sets.label = vec![UNLABELLED; len];
        for &r in representative {
            let r = r as usize;
            if r >= len || representative[r] as usize != r {
                return None;
            }
            sets.size[r] += 1;
        }
        Some(sets)
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// No ids at all.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Add singletons until there are `len` ids.
    pub fn grow(&mut self, len: usize) {
        let from = self.parent.len();
        if len > from {
            self.parent.extend(from as u32..len as u32);
            self.size.resize(len, 1);
            self.label.resize(len, UNLABELLED);
        }
    }

    /// The root of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// The size of `x`'s set.
    pub fn size(&mut self, x: u32) -> u32 {
        let root = self.find(x);
        self.size[root as usize]
    }

    /// The label of `x`'s set.
    pub fn label(&mut self, x: u32) -> Option<u32> {
        let root = self.find(x);
        Some(self.label[root as usize]).filter(|&l| l != UNLABELLED)
    }

    /// Label `x`'s set; refused (the label it has) when it carries another one.
    pub fn set_label(&mut self, x: u32, label: u32) -> Result<(), u32> {
        let root = self.find(x) as usize;
        match self.label[root] {
            UNLABELLED => {
                self.label[root] = label;
                Ok(())
            }
            same if same == label => Ok(()),
            other => Err(other),
        }
    }

    /// Merge the sets of `a` and `b`, unless both carry different labels.
    pub fn union(&mut self, a: u32, b: u32) -> Union {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return Union::Same(a);
        }
        let (la, lb) = (self.label[a as usize], self.label[b as usize]);
        if la != UNLABELLED && lb != UNLABELLED && la != lb {
            return Union::Refused(la, lb);
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
        if self.label[a as usize] == UNLABELLED {
            self.label[a as usize] = self.label[b as usize];
        }
        Union::Merged {
            root: a,
            absorbed: b,
            size: self.size[a as usize],
        }
    }

    /// The partition as a column: for each id, the smallest id of its set. Equal partitions
    /// give equal columns, whatever order the merges came in.
    pub fn canonical(&mut self) -> Vec<u32> {
        let mut smallest = vec![u32::MAX; self.parent.len()];
        let mut column = Vec::with_capacity(self.parent.len());
        for x in 0..self.parent.len() as u32 {
            let root = self.find(x) as usize;
            if smallest[root] == u32::MAX {
                smallest[root] = x;
            }
            column.push(smallest[root]);
        }
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_refusals_and_the_canonical_column() {
        let mut sets = UnionFind::new(6);
        assert!(matches!(sets.union(4, 2), Union::Merged { size: 2, .. }));
        assert!(matches!(sets.union(2, 4), Union::Same(_)));
        sets.set_label(1, 7).unwrap();
        sets.set_label(5, 8).unwrap();
        assert_eq!(sets.union(1, 5), Union::Refused(7, 8));
        assert!(matches!(sets.union(4, 5), Union::Merged { size: 3, .. }));
        assert_eq!(sets.label(2), Some(8));
        assert_eq!(sets.set_label(4, 7), Err(8));
        assert_eq!(sets.canonical(), vec![0, 1, 2, 3, 2, 2]);
        let mut again = UnionFind::from_representatives(&[0, 1, 2, 3, 2, 2]).unwrap();
        assert_eq!(again.size(5), 3);
        assert!(matches!(again.union(3, 0), Union::Merged { size: 2, .. }));
        assert_eq!(again.canonical(), vec![0, 1, 2, 0, 2, 2]);
        // A representative outside the set's own root is refused.
        assert!(UnionFind::from_representatives(&[1, 0]).is_none());
    }
}
