//! A small flow of random data, sealed to one miner, shared by the integration tests.

// Shared by several test binaries: each uses a part, and `pub` is how they reach it.
#![allow(dead_code, unreachable_pub)]

use zg_core::tree::{Flow, SEAL_SIZE};
use zg_core::{H256, keccak256};
use zg_pora::answer::seal_proof;
use zg_pora::pora::{LOAD_SIZE, SEALS_PER_LOAD, SECTORS_PER_LOAD};
use zg_pora::{
    Answer, ChainView, EpochRange, Hit, MineContext, MiningParams, RecallRange, SealedLoad,
    ShardConfig, U256,
};

/// splitmix64: a deterministic byte stream for test data.
pub struct TestRng(pub u64);

impl TestRng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    pub fn h256(&mut self) -> H256 {
        let mut b = [0u8; 32];
        self.fill(&mut b);
        H256(b)
    }
}

/// A flow holding one file of random data after the genesis sector and its zero gap, one epoch
/// covering all of it, and every load sealed to `miner_id`.
pub struct Fixture {
    pub flow: Flow,
    pub miner_id: H256,
    pub context: MineContext,
    pub epoch_range: EpochRange,
    pub subtask_digest: H256,
    /// Sealed loads by load index.
    pub loads: Vec<SealedLoad>,
    /// The flow's data by seal index (zero for the gap, seal 0 included).
    pub plain: Vec<[u8; SEAL_SIZE]>,
}

impl Fixture {
    /// `data_loads` loads (a power of two) of random data from `seed`.
    pub fn new(seed: u64, data_loads: usize, miner_id: H256) -> Self {
        let mut rng = TestRng(seed);
        let mut data = vec![0u8; data_loads * LOAD_SIZE];
        rng.fill(&mut data);
        let mut flow = Flow::new();
        let placed = flow.append_file(&data).unwrap();
        let length = flow.length();
        assert_eq!(length % SECTORS_PER_LOAD, 0, "fixture flow ends on a load");
        let context =
            MineContext::new(1, 1000, flow.root(), length, keccak256(&seed.to_be_bytes()));
        let epoch_range = EpochRange {
            start: 0,
            end: length,
        };

        let seals = (length / 16) as usize;
        let mut plain = vec![[0u8; SEAL_SIZE]; seals];
        let first = (placed.start / 16) as usize;
        for (i, chunk) in data.chunks_exact(SEAL_SIZE).enumerate() {
            plain[first + i].copy_from_slice(chunk);
        }
        let loads = plain
            .chunks_exact(SEALS_PER_LOAD)
            .zip(0u64..)
            .map(|(seals, load)| {
                let bytes: Vec<u8> = seals.concat();
                let bytes: &[u8; LOAD_SIZE] = bytes.as_slice().try_into().unwrap();
                SealedLoad::seal_plain(load, bytes, &miner_id, &context.digest)
            })
            .collect();
        Fixture {
            flow,
            miner_id,
            context,
            epoch_range,
            subtask_digest: rng.h256(),
            loads,
            plain,
        }
    }

    pub fn load(&self, index: u64) -> Option<&SealedLoad> {
        self.loads.get(index as usize)
    }

    pub fn range(&self, shard: ShardConfig) -> RecallRange {
        RecallRange::for_flow(self.context.flow_length, shard, 0).unwrap()
    }

    pub fn params(&self, shard: ShardConfig, target: U256) -> MiningParams {
        MiningParams::new(
            self.miner_id,
            self.subtask_digest,
            self.range(shard),
            target,
            self.context.flow_length,
        )
        .unwrap()
    }

    /// The full answer for a hit: sealed data from its load, the proof from the flow.
    pub fn answer(&self, params: &MiningParams, hit: &Hit) -> Answer {
        let load = self.load(hit.recall_position / SECTORS_PER_LOAD).unwrap();
        let seal_index = hit.recall_position / 16;
        Answer {
            context_digest: self.context.digest,
            nonce: hit.nonce,
            miner_id: self.miner_id,
            range: params.range,
            recall_position: hit.recall_position,
            seal_offset: hit.seal_offset,
            sealed_context_digest: self.context.digest,
            sealed_data: Box::new(*load.seal(hit.seal_offset as usize).unwrap()),
            merkle_proof: seal_proof(&self.flow, seal_index).unwrap(),
        }
    }

    pub fn view(&self, target: U256) -> ChainView {
        ChainView::new(
            self.context,
            self.subtask_digest,
            target,
            Some(self.epoch_range),
        )
    }

    /// Nonces `keccak(tag ‖ i)`.
    pub fn nonces(tag: u64, n: usize) -> Vec<H256> {
        (0..n as u64)
            .map(|i| zg_core::keccak256_parts(&[&tag.to_be_bytes(), &i.to_be_bytes()]))
            .collect()
    }
}

/// `U256::MAX / d`: a target admitting about one quality in `d` per seal.
pub fn target_one_in(d: u64) -> U256 {
    U256::MAX / U256::from(d)
}
