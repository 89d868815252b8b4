"""Where and how the arithmetic runs: the device, the one mixed-precision policy used by
training and evaluation alike, distributed set-up, and the random generators' state."""

import os
import random
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from .errors import ConfigError

AMP_MODES = ("auto", "bf16", "fp16", "off")


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """'auto' or None picks cuda, then mps, then cpu."""
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu")
    return device


def synchronize(device: torch.device) -> None:
    """Wait for the device to finish its queued work (for timing)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


# --- Mixed precision ------------------------------------------------------------------------------

def autocast_dtype(amp: str, device: torch.device, quiet: bool = False) -> tuple[torch.dtype | None, bool]:
    """(autocast dtype or None for float32, whether a gradient scaler is needed).

    'auto': bf16 on CUDA GPUs that support it, fp16 with a scaler on those that do not
    (V100, T4), float32 everywhere else. On the CPU bf16 is opt-in ('bf16'): oneDNN's
    bfloat16 kernels differ between CPU families (AVX512-BF16, AMX), so the same seed no
    longer trains the same way on every machine, and a 3D-ResNet has diverged under it
    on one CPU that trained cleanly on another.
    """
    if amp not in AMP_MODES:
        raise ConfigError(f"amp must be one of {list(AMP_MODES)}, got {amp!r}")
    if amp == "off":
        return None, False
    if device.type == "cuda":
        if amp == "bf16" or (amp == "auto" and torch.cuda.is_bf16_supported()):
            return torch.bfloat16, False
        return torch.float16, True
    if device.type == "cpu" and amp == "bf16":
        return torch.bfloat16, False
    if amp != "auto" and not quiet:
        print(f"amp={amp} is not available on {device.type}; running in float32")
    return None, False


def autocast(device: torch.device, amp: str = "auto") -> AbstractContextManager:
    """`torch.autocast` under the policy of `autocast_dtype`; a no-op for float32."""
    dtype, _ = autocast_dtype(amp, device, quiet=True)
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


# --- Distributed ----------------------------------------------------------------------------------

@dataclass
class Distributed:
    """Rank, world size and device of this process (a single process is rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @classmethod
    def from_environment(cls) -> "Distributed":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        return cls(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


def setup_distributed(device: str) -> tuple[Distributed, torch.device]:
    """This process's place in a `torchrun` job (or a job of one) and its device."""
    context = Distributed.from_environment()
    resolved = resolve_device(device)
    if context.enabled:
        if resolved.type == "cuda":
            resolved = torch.device("cuda", context.local_rank)
            torch.cuda.set_device(resolved)
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if resolved.type == "cuda" else "gloo")
    return context, resolved


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the model itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


# --- Random generators ----------------------------------------------------------------------------

def rng_state() -> dict:
    """The state of every generator a training step draws from (torch, CUDA, Python, NumPy)."""
    name, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached))
