/// Hands every app command the UI may invoke to the macro `$then`: the one list that gives
/// `generate_handler!` its commands (lib.rs), build.rs its `allow-*` permissions (through
/// [`COMMANDS`]) and that `capabilities/main.json` must grant (a test keeps it equal).
macro_rules! with_commands {
    ($then:ident) => {
        $then!(
            app_info,
            list_licenses,
            refresh_all,
            refresh,
            add_account,
            remove_account,
            license_details,
            get_catalog,
            estimate,
            preview,
            switch_quantities,
            cancel_scheduled_change,
            create_ticket,
            support_fallback,
            open_link,
            get_settings,
            set_settings,
            budget,
            audit_log,
            set_default_reference,
            export_calendar,
            run_doctor
        )
    };
}

/// The names of the commands given to it, as strings.
macro_rules! command_names {
    ($($name:ident),+) => {
        &[$(stringify!($name)),+]
    };
}

/// Every app command's name, from [`with_commands`].
pub const COMMANDS: &[&str] = with_commands!(command_names);
