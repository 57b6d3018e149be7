//! The shipped monitoring configuration (`contrib/`) judged by the real programs: Icinga 2,
//! Nagios Core and promtool validate it, and a real Icinga 2 daemon runs `fe2-license check`
//! against the reference shop. The ignored tests need those programs, the `fe2-shop` binary
//! and a Secret Service: scripts/test.sh runs them inside scripts/with-keyring.sh.

mod common;

use common::*;
use fe2_license::secrets::{KeychainSecretStore, SecretStore};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A file of the repository.
fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The shipped files the README shows.
const CONTRIB: [&str; 3] = [
    "contrib/icinga2/fe2-license.conf",
    "contrib/nagios/fe2-license.cfg",
    "contrib/prometheus/fe2-license.rules.yml",
];

/// The bodies of the README's fenced code blocks.
fn readme_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start().starts_with("```")) {
            (None, true) => current = Some(String::new()),
            (Some(block), true) => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, false) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_shows_exactly_the_shipped_files() {
    let blocks = readme_blocks();
    for path in CONTRIB {
        let file = std::fs::read_to_string(repo_file(path)).unwrap();
        assert!(
            blocks.contains(&file),
            "README.md has no code block that is exactly {path}"
        );
    }
}

/// Runs a program and returns its exit code and both outputs together.
fn run_tool(command: &mut Command) -> (i32, String) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} cannot start: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The current user's and group's names (Icinga 2 drops to them instead of its own user).
fn user_and_group() -> (String, String) {
    let name = |flag: &str| {
        let (code, text) = run_tool(Command::new("id").arg(flag));
        assert_eq!(code, 0, "{text}");
        text.trim().to_string()
    };
    (name("-un"), name("-gn"))
}

/// `icinga2 daemon` with every directory in `dir` (no system paths, no system service).
fn icinga2(dir: &Path, config: &Path) -> Command {
    let (user, group) = user_and_group();
    let mut command = Command::new("icinga2");
    command.arg("daemon").arg("-c").arg(config);
    for (constant, sub) in [
        ("DataDir", "data"),
        ("LogDir", "log"),
        ("CacheDir", "cache"),
        ("SpoolDir", "spool"),
        ("InitRunDir", "run"),
        ("ConfigDir", "etc"),
    ] {
        let path = dir.join(sub);
        std::fs::create_dir_all(path.join("tmp")).unwrap();
        command.arg(format!("-D{constant}={}", path.display()));
    }
    command.arg(format!("-DRunAsUser={user}"));
    command.arg(format!("-DRunAsGroup={group}"));
    command
}

/// Minimal Nagios objects around the shipped template: a time period, a contact, a host and
/// a service of the template in the agent's mode.
const NAGIOS_OBJECTS: &str = "
define timeperiod {
    timeperiod_name 24x7
    alias           always
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
    sunday          00:00-24:00
}
define command {
    command_name    notify-nobody
    command_line    /bin/true
}
define contact {
    contact_name                    it
    host_notification_period        24x7
    service_notification_period     24x7
    host_notification_options       n
    service_notification_options    n
    host_notification_commands      notify-nobody
    service_notification_commands   notify-nobody
}
define host {
    host_name               fe2-host
    address                 127.0.0.1
    max_check_attempts      1
    check_period            24x7
    contacts                it
    notification_period     24x7
}
define service {
    use                     fe2-license
    host_name               fe2-host
    check_period            24x7
    contacts                it
    notification_period     24x7
    check_command           check_fe2_license!--offline --account leitstelle@ff-musterstadt.de
}
";

