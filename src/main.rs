//! The `slasim` binary: parses the command line and hands it to the library.

use clap::Parser;

fn main() {
    let cli = slasim::cli::Cli::parse();
    match slasim::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            let msg = e.to_string().replace('\n', " ");
            eprintln!("slasim: error: {msg}");
            std::process::exit(2);
        }
    }
}
