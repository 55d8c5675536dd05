//! Committee and custody (issue 12, item 2): which seat of the epoch's DA committee holds which
//! columns, by a public rule anyone recomputes.
//!
//! The committee is drawn by zg-vrf sortition over the epoch seed ([`zg_vrf::assemble_committee`]
//! with role [`DA_SIGNER_ROLE`]): each member has `seats ≥ 1` and a VRF output `β` on the epoch's
//! input, unique per key and unpredictable before the seed exists. Custody then is:
//!
//! ```text
//! N       = total seats,   c = ⌈128 · r / N⌉   (columns per seat; requires N ≥ r)
//! key(m, k) = keccak256("zg-da/custody/v1" || seed || β_m || u64_be(k))   for seat k of member m
//! rank    = position of the seat when all N seats are sorted by key (ties: member index, k)
//! seat of rank t holds columns { (t·c + i) mod 128 : 0 ≤ i < c }
//! ```
//!
//! **Guarantee.** The seats' column runs are laid end to end around the ring of 128 columns,
//! `N·c ≥ 128·r` slots in all, so every column is held by `⌊N·c/128⌋` or `⌈N·c/128⌉` seats:
//! at least `r`, at most `⌈N·c/128⌉` ([`Custody::seats_holding`] gives the exact count).
//! One seat's `c ≤ 128` columns are distinct. A member with several seats may hold a column
//! through more than one seat; each counts as a seat (the quorum rules count seats).
//!
//! **Why a member cannot choose its columns.** Its rank depends on its VRF output (fixed by its
//! key, registered before the seed) and on everyone else's; the seed comes from the beacon.
//! The assignment does not depend on the order members are listed in.

use std::collections::{BTreeMap, BTreeSet};

use zg_core::{H256, NodeId, keccak256_parts};
use zg_vrf::{Committee, Output};

use crate::Error;
use crate::payload::COLUMNS;

/// The zg-vrf role of the DA signer committee.
pub const DA_SIGNER_ROLE: &str = "da-signer";

/// A committee member as custody needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatHolder {
    /// The member's node.
    pub node: NodeId,
    /// Its VRF output for the epoch.
    pub output: Output,
    /// Seats it won (≥ 1).
    pub seats: u64,
}

/// One seat and its columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatCustody {
    /// The seat's holder.
    pub node: NodeId,
    /// Which of the holder's seats (`0..seats`).
    pub seat: u64,
    /// Its rank among all seats.
    pub rank: u64,
    /// The columns it holds, ascending.
    pub columns: Vec<u16>,
}

/// The custody assignment of an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Custody {
    seed: H256,
    replication: u16,
    columns_per_seat: u16,
    seats: Vec<SeatCustody>,
    /// Per column: seats holding it.
    seat_count: Vec<u64>,
    /// Per column: distinct nodes holding it, ascending.
    holders: Vec<Vec<NodeId>>,
    /// Per node: its columns (union over its seats), ascending.
    by_node: BTreeMap<NodeId, Vec<u16>>,
}

/// The largest committee custody accepts (bounds the work: one hash and sort entry per seat).
pub const MAX_SEATS: u64 = 1 << 16;

