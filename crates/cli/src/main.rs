//! The `poolcast` binary: CLI definition and glue.

fn main() {
    println!("poolcast");
}
