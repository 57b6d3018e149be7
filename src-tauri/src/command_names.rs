/// Every app command the UI may invoke: the one list that build.rs turns into `allow-*`
/// permissions, that `capabilities/main.json` grants and that `generate_handler!` registers
/// (a test in lib.rs keeps all three equal).
pub const COMMANDS: &[&str] = &[
    "app_info",
    "list_licenses",
    "refresh_all",
    "refresh",
    "add_account",
    "remove_account",
    "license_details",
    "get_catalog",
    "estimate",
    "preview",
    "switch_quantities",
    "cancel_scheduled_change",
    "create_ticket",
    "support_fallback",
    "open_link",
    "get_settings",
    "set_settings",
];
