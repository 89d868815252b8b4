"""Weights, kept apart from the architectures: ImageNet transfer, 3D inflation, checkpoints.

Three sources of weights reach a model here:

* ImageNet ResNet-18/34 from torchvision's weights API: MiCT and the frame ResNet
  copy the 2D layers; the 3D-ResNet inflates them (see `inflate_2d_kernel`).
* This project's checkpoints: a dict whose 'model' entry is a state dict.
* The original MiCT-Net-PyTorch checkpoints: {'epoch', 'state_dict', 'optimizer',
  'best_pred'} with the original module names, renamed here to ours.
"""

import os
import pickle
import re
from pathlib import Path
from urllib.error import URLError

import torch
from torch import nn
from torchvision.models import ResNet18_Weights, ResNet34_Weights

from ..errors import CheckpointError, MictError, MissingFileError
from .frame_resnet import FrameResNet
from .mict_resnet import MiCTResNet
from .resnet3d import ResNet3d

IMAGENET_WEIGHTS = {18: ResNet18_Weights.IMAGENET1K_V1, 34: ResNet34_Weights.IMAGENET1K_V1}

# Renames as (pattern, replacement); the first matching pattern wins.
_LAYER_BLOCK = r"^(layer\d\.)(?:bottlenecks\.)?(\d+\.)"
ORIGINAL_NAMES = {
    MiCTResNet: [
        (r"^conv1\.", "stem.conv2d."),
        (r"^bn1\.", "stem.bn2d."),
        (r"^conv2\.", "stem.conv3d."),
        (r"^bn2\.", "stem.bn3d."),
        (r"^(layer\d)\.conv\.", r"\1.conv3d."),
        (r"^(layer\d)\.bn\.", r"\1.bn3d."),
        (_LAYER_BLOCK, r"\1blocks.\2"),
        (r"^fc\.", "head.fc."),
    ],
    ResNet3d: [
        (r"^(layer\d\.\d+)\.conv1\.", r"\1.conv1.0."),
        (r"^(layer\d\.\d+)\.bn1\.", r"\1.conv1.1."),
        (r"^(layer\d\.\d+)\.conv2\.", r"\1.conv2.0."),
        (r"^(layer\d\.\d+)\.bn2\.", r"\1.conv2.1."),
        (r"^fc\.", "head.fc."),
    ],
    FrameResNet: [(r"^fc\.", "head.fc.")],
}
# torchvision's 2D ResNet names: MiCT's 2D blocks sit in `layerN.blocks`, the rest
# of the models use the same names as for the original checkpoints.
IMAGENET_NAMES = {
    MiCTResNet: [(r"^conv1\.", "stem.conv2d."), (r"^bn1\.", "stem.bn2d."), (_LAYER_BLOCK, r"\1blocks.\2")],
    ResNet3d: ORIGINAL_NAMES[ResNet3d],
    FrameResNet: [],
}
# Parameters that ImageNet does not provide: the 3D branches and the classifier.
NOT_FROM_IMAGENET = {
    MiCTResNet: re.compile(r"conv3d|bn3d|^head\."),
    ResNet3d: re.compile(r"^head\."),
    FrameResNet: re.compile(r"^head\."),
}


class PretrainedWeightsUnavailable(MictError, RuntimeError):
    """The ImageNet weights are neither cached nor downloadable."""


def rename(key: str, renames: list[tuple[str, str]]) -> str:
    for pattern, replacement in renames:
        new, n = re.subn(pattern, replacement, key)
        if n:
            return new
    return key


def inflate_2d_kernel(weight: torch.Tensor, time: int) -> torch.Tensor:
    """Repeat a 2D kernel `time` times along time and divide by `time`.

    On a clip of identical frames the 3D convolution then sums `time` copies of
    the 2D response divided by `time`: exactly the 2D network's activations.
    """
    return weight.unsqueeze(2).repeat(1, 1, time, 1, 1) / time


