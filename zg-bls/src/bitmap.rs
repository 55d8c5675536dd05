//! A fixed-length bitmap of member indices (who signed a certificate).

/// A member's position in an ordered signer set — an epoch's validator set, a DA or alignment
/// committee — and the bit it occupies in a [`SignerBitmap`].
///
/// The set decides the order (zg-consensus sorts validators by public key); the index means
/// nothing outside the set it was taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ValidatorIndex(pub u16);

impl ValidatorIndex {
    /// As a `usize` for indexing.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// One bit per member of a signer set, bit `i` for [`ValidatorIndex`]`(i)`.
///
/// Wire form: `len:u16` then `ceil(len / 8)` bytes, bit `i` in byte `i / 8` at position `i % 8`
/// (least significant first); unused high bits of the last byte must be zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SignerBitmap {
    len: u16,
    words: Vec<u64>,
}

impl SignerBitmap {
    /// An empty bitmap for `len` validators.
    pub fn new(len: u16) -> Self {
        SignerBitmap {
            len,
            words: vec![0; usize::from(len).div_ceil(64)],
        }
    }

    /// Number of validators it covers.
    pub fn len(&self) -> u16 {
        self.len
    }

    /// Whether it covers no validators.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets bit `i`; returns whether it was newly set (`false` if out of range or already set).
    pub fn insert(&mut self, i: ValidatorIndex) -> bool {
        if i.0 >= self.len {
            return false;
        }
        let (w, b) = (i.get() / 64, i.get() % 64);
        match self.words.get_mut(w) {
            Some(word) if *word & (1 << b) == 0 => {
                *word |= 1 << b;
                true
            }
            _ => false,
        }
    }

    /// Clears bit `i`.
    pub fn remove(&mut self, i: ValidatorIndex) {
        if let Some(word) = self.words.get_mut(i.get() / 64) {
            *word &= !(1u64 << (i.get() % 64));
        }
    }

    /// Whether bit `i` is set.
    pub fn contains(&self, i: ValidatorIndex) -> bool {
        i.0 < self.len
            && self
                .words
                .get(i.get() / 64)
                .is_some_and(|w| w & (1 << (i.get() % 64)) != 0)
    }

    /// Number of set bits.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The set indices, ascending.
    pub fn iter(&self) -> impl Iterator<Item = ValidatorIndex> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            core::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                // Indices are below `len <= u16::MAX`.
                u16::try_from(wi * 64 + b).ok().map(ValidatorIndex)
            })
        })
    }

    /// Sets every bit of `other` (of the same length) in `self`.
    pub fn union_with(&mut self, other: &SignerBitmap) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// Whether the two bitmaps share a set bit.
    pub fn intersects(&self, other: &SignerBitmap) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    /// Appends the wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.len.to_be_bytes());
        let nbytes = usize::from(self.len).div_ceil(8);
        for i in 0..nbytes {
            let w = self.words.get(i / 8).copied().unwrap_or(0);
            out.push(w.to_le_bytes()[i % 8]);
        }
    }

    /// Decodes the wire form from the front of `bytes`, returning the bitmap and the bytes
    /// consumed. Rejects truncation and set bits past `len`.
    pub fn decode(bytes: &[u8]) -> Option<(SignerBitmap, usize)> {
        let len = u16::from_be_bytes(bytes.get(..2)?.try_into().ok()?);
        let nbytes = usize::from(len).div_ceil(8);
        let body = bytes.get(2..2 + nbytes)?;
        let mut map = SignerBitmap::new(len);
        for (i, &byte) in body.iter().enumerate() {
            if let Some(w) = map.words.get_mut(i / 8) {
                *w |= u64::from(byte) << (8 * (i % 8));
            }
        }
        // Canonical: nothing set at or beyond `len`.
        let rem = usize::from(len) % 64;
        if rem != 0 && map.words.last().is_some_and(|w| w >> rem != 0) {
            return None;
        }
        Some((map, 2 + nbytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_count_iterate_and_round_trip() {
        let mut m = SignerBitmap::new(130);
        for i in [0u16, 1, 63, 64, 100, 129] {
            assert!(m.insert(ValidatorIndex(i)));
        }
        assert!(!m.insert(ValidatorIndex(1)));
        assert!(!m.insert(ValidatorIndex(130)));
        assert_eq!(m.count(), 6);
        assert!(m.contains(ValidatorIndex(129)) && !m.contains(ValidatorIndex(2)));
        let got: Vec<u16> = m.iter().map(|i| i.0).collect();
        assert_eq!(got, vec![0, 1, 63, 64, 100, 129]);
        let mut b = Vec::new();
        m.encode(&mut b);
        assert_eq!(b.len(), 2 + 17);
        assert_eq!(SignerBitmap::decode(&b), Some((m.clone(), b.len())));
        // A bit past `len` is not canonical.
        let mut bad = b.clone();
        *bad.last_mut().unwrap() |= 0x80;
        assert_eq!(SignerBitmap::decode(&bad), None);
        assert_eq!(SignerBitmap::decode(&b[..5]), None);
        m.remove(ValidatorIndex(64));
        assert_eq!(m.count(), 5);
        let mut other = SignerBitmap::new(130);
        other.insert(ValidatorIndex(64));
        assert!(!m.intersects(&other));
        m.union_with(&other);
        assert!(m.intersects(&other));
    }
}
