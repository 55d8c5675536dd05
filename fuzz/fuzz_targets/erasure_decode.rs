//! Decoding from adversarial shard sets never returns wrong bytes: it returns the original
//! object, or an error; and it succeeds whenever k intact shards are present.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zg_erasure::{Config, Error, decode, encode, reconstruct_shard};

#[derive(Arbitrary, Debug)]
enum Damage {
    Keep,
    Drop,
    Flip {
        at: u16,
        xor: u8,
    },
    Truncate {
        len: u16,
    },
    Extend {
        byte: u8,
    },
    /// Another shard's bytes in this slot.
    Swap {
        with: u8,
    },
    Garbage(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    k: u8,
    m: u8,
    size: u16,
    seed: u8,
    stripe: u16,
    damage: Vec<Damage>,
    target: u8,
}

fuzz_target!(|input: Input| {
    let (k, m) = (usize::from(input.k % 10) + 1, usize::from(input.m % 10) + 1);
    let n = k + m;
    let data: Vec<u8> = (0..usize::from(input.size % 4096) + 1)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(input.seed))
        .collect();
    let config = Config::new(k, m)
        .unwrap()
        .with_stripe_size(usize::from(input.stripe % 4096) + 1)
        .unwrap();
    let encoded = encode(&data, config).unwrap();
    let mut shards: Vec<Option<Vec<u8>>> = encoded.shards.iter().cloned().map(Some).collect();
    for (j, d) in input.damage.iter().take(n).enumerate() {
        match d {
            Damage::Keep => {}
            Damage::Drop => shards[j] = None,
            Damage::Flip { at, xor } => {
                if let Some(s) = shards[j].as_mut() {
                    let i = usize::from(*at) % s.len();
                    s[i] ^= xor;
                }
            }
            Damage::Truncate { len } => {
                if let Some(s) = shards[j].as_mut() {
                    s.truncate(usize::from(*len) % (s.len() + 1));
                }
            }
            Damage::Extend { byte } => {
                if let Some(s) = shards[j].as_mut() {
                    s.push(*byte);
                }
            }
            Damage::Swap { with } => {
                shards[j] = Some(encoded.shards[usize::from(*with) % n].clone())
            }
            Damage::Garbage(g) => shards[j] = Some(g.clone()),
        }
    }
    let intact = shards
        .iter()
        .zip(&encoded.shards)
        .filter(|(s, e)| s.as_ref() == Some(*e))
        .count();
    let view: Vec<Option<&[u8]>> = shards.iter().map(|s| s.as_deref()).collect();
    match decode(&encoded.manifest, &view) {
        Ok(d) => {
            assert_eq!(d.object, data, "decode returned wrong bytes");
            for j in &d.rejected {
                assert_ne!(
                    shards[*j].as_ref(),
                    Some(&encoded.shards[*j]),
                    "intact shard {j} rejected"
                );
            }
        }
        Err(Error::NotEnoughShards { have, need }) => {
            assert!(have < need);
            assert!(intact < k, "{intact} intact shards but decode gave up");
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
    let target = usize::from(input.target) % n;
    match reconstruct_shard(&encoded.manifest, &view, target) {
        Ok(s) => assert_eq!(s, encoded.shards[target], "rebuilt a wrong shard"),
        Err(Error::NotEnoughShards { .. }) => {}
        Err(e) => panic!("unexpected error {e:?}"),
    }
});
