//! `zg alignment sale` and `zg alignment rewards`: the node sale and the reward pool of
//! zg-alignment's economy, on files.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use clap::{Args, Subcommand};
use serde::Deserialize;
use serde_json::{Value, json};
use zg_alignment::Address;
use zg_alignment::economy::sale::{ETHER, Rate, Receipt, ReferralRates, Tier, TierTable};
use zg_alignment::economy::{
    Call, Economy, EconomyConfig, Op, Outcome, Purchase, RewardPool, SaleConfig,
};
use zg_core::{Amount, H256, Timestamp, keccak256_parts};

const SALE_HELP: &str = "\
Input formats (amounts are decimal integers, as JSON numbers or strings):

TIERS.json — the tier table in sale order, or the word `default` for the built-in table
  (32 tiers, 175,500 licences, 0.05 ETH rising by 0.01 ETH per tier):
    [{\"count\": 2000, \"price_wei\": \"50000000000000000\"}, ...]

PURCHASES.json — applied in order; a refused purchase is listed under `refused` and the rest
  go on:
    [{\"buyer\": \"0x…\", \"quantity\": 3, \"paid_wei\": \"150000000000000000\",
      \"time_ms\": 172800000,        optional: ms after the sale opens (default: 2 days, the
                                     start of the public phase; earlier is the whitelist phase)
      \"chain_id\": 1,               optional: the payment's chain (default 1)
      \"tx_hash\": \"0x…\",          optional: 32 bytes (default keccak256(\"zg-cli-purchase\" ‖ index))
      \"promo\": \"CODE\",           optional, defined with --promo CODE=BP
      \"referrer\": \"0x…\"}]        optional

--whitelist FILE — one address per line (blank lines and lines starting with # ignored).
--referral-rates FILE — [[cumulative licences referred, rate bp], ...], first at 0, e.g.
    [[0, 500], [10, 600], [25, 700], [50, 800], [100, 900], [250, 1000]] (the default).

The last line is one JSON object: sold, supply, revenue_wei, received_wei, owed_back
(address → wei), licences (one {id, owner, tier} per licence id), payouts (address → USDC
units of the referral airdrop), refused ([{index, error}]).";

const REWARDS_HELP: &str = "\
FILE: one line per day (day 1 first), each line one `0`/`1` character per licence (licence 0
first): `1` = the licence was attested live that day and ran one node. Exactly --days lines.

Rules: A = floor(P/L), dust = P − A·L, tge = floor(A·33/100); v_d = floor((A−tge)·d/1095) −
floor((A−tge)·(d−1)/1095) for d ≤ 1095, else 0; live licences earn v_d plus floor(F_d/live),
F_d = carry + v_d·(L − live); the rest carries. Conservation Σ earned + carry + dust + unvested
= P is checked after every day.

The last line is one JSON object: earned (one decimal string per licence, tge included),
carry, dust, unvested.";

/// The economy's subcommands.
#[derive(Subcommand)]
pub(crate) enum EconomyCmd {
    /// Apply a node sale's purchases; the last line is the sale's JSON summary.
    #[command(after_long_help = SALE_HELP)]
    Sale(SaleArgs),
    /// Run the reward pool over a liveness matrix; the last line is the JSON result.
    #[command(after_long_help = REWARDS_HELP)]
    Rewards(RewardsArgs),
}

#[derive(Args)]
pub(crate) struct SaleArgs {
    /// The tier table (JSON), or `default` (see --help).
    #[arg(long)]
    tiers: String,
    /// The purchases (JSON, see --help).
    #[arg(long)]
    purchases: PathBuf,
    /// Whitelisted addresses, one per line.
    #[arg(long)]
    whitelist: Option<PathBuf>,
    /// Licences one whitelisted wallet may buy during the whitelist phase.
    #[arg(long, default_value_t = 10)]
    whitelist_cap: u64,
    /// The referral-rate table (JSON, see --help); default 500 → 1,000 bp.
    #[arg(long)]
    referral_rates: Option<PathBuf>,
    /// A promo code and its basis points off, `CODE=BP` (repeatable).
    #[arg(long = "promo")]
    promos: Vec<String>,
    /// Accepted payment chain ids (repeatable); default 1, 42161, 8453.
    #[arg(long = "chain")]
    chains: Vec<u64>,
    /// USDC units paid per ether of rebates and cashbacks (default 3,000 USDC = 3000000000).
    #[arg(long, default_value = "3000000000")]
    usdc_per_eth: String,
}

#[derive(Args)]
pub(crate) struct RewardsArgs {
    /// The reward pool P, in the token's smallest units (decimal).
    #[arg(long)]
    pool: String,
    /// Licences sold, L.
    #[arg(long)]
    licences: u64,
    /// Days to run (lines of FILE).
    #[arg(long)]
    days: u64,
    /// The liveness matrix (see --help).
    #[arg(long)]
    liveness: PathBuf,
}

pub(crate) fn run(cmd: EconomyCmd) -> Result<()> {
    match cmd {
        EconomyCmd::Sale(args) => {
            let summary = sale(&args)?;
            println!("{summary}");
        }
        EconomyCmd::Rewards(args) => {
            let text = fs::read_to_string(&args.liveness)
                .with_context(|| format!("reading {}", args.liveness.display()))?;
            let (pool, out) = rewards(parse_u128(&args.pool)?, args.licences, args.days, &text)?;
            println!(
                "P = {}, L = {}, A = {}, tge = {}, dust = {}, days = {}",
                pool.pool(),
                pool.licences(),
                pool.allocation(),
                pool.tge(),
                pool.dust(),
                pool.day()
            );
            println!("{out}");
        }
    }
    Ok(())
}

fn parse_u128(s: &str) -> Result<u128> {
    s.trim()
        .parse::<u128>()
        .with_context(|| format!("{s:?} is not a decimal integer below 2^128"))
}

fn amount(v: &Value, what: &str) -> Result<Amount> {
    match v {
        Value::String(s) => Ok(Amount::new(parse_u128(s)?)),
        Value::Number(n) => n
            .as_u64()
            .map(Amount::from)
            .with_context(|| format!("{what}: {n} is not a non-negative integer")),
        _ => bail!("{what}: expected a decimal integer"),
    }
}

fn address(s: &str) -> Result<Address> {
    s.trim()
        .parse()
        .with_context(|| format!("{s:?} is not an address (0x + 40 hex digits)"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierIn {
    count: u64,
    price_wei: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurchaseIn {
    buyer: String,
    quantity: u64,
    paid_wei: Value,
    time_ms: Option<u64>,
    chain_id: Option<u64>,
    tx_hash: Option<String>,
    promo: Option<String>,
    referrer: Option<String>,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &PathBuf) -> Result<T> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn tier_table(arg: &str) -> Result<TierTable> {
    if arg == "default" {
        return Ok(TierTable::default_table());
    }
    let tiers: Vec<TierIn> = read_json(&PathBuf::from(arg))?;
    let tiers = tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(Tier {
                count: t.count,
                price: amount(&t.price_wei, &format!("tier {i} price_wei"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TierTable::new(tiers)?)
}

/// The sale's configuration from the arguments; the sale opens at time 0.
fn sale_config(args: &SaleArgs) -> Result<SaleConfig> {
    let mut sale = SaleConfig::new(Timestamp::ZERO);
    sale.tiers = tier_table(&args.tiers)?;
    if let Some(path) = &args.whitelist {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        sale.whitelist = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(address)
            .collect::<Result<_>>()?;
    }
    sale.whitelist_cap = args.whitelist_cap;
    if let Some(path) = &args.referral_rates {
        let steps: Vec<(u64, u16)> = read_json(path)?;
        sale.referral_rates = ReferralRates::new(steps)?;
    }
    for p in &args.promos {
        let (code, bp) = p
            .split_once('=')
            .with_context(|| format!("--promo {p:?}: expected CODE=BP"))?;
        let bp: u16 = bp
            .parse()
            .with_context(|| format!("--promo {p:?}: BP is 0..=10000"))?;
        sale.promo_codes.insert(code.to_string(), bp);
    }
    if !args.chains.is_empty() {
        sale.chains = args.chains.iter().copied().collect();
    }
    Ok(sale)
}

const RELAYER: Address = Address::repeat(0xee);
const OWNER: Address = Address::repeat(0xef);

/// Applies the purchases and returns the JSON summary.
pub(crate) fn sale(args: &SaleArgs) -> Result<Value> {
    let sale = sale_config(args)?;
    let public_ms = sale.whitelist_ms;
    let airdrop_at = sale.airdrop_at;
    let rate = Rate::new(parse_u128(&args.usdc_per_eth)?, ETHER)?;
    let mut e = Economy::new(EconomyConfig {
        owner: OWNER,
        relayer: RELAYER,
        reporter: OWNER,
        chain_id: 0,
        contract: Address::ZERO,
        sale,
        reward_pool: Amount::ZERO,
        launch_at: Timestamp::MAX,
    })?;
    let purchases: Vec<PurchaseIn> = read_json(&args.purchases)?;
    let mut refused = Vec::new();
    let mut last = Timestamp::ZERO;
    for (i, p) in purchases.iter().enumerate() {
        let now = Timestamp::from_millis(p.time_ms.unwrap_or(public_ms));
        ensure!(now >= last, "purchase {i}: time_ms goes back in time");
        last = now;
        let tx_hash = match &p.tx_hash {
            Some(h) => H256::from_hex(h).with_context(|| format!("purchase {i}: tx_hash"))?,
            None => keccak256_parts(&[b"zg-cli-purchase", &(i as u64).to_be_bytes()]),
        };
        let call = Call::new(
            RELAYER,
            Op::Purchase(Purchase {
                quantity: p.quantity,
                promo: p.promo.clone(),
                referrer: p.referrer.as_deref().map(address).transpose()?,
                receipt: Receipt {
                    chain_id: p.chain_id.unwrap_or(1),
                    tx_hash,
                    payer: address(&p.buyer)?,
                    amount: amount(&p.paid_wei, &format!("purchase {i} paid_wei"))?,
                },
            }),
        );
        if let Err(err) = e.apply(now, &call) {
            refused.push(json!({"index": i, "error": err.to_string()}));
        }
    }
    let at = last.max(airdrop_at);
    let Outcome::Airdropped { payouts } = e.apply(at, &Call::new(OWNER, Op::Airdrop { rate }))?
    else {
        bail!("the airdrop returned no payouts");
    };
    if let Err(msg) = e.check_invariants() {
        bail!("invariant violated: {msg}");
    }
    let t = e.totals();
    let licences: Vec<Value> = (0u64..)
        .zip(e.licences())
        .map(|(id, l)| json!({"id": id, "owner": l.owner.to_string(), "tier": l.tier}))
        .collect();
    let owed: BTreeMap<String, String> = e
        .wallets()
        .filter(|(_, w)| !w.owed_back.is_zero())
        .map(|(a, w)| (a.to_string(), w.owed_back.to_string()))
        .collect();
    let payouts: BTreeMap<String, String> = payouts
        .iter()
        .map(|(a, u)| (a.to_string(), u.to_string()))
        .collect();
    Ok(json!({
        "sold": e.sold(),
        "supply": e.config().sale.tiers.supply(),
        "revenue_wei": t.revenue.to_string(),
        "received_wei": t.received.to_string(),
        "owed_back": owed,
        "licences": licences,
        "payouts": payouts,
        "refused": refused,
    }))
}

/// Runs the pool over `days` lines of `liveness`; returns the pool and the JSON result.
pub(crate) fn rewards(
    pool: u128,
    licences: u64,
    days: u64,
    liveness: &str,
) -> Result<(RewardPool, Value)> {
    let mut p = RewardPool::new(Amount::new(pool), licences)?;
    let lines: Vec<&str> = liveness.lines().map(str::trim_end).collect();
    let lines = match lines.iter().rposition(|l| !l.is_empty()) {
        Some(n) => &lines[..=n],
        None => &[][..],
    };
    ensure!(
        lines.len() as u64 == days,
        "the liveness file has {} lines, --days is {days}",
        lines.len()
    );
    for (d, line) in (1u64..).zip(lines) {
        let live = line
            .chars()
            .map(|c| match c {
                '0' => Ok(false),
                '1' => Ok(true),
                _ => bail!("day {d}: {c:?} is not 0 or 1"),
            })
            .collect::<Result<Vec<bool>>>()?;
        p.vest_day(&live).with_context(|| format!("day {d}"))?;
        if let Err(msg) = p.check_conservation() {
            bail!("conservation violated: {msg}");
        }
    }
    let earned: Vec<String> = p.earned_all().map(|a| a.to_string()).collect();
    let out = json!({
        "earned": earned,
        "carry": p.carry().to_string(),
        "dust": p.dust().to_string(),
        "unvested": p.unvested().to_string(),
    });
    Ok((p, out))
}
