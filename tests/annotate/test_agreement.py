"""Agreement statistics against published worked examples."""

import math

import pytest

from synthetic_persona_chat.annotate.agreement import fleiss_kappa, krippendorff_alpha

# Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories -> kappa 0.210.
FLEISS_TABLE = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units, missing values;
# nominal alpha = 0.743.
KRIPP = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
         "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
         "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
         "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]}


def test_fleiss_kappa_matches_the_worked_example():
    ratings = [(i, c) for i, row in enumerate(FLEISS_TABLE) for c, n in enumerate(row) for _ in range(n)]
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)


def test_krippendorff_alpha_matches_the_worked_example_with_missing_values():
    ratings = [(u, v) for values in KRIPP.values() for u, v in enumerate(values) if v is not None]
    assert krippendorff_alpha(ratings) == pytest.approx(0.743, abs=5e-4)


def test_perfect_and_undefined_agreement():
    perfect = [(u, v) for u, v in enumerate(["a", "b", "a", "b"]) for _ in range(3)]
    assert fleiss_kappa(perfect) == pytest.approx(1.0)
    assert krippendorff_alpha(perfect) == pytest.approx(1.0)
    assert math.isnan(krippendorff_alpha([(0, "a"), (0, "a"), (1, "a"), (1, "a")]))  # no variation
    assert math.isnan(fleiss_kappa([(0, "a"), (1, "b")]))  # one judgement per unit