def read_checkpoint(path: str | os.PathLike, map_location="cpu") -> object:
    """The contents of a PyTorch file, loaded safely (weights_only=True: a pickle that would run
    code is refused), with an error that says what is wrong with a file that is not one."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if "GLOBAL" in str(error):
            raise CheckpointError(
                f"refusing to load {path}: it holds Python objects other than weights (tensors, numbers, "
                f"strings and plain containers), and unpickling them could run code. Re-save only its "
                f"state dicts, or load it yourself if you trust its source."
            ) from None
        raise CheckpointError(f"{path} is not a PyTorch checkpoint (it could not be unpickled). Pass the "
                              f"best.pt or last.pt of a mict run, or a .pth.tar of MiCT-Net-PyTorch.") from None
    except Exception as error:  # noqa: BLE001 - whatever a broken file makes torch.load raise, say so
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "the file ends early"
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint ({type(error).__name__}: {reason}); "
                              f"is it empty, truncated or another kind of file? Copy it again.") from None


def imagenet_state_dict(depth: int, source: bool | str | os.PathLike = True, *, download: bool = True) -> dict:
    """ImageNet ResNet-{depth} weights from torchvision's cache or a path.

    With `download=False` a missing cache file raises instead of fetching 45–85 MB.
    """
    if depth not in IMAGENET_WEIGHTS:
        raise ValueError(f"no ImageNet weights for ResNet-{depth}; choose one of {sorted(IMAGENET_WEIGHTS)}")
    if source is not True:
        path = Path(source)
        if not path.is_file():
            raise MissingFileError(f"pretrained weights file not found: {path}")
        state = read_checkpoint(path)
        return state.get("state_dict", state) if isinstance(state, dict) else state
    weights = IMAGENET_WEIGHTS[depth]
    filename = weights.url.rsplit("/", 1)[-1]
    cached = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if not download and not cached.is_file():
        raise PretrainedWeightsUnavailable(
            f"ImageNet weights for ResNet-{depth} are not in torchvision's cache ({cached}).\n"
            f"To use them, download {weights.url} there, or allow the download (45–85 MB)."
        )
    try:
        return torch.hub.load_state_dict_from_url(
            weights.url, map_location="cpu", progress=True, check_hash=True, weights_only=True
        )
    except (URLError, OSError, RuntimeError) as error:
        raise PretrainedWeightsUnavailable(
            f"ImageNet weights for ResNet-{depth} are not cached and could not be downloaded ({error}).\n"
            f"Fix: download {weights.url}\n"
            f"and put it at {cached}\n"
            f"(torchvision's cache; set TORCH_HOME to move it), or pass pretrained='/path/to/{filename}'."
        ) from None


def is_imagenet_resnet(state_dict: dict) -> bool:
    """A torchvision 2D ResNet state dict, as opposed to a video-model checkpoint."""
    kernel = state_dict.get("layer1.0.conv1.weight")
    return "fc.weight" in state_dict and kernel is not None and kernel.dim() == 4


def transfer_imagenet_weights(model: nn.Module, state_dict: dict) -> None:
    """Copy 2D ResNet weights (convs, BN with running statistics; not the FC) into `model`.

    The 3D-ResNet receives them inflated along time.
    """
    kind = type(model)
    if kind not in IMAGENET_NAMES:
        raise ValueError(f"ImageNet transfer is not defined for {kind.__name__}")
    target = model.state_dict()
    loaded = set()
    problems = []
    for key, value in state_dict.items():
        if key.startswith("fc."):
            continue
        name = rename(key, IMAGENET_NAMES[kind])
        if name not in target:
            problems.append(f"unexpected ImageNet key {key!r} (→ {name!r})")
            continue
        if target[name].dim() == 5 and value.dim() == 4:
            value = inflate_2d_kernel(value, target[name].shape[2])
        if target[name].shape != value.shape:
            problems.append(f"{key!r}: ImageNet {tuple(value.shape)} vs model {tuple(target[name].shape)}")
            continue
        target[name].copy_(value)
        loaded.add(name)
    missing = [k for k in target if not NOT_FROM_IMAGENET[kind].search(k) and k not in loaded]
    problems += [f"missing ImageNet weight for {k!r}" for k in missing]
    if problems:
        raise CheckpointError(
            f"these ImageNet weights do not fit {kind.__name__}-{model.depth} (width {model.width}):\n  "
            + "\n  ".join(problems[:20])
            + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else "")
        )


def _strip_wrappers(state_dict: dict) -> dict:
    """Drop the prefixes that DataParallel/DDP ('module.') and torch.compile ('_orig_mod.') add."""
    out = {}
    for key, value in state_dict.items():
        for prefix in ("module.", "_orig_mod."):
            if key.startswith(prefix):
                key = key[len(prefix) :]
        out[key] = value
    return out


def checkpoint_state_dict(checkpoint: dict, model: nn.Module) -> dict:
    """The model weights inside any supported checkpoint, under `model`'s names."""
    if "model" in checkpoint and isinstance(checkpoint["model"], dict):
        state = checkpoint["model"]
    elif "state_dict" in checkpoint and isinstance(checkpoint["state_dict"], dict):
        state = checkpoint["state_dict"]
    else:
        state = checkpoint
    state = _strip_wrappers(state)
    own = model.state_dict()
    if not set(state) <= set(own) and type(model) in ORIGINAL_NAMES:
        state = {rename(k, ORIGINAL_NAMES[type(model)]): v for k, v in state.items()}
    return state


def load_checkpoint(model: nn.Module, path: str | os.PathLike, map_location="cpu") -> dict:
    """Load a checkpoint of this project or of the original MiCT-Net-PyTorch into `model`.

    Loads with weights_only=True (a pickle that would run code is refused) onto
    `map_location`, so a GPU checkpoint loads on a CPU-only machine. Returns the
    whole checkpoint, for its metadata ('epoch', 'config', …).
    """
    path = Path(path)
    checkpoint = read_checkpoint(path, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{path} is not a checkpoint: expected a dict, got {type(checkpoint).__name__}")
    state = checkpoint_state_dict(checkpoint, model)
    own = model.state_dict()
    # Checkpoints from older PyTorch lack BatchNorm's counter; it does not affect outputs.
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or wrong_shape:
        lines = []
        for title, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)):
            if keys:
                shown = ", ".join(keys[:8]) + (f", … ({len(keys)} in all)" if len(keys) > 8 else "")
                lines.append(f"  {title}: {shown}")
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__}"
            f"{'-' + str(model.depth) if hasattr(model, 'depth') else ''}:\n" + "\n".join(lines)
            + "\nIs it a checkpoint of another architecture, width, number of classes or first 3D kernel?"
        )
    for key in own:
        state.setdefault(key, own[key])
    model.load_state_dict(state)
    return checkpoint
