//! The `slasim` binary: parses the command line and hands it to the library.

fn main() {
    let cli = match slasim::cli::try_parse_from(std::env::args_os()) {
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
            eprintln!(
                "slasim: error: {}",
                slasim::error::escape_control(&slasim::cli::clap_error_line(&e))
            );
            std::process::exit(2);
        }
    };
    match slasim::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line whatever the input held: control characters are escaped, not echoed.
            eprintln!("slasim: error: {}", slasim::error::escape_control(&e.to_string()));
            std::process::exit(2);
        }
    }
}
