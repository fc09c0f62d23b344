"""LLM tasks: what the shared render/parse layer costs, and why the runner makes one batched call.

    python benchmarks/tasks.py [--rows 2000] [--llm-rows 32]

Part 1 (CPU, no model): every task renders its packaged Jinja2 template and parses a typical answer
for `--rows` rows built from the SPC sample that ships in the package; rows/s per task. This is the
overhead the task layer adds in front of the LLM.
Part 2 (bundled SmolLM2 through transformers): the contradiction judge on `--llm-rows` real
persona/utterance pairs, greedy, 4 tokens: one `run_task` call (the runner: one batched
`generate`) against the same rows asked one `generate` call at a time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from synthetic_persona_chat.models import GenerationParams, load_llm  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402
from synthetic_persona_chat.sample_data import resolve_path  # noqa: E402
from synthetic_persona_chat.tasks import render_all, run_task  # noqa: E402
from synthetic_persona_chat.tasks.attribute_bootstrap import AttributeBootstrap  # noqa: E402
from synthetic_persona_chat.tasks.contradiction_judge import ContradictionJudge  # noqa: E402
from synthetic_persona_chat.tasks.detection_judge import DetectionJudge  # noqa: E402
from synthetic_persona_chat.tasks.generator import Generator  # noqa: E402
from synthetic_persona_chat.tasks.pairwise_quality import PairwiseQuality  # noqa: E402
from synthetic_persona_chat.tasks.query_induction import QueryInduction  # noqa: E402
from synthetic_persona_chat.text import render_conversation  # noqa: E402
from synthetic_persona_chat.usergen.seeds import LineRules  # noqa: E402


def task_rows(convs, n):
    """Per task: (task, rows, a typical answer to parse) from real conversations, cycled to n rows."""
    cs = [convs[i % len(convs)] for i in range(n)]
    text = [render_conversation(c.turns) for c in cs]
    return [
        (QueryInduction(), [{"examples": c.user1_persona} for c in cs], "What do you do for fun?"),
        (AttributeBootstrap(LineRules(), 5), [{"query": "What do you do?", "examples": c.user1_persona} for c in cs],
         "1. I work at a bakery.\n2. I drive a bus.\n3. I teach piano.\n4. I am a nurse.\n5. I fix bikes."),
        (Generator(), [{"fewshot_texts": text[i - 5:i] or text[:5], "user1_persona": c.user1_persona,
                        "user2_persona": c.user2_persona} for i, c in enumerate(cs)], text[0]),
        (PairwiseQuality(), [{"quality": "depth", "question": "Which is deeper?", "first": a, "second": b}
                             for a, b in zip(text, text[1:] + text[:1])], "B"),
        (ContradictionJudge(), [{"premise": c.user1_persona[0], "hypothesis": c.turns[0].text} for c in cs], "No."),
        (DetectionJudge(), [{"a": a, "b": b} for a, b in zip(text, text[1:] + text[:1])], "A"),
    ]


def cpu_rows(convs, n):
    out = []
    for task, rows, answer in task_rows(convs, n):
        t = time.perf_counter()
        render_all(task, rows)
        t_render = time.perf_counter() - t
        t = time.perf_counter()
        for row in rows:
            task.parse(answer, row)
        t_parse = time.perf_counter() - t
        out.append({"task": task.name, "rows": n, "render_rows_per_s": n / t_render, "parse_rows_per_s": n / t_parse})
    return out


def llm_rows(convs, n):
    llm = load_llm("transformers:smollm2")
    params = GenerationParams(max_tokens=4, temperature=0.0, top_k=1, n=1)
    task = ContradictionJudge()
    rows = [{"premise": c.user1_persona[0], "hypothesis": c.turns[0].text} for c in convs[:n]]
    run_task(llm, task, rows[:2], params)  # warm-up
    t = time.perf_counter()
    batched = run_task(llm, task, rows, params)
    t_batched = time.perf_counter() - t
    t = time.perf_counter()
    single = [run_task(llm, task, [r], params)[0] for r in rows]
    t_single = time.perf_counter() - t
    llm.close()
    agree = sum(a == b for a, b in zip(batched, single)) / len(rows)
    return [{"task": "contradiction_judge (SmolLM2, run_task: one batched call)", "rows": n,
             "seconds": t_batched, "llm_rows_per_s": n / t_batched, "speedup": t_single / t_batched,
             "same_value_as_single": agree},
            {"task": "contradiction_judge (SmolLM2, one call per row)", "rows": n, "seconds": t_single,
             "llm_rows_per_s": n / t_single, "speedup": 1.0}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--llm-rows", type=int, default=32)
    args = ap.parse_args()
    convs, _ = read_spc_csv(resolve_path("spc-sample:test"))
    rows = cpu_rows(convs, args.rows) + (llm_rows(convs, args.llm_rows) if args.llm_rows else [])
    write_results("tasks", rows, ["task", "rows", "render_rows_per_s", "parse_rows_per_s", "seconds",
                                  "llm_rows_per_s", "speedup", "same_value_as_single"])


if __name__ == "__main__":
    main()
