//! Every route and error code of docs/shop-api.openapi.yaml over real HTTP on loopback, each test with its
//! own in-process shop and a frozen clock.

mod common;

use common::*;
use fe2_shop::DbLocation;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const JULY: &str = "2025-07-02T12:00:00Z";
const OCTOBER: &str = "2025-10-01T08:30:00Z";

fn persons(quantity: Value) -> Value {
    json!({ "items": [{ "sku": "fe2-persons", "quantity": quantity }] })
}

fn item_quantity(license: &Value, sku: &str) -> u64 {
    license["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sku"] == sku)
        .map_or(0, |i| i["quantity"].as_u64().unwrap())
}

async fn order_count(shop: &Shop, account: (&str, &str), kind: &str) -> usize {
    let orders = shop.get("/license/orders", account).await;
    assert_eq!(orders.status, 200, "{}", orders.text);
    orders
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == kind)
        .count()
}

#[tokio::test]
async fn me_answers_the_credential_check() {
    let shop = Shop::start(JULY).await;
    let me = shop.get("/me", FAQ).await;
    assert_eq!(me.status, 200);
    assert_eq!(
        me.json,
        json!({"email": "leitstelle@ff-musterstadt.de", "name": "FF Musterstadt"})
    );
    // Upper case e-mail and a password without spaces are the same credential.
    let me = shop
        .get(
            "/me",
            ("Leitstelle@FF-Musterstadt.DE", "abcdEFGH1234ijklMNOP5678"),
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.headers["date"], "Wed, 02 Jul 2025 12:00:00 GMT");

    assert_error(
        &shop.get("/me", (FAQ.0, "wrong")).await,
        401,
        "invalid_credentials",
    );
    assert_error(
        &shop.get("/me", ("nobody@ff-x.de", FAQ.1)).await,
        401,
        "invalid_credentials",
    );
    let anonymous = shop.send("GET", "/me", None, None, None).await;
    assert_error(&anonymous, 401, "invalid_credentials");
}

