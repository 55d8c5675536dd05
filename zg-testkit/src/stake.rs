//! Stake-table fixtures: nodes with keys from the workspace's one derivation
//! ([`NodeKeys::derive`]) and a checked [`StakeTable`] over them, for the tests of any lane
//! (consensus validator sets, DA and alignment committees).

use zg_bls::Scheme;
use zg_core::{Amount, Epoch, NodeId};
use zg_vrf::{NodeKeys, StakeTable};

/// The keys of nodes `0..n` of `deployment`.
pub fn nodes<S: Scheme>(deployment: &[u8], n: usize) -> Vec<NodeKeys<S>> {
    (0..n as u64)
        .map(|i| NodeKeys::derive(deployment, NodeId(i)))
        .collect()
}

/// Nodes `0..stakes.len()` of `deployment`, node `i` with `stakes[i]`, and their table of
/// `epoch` (stake unit 1).
///
/// # Panics
/// If the stakes overflow the total (a fixture that cannot exist); every other check of
/// [`StakeTable::new`] holds by construction.
pub fn table<S: Scheme>(
    deployment: &[u8],
    epoch: Epoch,
    stakes: &[u128],
) -> (Vec<NodeKeys<S>>, StakeTable<S>) {
    let keys = nodes::<S>(deployment, stakes.len());
    let entries = keys
        .iter()
        .zip(stakes)
        .map(|(k, &s)| k.entry(Amount::new(s)))
        .collect();
    match StakeTable::new(epoch, entries, Amount::new(1)) {
        Ok(table) => (keys, table),
        Err(e) => fixture_failed(&e),
    }
}

#[cold]
#[allow(clippy::panic)] // test fixture: the caller asked for an impossible table
fn fixture_failed(e: &zg_vrf::Error) -> ! {
    panic!("stake table fixture refused: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zg_bls::InsecureTestScheme as T;

    #[test]
    fn fixture_table_matches_its_keys() {
        let (keys, table) = table::<T>(b"testkit", Epoch(3), &[5, 0, 7]);
        assert_eq!(table.epoch(), Epoch(3));
        assert_eq!(table.total_stake(), Amount::new(12));
        for (k, e) in keys.iter().zip(table.entries()) {
            assert_eq!(e.node, k.node);
            assert_eq!(e.bls_key, T::public_key(&k.bls));
            assert_eq!(&e.vrf_key, k.vrf.public_key());
        }
        // Zero stake: registered, not a member.
        assert_eq!(table.bls_members().len(), 2);
        // Same deployment, same keys; another deployment, others.
        let again = nodes::<T>(b"testkit", 1);
        let other = nodes::<T>(b"other", 1);
        assert_eq!(T::public_key(&again[0].bls), table.entries()[0].bls_key);
        assert_ne!(T::public_key(&other[0].bls), table.entries()[0].bls_key);
    }
}
