"""Clustering on constructed vectors with known answers."""

import numpy as np
import pytest

from synthetic_persona_chat.usergen.clustering import (centroids, cluster_embeddings, mean_inter_category_distance,
                                                       relabel_by_size, spherical_kmeans)


def unit(rows):
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_three_groups_of_axis_vectors():
    # 3 points near e0, 2 near e1, 1 on e2: three categories, largest first.
    x = unit([[0, 1, 0.05], [1, 0.05, 0], [1, 0, 0.05], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    labels = cluster_embeddings(x, distance_threshold=0.3)
    assert labels.tolist() == [1, 0, 0, 1, 0, 2]


def test_threshold_decides_a_merge():
    # cos(a, b) = 0.5: cosine distance 0.5.
    x = unit([[1, 0], [0.5, np.sqrt(0.75)]])
    assert cluster_embeddings(x, distance_threshold=0.6).tolist() == [0, 0]
    assert cluster_embeddings(x, distance_threshold=0.4).tolist() == [0, 1]


def test_average_linkage_not_single_linkage():
    # A chain a-b-c with neighbouring cosine 0.8 but cos(a, c) ~ 0.28: average distance of {a,b} to c
    # is (0.2 + 0.72) / 2 = 0.46 > 0.3, so c stays apart, unlike single linkage.
    t = np.arccos(0.8)
    x = unit([[1, 0], [np.cos(t), np.sin(t)], [np.cos(2 * t), np.sin(2 * t)]])
    labels = cluster_embeddings(x, distance_threshold=0.3)
    assert labels[0] == labels[1] != labels[2]


def mixture(n, k, seed=0, noise=0.5, dim=64):
    rng = np.random.default_rng(seed)
    c = unit(rng.standard_normal((k, dim)))
    truth = rng.integers(0, k, n)
    x = c[truth] + noise * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    return unit(x), truth


def same_partition(a, b):
    pairs = lambda lab: {(i, j) for i in range(len(lab)) for j in range(i) if lab[i] == lab[j]}
    return pairs(a) == pairs(b)


def test_partitioned_path_finds_the_exact_clusters():
    x, truth = mixture(600, 40)
    exact = cluster_embeddings(x, 0.6)
    approx = cluster_embeddings(x, 0.6, exact_limit=100, partition_size=60)
    assert exact.max() + 1 == len(set(truth))
    assert same_partition(exact, truth)
    assert same_partition(approx, exact)


def test_partitioned_path_is_deterministic_and_sized():
    x, _ = mixture(800, 30, seed=3)
    a = cluster_embeddings(x, 0.6, exact_limit=100, partition_size=50, seed=7)
    b = cluster_embeddings(x, 0.6, exact_limit=100, partition_size=50, seed=7)
    assert a.tolist() == b.tolist()
    sizes = np.bincount(a)
    assert (np.diff(sizes) <= 0).all()  # label 0 is the largest


def test_degenerate_inputs():
    assert cluster_embeddings(np.zeros((0, 4), dtype=np.float32)).tolist() == []
    assert cluster_embeddings(unit([[1, 0]])).tolist() == [0]
    same = unit(np.ones((50, 3)))
    assert cluster_embeddings(same, 0.1, exact_limit=10, partition_size=5).tolist() == [0] * 50
    assert sorted(set(spherical_kmeans(same, 4).tolist())) == [0, 1, 2, 3]  # split by position


def test_relabel_and_centroid_figures():
    assert relabel_by_size(np.array([5, 9, 9, 5, 9, 7])).tolist() == [1, 0, 0, 1, 0, 2]
    x = unit([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    labels = np.array([0, 0, 1, 2])
    assert np.allclose(centroids(x, labels), np.eye(3))
    assert mean_inter_category_distance(x, labels) == pytest.approx(1.0)
    assert mean_inter_category_distance(x, np.zeros(4, dtype=int)) == 0.0


def _same_partition(a, b):
    return len(set(zip(a, b))) == len(set(a)) == len(set(b))


def test_weighted_points_cluster_like_the_attributes_they_stand_for():
    """A point that stands for k identical attributes must cluster as those k attributes would (exact
    average linkage on the expanded set). Unweighted UPGMA on the same points gets some cases wrong,
    which is why later levels of the approximate path pass weights."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    from synthetic_persona_chat.usergen.clustering import _exact_labels

    rng = np.random.default_rng(0)
    unweighted_wrong = 0
    for _ in range(30):
        base = rng.normal(size=(15, 8))
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        counts = rng.integers(1, 8, size=15)
        expanded = np.repeat(base, counts, axis=0)
        dist = np.clip(1 - expanded @ expanded.T, 0, 2)
        np.fill_diagonal(dist, 0)
        reference = fcluster(linkage(squareform(dist, checks=False), "average"), 0.8, "distance")
        weighted = _exact_labels(base, counts.astype(float), 0.8)
        assert _same_partition(np.repeat(weighted, counts), reference)
        unweighted = _exact_labels(base, np.ones(15), 0.8)
        unweighted_wrong += not _same_partition(np.repeat(unweighted, counts), reference)
    assert unweighted_wrong > 0
