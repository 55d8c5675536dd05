//! Sizes of a 0G file: sectors, the contract's padding rule, and the submission-node split.

use crate::{Error, SECTOR_SIZE};

/// Sectors in a segment (256 KiB): the upload, shard and PoRA-recall unit.
pub const SECTORS_PER_SEGMENT: u64 = 1024;
/// Sectors in a seal (4 KiB): the sealing unit.
pub const SECTORS_PER_SEAL: u64 = 16;
/// Bytes in a segment.
pub const SEGMENT_SIZE: usize = 256 * 1024;
/// Bytes in a seal.
pub const SEAL_SIZE: usize = 4096;

/// Number of 256-byte sectors that hold `size` bytes: `ceil(size / 256)`.
pub const fn sectors_for_size(size: u64) -> u64 {
    size.div_ceil(SECTOR_SIZE as u64)
}

/// The smallest power of two `>= n` (1 for `n <= 1`), or `None` past 2^63.
pub const fn next_pow2(n: u64) -> Option<u64> {
    n.checked_next_power_of_two()
}

/// `ceil(log2(n))` for `n >= 1` (0 for `n <= 1`): the depth of a complete tree over `n` leaves.
pub const fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// The number of sectors the 0G storage contract requires a file of `sectors` sectors to be
/// padded to (0G-FORMATS §2.2).
///
/// With `np = next_pow2(sectors)`: a power of two stays as it is; otherwise the file is padded to
/// the next multiple of `np / 16` (or of 1 when `np < 16`). Examples: 17 → 18, 33 → 36,
/// 100 → 104, 1025 → 1152, 4097 → 4608, 100000 → 106496.
///
/// Errors: [`Error::EmptyInput`] for 0 sectors; [`Error::InvalidSize`] past 2^63 sectors.
pub fn padded_sectors(sectors: u64) -> Result<u64, Error> {
    if sectors == 0 {
        return Err(Error::EmptyInput);
    }
    let np = next_pow2(sectors).ok_or(Error::InvalidSize {
        size: sectors,
        reason: "more than 2^63 sectors",
    })?;
    if np == sectors {
        return Ok(sectors);
    }
    let min = if np >= 16 { np / 16 } else { 1 };
    Ok(sectors.div_ceil(min) * min)
}

/// Heights of the submission nodes of a padded file: the binary decomposition of `padded`
/// into descending powers of two (14 → [3, 2, 1], i.e. 8 + 4 + 2 sectors).
pub fn submission_heights(padded: u64) -> Vec<u32> {
    (0..64u32)
        .rev()
        .filter(|h| padded & (1u64 << h) != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_examples_from_the_spec() {
        for (n, p) in [
            (1, 1),
            (2, 2),
            (3, 3),
            (5, 5),
            (15, 15),
            (16, 16),
            (17, 18),
            (33, 36),
            (100, 104),
            (1024, 1024),
            (1025, 1152),
            (4097, 4608),
            (100_000, 106_496),
        ] {
            assert_eq!(padded_sectors(n), Ok(p), "{n} sectors");
        }
        assert_eq!(padded_sectors(0), Err(Error::EmptyInput));
        assert!(padded_sectors(u64::MAX).is_err());
    }

    #[test]
    fn submission_split() {
        assert_eq!(submission_heights(14), vec![3, 2, 1]);
        assert_eq!(submission_heights(1), vec![0]);
        assert_eq!(submission_heights(1152), vec![10, 7]);
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(3), 2);
        assert_eq!(ceil_log2(1 << 40), 40);
        assert_eq!(ceil_log2((1 << 40) + 1), 41);
        assert_eq!(sectors_for_size(257), 2);
    }
}