#[test]
#[ignore = "needs icinga2, nagios4 and promtool: run by scripts/test.sh"]
fn icinga2_nagios_and_promtool_accept_the_shipped_configuration() {
    let dir = tempfile::tempdir().unwrap();
    // Icinga 2: the CheckCommand with a service that sets the agent's variables.
    let config = dir.path().join("icinga2.conf");
    std::fs::write(
        &config,
        format!(
            "include \"{}\"\n\
             object CheckCommand \"up\" {{ command = [ \"/bin/true\" ] }}\n\
             object Host \"fe2\" {{ check_command = \"up\" }}\n\
             object Service \"fe2-license\" {{\n  host_name = \"fe2\"\n  \
             check_command = \"fe2_license\"\n  vars.fe2_license_offline = true\n  \
             vars.fe2_license_account = \"leitstelle@ff-musterstadt.de\"\n}}\n",
            repo_file(CONTRIB[0]).display()
        ),
    )
    .unwrap();
    let (code, text) = run_tool(icinga2(dir.path(), &config).arg("-C"));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Instantiated 2 CheckCommands"), "{text}");
    assert!(!text.contains("warning/"), "{text}");

    // Nagios Core: the command and the template, under a minimal main configuration.
    let nagios = dir.path().join("nagios");
    std::fs::create_dir(&nagios).unwrap();
    // Nagios checks that its own user could write here.
    let mut permissions = std::fs::metadata(&nagios).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o777);
    std::fs::set_permissions(&nagios, permissions).unwrap();
    let objects = nagios.join("objects.cfg");
    std::fs::write(&objects, NAGIOS_OBJECTS).unwrap();
    let n = nagios.display();
    let main = nagios.join("nagios.cfg");
    std::fs::write(
        &main,
        format!(
            "log_file={n}/nagios.log\ncfg_file={}\ncfg_file={}\ncheck_result_path={n}\n\
             lock_file={n}/nagios.lock\ntemp_file={n}/nagios.tmp\ntemp_path={n}\n\
             status_file={n}/status.dat\nstate_retention_file={n}/retention.dat\n\
             command_file={n}/nagios.cmd\nobject_cache_file={n}/objects.cache\n\
             precached_object_file={n}/objects.precache\n\
             illegal_macro_output_chars=`~$&|'\"<>\n",
            repo_file(CONTRIB[1]).display(),
            objects.display()
        ),
    )
    .unwrap();
    let (code, text) = run_tool(Command::new("nagios4").arg("-v").arg(&main));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Total Warnings: 0"), "{text}");
    assert!(text.contains("Total Errors:   0"), "{text}");
    assert!(text.contains("Checked 1 services."), "{text}");

    // Prometheus: the alerting rules.
    let (code, text) = run_tool(
        Command::new("promtool")
            .args(["check", "rules"])
            .arg(repo_file(CONTRIB[2])),
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("SUCCESS: 6 rules found"), "{text}");
}

/// The demo fixtures with the accounts of the end-to-end test: the first demo customer
/// copied with other e-mails and expiry dates (days from the shop's `--now`).
fn icinga_fixtures(dir: &Path) -> PathBuf {
    let mut fixtures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo_fixtures()).unwrap()).unwrap();
    let template = fixtures["customers"][0].clone();
    let mut customers = Vec::new();
    for (n, (email, status, days)) in ACCOUNTS.iter().enumerate() {
        let mut customer = template.clone();
        customer["email"] = (*email).into();
        customer["license"]["id"] = (9100 + n).into();
        customer["license"]["status"] = (*status).into();
        if *status == "expired" {
            customer["license"]["next_payment_date"] = serde_json::Value::Null;
            customer["license"]["end_date"] = serde_json::json!({ "days_from_now": days });
        } else {
            customer["license"]["next_payment_date"] = serde_json::json!({ "days_from_now": days });
        }
        customers.push(customer);
    }
    fixtures["customers"] = customers.into();
    let path = dir.join("icinga-fixtures.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&fixtures).unwrap()).unwrap();
    path
}

