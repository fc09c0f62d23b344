"""Persona categories: average-linkage clustering of normalised embeddings on cosine distance.

Up to `exact_limit` vectors the clustering is exact (scipy's UPGMA on a BLAS-computed
distance matrix). Above it, an exact O(n^2) matrix does not fit the time budget (50k
attributes in < 60 s on 2 cores), so it is approximated level by level:

1. spherical k-means splits the vectors into partitions of ~`partition_size`;
2. exact average linkage runs inside each partition;
3. the resulting clusters become weighted points (their mean vectors: for unit vectors
   the mean pairwise cosine between two clusters is exactly the dot product of their
   means) and are clustered the same way, so clusters split by a partition boundary
   can still merge; repeat while a level still merges a meaningful share of points.

Every step is matrix work (numpy BLAS / scipy C code); no Python loop over pairs.
Labels are renumbered by cluster size (largest = 0), ties by first member, so the
output is deterministic for a given input and seed.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

log = logging.getLogger(__name__)


def cluster_embeddings(vectors: np.ndarray, distance_threshold: float = 0.6, exact_limit: int = 3000,
                       partition_size: int = 1000, seed: int = 0) -> np.ndarray:
    """Cluster label per row of `vectors` (L2-normalised), 0 = largest cluster."""
    x = np.asarray(vectors, dtype=np.float32)
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    weights = np.ones(n, dtype=np.float64)
    labels = np.arange(n)  # current cluster of every original row
    points = x
    level = 0
    while True:
        m = points.shape[0]
        if m <= exact_limit:
            local = _exact_labels(points, weights, distance_threshold)
        else:
            local = _partitioned_labels(points, weights, distance_threshold, exact_limit,
                                        partition_size, seed + level)
        labels = local[labels]
        k = int(local.max()) + 1
        log.debug("clustering level %d: %d points -> %d clusters", level, m, k)
        if m <= exact_limit or k > 0.9 * m or k == 1:
            break
        points, weights = _merge_points(points, weights, local, k)
        level += 1
    return relabel_by_size(labels)


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber so that cluster 0 is the largest; ties go to the cluster whose first member comes first."""
    labels = np.asarray(labels)
    uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new_id = np.empty(len(uniq), dtype=np.int64)
    new_id[order] = np.arange(len(uniq))
    return new_id[np.searchsorted(uniq, labels)]


