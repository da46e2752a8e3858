"""Training's number format: bfloat16 autocast where it pays, float32 elsewhere.

On a CPU with bfloat16 instructions (AVX-512 bf16, AMX), autocast runs the transformer's
matrix products in bfloat16, weights, optimizer state and the loss staying float32. It was
measured to pay for a wide transformer and not for a narrow one (one core of an AMD EPYC
Zen 4: 1.66x at width 384, 1.0-1.15x at 128; BENCHMARKS.md, "bf16 on a CPU"), and the
recurrent family was not measured, so that is what "auto" chooses. On CUDA it stays off
unless asked (the GPU recipe asks). --bf16 and --no-bf16 force either.
"""

from __future__ import annotations

import torch

MIN_WIDTH = 256  # narrower, bf16 autocast did not pay on a CPU


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


def choose_bf16(asked: bool | None, device: torch.device, config) -> tuple[bool, str]:
    """(bf16 autocast on or not, why), for start-up to say."""
    if asked is not None:
        return asked and device.type in ("cpu", "cuda"), "as asked" if device.type in ("cpu", "cuda") else \
            f"{device.type} has no bf16 autocast here"
    if device.type != "cpu":
        return False, "off unless asked (--bf16)"
    if not cpu_has_bf16():
        return False, "this CPU has no bf16 instructions"
    if not config.windowed or config.rnn_size < MIN_WIDTH:
        return False, f"measured to pay for transformers {MIN_WIDTH} wide or more only"
    return True, "this CPU has bf16 instructions"
