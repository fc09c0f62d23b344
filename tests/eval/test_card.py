"""Model cards of fine-tuned NUP rankers: sentence-transformers' own card kept and extended, results linked to Hub
dataset ids, the license chosen on the command line, the dataset card's citation.

The model is a real fine-tune of the bundled all-MiniLM-L6-v2 on 2 SPC validation conversations (one epoch,
max_seq_length 32) through `spc eval nup`, evaluated on 2 SPC test conversations and a Persona-Chat-format
file made from 3 others (tests/eval/conftest.py); only the SPC row of the table is trained.
"""

import json
import os
import re

import pytest
import yaml
from huggingface_hub import ModelCard

from synthetic_persona_chat.builder.sources import CITATION, SPC_HUB_REPO
from synthetic_persona_chat.cli import main
from synthetic_persona_chat.eval import card as C

from .conftest import write_parlai

TINY = ["--set", "eval_nup.max_train_conversations=2", "--set", "eval_nup.max_test_conversations=2",
        "--set", "eval_nup.max_seq_length=32", "--set", "eval_nup.batch_size=8",
        "--set", "eval_nup.baselines=[random]", "--set", "eval_nup.train_sets=[SPC]"]
PC_ID = "bavard/personachat_truecased"


def citation_of(card_text: str) -> str:
    """The paper's BibTeX as a card prints it (it must equal the dataset card's)."""
    m = re.search(r"```bibtex\n(@misc\{jandaghi.*?\n\})\n```", card_text, re.S)
    return m.group(1) if m else ""


@pytest.fixture(scope="module")
def out(tmp_path_factory, spc_dir, spc_test):
    tmp = tmp_path_factory.mktemp("card")
    pc_test = write_parlai(tmp / "pc_test.txt", spc_test[300:303])
    out = tmp / "out"
    rc = main(["eval", "nup", "--out", str(out), "--preset", "small", *TINY, "--license", "cc-by-4.0",
               "--dataset-repo", f"Persona-Chat={PC_ID}",
               "--spc-train", str(spc_dir / "Synthetic-Persona-Chat_valid.csv"),
               "--spc-test", str(spc_dir / "Synthetic-Persona-Chat_test.csv"), "--persona-chat-test", str(pc_test)])
    assert rc == 0
    return out


def _meta(text: str) -> dict:
    return yaml.safe_load(text.split("---")[1])


def test_sentence_transformers_card_is_kept(out):
    text = (out / "models" / "spc" / "README.md").read_text()
    meta = _meta(text)
    # written by sentence-transformers at save(): header keys and body sections survive
    assert meta["library_name"] == "sentence-transformers" and meta["pipeline_tag"] == "sentence-similarity"
    assert {"sentence-transformers", "generated_from_trainer", "loss:MultipleNegativesRankingLoss"} <= set(meta["tags"])
    assert any(t.startswith("dataset_size:") for t in meta["tags"]) and meta["widget"]
    for section in ("## Model Details", "### Full Model Architecture", "## Training Details",
                    "### Training Hyperparameters", "### Framework Versions", "#### Sentence Transformers",
                    "#### MultipleNegativesRankingLoss"):
        assert section in text, section
    # what the card data object carried into sentence-transformers' own body
    assert "\n# spc-nup-ranker-spc\n" in text
    assert f"on the [SPC](https://huggingface.co/datasets/{SPC_HUB_REPO}) dataset" in text
    assert "- **License:** cc-by-4.0" in text and "- **Language:** en" in text
    assert f"https://huggingface.co/datasets/{SPC_HUB_REPO}" in text
    assert "[sentence-transformers/all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2)" in text
    # the usage snippet of a model not pushed names its folder, not sentence-transformers' placeholder (#26.7)
    assert C.ST_MODEL_ID_PLACEHOLDER not in text and 'SentenceTransformer("path/to/spc-nup-ranker-spc")' in text
    # ours added once, between its opening paragraph and its Model Details, intervals kept
    assert text.count(C.BEGIN) == 1 and text.index(C.END) < text.index("## Model Details")
    assert text.index("95% confidence intervals") < text.index(C.END)
    assert str(out) not in text and os.path.expanduser("~") not in text  # no path of this machine


