"""`spc` puts Arrow on the system allocator (cli.use_system_arrow_pool), unless the user chose a pool."""

import subprocess
import sys

import pytest

SHOW_POOL = ("import pyarrow as pa; from synthetic_persona_chat.cli import main; main([]); "
             "print(pa.default_memory_pool().backend_name)")


def _pool_after_main(env_pool: str | None) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_pool:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_pool
    out = subprocess.run([sys.executable, "-c", SHOW_POOL], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_spc_allocates_arrow_memory_from_the_system_allocator():
    assert _pool_after_main(None) == "system"


def test_a_pool_the_user_chose_is_kept():
    import pyarrow as pa

    if "mimalloc" not in pa.supported_memory_backends():
        pytest.skip("this pyarrow build has no mimalloc pool")
    assert _pool_after_main("mimalloc") == "mimalloc"
