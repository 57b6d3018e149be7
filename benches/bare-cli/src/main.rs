//! The floor for the CLI benchmark: start, print one line, exit.

fn main() {
    println!("OK");
}