#[tokio::test]
async fn eleven_wrong_passwords_are_throttled_with_retry_after() {
    let shop = Shop::start(JULY).await;
    for _ in 1..=10 {
        let answer = shop.get("/me", (FAQ.0, "wrong password")).await;
        assert_error(&answer, 401, "invalid_credentials");
    }
    let eleventh = shop.get("/me", (FAQ.0, "wrong password")).await;
    assert_error(&eleventh, 429, "too_many_attempts");
    let retry_after: u64 = eleventh.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(eleventh.json["data"]["retry_after"], retry_after);
    // Every further request for that e-mail is refused, the right password too.
    assert_error(&shop.get("/me", FAQ).await, 429, "too_many_attempts");
    // Another e-mail is not affected.
    assert_eq!(shop.get("/me", MIXED).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_get_no_more_than_the_throttle_allows() {
    let shop = std::sync::Arc::new(Shop::start(JULY).await);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            shop.get("/me", (FAQ.0, "wrong password")).await.status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused, fe2_shop::auth::MAX_FAILURES, "{statuses:?}");
    assert_eq!(refused + throttled, statuses.len(), "{statuses:?}");
}

#[tokio::test]
async fn protocol_errors_are_json_never_html() {
    let shop = Shop::start(JULY).await;
    assert_error(&shop.get("/no-such-route", FAQ).await, 404, "not_found");
    let outside = shop
        .http
        .get(format!("{}/index.html", shop.running.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
    let body: Value = outside.json().await.unwrap();
    assert_eq!(body["code"], "not_found");

    let wrong_method = shop.send("PUT", "/me", Some(FAQ), None, None).await;
    assert_error(&wrong_method, 405, "method_not_allowed");
    let wrong_method = shop.send("DELETE", "/tickets", Some(FAQ), None, None).await;
    assert_error(&wrong_method, 405, "method_not_allowed");

    let huge = json!({ "items": [], "padding": "x".repeat(70 * 1024) }).to_string();
    let too_large = shop
        .send(
            "POST",
            "/license/switch/preview",
            Some(FAQ),
            Some(huge),
            None,
        )
        .await;
    assert_error(&too_large, 413, "payload_too_large");

    let malformed = shop
        .send(
            "POST",
            "/license/switch/preview",
            Some(FAQ),
            Some("{\"items\": [".into()),
            None,
        )
        .await;
    assert_error(&malformed, 400, "bad_request");
    for body in [
        json!({"items": "fe2-persons"}),
        json!({}),
        json!({"items": [{"quantity": 3}]}),
        json!({"items": [{"sku": "fe2-persons"}]}),
        json!({"items": [{"sku": "fe2-persons", "quantity": 3}, {"sku": "fe2-persons", "quantity": 4}]}),
    ] {
        assert_error(
            &shop.post("/license/switch/preview", FAQ, body).await,
            400,
            "bad_request",
        );
    }
}

#[tokio::test]
async fn license_orders_catalog_and_keys() {
    let shop = Shop::start(JULY).await;
    let license = shop.get("/license", FAQ).await;
    assert_eq!(license.status, 200, "{}", license.text);
    let l = &license.json;
    assert_eq!(l["id"], 4711);
    assert_eq!(l["email"], "leitstelle@ff-musterstadt.de");
    assert_eq!(l["name"], "FF Musterstadt");
    assert_eq!(l["kind"], "subscription");
    assert_eq!(l["status"], "active");
    assert_eq!(
        l["package"],
        json!({"code": "basis", "name": "FE2 Basispaket", "legacy": false})
    );
    assert_eq!(l["billing_period"], "year");
    assert_eq!(l["billing_interval"], 1);
    assert_eq!(l["start_date"], "2024-01-01T00:00:00Z");
    assert_eq!(l["period_start"], "2025-01-01T00:00:00Z");
    assert_eq!(l["next_payment_date"], "2026-01-01T00:00:00Z");
    assert_eq!(l["end_date"], Value::Null);
    assert_eq!(l["trial_end_date"], Value::Null);
    assert_eq!(l["currency"], "EUR");
    assert_eq!(
        l["items"],
        json!([{"sku": "fe2-basis", "name": "FE2 Basispaket", "quantity": 1, "unit_price": "650.00"},
               {"sku": "fe2-persons", "name": "Zusätzliche Personen", "quantity": 20, "unit_price": "12.00"}])
    );
    assert_eq!(l["features"], json!([]));
    assert_eq!(l["price_list"], "2023-04-17");
    assert_eq!(l["scheduled_changes"], json!([]));
    assert_eq!(l["has_paid_order"], true);
    assert_eq!(l["switch"], json!({"allowed": true, "reason": null}));

    let legacy = shop.get("/license", LEGACY).await.json;
    assert_eq!(
        legacy["package"],
        json!({"code": "paket-3", "name": "FE2 Paket 3", "legacy": true})
    );
    assert_eq!(legacy["items"][0]["unit_price"], Value::Null);
    assert_eq!(
        legacy["switch"],
        json!({"allowed": false, "reason": "legacy_package"})
    );
    let trial = shop.get("/license", TRIAL).await.json;
    assert_eq!(trial["switch"]["reason"], "trial_license");
    assert_eq!(trial["has_paid_order"], false);

    let orders = shop.get("/license/orders", FAQ).await;
    assert_eq!(orders.status, 200);
    assert_eq!(orders.json.as_array().unwrap().len(), 2);
    let first = &orders.json[0];
    assert_eq!(first["type"], "parent_order");
    assert_eq!(first["status"], "completed");
    assert_eq!(first["total"], "1059.10");
    assert_eq!(first["date_created"], "2024-01-01T00:00:00Z");
    assert_eq!(first["date_paid"], "2024-01-02T09:00:00Z");
    assert!(first["id"].as_u64().unwrap() > 0);

    let catalog = shop.get("/catalog", FAQ).await;
    assert_eq!(catalog.status, 200);
    assert_eq!(catalog.json["currency"], "EUR");
    assert_eq!(catalog.json["vat_rate"], "0.19");
    let lists = catalog.json["price_lists"].as_array().unwrap();
    assert!(lists.iter().any(|l| l["id"] == "2023-04-17"
        && l["valid_from"] == "2023-04-17"
        && l["prices"]["fe2-persons"] == "12.00"));
    assert!(lists.iter().any(|l| l["valid_from"] == "2023-01-13"));
    let persons = catalog.json["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "fe2-persons")
        .unwrap()
        .clone();
    assert_eq!(
        persons,
        json!({"sku": "fe2-persons", "name": {"de": "Zusätzliche Personen", "en": "Additional persons"},
               "min": 0, "max": 500, "switchable": true})
    );

    let keys = shop.send("GET", "/keys", None, None, None).await;
    assert_eq!(keys.status, 200);
    let key = &keys.json["keys"][0];
    assert_eq!(key["alg"], "ed25519");
    assert_eq!(
        key["public_key"],
        fe2_license::license_file::public_key_to_base64(
            &fe2_shop::demo_signing_key().verifying_key()
        )
    );
    assert_eq!(key["kid"], fe2_shop::key_id(&fe2_shop::demo_signing_key()));
}

#[tokio::test]
async fn license_file_verifies_with_the_published_key() {
    let shop = Shop::start(JULY).await;
    let file = shop.get("/license/file", FAQ).await;
    assert_eq!(file.status, 200);
    assert!(file.text.starts_with("-----BEGIN FE2 LICENSE FILE-----"));
    let keys = shop.send("GET", "/keys", None, None, None).await;
    let key = fe2_license::license_file::public_key_from_base64(
        keys.json["keys"][0]["public_key"].as_str().unwrap(),
    )
    .unwrap();
    let verified = fe2_license::license_file::verify(&file.text, &key, FAQ.0, at(JULY)).unwrap();
    assert_eq!(verified.license.id, 4711);
    assert_eq!(verified.issued, at(JULY));
    assert_eq!(
        verified.license,
        serde_json::from_value(shop.get("/license", FAQ).await.json).unwrap()
    );
}

#[tokio::test]
async fn worked_example_1_upgrade_charges_60_16_net() {
    let shop = Shop::start(JULY).await;
    let preview = shop
        .post("/license/switch/preview", FAQ, persons(json!(30)))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let q = &preview.json;
    assert_eq!(q["quote_date"], JULY);
    assert_eq!(q["price_list"], "2023-04-17");
    assert_eq!(q["days_remaining"], 183);
    assert_eq!(q["days_in_period"], 365);
    assert_eq!(
        q["lines"],
        json!([{"sku": "fe2-persons", "from": 20, "to": 30, "change": "upgrade",
                "unit_price": "12.00", "fee": "60.16", "effective_date": JULY}])
    );
    assert_eq!(
        q["setup_fee"],
        json!({"net": "60.16", "vat": "11.43", "gross": "71.59", "vat_rate": "0.19"})
    );
    assert_eq!(q["next_renewal"]["date"], "2026-01-01T00:00:00Z");
    assert_eq!(q["next_renewal"]["net"], "1010.00");
    // A preview changes nothing.
    assert_eq!(
        item_quantity(&shop.get("/license", FAQ).await.json, "fe2-persons"),
        20
    );

    // The price no longer matches what the app showed: 409 with the current quote.
    let mut stale = persons(json!(30));
    stale["expected_gross"] = json!("70.00");
    let changed = shop
        .post_keyed("/license/switch", FAQ, stale, "k-stale")
        .await;
    assert_error(&changed, 409, "quote_changed");
    assert_eq!(changed.json["data"]["quote"], preview.json);
    assert_eq!(
        item_quantity(&shop.get("/license", FAQ).await.json, "fe2-persons"),
        20
    );

    let mut body = persons(json!(30));
    body["expected_gross"] = json!("71.59");
    body["reference"] = json!("991-12345-67");
    let switched = shop.post_keyed("/license/switch", FAQ, body, "k-1").await;
    assert_eq!(switched.status, 201, "{}", switched.text);
    let order = &switched.json["order"];
    assert_eq!(order["type"], "switch_order");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total"], "71.59");
    assert_eq!(order["date_created"], JULY);
    assert_eq!(order["date_paid"], Value::Null);
    assert_eq!(switched.json["quote"], preview.json);
    assert_eq!(item_quantity(&switched.json["license"], "fe2-persons"), 30);
    assert_eq!(
        switched.json["license"],
        shop.get("/license", FAQ).await.json
    );
    let orders = shop.get("/license/orders", FAQ).await.json;
    assert_eq!(orders.as_array().unwrap().last().unwrap(), order);
}

#[tokio::test]
async fn worked_example_2_downgrade_is_scheduled_without_an_order() {
    let shop = Shop::start("2025-10-01T00:00:00Z").await;
    let before = shop
        .post("/license/switch/preview", FAQ, persons(json!(20)))
        .await;
    assert_error(&before, 422, "no_change");
    let switched = shop
        .post_keyed("/license/switch", FAQ, persons(json!(10)), "down-1")
        .await;
    assert_eq!(switched.status, 201, "{}", switched.text);
    assert_eq!(switched.json["order"], Value::Null);
    let quote = &switched.json["quote"];
    assert_eq!(quote["lines"][0]["change"], "downgrade");
    assert_eq!(quote["lines"][0]["fee"], "0.00");
    assert_eq!(quote["lines"][0]["effective_date"], "2026-01-01T00:00:00Z");
    assert_eq!(quote["setup_fee"]["gross"], "0.00");
    assert_eq!(quote["next_renewal"]["net"], "770.00"); // 120.00 lower than 890.00
    let license = shop.get("/license", FAQ).await.json;
    assert_eq!(item_quantity(&license, "fe2-persons"), 20);
    let changes = license["scheduled_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["sku"], "fe2-persons");
    assert_eq!(changes[0]["quantity"], 10);
    assert_eq!(changes[0]["effective_date"], "2026-01-01T00:00:00Z");
    assert_eq!(order_count(&shop, FAQ, "switch_order").await, 0);

    // Naming the current quantity cancels the scheduled change: a change, not no_change.
    let cancel = shop
        .post("/license/switch/preview", FAQ, persons(json!(20)))
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.text);
    assert_eq!(cancel.json["lines"][0]["change"], "unchanged");

    // The change takes effect once the clock has passed its date.
    shop.clock.set(at("2026-01-01T00:00:01Z"));
    let renewed = shop.get("/license", FAQ).await.json;
    assert_eq!(item_quantity(&renewed, "fe2-persons"), 10);
    assert_eq!(renewed["scheduled_changes"], json!([]));
}

#[tokio::test]
async fn scheduled_change_can_be_deleted() {
    let shop = Shop::start(OCTOBER).await;
    let switched = shop
        .post_keyed("/license/switch", FAQ, persons(json!(10)), "down")
        .await;
    assert_eq!(switched.status, 201, "{}", switched.text);
    let id = switched.json["license"]["scheduled_changes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = shop
        .send(
            "DELETE",
            &format!("/license/scheduled-changes/{id}"),
            Some(FAQ),
            None,
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.json["license"]["scheduled_changes"], json!([]));
    assert_eq!(item_quantity(&deleted.json["license"], "fe2-persons"), 20);
    let again = shop
        .send(
            "DELETE",
            &format!("/license/scheduled-changes/{id}"),
            Some(FAQ),
            None,
            None,
        )
        .await;
    assert_error(&again, 404, "not_found");
    // Another account cannot delete this license's changes.
    let switched = shop
        .post_keyed("/license/switch", FAQ, persons(json!(10)), "down-2")
        .await;
    let id = switched.json["license"]["scheduled_changes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign = shop
        .send(
            "DELETE",
            &format!("/license/scheduled-changes/{id}"),
            Some(MIXED),
            None,
            None,
        )
        .await;
    assert_error(&foreign, 404, "not_found");
}

#[tokio::test]
async fn worked_example_3_mixed_request() {
    let shop = Shop::start(OCTOBER).await;
    let body = json!({"items": [
        {"sku": "fe2-persons", "quantity": 25},
        {"sku": "fe2-amweb", "quantity": 3},
        {"sku": "fe2-amobile-pro", "quantity": 0}]});
    let preview = shop
        .post("/license/switch/preview", MIXED, body.clone())
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.json["days_remaining"], 92);
    let fees: Vec<&Value> = preview.json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["fee"])
        .collect();
    assert_eq!(fees, [&json!("15.12"), &json!("22.68"), &json!("0.00")]);
    assert_eq!(preview.json["setup_fee"]["net"], "37.80");
    assert_eq!(preview.json["lines"][2]["change"], "downgrade");

    let mut with_gross = body;
    with_gross["expected_gross"] = preview.json["setup_fee"]["gross"].clone();
    let switched = shop
        .post_keyed("/license/switch", MIXED, with_gross, "mixed")
        .await;
    assert_eq!(switched.status, 201, "{}", switched.text);
    assert_eq!(
        switched.json["order"]["total"],
        preview.json["setup_fee"]["gross"]
    );
    let license = &switched.json["license"];
    assert_eq!(item_quantity(license, "fe2-persons"), 25);
    assert_eq!(item_quantity(license, "fe2-amweb"), 3);
    assert_eq!(item_quantity(license, "fe2-amobile-pro"), 1);
    assert_eq!(
        license["scheduled_changes"][0]["sku"], "fe2-amobile-pro",
        "{license}"
    );
    assert_eq!(license["scheduled_changes"][0]["quantity"], 0);
    assert_eq!(
        license["scheduled_changes"][0]["effective_date"],
        "2026-01-01T00:00:00Z"
    );
}

#[tokio::test]
async fn eligibility_and_validation_errors() {
    let shop = Shop::start(JULY).await;
    let up = persons(json!(30));
    let trial = shop
        .post("/license/switch/preview", TRIAL, up.clone())
        .await;
    assert_error(&trial, 409, "trial_license");
    let on_hold = shop
        .post("/license/switch/preview", ON_HOLD, up.clone())
        .await;
    assert_error(&on_hold, 409, "subscription_not_active");
    assert_eq!(on_hold.json["data"]["license_status"], "on-hold");
    assert_error(
        &shop
            .post("/license/switch/preview", UNPAID, up.clone())
            .await,
        409,
        "no_paid_order",
    );
    let legacy = shop
        .post("/license/switch/preview", LEGACY, up.clone())
        .await;
    assert_error(&legacy, 409, "legacy_package");
    assert_eq!(legacy.json["data"]["package"], "paket-3");
    // The same refusals from the switch route itself.
    let switched = shop
        .post_keyed("/license/switch", TRIAL, up.clone(), "t")
        .await;
    assert_error(&switched, 409, "trial_license");

    for quantity in [json!(-1), json!(1.5), json!("30"), json!(501), json!(null)] {
        let answer = shop
            .post("/license/switch/preview", FAQ, persons(quantity.clone()))
            .await;
        assert_error(&answer, 422, "invalid_quantity");
        assert_eq!(answer.json["data"]["sku"], "fe2-persons", "{quantity}");
    }
    let package = json!({"items": [{"sku": "fe2-basis", "quantity": 2}]});
    assert_error(
        &shop.post("/license/switch/preview", FAQ, package).await,
        422,
        "invalid_quantity",
    );
    let unknown = json!({"items": [{"sku": "fe2-drohne", "quantity": 1}]});
    let answer = shop.post("/license/switch/preview", FAQ, unknown).await;
    assert_error(&answer, 422, "unknown_item");
    assert_eq!(answer.json["data"]["sku"], "fe2-drohne");
    // Items are validated in request order.
    let order = json!({"items": [{"sku": "fe2-persons", "quantity": -1}, {"sku": "fe2-drohne", "quantity": 1}]});
    let answer = shop.post("/license/switch/preview", FAQ, order).await;
    assert_error(&answer, 422, "invalid_quantity");
    assert_error(
        &shop
            .post("/license/switch/preview", FAQ, persons(json!(20)))
            .await,
        422,
        "no_change",
    );
    assert_error(
        &shop
            .post("/license/switch/preview", FAQ, json!({"items": []}))
            .await,
        422,
        "no_change",
    );
    // Unknown fields are ignored.
    let extra =
        json!({"items": [{"sku": "fe2-persons", "quantity": 21, "note": "x"}], "client": "t"});
    assert_eq!(
        shop.post("/license/switch/preview", FAQ, extra)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn switch_body_and_key_are_checked() {
    let shop = Shop::start(JULY).await;
    let no_key = shop.post("/license/switch", FAQ, persons(json!(30))).await;
    assert_error(&no_key, 400, "bad_request");
    // The key is checked before the body.
    let no_key = shop
        .send(
            "POST",
            "/license/switch",
            Some(FAQ),
            Some("not json".into()),
            None,
        )
        .await;
    assert_error(&no_key, 400, "bad_request");
    let mut long_reference = persons(json!(30));
    long_reference["reference"] = json!("x".repeat(65));
    assert_error(
        &shop
            .post_keyed("/license/switch", FAQ, long_reference, "a")
            .await,
        400,
        "bad_request",
    );
    let mut number_reference = persons(json!(30));
    number_reference["reference"] = json!(12345);
    assert_error(
        &shop
            .post_keyed("/license/switch", FAQ, number_reference, "b")
            .await,
        400,
        "bad_request",
    );
    for gross in [json!(71.59), json!("71,59"), json!("abc"), json!("71.5")] {
        let mut body = persons(json!(30));
        body["expected_gross"] = gross;
        assert_error(
            &shop.post_keyed("/license/switch", FAQ, body, "c").await,
            400,
            "bad_request",
        );
    }
    let mut ok_reference = persons(json!(30));
    ok_reference["reference"] = json!("x".repeat(64));
    assert_eq!(
        shop.post_keyed("/license/switch", FAQ, ok_reference, "d")
            .await
            .status,
        201
    );
    assert_eq!(order_count(&shop, FAQ, "switch_order").await, 1);
}

#[tokio::test]
async fn idempotency_is_scoped_per_account_and_route() {
    let shop = Shop::start(JULY).await;
    let first = shop
        .post_keyed("/license/switch", FAQ, persons(json!(30)), "same-key")
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    // The same body with another key order and spacing is the same request.
    let same_body = "{ \"items\" : [ {\"quantity\": 30, \"sku\": \"fe2-persons\"} ] }".to_string();
    let second = shop
        .send(
            "POST",
            "/license/switch",
            Some(FAQ),
            Some(same_body),
            Some("same-key"),
        )
        .await;
    assert_eq!(second.status, 201);
    assert_eq!(second.json, first.json);
    assert_eq!(order_count(&shop, FAQ, "switch_order").await, 1);
    assert_eq!(
        item_quantity(&shop.get("/license", FAQ).await.json, "fe2-persons"),
        30
    );

    let other_body = shop
        .post_keyed("/license/switch", FAQ, persons(json!(40)), "same-key")
        .await;
    assert_error(&other_body, 422, "idempotency_key_reuse");
    // A stored key is looked up before the body is validated.
    let garbage = shop
        .send(
            "POST",
            "/license/switch",
            Some(FAQ),
            Some("nonsense".into()),
            Some("same-key"),
        )
        .await;
    assert_error(&garbage, 422, "idempotency_key_reuse");

    // Another account with the same key gets its own result.
    let mixed = shop
        .post_keyed("/license/switch", MIXED, persons(json!(30)), "same-key")
        .await;
    assert_eq!(mixed.status, 201, "{}", mixed.text);
    assert_ne!(mixed.json["order"]["id"], first.json["order"]["id"]);
    assert_eq!(mixed.json["license"]["id"], 4712);

    // Errors are not stored: the same key works once the request is valid.
    let refused = shop
        .post_keyed("/license/switch", FAQ, persons(json!(-1)), "retry")
        .await;
    assert_error(&refused, 422, "invalid_quantity");
    let retried = shop
        .post_keyed("/license/switch", FAQ, persons(json!(31)), "retry")
        .await;
    assert_eq!(retried.status, 201, "{}", retried.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_requests_with_one_key_make_one_order() {
    let shop = std::sync::Arc::new(Shop::start(JULY).await);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            shop.post_keyed("/license/switch", FAQ, persons(json!(30)), "parallel")
                .await
        }));
    }
    let mut bodies = BTreeSet::new();
    for task in tasks {
        let answer = task.await.unwrap();
        assert_eq!(answer.status, 201, "{}", answer.text);
        bodies.insert(answer.text);
    }
    assert_eq!(bodies.len(), 1, "all answers are the first answer");
    assert_eq!(order_count(&shop, FAQ, "switch_order").await, 1);
    assert_eq!(
        item_quantity(&shop.get("/license", FAQ).await.json, "fe2-persons"),
        30
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_switches_serialize_without_lost_updates() {
    let shop = std::sync::Arc::new(Shop::start(JULY).await);
    let mut tasks = Vec::new();
    // Distinct new totals 1..=40 step 2 around today's 20: some upgrade, some downgrade,
    // depending on the order in which they run.
    for total in (1..=40u64).step_by(2) {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            let answer = shop
                .post_keyed(
                    "/license/switch",
                    FAQ,
                    persons(json!(total)),
                    &format!("k{total}"),
                )
                .await;
            (total, answer)
        }));
    }
    let mut upgrades = Vec::new();
    let mut downgrades = Vec::new();
    for task in tasks {
        let (total, answer) = task.await.unwrap();
        assert_eq!(answer.status, 201, "{total}: {}", answer.text);
        let line = &answer.json["quote"]["lines"][0];
        assert_eq!(line["to"], total);
        let from = line["from"].as_u64().unwrap();
        if total > from {
            let order = &answer.json["order"];
            assert_eq!(order["total"], answer.json["quote"]["setup_fee"]["gross"]);
            upgrades.push((order["id"].as_u64().unwrap(), from, total));
        } else {
            assert_eq!(answer.json["order"], Value::Null);
            downgrades.push((from, total));
        }
    }
    // Replaying the upgrades in order-id order: each starts where the previous one ended.
    upgrades.sort();
    let mut quantity = 20;
    for (_, from, to) in &upgrades {
        assert_eq!(*from, quantity, "upgrades {upgrades:?}");
        quantity = *to;
    }
    let license = shop.get("/license", FAQ).await.json;
    assert_eq!(item_quantity(&license, "fe2-persons"), quantity);
    assert_eq!(
        order_count(&shop, FAQ, "switch_order").await,
        upgrades.len()
    );
    // Downgrades never change today's quantity; the one that ran last (after the last
    // upgrade) is the scheduled change, earlier ones were replaced.
    for (from, _) in &downgrades {
        assert!(upgrades.iter().any(|(_, _, to)| to == from) || *from == 20);
    }
    let after_last: Vec<u64> = downgrades
        .iter()
        .filter(|(from, _)| *from == quantity)
        .map(|(_, to)| *to)
        .collect();
    let scheduled = license["scheduled_changes"].as_array().unwrap();
    match scheduled.as_slice() {
        [] => assert!(
            after_last.is_empty(),
            "downgrades after the last upgrade: {after_last:?}"
        ),
        [change] => {
            let to = change["quantity"].as_u64().unwrap();
            assert!(after_last.contains(&to), "{to} not in {after_last:?}");
        }
        more => panic!("more than one scheduled change: {more:?}"),
    }
}

#[tokio::test]
async fn checkout_converts_trials_and_keeps_one_license_per_email() {
    let shop = Shop::start(JULY).await;
    let buy = |email: &str| {
        json!({"email": email, "name": "FF Test", "package": "basis",
               "items": [{"sku": "fe2-persons", "quantity": 15}]})
    };
    let checkout = |body: Value| shop.send("POST", "/checkout", None, Some(body.to_string()), None);

    let converted = checkout(buy("Test@FF-Neustadt.de")).await;
    assert_eq!(converted.status, 200, "{}", converted.text);
    assert!(converted.json.get("app_password").is_none());
    let license = &converted.json["license"];
    assert_eq!(license["id"], 5001);
    assert_eq!(license["kind"], "subscription");
    assert_eq!(license["status"], "active");
    assert_eq!(license["period_start"], JULY);
    assert_eq!(license["next_payment_date"], "2026-07-02T12:00:00Z");
    assert_eq!(license["trial_end_date"], Value::Null);
    assert_eq!(license["has_paid_order"], true);
    assert_eq!(license["switch"]["allowed"], true);
    assert_eq!(item_quantity(license, "fe2-persons"), 15);
    let orders = shop.get("/license/orders", TRIAL).await.json;
    assert_eq!(orders[0]["type"], "parent_order");
    assert_eq!(orders[0]["status"], "completed");
    assert_eq!(orders[0]["total"], "987.70"); // (650 + 15 × 12) × 1.19
                                              // Now a subscription: buying again is refused, before the items are looked at.
    let again =
        checkout(json!({"email": TRIAL.0, "name": "x", "package": "basis", "items": []})).await;
    assert_error(&again, 409, "license_exists");
    let existing = checkout(
        json!({"email": FAQ.0, "package": "nope", "items": [{"sku": "x", "quantity": -4}]}),
    )
    .await;
    assert_error(&existing, 409, "license_exists");

    let rebuy = checkout(buy(CANCELLED.0)).await;
    assert_eq!(rebuy.status, 200, "{}", rebuy.text);
    assert_eq!(rebuy.json["license"]["id"], 4850);
    assert_eq!(rebuy.json["license"]["status"], "active");
    assert_eq!(rebuy.json["license"]["start_date"], "2023-02-01T00:00:00Z");
    assert_eq!(rebuy.json["license"]["end_date"], Value::Null);

    let new = checkout(buy("Neu@FF-Neudorf.de")).await;
    assert_eq!(new.status, 201, "{}", new.text);
    let password = new.json["app_password"].as_str().unwrap().to_string();
    let groups: Vec<&str> = password.split(' ').collect();
    assert_eq!(groups.len(), 6, "{password}");
    assert!(groups
        .iter()
        .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric())));
    assert_eq!(new.json["license"]["email"], "neu@ff-neudorf.de");
    assert_eq!(new.json["license"]["kind"], "subscription");
    let me = shop.get("/me", ("neu@ff-neudorf.de", &password)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(
        me.json,
        json!({"email": "neu@ff-neudorf.de", "name": "FF Test"})
    );
    let license = shop.get("/license", ("neu@ff-neudorf.de", &password)).await;
    assert_eq!(license.json["id"], new.json["license"]["id"]);

    assert_error(&checkout(buy("not-an-address")).await, 422, "invalid_email");
    let package = checkout(json!({"email": "a@ff-a.de", "package": "gold", "items": []})).await;
    assert_error(&package, 422, "unknown_item");
    let sku = checkout(json!({"email": "a@ff-a.de", "package": "basis", "items": [{"sku": "fe2-x", "quantity": 1}]})).await;
    assert_error(&sku, 422, "unknown_item");
    let quantity = checkout(json!({"email": "a@ff-a.de", "package": "basis", "items": [{"sku": "fe2-persons", "quantity": 501}]})).await;
    assert_error(&quantity, 422, "invalid_quantity");
    assert_error(
        &checkout(json!({"email": "a@ff-a.de", "package": "basis"})).await,
        400,
        "bad_request",
    );
    let malformed = shop
        .send("POST", "/checkout", None, Some("{".into()), None)
        .await;
    assert_error(&malformed, 400, "bad_request");
    // None of the refused purchases created an account.
    assert_error(
        &shop.get("/me", ("a@ff-a.de", "x")).await,
        401,
        "invalid_credentials",
    );
}

#[tokio::test]
async fn tickets_check_preconditions_and_are_listed() {
    let shop = Shop::start(JULY).await;
    let navlog =
        json!({"topic": "navlog_activation", "message": "Bitte NavLog freischalten", "fields": {}});
    let without_pro = shop.post_keyed("/tickets", FAQ, navlog.clone(), "n1").await;
    assert_error(&without_pro, 409, "requires_amobile_pro");
    let active = shop
        .post_keyed("/tickets", NAVLOG, navlog.clone(), "n2")
        .await;
    assert_error(&active, 409, "already_active");
    let change = |to: &str| json!({"topic": "license_email_change", "message": "", "fields": {"new_email": to}});
    assert_error(
        &shop
            .post_keyed("/tickets", FAQ, change("Paket3@ff-altdorf.de"), "e1")
            .await,
        409,
        "email_in_use",
    );
    assert_error(
        &shop
            .post_keyed("/tickets", FAQ, change("kein-at-zeichen"), "e2")
            .await,
        422,
        "invalid_email",
    );
    assert_error(
        &shop.post_keyed("/tickets", FAQ, change(FAQ.0), "e3").await,
        422,
        "invalid_email",
    );
    // Fields that do not belong to the topic are refused, not stored unread.
    for (topic, fields) in [
        ("navlog_activation", json!({"new_email": ""})),
        ("general", json!({"anything": 1})),
        (
            "license_email_change",
            json!({"new_email": "neu@ff-x.de", "extra": true}),
        ),
        ("package_change", json!({"items": [], "note": "x"})),
        ("package_change", json!({"items": "30 Personen"})),
        (
            "package_change",
            json!({"items": [{"sku": "fe2-persons", "quantity": -1}]}),
        ),
        (
            "package_change",
            json!({"items": [{"sku": "fe2-persons", "quantity": 3, "x": 1}]}),
        ),
    ] {
        let body = json!({"topic": topic, "fields": fields});
        let key = format!("{topic}-{fields}");
        let answer = shop.post_keyed("/tickets", AMOBILE, body, &key).await;
        assert_error(&answer, 400, "bad_request");
    }
    // A package change carries the wanted quantities (the app's request form sends them).
    let wanted = json!({"topic": "package_change", "message": "Bitte umstellen",
        "fields": {"items": [{"sku": "fe2-persons", "quantity": 30}, {"sku": "fe2-amweb", "quantity": 0}]}});
    let created = shop.post_keyed("/tickets", LEGACY, wanted, "pc1").await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["topic"], "package_change");
    let unknown = json!({"topic": "pizza", "message": "", "fields": {}});
    assert_error(
        &shop.post_keyed("/tickets", FAQ, unknown, "u").await,
        422,
        "unknown_topic",
    );
    assert_error(
        &shop.post("/tickets", FAQ, navlog.clone()).await,
        400,
        "bad_request",
    );
    assert_error(
        &shop
            .post_keyed("/tickets", FAQ, json!({"topic": 3}), "b")
            .await,
        400,
        "bad_request",
    );
    assert_eq!(shop.get("/tickets", FAQ).await.json, json!([]));

    let created = shop
        .post_keyed("/tickets", AMOBILE, navlog.clone(), "n3")
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.json["number"].is_string());
    assert_eq!(created.json["topic"], "navlog_activation");
    assert_eq!(created.json["status"], "open");
    assert_eq!(created.json["created"], JULY);
    assert!(created.json["subject"].as_str().unwrap().contains("NavLog"));
    // Same key and body: the same ticket, not a second one.
    let replay = shop.post_keyed("/tickets", AMOBILE, navlog, "n3").await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json, created.json);
    let moved = shop
        .post_keyed("/tickets", AMOBILE, change("neu@ff-talheim.de"), "e4")
        .await;
    assert_eq!(moved.status, 201, "{}", moved.text);
    let general = json!({"topic": "general", "message": "Frage"});
    assert_eq!(
        shop.post_keyed("/tickets", AMOBILE, general, "g")
            .await
            .status,
        201
    );

    let listed = shop.get("/tickets", AMOBILE).await;
    assert_eq!(listed.status, 200);
    let list = listed.json.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0], created.json);
    assert_eq!(list[1]["topic"], "license_email_change");
    assert_eq!(list[2]["topic"], "general");
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    let shop = Shop::start_with(
        JULY,
        DbLocation::File(path.clone()),
        Some(worked_examples()),
    )
    .await;
    let switched = shop
        .post_keyed("/license/switch", FAQ, persons(json!(30)), "r")
        .await;
    assert_eq!(switched.status, 201, "{}", switched.text);
    let Shop { running, .. } = shop;
    running.shutdown().await.unwrap();

    // Fixtures load only into an empty database: the switch survives.
    let shop = Shop::start_with(JULY, DbLocation::File(path), Some(worked_examples())).await;
    assert_eq!(
        item_quantity(&shop.get("/license", FAQ).await.json, "fe2-persons"),
        30
    );
    let replay = shop
        .post_keyed("/license/switch", FAQ, persons(json!(30)), "r")
        .await;
    assert_eq!(replay.json, switched.json);
    assert_eq!(order_count(&shop, FAQ, "switch_order").await, 1);
}

