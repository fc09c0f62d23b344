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
    """The user x user shared-category counts that pairing needs, without holding all of them."""

    matrix: csr_matrix  # upper triangle (i < j), only the counts >= min_count
    histogram: dict[int, int]  # user pairs (i < j) per count, 0 included: every pair, kept or not


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
        rows.append(r + u0)
        cols.append(c)
        vals.append(counts[r, c].astype(np.int32))
    hist[0] = num_users * (num_users - 1) // 2 - sum(hist.values())
    matrix = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(num_users, num_users)).tocsr()
    return SharedCounts(matrix=matrix, histogram=dict(sorted(hist.items())))


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


def greedy_pairs(counts: csr_matrix, min_shared: int = 2, max_degree: int = 4, max_pairs: int | None = None,
                 seed: int = 0) -> list[tuple[int, int, int]]:
    """(i, j, similarity) pairs: highest similarity first, each user in at most `max_degree` pairs."""
    coo = counts.tocoo()
    sel = coo.data >= min_shared
    i, j, s = coo.row[sel], coo.col[sel], coo.data[sel].astype(np.int64)
    tie = np.random.default_rng(seed).random(len(s))
    order = np.lexsort((tie, -s))
    degree = np.zeros(counts.shape[0], dtype=np.int64)
    out: list[tuple[int, int, int]] = []
    limit = max_pairs if max_pairs is not None else len(order)
    for k in order.tolist():
        a, b = int(i[k]), int(j[k])
        if degree[a] < max_degree and degree[b] < max_degree:
            degree[a] += 1
            degree[b] += 1
            out.append((a, b, int(s[k])))
            if len(out) >= limit:
                break
    return out


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
