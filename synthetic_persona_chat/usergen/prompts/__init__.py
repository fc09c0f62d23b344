"""Prompt templates of user generation (data files, shipped with the package)."""