/// The worked examples with `edit` applied to their JSON.
fn worked_examples_with(edit: impl FnOnce(&mut Value)) -> fe2_shop::Fixtures {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/worked-examples.json");
    let mut fixtures: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut fixtures);
    fe2_shop::Fixtures::from_json(&fixtures.to_string()).unwrap()
}

/// The fixture customer of an e-mail.
fn customer<'a>(fixtures: &'a mut Value, email: &str) -> &'a mut Value {
    fixtures["customers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["email"] == email)
        .unwrap()
}

#[tokio::test]
async fn a_due_renewal_refuses_changes_until_it_is_paid_then_the_period_rolls() {
    // 10 January 2026: the FAQ license's renewal of 1 January is due, not paid yet.
    const JANUARY: &str = "2026-01-10T12:00:00Z";
    let shop = Shop::start(JANUARY).await;
    let license = shop.get("/license", FAQ).await;
    assert_eq!(
        license.json["switch"],
        json!({"allowed": false, "reason": "renewal_due"})
    );
    let preview = shop
        .post("/license/switch/preview", FAQ, persons(json!(30)))
        .await;
    assert_error(&preview, 409, "renewal_due");
    assert_eq!(preview.json["data"]["renewal_date"], "2026-01-01T00:00:00Z");
    let switch = shop
        .post_keyed("/license/switch", FAQ, persons(json!(30)), "due-1")
        .await;
    assert_error(&switch, 409, "renewal_due");

    // Paid: the renewal order of 1 January is completed; the on-hold license's open renewal
    // of 15 June 2025 is paid as well.
    let fixtures = worked_examples_with(|f| {
        customer(f, FAQ.0)["orders"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "type": "renewal_order", "status": "completed", "total": "1059.10",
                "date_created": "2026-01-01T00:00:00Z", "date_paid": "2026-01-03T10:00:00Z"
            }));
        let on_hold = &mut customer(f, ON_HOLD.0)["orders"][1];
        on_hold["status"] = json!("completed");
        on_hold["date_paid"] = json!("2025-06-20T09:00:00Z");
    });
    let shop = Shop::start_with(JANUARY, DbLocation::Memory, Some(fixtures)).await;
    let license = shop.get("/license", FAQ).await.json;
    assert_eq!(license["next_payment_date"], "2027-01-01T00:00:00Z");
    assert_eq!(license["period_start"], "2026-01-01T00:00:00Z");
    assert_eq!(license["switch"], json!({"allowed": true, "reason": null}));
    let preview = shop
        .post("/license/switch/preview", FAQ, persons(json!(30)))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    // ceil(355.5) of 365 days: 10 × 12.00 × 356 / 365 = 117.04.
    assert_eq!(preview.json["days_remaining"], 356);
    assert_eq!(preview.json["days_in_period"], 365);
    assert_eq!(preview.json["setup_fee"]["net"], "117.04");
    // The paid renewal of an on-hold license makes it active again, with its next period.
    let on_hold = shop.get("/license", ON_HOLD).await.json;
    assert_eq!(on_hold["status"], "active");
    assert_eq!(on_hold["next_payment_date"], "2026-06-15T00:00:00Z");
    // An open renewal order moves nothing.
    let shop = Shop::start(JANUARY).await;
    let on_hold = shop.get("/license", ON_HOLD).await.json;
    assert_eq!(on_hold["status"], "on-hold");
    assert_eq!(on_hold["next_payment_date"], "2025-06-15T00:00:00Z");
}