/// E-mail, shop status and days from now of each account of the end-to-end test.
const ACCOUNTS: [(&str, &str, i64); 6] = [
    ("ok@ff-icinga.de", "active", 183),
    ("warning@ff-icinga.de", "active", 30),
    ("critical@ff-icinga.de", "active", 14),
    ("expired@ff-icinga.de", "expired", -3),
    ("stopped@ff-icinga.de", "active", 183),
    ("agent@ff-icinga.de", "active", 183),
];

/// The Icinga 2 daemon of the test; stopped (and its helpers with it) when dropped.
struct Daemon(Child);

impl Daemon {
    /// SIGTERM: Icinga 2 stops its checks and writes its state file; waits for the exit.
    fn stop(&mut self) {
        // The shell's built-in kill: no procps needed.
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", self.0.id())])
            .status();
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.stop();
        }
    }
}

/// The last check result of every service in Icinga 2's state file (netstrings of JSON).
fn last_results(state_file: &Path) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(state_file).unwrap();
    let mut results = serde_json::Map::new();
    let mut rest = text.as_str();
    while let Some((length, tail)) = rest.split_once(':') {
        let length: usize = length.parse().expect("netstring length");
        let object: serde_json::Value = serde_json::from_str(&tail[..length]).unwrap();
        if object["type"] == "Service" {
            let name = object["name"].as_str().unwrap().to_string();
            results.insert(name, object["update"]["last_check_result"].clone());
        }
        rest = &tail[length + 1..];
    }
    results
}

/// The services whose check results the perfdata writer recorded so far.
fn recorded_services(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("SERVICE::") {
                names.push(name.split('\t').next().unwrap_or_default().to_string());
            }
        }
    }
    names
}

