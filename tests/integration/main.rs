//! Integration tests: drive the `slasim` binary on the shipped profiles and the real data in
//! `../shared/data` (one test binary, one module per behaviour).

mod util;

mod profile_plot;
mod profile_query;
mod profile_validation;