#[tokio::test]
async fn demo_fixtures_show_their_situations() {
    let shop = Shop::start_with(
        "2026-11-26T08:00:00Z",
        DbLocation::Memory,
        Some(fe2_shop::demo_fixtures()),
    )
    .await;
    let demo = fe2_shop::demo_fixtures();
    let account = |email: &str| {
        let c = demo.customers.iter().find(|c| c.email == email).unwrap();
        (c.email.clone(), c.app_password.clone())
    };
    let get = |email: &'static str| {
        let (e, p) = account(email);
        let shop = &shop;
        async move { shop.get("/license", (&e, &p)).await.json }
    };
    let now = at("2026-11-26T08:00:00Z");
    let days_until =
        |license: &Value, field: &str| (at(license[field].as_str().unwrap()) - now).num_days();
    let faq = get("leitstelle@ff-musterstadt.de").await;
    assert_eq!(item_quantity(&faq, "fe2-persons"), 20);
    assert_eq!(faq["package"]["code"], "basis");
    assert_eq!(faq["switch"]["allowed"], true);
    let legacy = get("paket3@ff-altdorf.de").await;
    assert_eq!(legacy["package"]["legacy"], true);
    let on_hold = get("onhold@ff-bergheim.de").await;
    assert_eq!(on_hold["status"], "on-hold");
    let (e, p) = account("onhold@ff-bergheim.de");
    let orders = shop.get("/license/orders", (&e, &p)).await.json;
    assert!(orders
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["type"] == "renewal_order" && o["date_paid"].is_null()));
    let trial = get("test@ff-neustadt.de").await;
    assert_eq!(trial["kind"], "trial");
    assert!((0..10).contains(&days_until(&trial, "trial_end_date")));
    let cancelling = get("kuendigung@ff-seedorf.de").await;
    assert_eq!(cancelling["status"], "pending-cancel");
    assert!((0..20).contains(&days_until(&cancelling, "end_date")));
    let amobile = get("amobile@ff-talheim.de").await;
    assert!(item_quantity(&amobile, "fe2-amobile-pro") >= 1);
    assert_eq!(amobile["features"], json!([]));
    let navlog = get("navlog@ff-waldau.de").await;
    assert_eq!(navlog["features"], json!(["navlog"]));
}

