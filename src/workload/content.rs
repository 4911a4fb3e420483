//! Prompt content identity: what prefix caching and the KV-aware router need to know about a
//! request's tokens.
//!
//! A request does not carry its tokens, only a compact, `Copy` description of where they come
//! from ([`ContentRef`]). From it, [`BlockHashes`] yields the identity of each **full engine
//! block** (of the engine's `block_size` tokens) of the request's known content, as vLLM's
//! automatic prefix caching hashes it: a block's identity is its own content *and every block
//! before it* (a hash chain), so two requests share engine block `j` exactly when their first
//! `(j + 1) · block_size` tokens are equal.
//!
//! Sources:
//! * [`Content::TraceRow`]: a row of a trace with prefix block ids (Mooncake's `hash_ids`, one id
//!   per `block_tokens` = 512 tokens by default; equal ids = equal content). Engine block `j`
//!   depends on every trace block up to the one holding its last token: identity =
//!   `mix(chain(ids[0..=k]), j)`, `k = ((j + 1) · block_size − 1) / block_tokens`.
//! * [`Content::SharedPrefix`]: a shared system prompt of `shared_tokens` tokens of one group,
//!   then content unique to the request: blocks that end inside the shared part are the group's,
//!   the others (including the one straddling the boundary) the request's own.
//! * [`Content::Session`]: the token stream of a multi-turn session; every turn's prompt is a
//!   prefix of it (the whole history plus the new message), so block `j` is the session's
//!   `j`-th block whatever the turn.
//!
//! `covered_tokens` bounds the tokens whose content is known: the prompt for a trace row, the
//! prompt and the output for a session turn (the next turn's prompt contains the response).
//! Only blocks that end within it have an identity.

use super::trace::Trace;

/// Where a request's tokens come from (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Content {
    /// Row `row` (0-based, file order) of the workload's trace; the trace holds its block ids.
    TraceRow {
        /// Row index.
        row: u32,
    },
    /// A group's shared system prompt, then unique content.
    SharedPrefix {
        /// Prompt group.
        group: u32,
        /// Length of the group's shared prompt, tokens.
        shared_tokens: u32,
        /// Key of the request's unique content (distinct per request).
        unique: u64,
    },
    /// A prefix of a multi-turn session's token stream.
    Session {
        /// Session key (distinct per session).
        session: u64,
    },
}

/// A request's content: its source and how many of its tokens (from the start) are described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentRef {
    /// Source.
    pub content: Content,
    /// Tokens whose content is known, from the start of the prompt.
    pub covered_tokens: u32,
}

impl ContentRef {
    /// The session key of a multi-turn session's turn (what
    /// [`RequestGenerator::next_turn`](super::RequestGenerator::next_turn) takes), `None` for
    /// other content.
    #[inline]
    pub fn session(&self) -> Option<u64> {
        match self.content {
            Content::Session { session } => Some(session),
            _ => None,
        }
    }
}

