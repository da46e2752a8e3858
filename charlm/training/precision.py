"""Training's number format: bfloat16 autocast where it pays, float32 elsewhere.

On a CPU with bfloat16 instructions (AVX-512 bf16, AMX), autocast runs the transformer's
matrix products in bfloat16, weights, optimizer state and the loss staying float32. It was
measured to pay for a transformer that is wide or multiplies many rows a step (batch x
window), and not for a narrow one with few (one core of an AMD EPYC Zen 4, BENCHMARKS.md,
"bf16 on a CPU"); the recurrent family was not measured. That is what "auto" chooses. On CUDA it stays off
unless asked (the GPU recipe asks). --bf16 and --no-bf16 force either.
"""

from __future__ import annotations

import torch

MIN_WIDTH = 256  # at least this wide, or
MIN_ROWS = 3072  # at least this many rows a step (batch x window): narrower and fewer, bf16 did not pay


def cpu_has_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX-512 bf16 or AMX tiles)."""
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(p is not None for p in probes):
        return any(p() for p in probes if p is not None)
    try:  # an older torch: ask the kernel
        flags = next(ln for ln in open("/proc/cpuinfo") if ln.startswith("flags")).split()
    except (OSError, StopIteration):
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_bf16(asked: bool | None, device: torch.device, config, rows: int) -> tuple[bool, str]:
    """(bf16 autocast on or not, why), for start-up to say; rows: a step's batch x window."""
    if asked is not None:
        return asked and device.type in ("cpu", "cuda"), "as asked" if device.type in ("cpu", "cuda") else \
            f"{device.type} has no bf16 autocast here"
    if device.type != "cpu":
        return False, "off unless asked (--bf16)"
    if not cpu_has_bf16():
        return False, "this CPU has no bf16 instructions"
    if not config.windowed:
        return False, "measured to pay for transformers only"
    if config.rnn_size < MIN_WIDTH and rows < MIN_ROWS:
        return False, f"measured to pay for transformers {MIN_WIDTH} wide, or {MIN_ROWS:,} rows a step, or more"

    return True, "this CPU has bf16 instructions"
