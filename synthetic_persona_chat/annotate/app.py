"""The study as a Gradio web app: `/?token=T` is an annotator's page, `/admin?token=A` the progress page.

Gradio because it is the Hugging Face ecosystem's way to put a model or a study in a browser, and the
same app runs as a Space. It is imported here only (the `[annotate]` extra). The page is a thin view:
it shows what `StudyStore.current` returns and hands every click to `StudyStore.submit`, which decides.
The token and the item id travel in hidden fields so the page can be reloaded or reopened at any time
(the queue position lives in the database, not in the browser); since the browser can change them,
the store re-checks both on every submission.
"""

# No `from __future__ import annotations` here: Gradio finds the `gr.Request` parameter by its annotation object.
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

from synthetic_persona_chat.records import Conversation
from synthetic_persona_chat.redact import RedactingStream

from . import attributes
from .items import FAITHFULNESS_CHOICES, QUALITY_CHOICES, TURING_CHOICES, Item
from .store import Current, Refused, StudyStore, study_file

CSS = """
.spc-conv {border: 1px solid #ccc; border-radius: 8px; padding: 10px; background: #fafafa; color: #111;}
.spc-conv p {margin: 4px 0;} .spc-persona {font-size: 0.9em; color: #333; margin-bottom: 8px;}
.spc-judged {background: #fff3c4;}
"""
# The app has no file inputs, but Gradio serves an unauthenticated upload route on every app: anything
# larger than this is refused with 413 before it is stored (None, the default, accepted any size).
MAX_UPLOAD_BYTES = 1
# An invite token as `store.new_token` makes it (32 URL-safe characters), wherever it shows in a log line.
TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])")
TURING_LABELS = {"left": "Left (A) is machine-written", "right": "Right (B) is machine-written",
                 "unsure": "Cannot tell"}
QUALITY_LABELS = {"left": "Left (A)", "right": "Right (B)", "tie": "About the same", "unsure": "Cannot tell"}
FAITH_LABELS = {"yes": "Yes, it contradicts the persona", "no": "No contradiction"}


def conversation_html(conv: Conversation, title: str, show: tuple[str, ...], judged: str | None = None,
                      max_turns: int = 0, personas: bool = True) -> str:
    """One conversation as escaped HTML; personas and provenance only where the study shows them
    (the judged speaker's persona always, for the faithfulness question; no persona at all with
    `personas=False`: the attributes question asks which of them the conversation shows)."""
    e = html.escape
    parts = [f"<div class='spc-conv'><h3>{e(title)}</h3>"]
    meta = [f"{k}: {e(str(v))}" for k, v in (("source", conv.source), ("iteration", conv.iteration),
                                              ("conversation_id", conv.id)) if k in show]
    if meta:
        parts.append(f"<div class='spc-persona'>{' · '.join(meta)}</div>")
    for speaker in ("user 1", "user 2"):
        if personas and ("personas" in show or speaker == judged) and conv.persona_of(speaker):
            parts.append(f"<div class='spc-persona'><b>{speaker.title()}'s persona:</b> "
                         + " ".join(e(a) for a in conv.persona_of(speaker)) + "</div>")
    turns = conv.turns[:max_turns] if max_turns else conv.turns
    for t in turns:
        cls = " class='spc-judged'" if t.speaker == judged else ""
        parts.append(f"<p{cls}><b>{t.speaker.title()}:</b> {e(t.text)}</p>")
    return "\n".join(parts) + "</div>"


def guidelines(config: Any) -> str:
    """The quality aspects' definitions, once at the top of the page (each is repeated under its question),
    and what "Cannot tell" means, so annotators answer the same questions."""
    if "quality" not in config.tasks:
        return ""
    lines = [f"- **{html.escape(a.title())}**: {html.escape(config.definition(a))}" for a in config.aspects]
    return ("\n\n**Quality aspects** (compare the two conversations on each):\n" + "\n".join(lines)
            + "\n\nChoose *About the same* when both are equally good or bad, and *Cannot tell* when you "
              "cannot judge that aspect from these conversations.")


