// Bench code: a panic here is a setup failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

//! zg-serving hot paths: settlement verification per item next to raw k256 recovery, batch
//! construction for 10,000 requests, and ledger operations per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use std::hint::black_box;
use zg_core::{Amount, H256, Timestamp, keccak256};
use zg_serving::batch::{BatchTree, Receipt};
use zg_serving::eip712::{SignatureScheme, TeeSettlement};
use zg_serving::eth::{Address, SecretKey, U256};
use zg_serving::ledger::{Call, Ledger, LedgerConfig, Limits, Op, TOKEN};
use zg_serving::settlement::{RequestRecord, SettlementItem, requests_hash};
use zg_testkit::serving::{PROVIDER, domain, genesis, provider_tee, user_key};

fn item(key: &SecretKey, user: Address, nonce: u64) -> SettlementItem {
    SettlementItem::signed(
        key,
        SignatureScheme::Eip712,
        &domain(),
        TeeSettlement {
            requests_hash: keccak256(&user.0),
            nonce: U256::from(nonce),
            provider: PROVIDER,
            user,
            total_fee: Amount::new(1_000_000),
        },
    )
    .unwrap()
}

fn verification(c: &mut Criterion) {
    let key = provider_tee();
    let it = item(&key, user_key(0).address(), 1);
    let d = domain();
    let digest = it.message().eip712_digest(&d);
    let sig = Signature::from_slice(&it.signature[..64]).unwrap();
    let recid = RecoveryId::try_from(it.signature[64] - 27).unwrap();
    let mut g = c.benchmark_group("serving/settlement_verify_per_item");
    g.throughput(Throughput::Elements(1));
    g.bench_function("k256_recover_from_prehash (raw)", |b| {
        b.iter(|| VerifyingKey::recover_from_prehash(black_box(&digest.0), &sig, recid).unwrap())
    });
    g.bench_function(
        "zg_serving_verify (EIP-712 digest + recovery + address)",
        |b| b.iter(|| assert!(black_box(&it).verify(SignatureScheme::Eip712, &d, &key.address()))),
    );
    g.finish();
}

fn settle_batch(c: &mut Criterion) {
    // A full settleFeesWithTEE of 50 items through the ledger, per item, over the simulated
    // market's genesis (50 funded users).
    let key = provider_tee();
    let ledger = genesis(&key, 50).unwrap();
    let t = Timestamp::ZERO;
    let items: Vec<SettlementItem> = (0..50)
        .map(|i| item(&key, user_key(i).address(), 1))
        .collect();
    let call = Call::new(PROVIDER, Op::SettleFees { items });
    let mut g = c.benchmark_group("serving/settle_fees_50");
    g.throughput(Throughput::Elements(50));
    g.bench_function("ledger_apply", |b| {
        b.iter_batched(
            || ledger.clone(),
            |mut l| l.apply(t, black_box(&call)).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn batch_construction(c: &mut Criterion) {
    let n = 10_000u64;
    let receipts: Vec<Receipt> = (1..=n)
        .map(|seq| Receipt {
            seq,
            request_hash: H256([(seq % 251) as u8; 32]),
            input_tokens: 300,
            output_tokens: 200,
            fee: Amount::new(700_000),
        })
        .collect();
    let records: Vec<RequestRecord> = receipts
        .iter()
        .map(|r| RequestRecord {
            request_hash: r.request_hash,
            user: Address([7; 20]),
            input_fee: Amount::new(300_000),
            output_fee: Amount::new(400_000),
        })
        .collect();
    let key = SecretKey::from_seed(b"bench tee");
    let mut g = c.benchmark_group("serving/batch_construction");
    g.throughput(Throughput::Elements(n));
    g.bench_with_input(
        BenchmarkId::new("merkle_sum_tree", n),
        &receipts,
        |b, rs| b.iter(|| BatchTree::build(black_box(rs.clone())).unwrap().root()),
    );
    g.bench_with_input(
        BenchmarkId::new("live_requests_hash+sign", n),
        &records,
        |b, rs| {
            b.iter(|| {
                let h = requests_hash(black_box(rs)).unwrap();
                key.sign_prehash(&h).unwrap()
            })
        },
    );
    g.finish();
}

fn ledger_ops(c: &mut Criterion) {
    let provider = Address([0x22; 20]);
    let user = Address([0x11; 20]);
    let mut ledger = Ledger::new(LedgerConfig {
        owner: Address([0xee; 20]),
        domain: domain(),
        lock_time_secs: 3600,
        limits: Limits::default(),
    })
    .unwrap();
    let t = Timestamp::ZERO;
    ledger
        .apply(
            t,
            &Call::new(user, Op::DepositFund).with_value(Amount::new(1_000_000 * TOKEN)),
        )
        .unwrap();
    ledger
        .apply(
            t,
            &Call::new(
                user,
                Op::TransferFund {
                    provider,
                    amount: Amount::new(TOKEN),
                },
            ),
        )
        .unwrap();
    let transfer = Call::new(
        user,
        Op::TransferFund {
            provider,
            amount: Amount::new(1),
        },
    );
    let deposit = Call::new(user, Op::DepositFund).with_value(Amount::new(1));
    let mut g = c.benchmark_group("serving/ledger_ops");
    g.throughput(Throughput::Elements(1));
    g.bench_function("transfer_fund", |b| {
        b.iter(|| ledger.apply(t, black_box(&transfer)).unwrap())
    });
    g.bench_function("deposit_fund", |b| {
        b.iter(|| ledger.apply(t, black_box(&deposit)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = verification, settle_batch, batch_construction, ledger_ops
}
criterion_main!(benches);
