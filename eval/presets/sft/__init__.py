"""`spc eval sft --preset NAME`: the [eval_sft] settings of each preset (NAME.yaml)."""
