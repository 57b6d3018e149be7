//! Load on the reference shop: 200 concurrent clients, each on its own license bought at the
//! checkout, read, preview and switch upward for 5 s (`FE2_LOAD_SECS=30` for the full run).
//! No 5xx, no transport error, no lost update: every read shows the client's own last switch,
//! and at the end each license holds its start quantity plus its successful switches, with one
//! switch order per switch. Prints request count and p50/p99 latency and writes them to
//! `target/reliability-figures.txt`.

mod common;

use fe2_license::FixedClock;
use fe2_shop::{DbLocation, ServerConfig};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 200;
const START_PERSONS: u64 = 10;
/// A client stops switching here, below the product's maximum of 500.
const MAX_PERSONS: u64 = 490;
const NOW: &str = "2025-07-02T12:00:00Z";

/// What one client did.
#[derive(Default)]
struct Outcome {
    email: String,
    password: String,
    switches: u64,
    latencies_us: Vec<u32>,
    failures: Vec<String>,
}

/// One timed request; a transport error or a 5xx is recorded as a failure.
async fn timed(outcome: &mut Outcome, request: reqwest::RequestBuilder) -> Option<(u16, Value)> {
    let started = Instant::now();
    let answer = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(body) => Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null))),
                Err(e) => Err(format!("transport (body): {e}")),
            }
        }
        Err(e) => Err(format!("transport: {e}")),
    };
    let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    outcome.latencies_us.push(micros);
    match answer {
        Ok((status, json)) if status >= 500 => {
            outcome.failures.push(format!("{status}: {json}"));
            None
        }
        Ok(answer) => Some(answer),
        Err(e) => {
            outcome.failures.push(e);
            None
        }
    }
}

fn persons(license: &Value) -> Option<u64> {
    license["items"]
        .as_array()?
        .iter()
        .find(|item| item["sku"] == "fe2-persons")
        .and_then(|item| item["quantity"].as_u64())
}

/// Reads, previews and switches its own license up by one until `deadline`.
async fn client(
    http: reqwest::Client,
    api: String,
    mut outcome: Outcome,
    deadline: Instant,
) -> Outcome {
    let mut current = START_PERSONS;
    let mut step = 0u64;
    while Instant::now() < deadline && outcome.failures.is_empty() {
        step += 1;
        let auth = (outcome.email.clone(), outcome.password.clone());
        let read = http
            .get(format!("{api}/license"))
            .basic_auth(&auth.0, Some(&auth.1));
        if let Some((status, license)) = timed(&mut outcome, read).await {
            if status != 200 || persons(&license) != Some(current) {
                outcome.failures.push(format!(
                    "read {status}: expected {current} persons, got {license}"
                ));
            }
        }
        if current >= MAX_PERSONS {
            continue;
        }
        let body = json!({ "items": [{ "sku": "fe2-persons", "quantity": current + 1 }] });
        let preview = http
            .post(format!("{api}/license/switch/preview"))
            .basic_auth(&auth.0, Some(&auth.1))
            .json(&body);
        let Some((200, quote)) = timed(&mut outcome, preview).await else {
            outcome.failures.push("preview refused".to_string());
            continue;
        };
        let mut switch_body = body.clone();
        switch_body["expected_gross"] = quote["setup_fee"]["gross"].clone();
        let switch = http
            .post(format!("{api}/license/switch"))
            .basic_auth(&auth.0, Some(&auth.1))
            .header("Idempotency-Key", format!("{}-{step}", outcome.email))
            .json(&switch_body);
        match timed(&mut outcome, switch).await {
            Some((201, answer)) if persons(&answer["license"]) == Some(current + 1) => {
                current += 1;
                outcome.switches += 1;
            }
            Some((status, answer)) => outcome.failures.push(format!("switch {status}: {answer}")),
            None => {}
        }
    }
    outcome
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_read_preview_and_switch_without_loss() {
    let seconds: u64 = std::env::var("FE2_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let clock = Arc::new(FixedClock::new(NOW.parse().expect("instant")));
    let shop = fe2_shop::spawn(ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        db: DbLocation::Memory,
        fixtures: Some(fe2_shop::demo_fixtures()),
        clock,
        signing_key: fe2_shop::random_signing_key(),
    })
    .await
    .expect("the shop starts");
    let api = shop.api_url();
    let http = common::http_client();

    // Every client buys its own license first: an active subscription with a paid parent order.
    let mut outcomes = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let email = format!("last{i}@ff-lasttest.de");
        let bought: Value = http
            .post(format!("{api}/checkout"))
            .json(&json!({
                "email": email, "name": format!("FF Last {i}"), "package": "basis",
                "items": [{ "sku": "fe2-persons", "quantity": START_PERSONS }],
            }))
            .send()
            .await
            .expect("checkout")
            .json()
            .await
            .expect("checkout answer");
        let password = bought["app_password"]
            .as_str()
            .expect("password")
            .to_string();
        assert_eq!(persons(&bought["license"]), Some(START_PERSONS));
        outcomes.push(Outcome {
            email,
            password,
            ..Outcome::default()
        });
    }

    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = outcomes
        .into_iter()
        .map(|outcome| tokio::spawn(client(http.clone(), api.clone(), outcome, deadline)))
        .collect();
    let mut outcomes = Vec::with_capacity(CLIENTS);
    for task in tasks {
        outcomes.push(task.await.expect("client task"));
    }
    let elapsed = started.elapsed().as_secs_f64();

    let failures: Vec<&String> = outcomes.iter().flat_map(|o| &o.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );

    // No lost update: each license holds its start plus its own successful switches.
    let mut switches = 0;
    for outcome in &outcomes {
        let license: Value = http
            .get(format!("{api}/license"))
            .basic_auth(&outcome.email, Some(&outcome.password))
            .send()
            .await
            .expect("final read")
            .json()
            .await
            .expect("license");
        assert_eq!(
            persons(&license),
            Some(START_PERSONS + outcome.switches),
            "{}",
            outcome.email
        );
        let orders: Value = http
            .get(format!("{api}/license/orders"))
            .basic_auth(&outcome.email, Some(&outcome.password))
            .send()
            .await
            .expect("orders")
            .json()
            .await
            .expect("orders");
        let switch_orders = orders
            .as_array()
            .expect("order list")
            .iter()
            .filter(|o| o["type"] == "switch_order")
            .count();
        assert_eq!(switch_orders as u64, outcome.switches, "{}", outcome.email);
        switches += outcome.switches;
    }
    assert!(switches > 0, "no switch went through");

    let mut latencies: Vec<u32> = outcomes
        .iter()
        .flat_map(|o| o.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let figures = format!(
        "load: {CLIENTS} clients for {elapsed:.1} s: {} requests ({:.0}/s), {switches} switches, \
         0 errors, 0 lost updates; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
    );
    eprint!("{figures}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/reliability-figures.txt");
    std::fs::write(&path, &figures).expect("figures file");
    shop.shutdown().await.expect("shutdown");
}