impl Custody {
    /// Computes custody for seed `seed` over `members` with replication `r` (see the
    /// [module docs](self)).
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] if `r` is 0 or above 128, a member has no seat or appears
    /// twice, the total seats exceed [`MAX_SEATS`], or there are fewer seats than `r`.
    pub fn assign(seed: &H256, members: &[SeatHolder], r: u16) -> Result<Self, Error> {
        if r == 0 || usize::from(r) > COLUMNS {
            return Err(Error::InvalidParameters {
                reason: "replication must be in 1..=128",
            });
        }
        let mut nodes = BTreeSet::new();
        let mut total: u64 = 0;
        for m in members {
            if m.seats == 0 {
                return Err(Error::InvalidParameters {
                    reason: "a member without seats",
                });
            }
            if !nodes.insert(m.node) {
                return Err(Error::InvalidParameters {
                    reason: "a member listed twice",
                });
            }
            total = total.saturating_add(m.seats);
        }
        if total > MAX_SEATS {
            return Err(Error::InvalidParameters {
                reason: "more seats than MAX_SEATS",
            });
        }
        if total < u64::from(r) {
            return Err(Error::InvalidParameters {
                reason: "fewer seats than the replication factor",
            });
        }
        // c = ⌈128·r / N⌉ ≤ 128 since N ≥ r.
        let c = (COLUMNS as u64 * u64::from(r)).div_ceil(total);
        let columns_per_seat = u16::try_from(c).unwrap_or(u16::MAX);
        let mut keyed: Vec<(H256, NodeId, u64)> = Vec::new();
        for m in members {
            for k in 0..m.seats {
                let key = keccak256_parts(&[
                    b"zg-da/custody/v1",
                    seed.as_bytes(),
                    &m.output,
                    &k.to_be_bytes(),
                ]);
                keyed.push((key, m.node, k));
            }
        }
        keyed.sort();
        let mut seats = Vec::with_capacity(keyed.len());
        let mut seat_count = vec![0u64; COLUMNS];
        let mut holders: Vec<BTreeSet<NodeId>> = vec![BTreeSet::new(); COLUMNS];
        let mut by_node: BTreeMap<NodeId, BTreeSet<u16>> = BTreeMap::new();
        for (rank, (_, node, seat)) in keyed.into_iter().enumerate() {
            let rank = rank as u64;
            let mut columns: Vec<u16> = (0..c)
                .map(|i| u16::try_from((rank * c + i) % COLUMNS as u64).unwrap_or(0))
                .collect();
            columns.sort_unstable();
            for &col in &columns {
                seat_count[usize::from(col)] += 1;
                holders[usize::from(col)].insert(node);
                by_node.entry(node).or_default().insert(col);
            }
            seats.push(SeatCustody {
                node,
                seat,
                rank,
                columns,
            });
        }
        Ok(Custody {
            seed: *seed,
            replication: r,
            columns_per_seat,
            seats,
            seat_count,
            holders: holders
                .into_iter()
                .map(|s| s.into_iter().collect())
                .collect(),
            by_node: by_node
                .into_iter()
                .map(|(n, s)| (n, s.into_iter().collect()))
                .collect(),
        })
    }

    /// Custody for an assembled zg-vrf committee (its seed and its members' outputs and seats).
    ///
    /// # Errors
    /// Those of [`Custody::assign`].
    pub fn for_committee(committee: &Committee, r: u16) -> Result<Self, Error> {
        let members: Vec<SeatHolder> = committee
            .members
            .iter()
            .map(|m| SeatHolder {
                node: m.node,
                output: m.output,
                seats: m.seats,
            })
            .collect();
        Custody::assign(&committee.selection.seed, &members, r)
    }

    /// The epoch seed custody was drawn from.
    pub fn seed(&self) -> H256 {
        self.seed
    }

    /// The committee reference signers attest to and certificates name:
    /// `keccak256("zg-da/committee/v1" || seed || u16_be(r) || for each seat by rank:
    /// u64_be(node) || u64_be(seat))`. Two parties agree on it iff they agree on the seed, the
    /// replication and every seat's rank.
    pub fn reference(&self) -> H256 {
        let mut bytes = Vec::with_capacity(32 + 2 + 16 * self.seats.len());
        bytes.extend_from_slice(self.seed.as_bytes());
        bytes.extend_from_slice(&self.replication.to_be_bytes());
        for s in &self.seats {
            bytes.extend_from_slice(&s.node.0.to_be_bytes());
            bytes.extend_from_slice(&s.seat.to_be_bytes());
        }
        keccak256_parts(&[b"zg-da/committee/v1", &bytes])
    }

    /// The replication factor `r` asked for.
    pub fn replication(&self) -> u16 {
        self.replication
    }

    /// Columns per seat, `c`.
    pub fn columns_per_seat(&self) -> u16 {
        self.columns_per_seat
    }

    /// Every seat, by rank.
    pub fn seats(&self) -> &[SeatCustody] {
        &self.seats
    }

    /// Total seats `N`.
    pub fn total_seats(&self) -> u64 {
        self.seats.len() as u64
    }

    /// Seats holding column `j` (0 for `j ≥ 128`); at least `r` for every column.
    pub fn seats_holding(&self, j: usize) -> u64 {
        self.seat_count.get(j).copied().unwrap_or(0)
    }

    /// Distinct nodes holding column `j`, ascending.
    pub fn holders(&self, j: usize) -> &[NodeId] {
        self.holders.get(j).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The columns `node` must hold (over all its seats), ascending; empty if not a member.
    pub fn columns_of(&self, node: NodeId) -> &[u16] {
        self.by_node.get(&node).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `node` is a committee member.
    pub fn is_member(&self, node: NodeId) -> bool {
        self.by_node.contains_key(&node)
    }

    /// The seats `node` has.
    pub fn seats_of(&self, node: NodeId) -> u64 {
        self.seats.iter().filter(|s| s.node == node).count() as u64
    }

    /// Holders of every column (128 lists), for [`SamplerConfig`](crate::SamplerConfig) and
    /// [`ReconstructorConfig`](crate::ReconstructorConfig).
    pub fn holders_by_column(&self) -> Vec<Vec<NodeId>> {
        self.holders.clone()
    }
}