def question_text(item: Item) -> str:
    if item.task == "turing":
        return "**One of these conversations was written by a machine. Which one?**"
    if item.task == "quality":
        return "**Which conversation is better on each quality?**"
    if item.task == "attributes":
        return "**" + attributes.QUESTION.format(speaker=f"{item.speaker.title()} (highlighted)") + "**"
    return (f"**Does {item.speaker.title()} (highlighted) say anything that contradicts their persona?**")


def build_app(store: StudyStore) -> Any:
    """The gr.Blocks app for one study."""
    import gradio as gr

    config = store.config()
    aspects = list(config.aspects)

    def view(cur: Current | None, error: str = "") -> list[Any]:
        """Values for every output component, in `outputs` order."""
        hide = gr.update(visible=False)
        if cur is None or cur.item is None:
            status = error or (f"**All done, thank you!** You answered {cur.done} of {cur.total} items."
                               if cur else "")
            return [status, "", "", hide, hide, "", hide, hide, hide, hide] + [hide] * len(aspects) + [
                gr.update(visible=False), cur.item.id if cur and cur.item else ""]
        item = cur.item
        head = f"Item {cur.done + 1} of {cur.total}" + (f"\n\n⚠ {error}" if error else "")
        if item.task in ("faithfulness", "attributes"):
            left = conversation_html(item.conversation(0), "Conversation", config.show, item.speaker, config.max_turns,
                                     personas=item.task == "faithfulness")
            right = ""
        else:
            left = conversation_html(item.conversation(0), "A (left)", config.show, None, config.max_turns)
            right = conversation_html(item.conversation(1), "B (right)", config.show, None, config.max_turns)
        shown = set(item.aspects) if item.task == "quality" else set()
        return [head, left, right, gr.update(visible=True), gr.update(visible=bool(right)), question_text(item),
                gr.update(visible=item.task == "turing", value=None),
                gr.update(visible=item.task == "faithfulness", value=None),
                gr.update(visible=item.task == "attributes", value=[],
                          choices=[(t, attributes.option_key(i)) for i, t in enumerate(item.options)]),
                gr.update(visible=bool(shown))] + [
                gr.update(visible=a in shown, value=None) for a in aspects] + [gr.update(visible=True), item.id]

    def load(request: gr.Request) -> list[Any]:
        token = request.query_params.get("token", "")
        try:
            return view(store.current(token)) + [token]
        except Refused as exc:
            return view(None, f"**{exc}**") + [""]

    def submit(token: str, item_id: str, machine: str | None, contradicts: str | None, picked: Any,
               *aspect_values: str | None) -> list[Any]:
        item = store.item(item_id)
        answer: dict[str, str | None] = {}  # question -> answer; the store refuses what is missing
        if item is not None and item.task == "turing":
            answer = {"machine": machine}
        elif item is not None and item.task == "faithfulness":
            answer = {"contradicts": contradicts}
        elif item is not None and item.task == "attributes":
            answer = picks(item, picked)
        elif item is not None:
            answer = {a: v for a, v in zip(aspects, aspect_values) if a in item.aspects}
        try:
            cur = store.submit(token, item_id, answer)
            return view(cur) + [token]
        except Refused as exc:
            try:
                return view(store.current(token), str(exc)) + [token]
            except Refused as again:  # not a token of this study: nothing of it is sent back (it may not even encode)
                return view(None, f"**{again}**") + [""]

    with gr.Blocks(title=f"Study: {config.name}") as demo:
        gr.Markdown(f"# {html.escape(config.name)}\nRead the conversations, answer, and press **Submit**. "
                    "You can close the page and come back with the same link at any time." + guidelines(config))
        status = gr.Markdown(elem_id="spc-status")
        with gr.Row(visible=False) as convs:
            left = gr.HTML(elem_id="spc-left")
            with gr.Column(visible=False) as right_col:
                right = gr.HTML(elem_id="spc-right")
        question = gr.Markdown(elem_id="spc-question")
        machine = gr.Radio([(TURING_LABELS[c], c) for c in TURING_CHOICES], label="Machine-written",
                           visible=False, elem_id="spc-machine")
        contradicts = gr.Radio([(FAITH_LABELS[c], c) for c in FAITHFULNESS_CHOICES], label="Contradiction",
                               visible=False, elem_id="spc-contradicts")
        # the values are fixed ("o0".."o7", each item relabels them): Gradio checks a submitted value against the
        # choices it was built with, so a page whose session missed an update would fail to submit
        picked = gr.CheckboxGroup([(f"option {i + 1}", attributes.option_key(i)) for i in range(attributes.OPTIONS)],
                                  label="What the conversation tells about the speaker (none, some or all)",
                                  visible=False, elem_id="spc-attributes")
        with gr.Column(visible=False) as aspect_col:
            aspect_radios = [gr.Radio([(QUALITY_LABELS[c], c) for c in QUALITY_CHOICES], label=a.title(),
                                      info=config.definition(a), visible=False, elem_id=f"spc-aspect-{a}")
                             for a in aspects]
        submit_btn = gr.Button("Submit", variant="primary", visible=False, elem_id="spc-submit")
        item_id = gr.Textbox(visible="hidden", elem_id="spc-item-id")
        token = gr.Textbox(visible="hidden", elem_id="spc-token")
        outputs = [status, left, right, convs, right_col, question, machine, contradicts, picked, aspect_col,
                   *aspect_radios, submit_btn, item_id, token]
        demo.load(load, inputs=None, outputs=outputs, api_visibility="private")
        submit_btn.click(submit, inputs=[token, item_id, machine, contradicts, picked, *aspect_radios], outputs=outputs,
                         api_visibility="private", concurrency_limit=None)

    with demo.route("Admin", "/admin", show_in_navbar=False):
        gr.Markdown(f"# {html.escape(config.name)}: progress")
        admin_status = gr.Markdown(elem_id="spc-admin-status")
        table = gr.Dataframe(headers=["annotator", "answered", "assigned", "last_answer"], interactive=False,
                             elem_id="spc-progress")
        refresh = gr.Button("Refresh")
        admin_token = gr.Textbox(visible="hidden")

        def progress(request: gr.Request) -> list[Any]:
            tok = request.query_params.get("token", "")
            try:
                rows = store.progress(tok)
            except Refused as exc:
                return [f"**{exc}**", [], ""]
            done, total = sum(r["answered"] for r in rows), sum(r["assigned"] for r in rows)
            return [f"{done} of {total} answers in", [list(r.values()) for r in rows], tok]

        demo.load(progress, inputs=None, outputs=[admin_status, table, admin_token], api_visibility="private")
        refresh.click(progress, inputs=None, outputs=[admin_status, table, admin_token], api_visibility="private")
    return demo


def picks(item: Item, picked: Any) -> dict[str, str]:
    """The ticked options as one yes/no answer per option (what the store validates); anything the page sends
    that is not a list of this item's option keys is passed on as is, for the store to refuse."""
    keys = [attributes.option_key(i) for i in range(len(item.options))]
    if not isinstance(picked, (list, tuple)) or not all(isinstance(p, str) and p in keys for p in picked):
        return {"picked": picked}
    return {k: "yes" if k in picked else "no" for k in keys}


def serve(study_dir: str | Path, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> Any:
    """Run the study's app; returns the app when `block` is False (tests)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("the annotation app needs gradio: pip install 'synthetic-persona-chat[annotate]'") from exc
    demo = build_app(StudyStore(study_file(study_dir)))
    demo.queue(default_concurrency_limit=8)
    hide_tokens_in_stderr()
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=not block, show_error=True, quiet=True,
                ssr_mode=False, css=CSS, footer_links=[], max_file_size=MAX_UPLOAD_BYTES)
    return demo


def hide_tokens_in_stderr() -> None:
    """Gradio prints the traceback of a malformed request with the values it received (an arity error lists
    them, the caller's invite token first): the server's stderr redacts anything shaped like a token."""
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, TOKEN_SHAPE)