def test_results_link_to_hub_dataset_ids(out):
    card = ModelCard((out / "models" / "spc" / "README.md").read_text())
    results = card.data.eval_results
    assert {r.dataset_type for r in results} == {SPC_HUB_REPO, PC_ID}
    assert {r.dataset_name for r in results} == {"SPC test", "Persona-Chat test"}
    assert all(r.dataset_split == "test" and 0 <= r.metric_value <= 1 for r in results) and len(results) == 6
    nup = json.loads((out / "nup.json").read_text())
    cell = next(c for c in nup["cells"] if c["train"] == "SPC" and c["test"] == "SPC test")
    got = {r.metric_name: r.metric_value for r in results if r.dataset_type == SPC_HUB_REPO}
    assert got["hits@1/20"] == round(cell["metrics"]["hits@1/20"], 4)
    assert card.data.datasets == [SPC_HUB_REPO] and card.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"


def test_license_is_the_given_one(out):
    meta = _meta((out / "models" / "spc" / "README.md").read_text())
    assert meta["license"] == "cc-by-4.0"
    assert json.loads((out / "nup.json").read_text())["config"]["license"] == "cc-by-4.0"


def test_citation_equals_the_dataset_cards(out, spc_dir, tmp_path):
    from synthetic_persona_chat.builder.export import export

    release = tmp_path / "release"
    release.mkdir()
    os.symlink(spc_dir / "Synthetic-Persona-Chat_valid.csv", release / "Synthetic-Persona-Chat_valid.csv")
    export(release, tmp_path / "ds", configs=("release",))
    dataset_card = (tmp_path / "ds" / "README.md").read_text()
    dataset_bib = re.search(r"```bibtex\n(.*?)\n?```", dataset_card, re.S).group(1).strip()
    model_card = (out / "models" / "spc" / "README.md").read_text()
    assert citation_of(model_card) == dataset_bib == CITATION.strip()
    assert model_card.count("@misc{jandaghi2023faithful") == 1  # one citation, not a second version


def test_rewriting_a_card_is_idempotent(out):
    path = out / "models" / "spc" / "README.md"
    nup = json.loads((out / "nup.json").read_text())
    first = path.read_text()
    C.write_cards(nup, repo_ids={"SPC": "me/spc-nup-ranker-spc"})
    again = path.read_text()
    assert again.count(C.BEGIN) == 1 and again.count(C.CITE_BEGIN) == 1
    assert 'SentenceTransformer("me/spc-nup-ranker-spc")' in again and "sentence_transformers_model_id" not in again
    assert _meta(again)["model-index"] == _meta(first)["model-index"]


def test_a_result_without_a_hub_id_stays_out_of_model_index(out):
    nup = json.loads((out / "nup.json").read_text())
    nup["config"]["dataset_repos"] = {}
    text = C.render_card("spc-nup-ranker-spc", "SPC", nup, existing=(out / "models" / "spc" / "README.md").read_text())
    card = ModelCard(text)
    assert {r.dataset_type for r in card.data.eval_results} == {SPC_HUB_REPO}  # never the display name
    assert 'none known: not in model-index (`--dataset-repo "Persona-Chat=ID"` links it)' in text


def test_bad_options_fail_before_training(tmp_path, capsys):
    assert main(["eval", "nup", "--out", str(tmp_path / "o"), "--license", "Apache 2.0"]) != 0
    assert "not a Hub license identifier" in capsys.readouterr().err
    assert main(["eval", "nup", "--out", str(tmp_path / "o"), "--dataset-repo", "Persona-Chat=SPC"]) != 0
    assert "is not a Hub dataset id" in capsys.readouterr().err
    assert not (tmp_path / "o" / "models").exists()


def test_hub_ids_of_sources(spc_dir):
    assert C.hub_id("SPC test", str(spc_dir / "Synthetic-Persona-Chat_test.csv")) == SPC_HUB_REPO
    assert C.hub_id("SPC", "spc-sample:valid") is None  # the packaged sample is not the release (#26.7)
    assert C.hub_id("Persona-Chat test", "hub:AlekseyKorshuk/persona-chat@validation") == "AlekseyKorshuk/persona-chat"
    assert C.hub_split("hub:AlekseyKorshuk/persona-chat@validation") == "validation"
    assert C.hub_id("Persona-Chat test", "/data/valid_self_original.txt") is None
    assert C.hub_id("generated", "/runs/r1", C.parse_dataset_repos(["me/my-run"])) == "me/my-run"
    both = C.hub_ids("SPC+Persona-Chat", f"{spc_dir}+hub:bavard/personachat_truecased")
    assert both == [SPC_HUB_REPO, PC_ID]
