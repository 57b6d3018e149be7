//! The floor the app is measured against: one window, one static page.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let result = tauri::Builder::default()
        .plugin(fe2_bench_marker::init())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("fe2-bench-baseline: {e}");
        std::process::exit(1);
    }
}
