//! The FE2 License Manager desktop app.

// No console window beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    fe2_license_manager::run();
}
