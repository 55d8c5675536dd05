//! The workspace's one stake table, and the one way to derive a node's keys from a seed.
//!
//! A node registers, once, the keys every lane reads: a VRF key ([`PublicKey`], for sortition
//! into DA and alignment committees and for the beacon) and a BLS key with its proof of
//! possession ([`zg_bls::Scheme`], for consensus votes, DA attestations and co-signed
//! reports). A [`StakeTable`] is one epoch's registrations with their stakes; consensus
//! validator sets, sortition ([`compute_eligibility`](crate::compute_eligibility),
//! [`assemble_committee`](crate::assemble_committee)) and certificate verifiers all read the
//! same table, so a node is the same node with the same stake in every lane.
//!
//! The table is validated when it is built ([`StakeTable::new`]): every proof of possession
//! is checked (so aggregating BLS keys is safe against rogue keys), every VRF key is in the
//! prime-order subgroup (so committee proofs batch-verify), node ids, VRF keys and BLS keys are
//! each unique, and the total stake fits. A built table is therefore a fact, not a claim:
//! readers never re-check it.
//!
//! # Deriving keys
//!
//! [`NodeKeys::from_seed`] turns 32 bytes of key material into both secret keys, with one
//! domain per key (`"zg/node-keys/v1/vrf"`, `"zg/node-keys/v1/bls"`, each hashed with the seed
//! by Keccak-256), so the VRF key and the BLS key are independent and neither reveals the
//! other. Tests, simulations and the devnet name a node's seed with [`NodeKeys::derive`]
//! (`Keccak-256("zg/node-keys/v1/deployment" ‖ u64_be(len) ‖ deployment ‖ u64_be(node))`),
//! so every harness gets the same keys for the same deployment and node. A production node
//! draws its seed from a CSPRNG and keeps it secret.

use zeroize::Zeroizing;
use zg_bls::{Bls, Scheme};
use zg_core::{Amount, Epoch, NodeId};

use crate::sortition::SortitionParams;
use crate::{Committee, Error, PublicKey, SecretKey};

/// Domain of the VRF key derived from a node seed.
const VRF_DOMAIN: &[u8] = b"zg/node-keys/v1/vrf";
/// Domain of the BLS key derived from a node seed.
const BLS_DOMAIN: &[u8] = b"zg/node-keys/v1/bls";
/// Domain of a node seed derived from a deployment name.
const DEPLOYMENT_DOMAIN: &[u8] = b"zg/node-keys/v1/deployment";

/// One node's registration in a stake table: its id, its stake and the keys it registered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StakeEntry<S: Scheme = Bls> {
    /// The host's name for the node.
    pub node: NodeId,
    /// Bonded stake as the staking chain reports it (zero is allowed: registered, not staked).
    pub stake: Amount,
    /// The VRF public key (sortition, beacon).
    pub vrf_key: PublicKey,
    /// The BLS public key (votes, attestations, certificates).
    pub bls_key: S::PublicKey,
    /// Proof of possession of the BLS secret key (checked by [`StakeTable::new`]).
    pub proof_of_possession: S::Signature,
}

/// One epoch's stake table: who may be selected or vote, with which stake and keys.
///
/// Built only by [`StakeTable::new`], which checks every row (see the [module docs](self)).
/// A row's index is its position in [`entries`](Self::entries) (table order, as given). The
/// table of epoch `e + 1` must be fixed before the seed of epoch `e` is known, or a member
/// could grind keys against the seed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StakeTable<S: Scheme = Bls> {
    epoch: Epoch,
    pub(crate) entries: Vec<StakeEntry<S>>,
    total: Amount,
    unit: Amount,
}

impl<S: Scheme> StakeTable<S> {
    /// Builds and checks the table of `epoch`; `stake_unit` is the sortition quantum (see
    /// [`SortitionParams`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for a zero unit, a duplicate node or VRF key, or a VRF key
    /// outside the prime-order subgroup; [`Error::InvalidRegistration`] for a duplicate BLS
    /// key or a proof of possession that does not verify; [`Error::Core`] if the total
    /// overflows.
    pub fn new(
        epoch: Epoch,
        entries: Vec<StakeEntry<S>>,
        stake_unit: Amount,
    ) -> Result<Self, Error> {
        if stake_unit.is_zero() {
            return Err(Error::InvalidParameters {
                reason: "stake unit must be positive",
            });
        }
        let mut nodes = std::collections::HashSet::new();
        let mut vrf_keys = std::collections::HashSet::new();
        let mut bls_keys = std::collections::HashSet::new();
        let refuse = |node, reason| Err(Error::InvalidRegistration { node, reason });
        for e in &entries {
            // The VRF checks keep the errors zg-vrf's table always gave.
            if !vrf_keys.insert(*e.vrf_key.as_bytes()) {
                return Err(Error::InvalidParameters {
                    reason: "duplicate public key in stake table",
                });
            }
            if !nodes.insert(e.node) {
                return Err(Error::InvalidParameters {
                    reason: "duplicate node in stake table",
                });
            }
            if !e.vrf_key.is_prime_order() {
                return Err(Error::InvalidParameters {
                    reason: "public key has a torsion component",
                });
            }
            if !bls_keys.insert(&e.bls_key) {
                return refuse(e.node, "duplicate BLS key");
            }
        }
        // Cheap checks first: the pairings only run on an otherwise well-formed table.
        for e in &entries {
            if !S::verify_possession(&e.bls_key, &e.proof_of_possession) {
                return refuse(e.node, "invalid proof of possession");
            }
        }
        let total = Amount::checked_sum(entries.iter().map(|e| e.stake))?;
        Ok(StakeTable {
            epoch,
            entries,
            total,
            unit: stake_unit,
        })
    }

