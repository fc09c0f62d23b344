"""User pairing: profile similarity = number of persona categories two profiles share.

Profiles u and v share category c when both hold an attribute of c and the two
attributes' cosine similarity is >= `share_threshold`. All similarities come from
per-category matrix products (users holding c x users holding c), accumulated a block of
users at a time: no Python loop over user pairs, and no n x n matrix held. Pairs are then chosen
greedily, most similar first, each user in at most `max_degree` pairs; ties are broken
by a seeded random key, so the result is deterministic for a seed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix

from ..jsonrow import JsonRow, optional
from ..jsontypes import JsonObject

@dataclass
class SharedCounts:
    """The user x user shared-category counts that pairing needs, without holding all of them.

    The kept pairs are three flat arrays (9 bytes a pair), in row-major order (by `first`, then `second`): at
    paper scale they are millions of pairs, and a scipy matrix of them, its conversions and a Python list of
    their sort order cost the pairs stage hundreds of MB (the 20k rehearsal's peak)."""

    first: np.ndarray  # int32, the smaller user id of each kept pair
    second: np.ndarray  # int32, the larger one
    count: np.ndarray  # uint8, shared categories (only the counts >= min_count are kept)
    num_users: int
    histogram: dict[int, int]  # user pairs (i < j) per count, 0 included: every pair, kept or not

    @property
    def matrix(self) -> csr_matrix:
        """The kept counts as an upper-triangular sparse matrix (for inspection and tests)."""
        return coo_matrix((self.count, (self.first, self.second)), shape=(self.num_users, self.num_users)).tocsr()


def shared_category_counts(user_of_slot: np.ndarray, category_of_slot: np.ndarray, slot_vectors: np.ndarray,
                           num_users: int, share_threshold: float = 0.3, block: int = 2048,
                           min_count: int = 1, vector_of_slot: np.ndarray | None = None) -> SharedCounts:
    """Counts of shared categories per user pair, computed `block` users at a time.

    Slots are the attributes of all profiles: slot s belongs to user `user_of_slot[s]`, has
    category `category_of_slot[s]` (negative = none) and unit vector `slot_vectors[s]`.
    A user's second attribute of the same category is ignored (categories count once).
    `vector_of_slot`: slot s's vector is `slot_vectors[vector_of_slot[s]]` (one row per distinct attribute text:
    22k users hold ~110k slots but a few hundred texts); None: one row per slot.
    Why blocks and `min_count`: with few categories nearly every pair of users shares one, so a matrix of
    all counts has ~n^2/2 entries (4.4 GB of driver memory at 22k users in the paper-scale rehearsal); a
    block of rows is `block` x n bytes, and only the pairs pairing can use (>= pairs.min_shared) are kept.
    """
    users = np.asarray(user_of_slot, dtype=np.int64)
    cats = np.asarray(category_of_slot, dtype=np.int64)
    vecs = np.asarray(slot_vectors, dtype=np.float32)
    vid = np.arange(len(users)) if vector_of_slot is None else np.asarray(vector_of_slot, dtype=np.int64)
    _, first = np.unique(np.stack([users, cats]), axis=1, return_index=True)
    keep = np.zeros(len(users), dtype=bool)
    keep[first] = True
    idx = np.flatnonzero((cats >= 0) & keep)
    idx = idx[np.lexsort((users[idx], cats[idx]))]
    groups = [g for g in np.split(idx, np.flatnonzero(np.diff(cats[idx])) + 1) if len(g) >= 2]
    rows, cols, vals, hist = [], [], [], Counter()
    for u0 in range(0, num_users, block):
        counts = _block_counts(u0, min(u0 + block, num_users), num_users, groups, users, vecs, vid, share_threshold)
        hist.update({k: v for k, v in enumerate(np.bincount(counts[counts > 0]).tolist()) if k and v})
        r, c = np.nonzero(counts >= max(min_count, 1))
        vals.append(counts[r, c])
        rows.append((r + u0).astype(np.int32))
        cols.append(c.astype(np.int32))
        del counts, r, c
    hist[0] = num_users * (num_users - 1) // 2 - sum(hist.values())
    return SharedCounts(first=np.concatenate(rows), second=np.concatenate(cols), count=np.concatenate(vals),
                        num_users=num_users, histogram=dict(sorted(hist.items())))


def _block_counts(u0: int, u1: int, num_users: int, groups: list[np.ndarray], users: np.ndarray,
                  vecs: np.ndarray, vid: np.ndarray, share_threshold: float) -> np.ndarray:
    """Rows u0..u1 of the counts: (u1 - u0) x num_users, non-zero only right of the diagonal."""
    counts = np.zeros((u1 - u0, num_users), dtype=np.uint8)
    for g in groups:  # one category: its slots sorted by user, one slot per user
        gu = users[g]
        left = np.flatnonzero((gu >= u0) & (gu < u1))
        if not len(left):
            continue
        hit = (vecs[vid[g[left]]] @ vecs[vid[g]].T) >= share_threshold if share_threshold > -1 else \
            np.ones((len(left), len(g)), dtype=bool)
        hit &= gu[None, :] > gu[left][:, None]  # each pair once: the partner's user id is the larger
        a, b = np.nonzero(hit)
        counts[gu[left][a] - u0, gu[b]] += 1  # unique (user, partner) per category
    return counts


def greedy_pairs(counts: SharedCounts | csr_matrix, min_shared: int = 2, max_degree: int = 4,
                 max_pairs: int | None = None, seed: int = 0) -> list[tuple[int, int, int]]:
    """(i, j, similarity) pairs: highest similarity first, each user in at most `max_degree` pairs."""
    if isinstance(counts, SharedCounts):
        i, j, s, n = counts.first, counts.second, counts.count, counts.num_users
    else:
        coo = counts.tocoo()
        coo.sum_duplicates()  # row-major, as SharedCounts holds them: the seeded ties fall the same way
        i, j, s, n = coo.row, coo.col, coo.data, counts.shape[0]
    order = _most_shared_first(s, min_shared, seed)
    degree = [0] * n  # a list: the loop below reads it element by element
    out: list[tuple[int, int, int]] = []
    limit = max_pairs if max_pairs is not None else len(order)
    for start in range(0, len(order), 1 << 16):  # a slice at a time: a list of millions of ints is ~100 MB
        part = order[start:start + (1 << 16)]
        for a, b, k in zip(i[part].tolist(), j[part].tolist(), s[part].tolist()):
            if degree[a] < max_degree and degree[b] < max_degree:
                degree[a] += 1
                degree[b] += 1
                out.append((a, b, int(k)))
                if len(out) >= limit:
                    return out
    return out


def _most_shared_first(count: np.ndarray, min_shared: int, seed: int) -> np.ndarray:
    """Indices of the counts >= `min_shared`, highest first, ties in a seeded random order; lean on memory
    (2-byte sort keys, no index array when every count qualifies, as the stage's do)."""
    every = bool(len(count)) and int(count.min()) >= min_shared
    sel = None if every else np.flatnonzero(count >= min_shared)
    tie = np.random.default_rng(seed).random(len(count) if every else len(sel))
    order = np.lexsort((tie, -(count if every else count[sel]).astype(np.int16)))  # counts are < 256
    return order if sel is None else sel[order]


@dataclass
class PairingReport(JsonRow):
    """pairs/report.json: histograms keyed by the count as a string ("2": users pairs sharing 2 categories)."""

    users: int
    pairs: int
    similarity_histogram_all: dict[str, int]
    similarity_histogram_pairs: dict[str, int]
    unpaired_users: int
    degree_histogram: dict[str, int]
    config: JsonObject | None = optional()  # the `pairs` section the stage ran with


def pairing_report(histogram: dict[int, int], pairs: list[tuple[int, int, int]], num_users: int,
                   config: JsonObject | None = None) -> PairingReport:
    """#pairs, similarity histograms (all user pairs: `SharedCounts.histogram`; chosen pairs), users left
    unpaired, degrees."""
    degree = np.zeros(num_users, dtype=np.int64)
    for a, b, _ in pairs:
        degree[a] += 1
        degree[b] += 1
    return PairingReport(
        users=num_users,
        pairs=len(pairs),
        similarity_histogram_all={str(k): int(v) for k, v in sorted(histogram.items())},
        similarity_histogram_pairs={str(k): int(v) for k, v in sorted(Counter(p[2] for p in pairs).items())},
        unpaired_users=int((degree == 0).sum()),
        degree_histogram={str(k): int(v) for k, v in sorted(Counter(degree.tolist()).items())},
        config=config,
    )
