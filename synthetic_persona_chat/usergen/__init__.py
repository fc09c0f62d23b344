"""User generation: persona expansion, consistent profiles, and the pairs stage (category-based pairing).

    run_expand(ctx, seeds_path=..., seeds=[...])  -> expand/attributes.parquet, categories.parquet, report
    run_profiles(ctx)                             -> profiles/profiles.parquet, rejections.parquet
    run_pairs(ctx)                                -> pairs/pairs.parquet

The stages are in `stages.py`, their settings in `config.py`. Nothing is imported here: the prompt tasks
use this package's parsers (`parsing.py`, `seeds.py`), and a package that loaded its stages on import
would make every such import load the stages, which import the tasks back.
"""
