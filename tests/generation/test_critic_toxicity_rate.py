"""The toxicity calibration's rates are `calibrate_llm.Rate` objects written as JSON: the same objects the
dict-era `_rate` wrote (values taken from it), numpy counts included, and n = 0 with nulls."""

from __future__ import annotations

import json

import numpy as np

from synthetic_persona_chat.generation.critic.toxicity import _rate


def test_rates_are_written_as_before():
    assert json.dumps(_rate(np.int64(3), 10)) == \
        '{"rate": 0.3, "hits": 3, "n": 10, "ci95": [0.1078, 0.6032]}'
    assert json.dumps(_rate(0, 0)) == '{"rate": null, "hits": 0, "n": 0, "ci95": null}'
    assert json.dumps(_rate(True + True, np.int64(2))) == '{"rate": 1.0, "hits": 2, "n": 2, "ci95": [0.3424, 1.0]}'