    /// The epoch it applies to.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The rows, in table order (a member's index is its position here).
    pub fn entries(&self) -> &[StakeEntry<S>] {
        &self.entries
    }

    /// Total stake.
    pub fn total_stake(&self) -> Amount {
        self.total
    }

    /// The sortition quantum.
    pub fn stake_unit(&self) -> Amount {
        self.unit
    }

    /// The index of a VRF public key, if it is in the table.
    pub fn index_of(&self, pk: &PublicKey) -> Option<usize> {
        self.entries.iter().position(|e| &e.vrf_key == pk)
    }

    /// The index of a node, if it is in the table.
    pub fn index_of_node(&self, node: NodeId) -> Option<usize> {
        self.entries.iter().position(|e| e.node == node)
    }

    /// The row of a node, if it is in the table.
    pub fn entry(&self, node: NodeId) -> Option<&StakeEntry<S>> {
        self.entries.iter().find(|e| e.node == node)
    }

    /// Sortition parameters for an expected committee size `tau`.
    pub fn params(&self, expected_seats: u64) -> SortitionParams {
        SortitionParams {
            total_stake: self.total,
            stake_unit: self.unit,
            expected_seats,
        }
    }

    /// `(BLS key, stake)` of every row with positive stake, in table order: the members a
    /// stake-weighted certificate is checked against
    /// ([`zg_bls::AggregateCertificate::verify`]).
    pub fn bls_members(&self) -> Vec<(S::PublicKey, u128)> {
        self.entries
            .iter()
            .filter(|e| !e.stake.is_zero())
            .map(|e| (e.bls_key.clone(), e.stake.units()))
            .collect()
    }
}

impl Committee {
    /// `(BLS key, seats)` of every member, in committee order (bit `i` of a certificate's
    /// signer bitmap is member `i`): the members a seat-weighted committee certificate is
    /// checked against ([`zg_bls::AggregateCertificate::verify`]).
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] if a member's index is outside `table` (the committee was
    /// assembled from another table).
    pub fn bls_members<S: Scheme>(
        &self,
        table: &StakeTable<S>,
    ) -> Result<Vec<(S::PublicKey, u128)>, Error> {
        self.members
            .iter()
            .map(|m| {
                table
                    .entries
                    .get(m.index)
                    .filter(|e| e.node == m.node)
                    .map(|e| (e.bls_key.clone(), u128::from(m.seats)))
                    .ok_or(Error::InvalidClaim {
                        index: m.index,
                        reason: "member not in this stake table",
                    })
            })
            .collect()
    }
}

/// A node's secret keys: the VRF key and the BLS key, derived together from one seed.
///
/// Both zeroize on drop. `Debug` prints the node only.
pub struct NodeKeys<S: Scheme = Bls> {
    /// The node.
    pub node: NodeId,
    /// The VRF secret key.
    pub vrf: SecretKey,
    /// The BLS secret key.
    pub bls: S::SecretKey,
}

impl<S: Scheme> core::fmt::Debug for NodeKeys<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NodeKeys")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl<S: Scheme> NodeKeys<S> {
    /// Both keys of `node` from 32 bytes of key material (see the [module docs](self)):
    /// `vrf = SecretKey::from_bytes(Keccak-256("zg/node-keys/v1/vrf" ‖ seed))`,
    /// `bls = S::secret_key_from_seed(Keccak-256("zg/node-keys/v1/bls" ‖ seed))`.
    pub fn from_seed(node: NodeId, seed: &[u8; 32]) -> Self {
        let vrf_seed = Zeroizing::new(zg_core::keccak256_parts(&[VRF_DOMAIN, seed]).0);
        let bls_seed = Zeroizing::new(zg_core::keccak256_parts(&[BLS_DOMAIN, seed]).0);
        NodeKeys {
            node,
            vrf: SecretKey::from_bytes(&vrf_seed),
            bls: S::secret_key_from_seed(&bls_seed),
        }
    }

    /// The keys of `node` in a named deployment (a test, a simulation run, the devnet with its
    /// seed): `from_seed(node, Keccak-256("zg/node-keys/v1/deployment" ‖ u64_be(len) ‖
    /// deployment ‖ u64_be(node)))`. Public names give public keys: never for real stake.
    pub fn derive(deployment: &[u8], node: NodeId) -> Self {
        let seed = Zeroizing::new(
            zg_core::keccak256_parts(&[
                DEPLOYMENT_DOMAIN,
                &(deployment.len() as u64).to_be_bytes(),
                deployment,
                &node.0.to_be_bytes(),
            ])
            .0,
        );
        Self::from_seed(node, &seed)
    }

    /// The node's registration with `stake`: its public keys and a fresh proof of possession.
    pub fn entry(&self, stake: Amount) -> StakeEntry<S> {
        StakeEntry {
            node: self.node,
            stake,
            vrf_key: self.vrf.public_key().clone(),
            bls_key: S::public_key(&self.bls),
            proof_of_possession: S::prove_possession(&self.bls),
        }
    }
}
