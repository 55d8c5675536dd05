//! One miner's view of a flow: the data appended, and every load sealed to the miner.

use zg_core::H256;
use zg_core::tree::{Flow, FlowPlacement};

use crate::answer::{Answer, EpochRange, MineContext, seal_proof};
use crate::mine::{Hit, MiningParams, SealedLoad};
use crate::pora::{LOAD_SIZE, SECTORS_PER_LOAD};

/// A flow of files, their plaintext, and every whole load sealed to one miner under one
/// context — what a storage node that keeps the whole flow holds, in memory. For examples,
/// tests and demos of the mining path; a real node keeps sealed data on disk and answers the
/// [`Miner`](crate::Miner)'s load requests from there.
///
/// ```
/// use zg_core::{H256, keccak256};
/// use zg_pora::{MiningParams, RecallRange, SealedFlow, ShardConfig, U256, ChainView, verify_answer};
///
/// let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
/// let sealed = SealedFlow::new(&[&data], H256([7; 32]), 1, 100, keccak256(b"block"))?;
/// let range = RecallRange::for_flow(sealed.flow.length(), ShardConfig::FULL, 0).unwrap();
/// let subtask = keccak256(b"subtask");
/// let params = MiningParams::new(sealed.miner_id, subtask, range, U256::MAX, sealed.flow.length())?;
/// let hit = params.mine_batch(&[keccak256(b"nonce")], |i| sealed.load(i))[0];
/// let answer = sealed.answer(&params, &hit)?;
/// let view = ChainView::new(sealed.context, subtask, U256::MAX, Some(sealed.epoch_range()));
/// verify_answer(&answer, &view)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SealedFlow {
    /// The flow (with every file's subtrees, so seals can be proven).
    pub flow: Flow,
    /// Where each file landed.
    pub placements: Vec<FlowPlacement>,
    /// The miner the loads are sealed to.
    pub miner_id: H256,
    /// The context the loads are sealed under: the flow as it is after the last file.
    pub context: MineContext,
    /// Every whole load, sealed, by load index.
    pub loads: Vec<SealedLoad>,
}

impl SealedFlow {
    /// Appends `files` to a fresh flow, takes the context `(epoch, mine_start, flow root, flow
    /// length, block_digest)` over the result, and seals every whole load to `miner_id`. Alignment
    /// gaps are zero sectors; a trailing partial load is not sealed (mining never recalls it).
    pub fn new(
        files: &[&[u8]],
        miner_id: H256,
        epoch: u64,
        mine_start: u64,
        block_digest: H256,
    ) -> Result<Self, zg_core::Error> {
        let mut flow = Flow::new();
        let mut placements = Vec::with_capacity(files.len());
        let mut plain = Vec::new();
        for file in files {
            let placed = flow.append_file(file)?;
            let start = usize::try_from(placed.start * 256).map_err(|_| too_large(placed.start))?;
            plain.resize(start, 0);
            plain.extend_from_slice(file);
            placements.push(placed);
        }
        let whole_loads = flow.length() / SECTORS_PER_LOAD;
        let end = usize::try_from(whole_loads).map_err(|_| too_large(whole_loads))? * LOAD_SIZE;
        plain.resize(end, 0);
        let context = MineContext::new(epoch, mine_start, flow.root(), flow.length(), block_digest);
        let loads = plain
            .as_chunks::<LOAD_SIZE>()
            .0
            .iter()
            .zip(0u64..)
            .map(|(load, i)| SealedLoad::seal_plain(i, load, &miner_id, &context.digest))
            .collect();
        Ok(SealedFlow {
            flow,
            placements,
            miner_id,
            context,
            loads,
        })
    }

    /// The sectors the context covers: the whole flow, all sealed under [`Self::context`].
    pub fn epoch_range(&self) -> EpochRange {
        EpochRange {
            start: 0,
            end: self.flow.length(),
        }
    }

    /// Sealed load `index`, if the flow has it.
    pub fn load(&self, index: u64) -> Option<&SealedLoad> {
        self.loads.get(usize::try_from(index).ok()?)
    }

    /// The full answer for a hit found with `params` on these loads: the sealed seal and its
    /// Merkle proof to the flow root. [`zg_core::Error::IndexOutOfRange`] for a hit on a seal
    /// these loads do not hold.
    pub fn answer(&self, params: &MiningParams, hit: &Hit) -> Result<Answer, zg_core::Error> {
        let out_of_range = zg_core::Error::IndexOutOfRange {
            index: hit.recall_position,
            len: self.flow.length(),
        };
        let seal = self
            .load(hit.recall_position / SECTORS_PER_LOAD)
            .and_then(|l| l.seal(usize::try_from(hit.seal_offset).ok()?))
            .ok_or(out_of_range)?;
        Ok(Answer {
            context_digest: self.context.digest,
            nonce: hit.nonce,
            miner_id: self.miner_id,
            range: params.range,
            recall_position: hit.recall_position,
            seal_offset: hit.seal_offset,
            sealed_context_digest: self.context.digest,
            sealed_data: Box::new(*seal),
            merkle_proof: seal_proof(&self.flow, hit.recall_position / 16)?,
        })
    }
}

fn too_large(n: u64) -> zg_core::Error {
    zg_core::Error::InvalidSize {
        size: n,
        reason: "flow too large to hold in memory",
    }
}