/// SplitMix64 finaliser: a bijective 64-bit mix (good avalanche, 3 multiplies).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Combines a running hash with the next value.
#[inline]
pub fn combine(h: u64, v: u64) -> u64 {
    mix64(h ^ mix64(v.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

const TAG_TRACE: u64 = 0x7452_4143_4500_0001;
const TAG_GROUP: u64 = 0x4752_4f55_5000_0002;
const TAG_UNIQUE: u64 = 0x554e_4951_5500_0003;
const TAG_SESSION: u64 = 0x5345_5353_4e00_0004;

/// The identities of the full engine blocks of a request's known content, in order (see the
/// module docs). Allocation-free; O(1) per block (trace rows: amortised over the trace blocks).
#[derive(Debug, Clone)]
pub struct BlockHashes<'a> {
    content: Content,
    ids: &'a [u64],
    id_block_tokens: u64,
    block_size: u64,
    /// Full engine blocks to yield.
    blocks: u32,
    next: u32,
    /// Trace rows: chain over ids[0..chain_upto].
    chain: u64,
    chain_upto: usize,
}

impl<'a> BlockHashes<'a> {
    /// The block identities of `c` for engines of `block_size` tokens; `trace` supplies the
    /// block ids of [`Content::TraceRow`] (a row it does not have, or no trace, yields nothing).
    pub fn new(c: ContentRef, block_size: u32, trace: Option<&'a Trace>) -> Self {
        let bs = u64::from(block_size.max(1));
        let (ids, id_block_tokens, covered) = match c.content {
            Content::TraceRow { row } => match trace.and_then(|t| t.block_ids(row as usize).map(|ids| (t, ids))) {
                Some((t, ids)) => {
                    let bt = u64::from(t.block_tokens().max(1));
                    // a trace block id describes at most block_tokens tokens
                    let by_ids = ids.len() as u64 * bt;
                    (ids, bt, u64::from(c.covered_tokens).min(by_ids))
                }
                None => (&[][..], 1, 0),
            },
            _ => (&[][..], 1, u64::from(c.covered_tokens)),
        };
        BlockHashes {
            content: c.content,
            ids,
            id_block_tokens,
            block_size: bs,
            blocks: (covered / bs).min(u64::from(u32::MAX)) as u32,
            next: 0,
            chain: TAG_TRACE,
            chain_upto: 0,
        }
    }

    /// Full engine blocks with an identity.
    pub fn len(&self) -> u32 {
        self.blocks
    }

    /// True when no block has an identity.
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }
}

impl Iterator for BlockHashes<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        if self.next >= self.blocks {
            return None;
        }
        let j = u64::from(self.next);
        self.next += 1;
        let end = (j + 1) * self.block_size; // tokens up to the end of block j
        Some(match self.content {
            Content::TraceRow { .. } => {
                let k = ((end - 1) / self.id_block_tokens) as usize;
                while self.chain_upto <= k {
                    self.chain = combine(self.chain, self.ids[self.chain_upto]);
                    self.chain_upto += 1;
                }
                combine(combine(self.chain, j), self.block_size)
            }
            Content::SharedPrefix {
                group,
                shared_tokens,
                unique,
            } => {
                if end <= u64::from(shared_tokens) {
                    combine(combine(combine(TAG_GROUP, u64::from(group)), j), self.block_size)
                } else {
                    combine(combine(combine(TAG_UNIQUE, unique), j), self.block_size)
                }
            }
            Content::Session { session } => combine(combine(combine(TAG_SESSION, session), j), self.block_size),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.blocks - self.next) as usize;
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(c: Content, covered: u32, bs: u32) -> Vec<u64> {
        BlockHashes::new(
            ContentRef {
                content: c,
                covered_tokens: covered,
            },
            bs,
            None,
        )
        .collect()
    }

    #[test]
    fn shared_prefix_blocks_are_shared_only_inside_the_shared_part() {
        let a = hashes(
            Content::SharedPrefix {
                group: 3,
                shared_tokens: 100,
                unique: 1,
            },
            200,
            16,
        );
        let b = hashes(
            Content::SharedPrefix {
                group: 3,
                shared_tokens: 100,
                unique: 2,
            },
            200,
            16,
        );
        assert_eq!(a.len(), 12, "200 tokens = 12 full blocks of 16");
        // blocks 0..6 end at ≤ 96 ≤ 100: shared; block 6 ends at 112 > 100: unique
        assert_eq!(a[..6], b[..6]);
        assert!(a[6..].iter().zip(&b[6..]).all(|(x, y)| x != y));
    }

    #[test]
    fn a_session_turn_is_a_prefix_of_the_next() {
        let t1 = hashes(Content::Session { session: 9 }, 300, 16);
        let t2 = hashes(Content::Session { session: 9 }, 700, 16);
        assert_eq!(t1[..], t2[..t1.len()]);
        let other = hashes(Content::Session { session: 10 }, 300, 16);
        assert!(t1.iter().zip(&other).all(|(x, y)| x != y));
        // the block size is part of the identity
        let t1_32 = hashes(Content::Session { session: 9 }, 300, 32);
        assert_ne!(t1[0], t1_32[0]);
    }
}
