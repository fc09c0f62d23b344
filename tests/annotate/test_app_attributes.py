"""The eight-option question through the real app over HTTP (`spc annotate serve`, the page's own submit call):
ticked options are stored as one yes/no answer per option, a forged option key is refused with nothing stored."""

from __future__ import annotations

import pytest

from synthetic_persona_chat.annotate.commands import create_study
from synthetic_persona_chat.annotate.config import StudyConfig
from synthetic_persona_chat.annotate.store import STUDY_DB, StudyStore

from .conftest import write_run
from .test_app_hostile import call_submit, serving

pytest.importorskip("gradio", reason="the annotation app needs the [annotate] extra (bash scripts/setup-browser.sh)")


@pytest.fixture(scope="module")
def attributes_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attributes")
    config = StudyConfig(name="attributes", real="spc-sample:test", synthetic={"run": str(write_run(tmp / "run"))},
                         tasks=("attributes",), annotators=2, items_per_annotator=2, overlap=1, seed=3).validate()
    tokens = create_study(tmp / "study", config)
    with serving(tmp / "study", tmp) as base:
        yield base, tokens, StudyStore(tmp / "study" / STUDY_DB)


def test_ticked_options_are_stored_one_answer_per_option(attributes_server):
    base, tokens, store = attributes_server
    token = tokens["annotator-1"]
    item = store.current(token).item
    assert item.task == "attributes" and len(item.options) == 8
    aspects = [None] * 5  # the page's quality radios (the paper's five aspects), hidden in this study
    forged = call_submit(base, [token, item.id, None, None, ["o0", "o99"], *aspects])
    assert forged.get("success") is False and len(store.answers()) == 0  # not one of the page's options
    done = call_submit(base, [token, item.id, None, None, ["o0", "o3"], *aspects])
    assert done["msg"] == "process_completed" and done.get("success", True), done
    (answer,) = store.answers()
    assert answer["answer"] == {f"o{i}": "yes" if i in (0, 3) else "no" for i in range(8)}
