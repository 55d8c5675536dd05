//! `zg alignment sale` and `zg alignment rewards` end to end, on inputs whose results were
//! computed by hand.

// In tests a panic is a failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn zg(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zg"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp(name: &str, text: &str) -> String {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("zg-alignment-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn last_json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

const A: &str = "0x00000000000000000000000000000000000000aa";
const B: &str = "0x00000000000000000000000000000000000000bb";
const C: &str = "0x00000000000000000000000000000000000000cc";
const D: &str = "0x00000000000000000000000000000000000000dd";

#[test]
fn sale_spills_tiers_applies_promo_and_referrals_and_pays_the_airdrop() {
    let tiers = temp(
        "tiers.json",
        r#"[{"count": 2, "price_wei": 100}, {"count": 3, "price_wei": "200"}]"#,
    );
    let whitelist = temp("whitelist.txt", &format!("# early buyers\n{A}\n"));
    let rates = temp("rates.json", "[[0, 500], [3, 1000]]");
    // 0 (whitelist phase): A buys 3 = 100 + 100 + 200 = 400, referred by B: rebate 20 to A,
    //   cashback 500 bp = 20 to B (B had referred 0).
    // 1 (whitelist phase): D is not whitelisted: refused.
    // 2: C buys 1 (200) with TEN (10 %): discount 20, due 180, paid 250 → 70 owed back.
    // 3: A asks for 2 with 1 left: refused.
    // 4: C buys the last one (200), referred by B, who has referred 3 → 1,000 bp = 20;
    //    rebate 10 to C.
    // 5: replays purchase 2's transaction on another chain: refused.
    let purchases = temp(
        "purchases.json",
        &format!(
            r#"[
  {{"buyer": "{A}", "quantity": 3, "paid_wei": "400", "time_ms": 1000, "referrer": "{B}"}},
  {{"buyer": "{D}", "quantity": 1, "paid_wei": "200", "time_ms": 2000}},
  {{"buyer": "{C}", "quantity": 1, "paid_wei": 250, "promo": "TEN", "tx_hash": "0x{h}"}},
  {{"buyer": "{A}", "quantity": 2, "paid_wei": "400"}},
  {{"buyer": "{C}", "quantity": 1, "paid_wei": "200", "referrer": "{B}", "chain_id": 8453}},
  {{"buyer": "{C}", "quantity": 1, "paid_wei": "200", "chain_id": 42161, "tx_hash": "0x{h}"}}
]"#,
            h = "11".repeat(32)
        ),
    );
    // Two USDC units per wei.
    let (ok, out, err) = zg(&[
        "alignment",
        "sale",
        "--tiers",
        &tiers,
        "--purchases",
        &purchases,
        "--whitelist",
        &whitelist,
        "--referral-rates",
        &rates,
        "--promo",
        "TEN=1000",
        "--usdc-per-eth",
        "2000000000000000000",
    ]);
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(v["sold"], 5);
    assert_eq!(v["revenue_wei"], "780");
    assert_eq!(v["received_wei"], "850");
    assert_eq!(v["owed_back"], serde_json::json!({ C: "70" }));
    let licences: Vec<(u64, String, u64)> = v["licences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_u64().unwrap(),
                l["owner"].as_str().unwrap().to_string(),
                l["tier"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [(0, A, 0), (1, A, 0), (2, A, 1), (3, C, 1), (4, C, 1)];
    assert_eq!(licences, want.map(|(i, o, t)| (i, o.to_string(), t)));
    // A: rebate 20 → 40 units; B: 20 + 20 → 80; C: rebate 10 → 20.
    assert_eq!(
        v["payouts"],
        serde_json::json!({ A: "40", B: "80", C: "20" })
    );
    let refused: Vec<u64> = v["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(refused, vec![1, 3, 5]);
}

#[test]
fn sale_with_the_default_table_prices_the_first_tier_at_005_eth() {
    let purchases = temp(
        "default.json",
        &format!(r#"[{{"buyer": "{A}", "quantity": 2001, "paid_wei": "200060000000000000000"}}]"#),
    );
    let (ok, out, err) = zg(&[
        "alignment",
        "sale",
        "--tiers",
        "default",
        "--purchases",
        &purchases,
    ]);
    assert!(ok, "{err}");
    let v = last_json(&out);
    // 2,000 × 0.05 ETH + 1 × 0.06 ETH = 100.06 ETH; paid 200.06 → 100 ETH owed back.
    assert_eq!(v["revenue_wei"], "100060000000000000000");
    assert_eq!(v["owed_back"][A], "100000000000000000000");
    assert_eq!(v["supply"], 175_500);
    assert_eq!(v["licences"][2000]["tier"], 1);
}

#[test]
fn rewards_follow_the_issue_formulas() {
    // P = 328,502, L = 3: A = 109,500, dust 2, tge 36,135, v_d = 67.
    // Day 1 nobody: carry 201. Day 2 licence 0: 67 + 335 = 402. Day 3 licences 0, 1: 67 + 33
    // each, carry 1. unvested = 3 × (73,365 − 201) = 219,492.
    let live = temp("live.txt", "000\n100\n110\n");
    let (ok, out, err) = zg(&[
        "alignment",
        "rewards",
        "--pool",
        "328502",
        "--licences",
        "3",
        "--days",
        "3",
        "--liveness",
        &live,
    ]);
    assert!(ok, "{err}");
    let v = last_json(&out);
    assert_eq!(
        v,
        serde_json::json!({
            "earned": ["36637", "36235", "36135"],
            "carry": "1",
            "dust": "2",
            "unvested": "219492",
        })
    );
}

#[test]
fn bad_inputs_fail_with_a_message() {
    let live = temp("short.txt", "10\n");
    let (ok, _, err) = zg(&[
        "alignment",
        "rewards",
        "--pool",
        "100",
        "--licences",
        "3",
        "--days",
        "1",
        "--liveness",
        &live,
    ]);
    assert!(!ok);
    assert!(err.contains("liveness for 2 licences, 3 sold"), "{err}");
    let (ok, _, err) = zg(&[
        "alignment",
        "rewards",
        "--pool",
        "100",
        "--licences",
        "2",
        "--days",
        "2",
        "--liveness",
        &live,
    ]);
    assert!(!ok);
    assert!(err.contains("1 lines, --days is 2"), "{err}");
    let tiers = temp("bad-tiers.json", r#"[{"count": 0, "price_wei": 1}]"#);
    let purchases = temp("none.json", "[]");
    let (ok, _, err) = zg(&[
        "alignment",
        "sale",
        "--tiers",
        &tiers,
        "--purchases",
        &purchases,
    ]);
    assert!(!ok);
    assert!(err.contains("a tier with no licences"), "{err}");
    let (ok, out, _) = zg(&["alignment", "sale", "--help"]);
    assert!(ok && out.contains("PURCHASES.json") && out.contains("payouts"));
}
