//! The `slasim` binary: parses the command line and hands it to the library.

use clap::Parser;

fn main() {
    let cli = match slasim::cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                std::process::exit(if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                });
            }
            // One line: clap's message without the usage block.
            let text = e.render().to_string();
            let msg: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:"))
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            let msg = msg.join(" ");
            eprintln!(
                "slasim: error: {}",
                msg.trim_start_matches("error: ").replace("  ", " ").trim()
            );
            std::process::exit(2);
        }
    };
    match slasim::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            let msg = e.to_string().replace('\n', " ");
            eprintln!("slasim: error: {msg}");
            std::process::exit(2);
        }
    }
}