def _exact_labels(points: np.ndarray, weights: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage, cut at `threshold`; points are cluster means (unit vectors at level 0).

    At level 0 every point is one attribute and scipy's UPGMA is exact. At later levels a point stands
    for `weight` attributes, and scipy would average a merged cluster's distances as if each point were
    one attribute, so a 100-attribute cluster and a singleton would count alike: those levels use the
    weighted version below.
    """
    m = points.shape[0]
    if m == 1:
        return np.zeros(1, dtype=np.int64)
    sims = points @ points.T
    dist = np.clip(1.0 - sims.astype(np.float64), 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    if np.all(weights == 1):
        z = linkage(squareform(dist, checks=False), method="average")
        return fcluster(z, t=threshold, criterion="distance").astype(np.int64) - 1
    return weighted_average_linkage(dist, weights, threshold)


def weighted_average_linkage(dist: np.ndarray, weights: np.ndarray, threshold: float) -> np.ndarray:
    """Flat clusters of average linkage where point i stands for `weights[i]` observations.

    Nearest-neighbour chain (average linkage is reducible, so it yields the same merges as the greedy
    algorithm) with the Lance-Williams update weighted by cluster sizes; the flat clusters are the merges at
    height <= `threshold`, as scipy's `fcluster(criterion="distance")` cuts. O(m) numpy work per step.
    """
    m = dist.shape[0]
    d = dist.astype(np.float64).copy()
    np.fill_diagonal(d, np.inf)
    size = np.asarray(weights, dtype=np.float64).copy()
    active = np.ones(m, dtype=bool)
    parent = np.arange(m)
    chain: list[int] = []
    for _ in range(m - 1):
        while True:
            if not chain:
                chain.append(int(np.flatnonzero(active)[0]))
            a = chain[-1]
            row = np.where(active, d[a], np.inf)
            b = int(np.argmin(row))
            if len(chain) > 1 and row[chain[-2]] <= row[b]:
                b = chain[-2]
            if len(chain) > 1 and b == chain[-2]:
                break
            chain.append(b)
        chain = chain[:-2]
        if d[a, b] <= threshold:
            parent[_root(parent, b)] = _root(parent, a)
        merged = (size[a] * d[a] + size[b] * d[b]) / (size[a] + size[b])
        d[a], d[:, a] = merged, merged
        d[a, a] = np.inf
        active[b] = False
        d[b], d[:, b] = np.inf, np.inf
        size[a] += size[b]
    roots = np.array([_root(parent, i) for i in range(m)])
    return np.unique(roots, return_inverse=True)[1].astype(np.int64)


def _root(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _partitioned_labels(points: np.ndarray, weights: np.ndarray, threshold: float, exact_limit: int,
                        partition_size: int, seed: int) -> np.ndarray:
    parts = spherical_kmeans(points, max(2, math.ceil(points.shape[0] / partition_size)), seed=seed)
    out = np.empty(points.shape[0], dtype=np.int64)
    offset = 0
    for p in np.unique(parts):
        idx = np.flatnonzero(parts == p)
        if len(idx) > exact_limit:  # an unbalanced partition: split it again
            sub = cluster_embeddings(points[idx], threshold, exact_limit, partition_size, seed + 1)
        else:
            sub = _exact_labels(points[idx], weights[idx], threshold)
        out[idx] = sub + offset
        offset += int(sub.max()) + 1
    return out


def _merge_points(points: np.ndarray, weights: np.ndarray, labels: np.ndarray, k: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean vector and total weight of every cluster."""
    total = np.bincount(labels, weights=weights, minlength=k)
    sums = group_sum(labels, points * weights[:, None].astype(np.float32), k)
    return (sums / total[:, None]).astype(np.float32), total


def spherical_kmeans(x: np.ndarray, k: int, iterations: int = 8, seed: int = 0) -> np.ndarray:
    """Partition unit vectors by cosine k-means (numpy only); an index split when k-means degenerates."""
    n = x.shape[0]
    k = min(k, n)
    rng = np.random.default_rng(seed)
    centres = x[rng.choice(n, size=k, replace=False)].astype(np.float32)
    assign = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        assign = _nearest(x, centres)
        sums = group_sum(assign, x, k).astype(np.float32)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        centres = np.where(empty[:, None], centres, sums / np.maximum(norms, 1e-12))
    if np.bincount(assign, minlength=k).max() == n:  # all identical: split by position
        assign = np.arange(n) * k // n
    return assign


def _nearest(x: np.ndarray, centres: np.ndarray, block: int = 16384) -> np.ndarray:
    out = np.empty(x.shape[0], dtype=np.int64)
    for s in range(0, x.shape[0], block):
        out[s:s + block] = np.argmax(x[s:s + block] @ centres.T, axis=1)
    return out


def group_sum(labels: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """Row c = sum of the rows of `x` labelled c (a sparse one-hot product, not a Python loop)."""
    from scipy.sparse import csr_matrix

    n = len(labels)
    onehot = csr_matrix((np.ones(n, dtype=np.float64), (np.asarray(labels), np.arange(n))), shape=(k, n))
    return np.asarray(onehot @ np.asarray(x, dtype=np.float64))


def centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit-length mean vector of every cluster (row c = cluster c)."""
    k = int(labels.max()) + 1 if len(labels) else 0
    sums = group_sum(labels, vectors, k)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


def mean_inter_category_distance(vectors: np.ndarray, labels: np.ndarray, max_categories: int = 5000,
                                 seed: int = 0) -> float:
    """Mean of 1 - cos(centroid_i, centroid_j) over category pairs (a seeded sample above max_categories)."""
    c = centroids(vectors, labels)
    if len(c) < 2:
        return 0.0
    if len(c) > max_categories:
        c = c[np.random.default_rng(seed).choice(len(c), max_categories, replace=False)]
    sims = c.astype(np.float64) @ c.T.astype(np.float64)
    iu = np.triu_indices(len(c), k=1)
    return float(np.mean(1.0 - sims[iu]))
