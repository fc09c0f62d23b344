"""`spc eval nup --preset NAME`: the [eval_nup] settings of each preset (NAME.yaml)."""
