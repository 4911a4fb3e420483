//! Progress bars on stderr (hidden when stderr is not a terminal, e.g. in CI or pipes).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar of `n` steps; drawn only on an interactive stderr and only for `n > 1`.
pub fn bar(n: u64, msg: &'static str) -> ProgressBar {
    let b = ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr());
    if n <= 1 || !std::io::stderr().is_terminal() {
        b.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(s) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}") {
        b.set_style(s.progress_chars("=> "));
    }
    b.set_message(msg);
    b
}
