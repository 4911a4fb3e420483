//! Shared-prefix prompts (inference-perf's `shared_prefix`, AIPerf's prefix prompts): `groups`
//! system prompts, each of a length drawn once per group; every request picks a group uniformly at
//! random and its prompt is that group's system prompt followed by a question of its own (the
//! `--isl` length): `isl = P_g + Q`.
//!
//! Content: [`Content::SharedPrefix`] `{ group, shared_tokens: P_g, unique: request index }`
//! over the whole prompt, so the engine blocks that end within `P_g` are the group's and the rest
//! the request's own (see [`super::content`]).
//!
//! Randomness: the group lengths come from sub-stream 1 and the picks from sub-stream 0 of
//! [`Stream::Prefix`], so adding shared prefixes leaves the question lengths (the `Lengths`
//! stream), the output lengths and the arrivals unchanged.

use super::content::{Content, ContentRef};
use super::lengths::{LengthDist, RequestShape, MAX_TOKENS};
use super::rng::{sub_stream, Stream};
use crate::error::{Error, Result};
use rand::distr::{Distribution, Uniform};
use rand_chacha::ChaCha8Rng;

/// Most prompt groups (`--prefix-groups`); their prompt lengths are kept in memory (4 bytes each).
pub const MAX_PREFIX_GROUPS: u32 = 1_000_000;

/// Shared system prompts: what `--prefix-groups` and `--prefix-len` describe.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedPrefixSpec {
    /// Prompt groups (≥ 1, ≤ [`MAX_PREFIX_GROUPS`]).
    pub groups: u32,
    /// Length of a group's system prompt, tokens (drawn once per group).
    pub prefix_len: LengthDist,
}

impl SharedPrefixSpec {
    /// Checks the spec, naming `--prefix-groups` or `--prefix-len` in errors.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_PREFIX_GROUPS).contains(&self.groups) {
            return Err(Error::usage(
                "--prefix-groups",
                format!(
                    "expected between 1 and {MAX_PREFIX_GROUPS} prompt groups, got {}",
                    self.groups
                ),
            ));
        }
        self.prefix_len.validate("--prefix-len")
    }

    /// The generator (call after [`validate`](Self::validate)): draws the group lengths.
    pub(crate) fn generator(&self, seed: u64) -> Result<PrefixGen> {
        self.validate()?;
        let sampler = self.prefix_len.sampler()?;
        let mut len_rng = sub_stream(seed, Stream::Prefix, 1);
        let lens = (0..self.groups).map(|_| sampler.sample(&mut len_rng)).collect();
        let pick = Uniform::new(0, self.groups).map_err(|e| Error::usage("--prefix-groups", e.to_string()))?;
        Ok(PrefixGen {
            lens,
            pick,
            rng: sub_stream(seed, Stream::Prefix, 0),
        })
    }
}

/// Puts a group's system prompt in front of each request's prompt.
#[derive(Debug, Clone)]
pub(crate) struct PrefixGen {
    /// Prompt length of each group, tokens.
    lens: Vec<u32>,
    pick: Uniform<u32>,
    rng: ChaCha8Rng,
}

impl PrefixGen {
    /// `shape` (whose `isl` is the question length) with a group's system prompt in front:
    /// `isl = P_g + Q` (at most [`MAX_TOKENS`]); `index` is the request's issue number, the key of
    /// its unique content.
    #[inline]
    pub(crate) fn apply(&mut self, shape: RequestShape, index: u64) -> RequestShape {
        let group = self.pick.sample(&mut self.rng);
        let p = self.lens.get(group as usize).copied().unwrap_or(1);
        let isl = p.saturating_add(shape.isl).min(MAX_TOKENS);
        RequestShape {
            isl,
            osl: shape.osl,
            content: Some(ContentRef {
                content: Content::SharedPrefix {
                    group,
                    shared_tokens: p.min(isl),
                    unique: index,
                },
                covered_tokens: isl,
            }),
        }
    }

    /// The system prompt length of each group, tokens.
    #[cfg(test)]
    pub(crate) fn group_lens(&self) -> &[u32] {
        &self.lens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(groups: u32, len: &str) -> SharedPrefixSpec {
        SharedPrefixSpec {
            groups,
            prefix_len: LengthDist::parse("--prefix-len", len).unwrap(),
        }
    }

    #[test]
    fn requests_get_a_group_prompt_in_front() {
        let mut g = spec(4, "uniform:100:200").generator(9).unwrap();
        let lens = g.group_lens().to_vec();
        assert_eq!(lens.len(), 4);
        assert!(lens.iter().all(|l| (100..=200).contains(l)));
        let mut seen = [0u32; 4];
        for i in 0..4000 {
            let s = g.apply(RequestShape::new(50, 7), i);
            let Some(ContentRef {
                content:
                    Content::SharedPrefix {
                        group,
                        shared_tokens,
                        unique,
                    },
                covered_tokens,
            }) = s.content
            else {
                panic!("no shared-prefix content: {s:?}");
            };
            assert_eq!(shared_tokens, lens[group as usize]);
            assert_eq!(
                (s.isl, s.osl, covered_tokens, unique),
                (shared_tokens + 50, 7, s.isl, i)
            );
            seen[group as usize] += 1;
        }
        // uniform picks: each group about 1000 times
        assert!(seen.iter().all(|&n| (850..1150).contains(&n)), "{seen:?}");
        // same seed, same lengths and picks; another seed, other ones
        let mut h = spec(4, "uniform:100:200").generator(9).unwrap();
        assert_eq!(h.group_lens(), &lens[..]);
        let mut g = spec(4, "uniform:100:200").generator(9).unwrap();
        assert!((0..50).all(|i| g.apply(RequestShape::new(5, 1), i) == h.apply(RequestShape::new(5, 1), i)));
        assert_ne!(
            spec(4, "uniform:100:200").generator(10).unwrap().group_lens(),
            &lens[..]
        );
    }

    #[test]
    fn long_prompts_are_capped_and_bad_specs_name_the_flag() {
        let mut g = spec(1, "900000").generator(1).unwrap();
        let s = g.apply(RequestShape::new(200_000, 1), 0);
        assert_eq!(s.isl, MAX_TOKENS);
        let e = spec(0, "10").validate().unwrap_err().to_string();
        assert!(e.starts_with("--prefix-groups: expected between 1 and"), "{e}");
        assert!(spec(MAX_PREFIX_GROUPS + 1, "10").generator(1).is_err());
        let bad = SharedPrefixSpec {
            groups: 2,
            prefix_len: LengthDist::Fixed(0),
        };
        assert!(bad.validate().unwrap_err().to_string().starts_with("--prefix-len: "));
    }
}
