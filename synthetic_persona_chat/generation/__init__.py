"""Conversation generation: the Generator–Critic stage and the end-to-end `spc generate`.

Stage functions are pure batch maps over dict rows (`stages.py`), run by the local engine
(`engine.py`) or, later, a distributed one; `iterate.run_conversations(ctx)` is the stage and
`pipeline.run_generate(ctx)` the whole run (user generation: expand, profiles, pairs -> conversations).

Nothing is imported here: the prompt tasks use this package's parser (`parser.py`), and a package that
loaded its stages on import would make that import load the stages, which import the tasks back.
"""
