"""User pairing: profile similarity = number of persona categories two profiles share.

Profiles u and v share category c when both hold an attribute of c and the two
attributes' cosine similarity is >= `share_threshold`. All similarities come from
per-category matrix products (users holding c x users holding c), accumulated into a
user x user count matrix: no Python loop over user pairs. Pairs are then chosen
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

DENSE_LIMIT = 15000  # up to this many users the counts live in a dense uint8 matrix (n^2 bytes)


def shared_category_counts(user_of_slot: np.ndarray, category_of_slot: np.ndarray, slot_vectors: np.ndarray,
                           num_users: int, share_threshold: float = 0.3, block: int = 2048) -> csr_matrix:
    """Upper-triangular (i < j) sparse matrix of shared-category counts.

    Slots are the attributes of all profiles: slot s belongs to user `user_of_slot[s]`, has
    category `category_of_slot[s]` (negative = none) and unit vector `slot_vectors[s]`.
    A user's second attribute of the same category is ignored (categories count once).
    """
    users = np.asarray(user_of_slot, dtype=np.int64)
    cats = np.asarray(category_of_slot, dtype=np.int64)
    vecs = np.asarray(slot_vectors, dtype=np.float32)
    valid = cats >= 0
    _, first = np.unique(np.stack([users, cats]), axis=1, return_index=True)
    keep = np.zeros(len(users), dtype=bool)
    keep[first] = True
    idx = np.flatnonzero(valid & keep)
    idx = idx[np.lexsort((users[idx], cats[idx]))]
    bounds = np.flatnonzero(np.diff(cats[idx])) + 1
    dense = np.zeros((num_users, num_users), dtype=np.uint8) if num_users <= DENSE_LIMIT else None
    rows, cols = [], []
    for group in np.split(idx, bounds):
        if len(group) < 2:
            continue
        gu, gv = users[group], vecs[group]
        for s in range(0, len(group), block):
            hit = (gv[s:s + block] @ gv.T) >= share_threshold if share_threshold > -1 else \
                np.ones((min(block, len(group) - s), len(group)), dtype=bool)
            hit &= np.arange(len(group))[None, :] > np.arange(s, s + hit.shape[0])[:, None]  # j > i only
            a, b = np.nonzero(hit)
            ua, ub = gu[a + s], gu[b]
            lo, hi = np.minimum(ua, ub), np.maximum(ua, ub)
            if dense is not None:
                dense[lo, hi] += 1  # unique (lo, hi) within a block: a user appears once per category
            else:
                rows.append(lo)
                cols.append(hi)
    if dense is not None:
        return csr_matrix(dense)
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return coo_matrix((np.ones(len(r), dtype=np.int32), (r, c)), shape=(num_users, num_users)).tocsr()


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


def pairing_report(counts: csr_matrix, pairs: list[tuple[int, int, int]], num_users: int,
                   config: JsonObject | None = None) -> PairingReport:
    """#pairs, similarity histograms (all user pairs, chosen pairs), users left unpaired, degrees."""
    data = counts.data[counts.data > 0].astype(np.int64)
    hist = Counter(data.tolist())
    hist[0] = num_users * (num_users - 1) // 2 - len(data)
    degree = np.zeros(num_users, dtype=np.int64)
    for a, b, _ in pairs:
        degree[a] += 1
        degree[b] += 1
    return PairingReport(
        users=num_users,
        pairs=len(pairs),
        similarity_histogram_all={str(k): int(v) for k, v in sorted(hist.items())},
        similarity_histogram_pairs={str(k): int(v) for k, v in sorted(Counter(p[2] for p in pairs).items())},
        unpaired_users=int((degree == 0).sum()),
        degree_histogram={str(k): int(v) for k, v in sorted(Counter(degree.tolist()).items())},
        config=config,
    )
