//! The `slasim` binary: parses the command line and hands it to the library.

fn main() {
    // A closed pipe (`slasim simulate | head`) ends the process as it ends other Unix tools,
    // instead of a panic in `println!` (Rust ignores SIGPIPE by default). Only the binary does
    // this: the library, embedded in Python, keeps the host's handling.
    #[cfg(unix)]
    // SAFETY: sets the disposition of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