/// Sends `head` and then `drip` one byte at a time, about 50 ms apart, and returns what the
/// shop answered before it closed the connection, or `None` when the shop let the whole drip
/// through without closing.
fn drip(addr: std::net::SocketAddr, head: &str, drip: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(50)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    for byte in drip.bytes() {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(String::from_utf8_lossy(&answer).into_owned()),
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(String::from_utf8_lossy(&answer).into_owned()),
        }
        if stream.write_all(&[byte]).is_err() {
            break;
        }
    }
    // The shop may have answered while the last bytes went out.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    match stream.read_to_end(&mut answer) {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) if !answer.is_empty() => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

async fn shop_with_short_timeouts() -> fe2_shop::RunningShop {
    fe2_shop::spawn_with_timeouts(
        fe2_shop::ServerConfig::demo(),
        fe2_shop::Timeouts {
            header_read: std::time::Duration::from_millis(300),
            request: std::time::Duration::from_millis(300),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_client_dripping_its_headers_is_cut_off() {
    let shop = shop_with_short_timeouts().await;
    // 200 bytes at 50 ms each would take 10 s: far beyond the 300 ms the shop allows.
    let addr = shop.addr;
    let answer = tokio::task::spawn_blocking(move || {
        drip(
            addr,
            "GET /wp-json/fe2/v1/keys HTTP/1.1\r\nHost: shop\r\n",
            &"X-Slow: a\r\n".repeat(20),
        )
    })
    .await
    .unwrap();
    let answer = answer.expect("the shop kept a dripping client for 10 s");
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_client_dripping_its_body_gets_408() {
    let shop = shop_with_short_timeouts().await;
    let body = json!({ "topic": "navlog_activation", "fields": {} }).to_string();
    let padded = format!("{body:<200}");
    let head = format!(
        "POST /wp-json/fe2/v1/tickets HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        padded.len()
    );
    let addr = shop.addr;
    let answer = tokio::task::spawn_blocking(move || drip(addr, &head, &padded))
        .await
        .unwrap()
        .expect("the shop kept a dripping client for 10 s");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let json_start = answer.find('{').expect("a JSON body");
    let body: Value = serde_json::from_str(&answer[json_start..]).unwrap();
    assert_eq!(body["data"]["status"], 408, "{answer}");
}
