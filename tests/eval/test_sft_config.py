"""`eval_sft.dtype: bfloat16` on a machine with no bf16 GPU trains on the CPU under autocast: transformers refuses
`bf16=True` there unless told to use the CPU, so without this the option crashed before the first step."""

from __future__ import annotations

import pytest

pytest.importorskip("trl", reason="the generative track needs the [sft] extra (pip install -e '.[sft]')")

from transformers.utils import is_torch_bf16_gpu_available  # noqa: E402

from synthetic_persona_chat.eval.sft import SFTRunConfig, sft_config  # noqa: E402


@pytest.mark.skipif(is_torch_bf16_gpu_available(), reason="a bf16 GPU trains there, not on the CPU")
def test_bf16_without_a_bf16_gpu_is_cpu_autocast_not_an_error(tmp_path):
    args = sft_config(SFTRunConfig(dtype="bfloat16"), tmp_path)
    assert args.bf16 and args.use_cpu


def test_float32_leaves_the_device_choice_to_transformers(tmp_path):
    args = sft_config(SFTRunConfig(dtype="float32"), tmp_path)
    assert not args.bf16 and not args.use_cpu
