"""The `spc eval` cross tables' presets: one folder per table, one YAML file per `--preset` name."""
