"""Readers from released formats into the typed record model; each returns records plus skips."""

from .native import read_records, write_records
from .parlai import ParlAIFormatError, read_parlai
from .spc_csv import SPC_COLUMNS, SPCFormatError, read_spc_csv, read_spc_dir

__all__ = ["read_records", "write_records", "ParlAIFormatError", "read_parlai", "SPC_COLUMNS",
           "SPCFormatError", "read_spc_csv", "read_spc_dir"]