#[test]
#[ignore = "needs icinga2, promtool, fe2-shop and a Secret Service: run by scripts/test.sh"]
fn icinga2_runs_the_shipped_check_command_against_the_shop() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = icinga_fixtures(dir.path());
    let now = now_text();
    let password = OK_PASSWORD;
    let running = Shop::start("127.0.0.1:0", &fixtures, &now, &dir.path().join("a.key"));
    let stopped = Shop::start("127.0.0.1:0", &fixtures, &now, &dir.path().join("b.key"));
    let homes = ["main", "stopped", "agent"].map(|h| dir.path().join(h));
    for (email, _, _) in &ACCOUNTS[..4] {
        add(&homes[0], &running, email, password);
    }
    add(&homes[1], &stopped, ACCOUNTS[4].0, password);
    add(&homes[2], &stopped, ACCOUNTS[5].0, password);
    // The agent (a service account) has no keychain entry: it reads what the user's task
    // fetched into the shared data home.
    let agent_user = fe2_license::secrets::entry_user(ACCOUNTS[5].0, &stopped.addr);
    KeychainSecretStore::new().delete(&agent_user).unwrap();
    stopped.stop();

    let binary = env!("CARGO_BIN_EXE_fe2-license");
    let service = |name: &str, home: &Path, email: &str, extra: &str| {
        format!(
            "object Service \"{name}\" {{\n  host_name = \"fe2\"\n  check_command = \"fe2_license\"\n  \
             check_interval = 2s\n  retry_interval = 2s\n  vars.fe2_license_binary = \"{binary}\"\n  \
             vars.fe2_license_home = \"{}\"\n  vars.fe2_license_account = \"{email}\"\n{extra}}}\n",
            home.display()
        )
    };
    let perf = dir.path().join("perfdata");
    std::fs::create_dir(&perf).unwrap();
    let mut config = format!(
        "include \"{}\"\n\
         object CheckerComponent \"checker\" {{ }}\n\
         object PerfdataWriter \"perfdata\" {{\n  service_perfdata_path = \"{p}/service\"\n  \
         host_perfdata_path = \"{p}/host\"\n  \
         service_format_template = \"SERVICE::$service.name$\\tSTATE::$service.state$\"\n  \
         rotation_interval = 1s\n}}\n\
         object CheckCommand \"up\" {{ command = [ \"/bin/true\" ] }}\n\
         object Host \"fe2\" {{ check_command = \"up\" }}\n",
        repo_file(CONTRIB[0]).display(),
        p = perf.display()
    );
    let names = [
        "ok",
        "warning-30",
        "critical-14",
        "expired",
        "shop-stopped",
        "agent-offline",
    ];
    for (n, name) in names.iter().enumerate().take(4) {
        config.push_str(&service(name, &homes[0], ACCOUNTS[n].0, ""));
    }
    config.push_str(&service(names[4], &homes[1], ACCOUNTS[4].0, ""));
    config.push_str(&service(
        names[5],
        &homes[2],
        ACCOUNTS[5].0,
        "  vars.fe2_license_offline = true\n",
    ));
    let config_file = dir.path().join("icinga2.conf");
    std::fs::write(&config_file, config).unwrap();

    let log = std::fs::File::create(dir.path().join("icinga2.log")).unwrap();
    let mut daemon = Daemon(
        icinga2(&dir.path().join("icinga2"), &config_file)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start icinga2"),
    );
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        let recorded = recorded_services(&perf);
        if names.iter().all(|n| recorded.iter().any(|r| r == n)) {
            break;
        }
        assert!(
            Instant::now() < until,
            "Icinga 2 checked only {recorded:?}: {}",
            std::fs::read_to_string(dir.path().join("icinga2.log")).unwrap_or_default()
        );
        assert!(daemon.0.try_wait().unwrap().is_none(), "icinga2 ended");
        std::thread::sleep(Duration::from_millis(250));
    }
    daemon.stop();
    let results = last_results(&dir.path().join("icinga2/data/icinga2.state"));
    let result = |name: &str| {
        let r = &results[&format!("fe2!{name}")];
        let output = r["output"].as_str().unwrap().to_string();
        let perfdata: Vec<String> = r["performance_data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        (r["state"].as_f64().unwrap() as i64, output, perfdata)
    };
    let expect = |name: &str, email: &str, state: i64, label: &str, texts: &[&str], days: i64| {
        let (got, output, perfdata) = result(name);
        assert_eq!(got, state, "{name}: {output}");
        let first = output.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("FE2 LICENSE {label} - {email}: ")),
            "{name}: {output}"
        );
        for text in texts {
            assert!(first.contains(text), "{name}: {text:?} in {output}");
        }
        assert_eq!(output.lines().count(), 2, "{name}: {output}");
        assert_eq!(
            perfdata,
            // Icinga 2 keeps the label without its quotes.
            [format!("days_left_{email}={days};31:;15:;;")],
            "{name}"
        );
    };
    let [ok, warning, critical, expired, offline, agent] = ACCOUNTS.map(|a| a.0);
    expect(names[0], ok, 0, "OK", &["183 days left"], 183);
    expect(names[1], warning, 1, "WARNING", &["30 days left"], 30);
    expect(names[2], critical, 2, "CRITICAL", &["14 days left"], 14);
    expect(
        names[3],
        expired,
        2,
        "CRITICAL",
        &["not usable (status expired)"],
        -3,
    );
    expect(
        names[4],
        offline,
        0,
        "OK",
        &["183 days left", "offline (unreachable)"],
        183,
    );
    expect(
        names[5],
        agent,
        0,
        "OK",
        &[
            "183 days left",
            "signature not re-checked here (no keychain access)",
        ],
        183,
    );

    // promtool's linter accepts the textfile the check writes for these licenses.
    let textfile = dir.path().join("fe2_license.prom");
    let out = run(
        &homes[0],
        &[
            "check",
            "--offline",
            "--format",
            "prometheus",
            "--output",
            textfile.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&textfile).unwrap();
    assert_eq!(text.matches("fe2_license_info{").count(), 4, "{text}");
    let (code, lint) = run_tool(
        Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(&textfile).unwrap()),
    );
    assert_eq!((code, lint.as_str()), (0, ""), "{text}");
}
