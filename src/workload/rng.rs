//! Seeded random streams, split per purpose.
//!
//! Every random quantity of a run comes from a stream derived from the run's seed and a
//! [`Stream`] purpose, so adding a draw for one purpose (say, a new noise term) does not shift
//! the values drawn for another (arrival gaps, request lengths). A stream's seed is a splitmix64
//! mix of the run seed and a per-purpose constant, fed to [`ChaCha8Rng::seed_from_u64`];
//! [`sub_stream`] further splits a purpose into independent ChaCha streams (e.g. ISL and OSL).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The purpose a random stream serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Inter-arrival gaps of open-loop load (and thinning decisions).
    Arrivals,
    /// Request lengths (ISL on sub-stream 0, OSL on sub-stream 1).
    Lengths,
    /// Noise added by the simulator (e.g. iteration-time jitter).
    Noise,
    /// Shared-prefix prompts (group picks on sub-stream 0, group prompt lengths on sub-stream 1).
    Prefix,
    /// Multi-turn sessions (session `k` on sub-stream `k`).
    Sessions,
}

impl Stream {
    /// The per-purpose constant mixed into the seed (fixed forever: changing it changes every
    /// seeded result).
    const fn tag(self) -> u64 {
        match self {
            Stream::Arrivals => 0xA771_7A15_0000_0001,
            Stream::Lengths => 0x1E67_7B50_0000_0002,
            Stream::Noise => 0x0015_E000_0000_0003,
            Stream::Prefix => 0x00F1_0E00_0000_0004,
            Stream::Sessions => 0x5E55_1000_0000_0005,
        }
    }
}

/// The splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream for `purpose` under the run seed `seed` (same arguments ⇒ same sequence).
pub fn stream(seed: u64, purpose: Stream) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix64(splitmix64(seed) ^ purpose.tag()))
}

/// Independent sub-stream number `index` of [`stream`]`(seed, purpose)` (ChaCha stream id);
/// sub-stream 0 is `stream(seed, purpose)` itself.
pub fn sub_stream(seed: u64, purpose: Stream, index: u64) -> ChaCha8Rng {
    let mut rng = stream(seed, purpose);
    rng.set_stream(index);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draws(mut rng: ChaCha8Rng) -> Vec<u64> {
        (0..16).map(|_| rng.random::<u64>()).collect()
    }

    #[test]
    fn same_seed_same_sequence() {
        for p in [
            Stream::Arrivals,
            Stream::Lengths,
            Stream::Noise,
            Stream::Prefix,
            Stream::Sessions,
        ] {
            assert_eq!(draws(stream(42, p)), draws(stream(42, p)));
        }
    }

    #[test]
    fn purposes_and_seeds_differ() {
        let a = draws(stream(1, Stream::Arrivals));
        let l = draws(stream(1, Stream::Lengths));
        let n = draws(stream(1, Stream::Noise));
        assert_ne!(a, l);
        assert_ne!(a, n);
        assert_ne!(l, n);
        assert_ne!(draws(stream(1, Stream::Prefix)), draws(stream(1, Stream::Sessions)));
        assert_ne!(draws(stream(1, Stream::Prefix)), a);
        assert_ne!(a, draws(stream(2, Stream::Arrivals)));
        // seed 0 is a valid seed and differs from the others
        assert_ne!(draws(stream(0, Stream::Arrivals)), a);
    }

    #[test]
    fn sub_streams_are_independent_and_reproducible() {
        assert_eq!(
            draws(sub_stream(7, Stream::Lengths, 0)),
            draws(stream(7, Stream::Lengths))
        );
        let s1 = draws(sub_stream(7, Stream::Lengths, 1));
        assert_eq!(s1, draws(sub_stream(7, Stream::Lengths, 1)));
        assert_ne!(s1, draws(stream(7, Stream::Lengths)));
    }

    #[test]
    fn splitmix_reference_values() {
        // reference outputs of splitmix64 seeded with 0 (first two states of the generator)
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(0x9E37_79B9_7F4A_7C15), 0x6E78_9E6A_A1B9_65F4);
    }
}
