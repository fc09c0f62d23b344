"""What every command module shares, kept apart from `cli.py` so that command modules can import it at
module level: `cli.py` imports every command module, so they must not import `cli.py` back."""

from __future__ import annotations

import argparse


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads a config shares."""
    parser.add_argument("--config", "-c", help="YAML or TOML config file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set models.llm=openai:llama@http://127.0.0.1:8000/v1")
