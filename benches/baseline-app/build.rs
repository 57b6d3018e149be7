//! Embeds tauri.conf.json and the static page.

fn main() {
    tauri_build::build();
}
