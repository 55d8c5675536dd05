//! zg-alignment's report decoders on arbitrary bytes: an epoch report or a quorum report that
//! decodes re-encodes to exactly the input (one encoding per report), its verdicts and alerts
//! are the ones its counts imply, and no failure is without evidence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zg_alignment::duty::Verdict;
use zg_alignment::report::{EpochReport, QuorumReport};
use zg_core::H256;

fn check(r: &EpochReport) {
    assert_eq!(r.alerts, r.derive_alerts());
    for rec in &r.records {
        let ended = u64::from(rec.done) + u64::from(rec.failed) + u64::from(rec.not_measured);
        assert_eq!(ended, u64::from(rec.due));
        assert_eq!(rec.failed > 0, rec.evidence != H256::ZERO);
        if rec.verdict(&r.policy) == Verdict::Fail {
            assert!(rec.failed > 0);
        }
    }
    assert!(r.records.windows(2).all(|w| w[0].subject < w[1].subject));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = EpochReport::from_bytes(data) {
        assert_eq!(r.to_bytes(), data);
        check(&r);
    }
    if let Ok(q) = QuorumReport::<zg_bls::Bls>::from_bytes(data) {
        assert_eq!(q.to_bytes(), data);
        check(&q.report);
    }
});
