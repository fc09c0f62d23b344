"""User generation: persona expansion, consistent profiles, and the pairs stage (category-based pairing).

    run_expand(ctx, seeds_path=..., seeds=[...])  -> expand/attributes.parquet, categories.parquet, report
    run_profiles(ctx)                             -> profiles/profiles.parquet, rejections.parquet
    run_pairs(ctx)                                -> pairs/pairs.parquet
"""

from .config import ExpandConfig, PairsConfig, ProfilesConfig
from .seeds import SeedFormatError, read_seed_file
from .stages import run_expand, run_pairs, run_profiles

__all__ = ["ExpandConfig", "PairsConfig", "ProfilesConfig", "SeedFormatError", "read_seed_file",
           "run_expand", "run_pairs", "run_profiles"]
