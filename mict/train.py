"""Training: `mict train` and its library call `train(config)`.

One loop for the CPU course and the GPU reproduction. What it guarantees:

* Honest model selection: `best.pt` is chosen on the validation groups, never on test.
* Exact resume: checkpoints hold the model, optimizer, scheduler, AMP scaler, RNG
  states and the position in the epoch; augmentation depends only on (seed, epoch,
  index) and the shuffling only on (seed, epoch), so on the CPU a run stopped and
  resumed ends with the weights of a run that never stopped. Ctrl-C saves first.
* Nothing lost: checkpoints are written to a temporary file then renamed; a NaN loss
  stops the run and leaves the last good checkpoint in place.
* Scale: AMP on CUDA, and DistributedDataParallel under `torchrun -m mict train`.
"""

import dataclasses
import json
import os
import random
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, Sampler
from tqdm.auto import tqdm

from .atomic import atomic_path
from .bench import resolve_device
from .config import TrainConfig, frame_size_for
from .data import ClipDataset, DataNotPreparedError
from .data.dataset import load_manifest
from .metrics import RunningMetrics
from .models import get_model, load_checkpoint
from .progress import show_progress

CHECKPOINT_FORMAT = "mict-checkpoint/1"
RUN_FILES = ("config.json", "metrics.csv", "last.pt", "best.pt", "interrupted.pt")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class RunExistsError(FileExistsError):
    """The output folder holds another run and neither resume nor overwrite was asked for."""


# --- Distributed context ------------------------------------------------------------------------

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


def setup_distributed(config: TrainConfig) -> tuple[Distributed, torch.device]:
    context = Distributed.from_environment()
    device = resolve_device(config.device)
    if context.enabled:
        if device.type == "cuda":
            device = torch.device("cuda", context.local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return context, device


# --- Data ---------------------------------------------------------------------------------------

def ensure_data(config: TrainConfig, context: Distributed | None = None, progress: bool | None = None) -> Path:
    """The prepared dataset of `config`; the quick profile generates the synthetic one when missing."""
    from . import paths

    root = Path(config.data_root())
    try:
        load_manifest(root)
        return root
    except DataNotPreparedError:
        if not (config.profile == "quick" and config.data is None):
            raise
    if context is None or context.is_main:
        from .data import SynthConfig, generate_dataset, prepare_dataset

        print(f"the synthetic dataset is not prepared yet: generating it under {paths.synthetic_raw_dir()} …")
        generate_dataset(paths.synthetic_raw_dir(), SynthConfig(), progress=progress)
        report = prepare_dataset(paths.synthetic_raw_dir(), root, size=frame_size_for(config.base_size),
                                 progress=progress)
        print(report.summary())
    if context is not None:
        context.barrier()
    return root


class EpochSlice(Sampler):
    """A sampler's indices from position `start` on: resuming in the middle of an epoch."""

    def __init__(self, sampler: Sampler, start: int):
        self.sampler, self.start = sampler, start

    def __iter__(self):
        return iter(list(self.sampler)[self.start :])

    def __len__(self) -> int:
        return max(0, len(self.sampler) - self.start)


class ShardSampler(Sampler):
    """Every `world`-th index from `rank`: evaluation shards without DistributedSampler's padding."""

    def __init__(self, length: int, rank: int, world: int):
        self.indices = list(range(rank, length, world))

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(dataset, batch_size: int, sampler: Sampler, workers: int, device: torch.device,
                drop_last: bool = False, seed: int = 0) -> DataLoader:
    """A DataLoader with its own generator: starting one never consumes the global RNG, which
    drives dropout, so resuming in the middle of an epoch replays the same masks."""
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=device.type == "cuda", drop_last=drop_last, worker_init_fn=_seed_worker,
                      generator=torch.Generator().manual_seed(seed),
                      multiprocessing_context="fork" if workers and os.name == "posix" else None)


# --- Optimisation ---------------------------------------------------------------------------------

def build_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def build_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int):
    """A per-iteration schedule; epochs in the config are converted to iterations."""
    from torch.optim import lr_scheduler as S

    total = config.epochs * steps_per_epoch
    warmup = round(config.warmup_epochs * steps_per_epoch)
    if config.schedule == "onecycle":
        return S.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total,
                            pct_start=max(0.05, min(0.5, warmup / total if warmup else 0.25)))
    main = {
        "step": lambda: S.StepLR(optimizer, step_size=config.lr_steps[0] * steps_per_epoch, gamma=config.lr_gamma),
        "multistep": lambda: S.MultiStepLR(optimizer, [m * steps_per_epoch - warmup for m in config.lr_steps],
                                           gamma=config.lr_gamma),
        "poly": lambda: S.PolynomialLR(optimizer, total_iters=total - warmup, power=0.9),
        "cosine": lambda: S.CosineAnnealingLR(optimizer, T_max=total - warmup),
        "constant": lambda: S.ConstantLR(optimizer, factor=1.0, total_iters=0),
    }[config.schedule]()
    if not warmup:
        return main
    ramp = S.LinearLR(optimizer, start_factor=0.01, total_iters=warmup)
    return S.SequentialLR(optimizer, [ramp, main], milestones=[warmup])


def amp_settings(config: TrainConfig, device: torch.device) -> tuple[torch.dtype | None, bool]:
    """(autocast dtype or None, whether a gradient scaler is needed).

    'auto': bf16 on CUDA when supported, else fp16 with a scaler; float32 on other devices.
    On the CPU bf16 is opt-in ('bf16'): it trains ~1.4× faster where oneDNN has native
    bfloat16, but its kernels differ between CPU families (AVX512-BF16, AMX), so the same
    seed no longer gives the same run everywhere, and one of our CI machines saw a
    3D-ResNet diverge to NaN under it that trained cleanly elsewhere.
    """
    if config.amp == "off":
        return None, False
    if device.type == "cuda":
        if config.amp == "bf16" or (config.amp == "auto" and torch.cuda.is_bf16_supported()):
            return torch.bfloat16, False
        return torch.float16, True
    if device.type == "cpu" and config.amp == "bf16":
        return torch.bfloat16, False
    if config.amp != "auto":
        print(f"amp={config.amp} is not available on {device.type}; training in float32")
    return None, False


# --- Checkpoints ----------------------------------------------------------------------------------

def save_atomically(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def rng_state() -> dict:
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


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def read_run_config(run_dir: Path) -> TrainConfig | None:
    path = Path(run_dir) / "config.json"
    return TrainConfig.from_dict(json.loads(path.read_text())) if path.is_file() else None


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint that got furthest: `interrupted.pt` when newer than `last.pt`."""
    best_path, best_position = None, (-1, -1)
    for name in ("last.pt", "interrupted.pt"):
        path = Path(run_dir) / name
        if path.is_file():
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
            position = (checkpoint["epoch"], checkpoint["step"])
            if position > best_position:
                best_path, best_position = path, position
    return best_path


def is_complete(run_dir: str | Path) -> bool:
    """Whether the run in `run_dir` has trained all its epochs."""
    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    if config is None or not (run_dir / "last.pt").is_file():
        return False
    checkpoint = torch.load(run_dir / "last.pt", map_location="cpu", weights_only=True)
    return checkpoint["epoch"] >= config.epochs


def _differences(a: TrainConfig, b: TrainConfig) -> list[str]:
    """The fields that make two configurations different runs (the data compared by location)."""
    ignored = {"out", "workers", "device", "epochs", "extra", "data"}
    differences = [f"{f.name}: {getattr(a, f.name)!r} → {getattr(b, f.name)!r}" for f in dataclasses.fields(a)
                   if f.name not in ignored and getattr(a, f.name) != getattr(b, f.name)]
    if Path(a.data_root()).resolve() != Path(b.data_root()).resolve():
        differences.append(f"data: {a.data_root()!r} → {b.data_root()!r}")
    return differences


def prepare_run_dir(config: TrainConfig, resume: bool, overwrite: bool) -> Path:
    """Create the run folder, refusing to mix two runs in one folder."""
    run_dir = Path(config.run_dir())
    existing = read_run_config(run_dir)
    if existing is not None:
        if overwrite:
            for name in RUN_FILES:
                (run_dir / name).unlink(missing_ok=True)
        elif resume:
            differences = _differences(existing, config)
            if differences:
                raise RunExistsError(
                    f"{run_dir} holds a run with another configuration; cannot resume it with:\n  "
                    + "\n  ".join(differences) + "\nUse another --out, or --overwrite to start again."
                )
        else:
            position = ""
            if (run_dir / "last.pt").is_file():
                checkpoint = torch.load(run_dir / "last.pt", map_location="cpu", weights_only=True)
                position = f", trained {checkpoint['epoch']}/{existing.epochs} epochs"
            raise RunExistsError(
                f"{run_dir} already holds a run ({existing.model}{position}). "
                f"Pass --resume to continue it or --overwrite to start again, or choose another --out."
            )
    elif run_dir.exists() and any(run_dir.iterdir()) and not overwrite:
        raise RunExistsError(f"{run_dir} is not empty and holds no mict run; choose another --out "
                             f"or pass --overwrite")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


# --- The loop -------------------------------------------------------------------------------------

@dataclass
class TrainResult:
    run_dir: Path
    config: TrainConfig
    history: pd.DataFrame
    classes: list[str]
    best_epoch: int | None
    best_val_top1: float | None

    @property
    def best_checkpoint(self) -> Path:
        best = self.run_dir / "best.pt"
        return best if best.is_file() else self.run_dir / "last.pt"

    def load_model(self, which: str = "best") -> nn.Module:
        return load_trained_model(self.run_dir / f"{which}.pt" if which != "best" else self.best_checkpoint)[0]


def load_trained_model(checkpoint: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, TrainConfig,
                                                                                             list[str]]:
    """A model rebuilt from one of this project's checkpoints (its config says how), in eval mode."""
    meta = torch.load(checkpoint, map_location="cpu", weights_only=True)
    if "config" not in meta:
        raise ValueError(f"{checkpoint} has no training config (an original checkpoint?): build the model "
                         f"with get_model(...) and use load_checkpoint(model, path)")
    config = TrainConfig.from_dict(meta["config"])
    options = {**config.model_options(), "pretrained": False}
    model = get_model(config.model, num_classes=len(meta["classes"]), **options)
    load_checkpoint(model, checkpoint)
    return model.to(device).eval(), config, list(meta["classes"])


class Trainer:
    def __init__(self, config: TrainConfig, *, resume: bool = False, overwrite: bool = False,
                 progress: bool | None = None, stop_after_epoch: int | None = None):
        self.config, self.progress = config, show_progress(progress)
        self.stop_after_epoch = stop_after_epoch  # for tests and demos of resuming
        self.context, self.device = setup_distributed(config)
        world, accumulation = self.context.world_size, config.accumulation
        if config.batch_size % (world * accumulation):
            raise ValueError(f"batch_size {config.batch_size} must be divisible by processes × accumulation "
                             f"= {world} × {accumulation}")
        self.micro_batch = config.batch_size // (world * accumulation)
        root = ensure_data(config, self.context, progress)
        self.run_dir = Path(config.run_dir())
        if self.context.is_main:
            prepare_run_dir(config, resume, overwrite)
            (self.run_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2, default=str) + "\n")
        self.context.barrier()

        common = dict(split=config.split, frames=config.frames, crop_size=config.crop_size,
                      base_size=config.base_size, val_groups=config.val_groups, seed=config.seed)
        self.train_set = ClipDataset(root, subset="train", hflip=config.hflip, crop_scales=config.crop_scales,
                                     colour_jitter=config.colour_jitter, max_step=config.max_step, **common)
        self.classes = self.train_set.classes
        self.sampler = DistributedSampler(self.train_set, num_replicas=world, rank=self.context.rank,
                                          shuffle=True, seed=config.seed, drop_last=True)
        self.steps_per_epoch = len(self.sampler) // (self.micro_batch * accumulation)
        if self.steps_per_epoch == 0:
            raise ValueError(f"the training subset ({len(self.train_set)} clips) is smaller than one batch "
                             f"({config.batch_size}); lower --batch-size")
        self.val_loader = None
        if config.val_groups:
            val_set = ClipDataset(root, subset="val", **common)
            self.val_loader = make_loader(val_set, self.micro_batch * accumulation,
                                          ShardSampler(len(val_set), self.context.rank, world),
                                          config.workers, self.device)

        torch.manual_seed(config.seed)
        model = get_model(config.model, num_classes=len(self.classes), **config.model_options())
        if config.sync_bn and self.context.enabled:
            if self.device.type != "cuda":
                raise ValueError("--sync-bn needs CUDA GPUs (PyTorch's SyncBatchNorm has no CPU implementation)")
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model.to(self.device)
        self.model = model
        if self.context.enabled:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        self.optimizer = build_optimizer(config, model)
        self.scheduler = build_scheduler(config, self.optimizer, self.steps_per_epoch)
        self.autocast_dtype, use_scaler = amp_settings(config, self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=use_scaler)
        self.criterion = nn.CrossEntropyLoss()

        self.epoch, self.step = 0, 0
        self.history: list[dict] = []
        self.best_val_top1, self.best_epoch = None, None
        self.partial = RunningMetrics()
        self.partial_seconds = 0.0
        if resume:
            self._resume()

    # checkpoints
    def _state(self) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": rng_state(),
            "epoch": self.epoch,
            "step": self.step,
            "partial": self.partial.state(),
            "partial_seconds": self.partial_seconds,
            "best_val_top1": self.best_val_top1,
            "best_epoch": self.best_epoch,
            "history": self.history,
            "config": self.config.to_dict(),
            "classes": self.classes,
        }

    def _save(self, name: str, state: dict | None = None) -> None:
        if self.context.is_main:
            save_atomically(state or self._state(), self.run_dir / name)

    def _resume(self) -> None:
        path = latest_checkpoint(self.run_dir)
        if path is None:
            print(f"nothing to resume in {self.run_dir}: starting from scratch")
            return
        checkpoint = torch.load(path, map_location=self.device, weights_only=True)
        unwrap(self.model).load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scheduler.load_state_dict(checkpoint["scheduler"])
        self.scaler.load_state_dict(checkpoint["scaler"])
        set_rng_state({k: v.cpu() if torch.is_tensor(v) else v for k, v in checkpoint["rng"].items()})
        self.epoch, self.step = checkpoint["epoch"], checkpoint["step"]
        self.partial.load(checkpoint["partial"])
        self.partial_seconds = checkpoint["partial_seconds"]
        self.best_val_top1, self.best_epoch = checkpoint["best_val_top1"], checkpoint["best_epoch"]
        self.history = list(checkpoint["history"])
        if self.context.is_main:
            print(f"resuming {self.run_dir} from {path.name}: epoch {self.epoch + 1}, batch {self.step}")

    # one epoch
    def _train_epoch(self) -> dict:
        config, epoch = self.config, self.epoch
        self.model.train()
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        per_step = self.micro_batch * config.accumulation
        sampler = EpochSlice(self.sampler, self.step * per_step)
        loader = make_loader(self.train_set, per_step, sampler, config.workers, self.device, drop_last=True,
                             seed=config.seed + epoch)
        metrics = self.partial
        bar = tqdm(loader, total=self.steps_per_epoch, initial=self.step, leave=False, unit="batch",
                   desc=f"epoch {epoch + 1}/{config.epochs}", disable=not (self.progress and self.context.is_main))
        start = time.perf_counter() - self.partial_seconds
        try:
            for clips, labels in bar:
                if self.step >= self.steps_per_epoch:
                    break
                clips = clips.to(self.device, non_blocking=True)
                labels = labels.to(self.device, non_blocking=True)
                loss, logits = self._optimisation_step(clips, labels)
                metrics.update(loss, logits, labels)
                self.step += 1
                bar.set_postfix(loss=f"{metrics.loss:.3f}", top1=f"{metrics.top1:.1f}")
        except KeyboardInterrupt:
            self.partial_seconds = time.perf_counter() - start
            self._save("interrupted.pt")
            if self.context.is_main:
                print(f"\ninterrupted: saved {self.run_dir / 'interrupted.pt'} (epoch {epoch + 1}, batch "
                      f"{self.step}); continue with --resume")
            raise
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        metrics.all_reduce()
        return {"train_loss": metrics.loss, "train_top1": metrics.top1, "train_top5": metrics.top5,
                "seconds": seconds, "clips_per_s": metrics.count / seconds}

    def _optimisation_step(self, clips: torch.Tensor, labels: torch.Tensor) -> tuple[float, torch.Tensor]:
        accumulation = self.config.accumulation
        total_loss, all_logits = 0.0, []
        for k in range(accumulation):
            # Interleaved micro-batches are exactly the per-process batches DDP would see.
            micro_clips, micro_labels = clips[k::accumulation], labels[k::accumulation]
            sync = k == accumulation - 1 or not self.context.enabled
            context = self.model.no_sync() if not sync else nullcontext()
            with context, torch.autocast(self.device.type, dtype=self.autocast_dtype,
                                         enabled=self.autocast_dtype is not None):
                logits = self.model(micro_clips)
                loss = self.criterion(logits.float(), micro_labels) / accumulation
            if not torch.isfinite(loss):
                raise TrainingDiverged(
                    f"the loss became {loss.item()} at epoch {self.epoch + 1}, batch {self.step + 1} "
                    f"(lr {self.optimizer.param_groups[0]['lr']:.3g}). The run stopped; its last good checkpoint "
                    f"is {self.run_dir / 'last.pt'}. Try a lower --lr or more --warmup-epochs."
                )
            self.scaler.scale(loss).backward()
            total_loss += loss.item()
            all_logits.append((k, logits.detach()))
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        logits = torch.empty(clips.shape[0], all_logits[0][1].shape[1], device=clips.device)
        for k, part in all_logits:
            logits[k::accumulation] = part.float()
        return total_loss, logits

    @torch.no_grad()
    def _validate(self) -> dict:
        if self.val_loader is None:
            return {}
        self.model.eval()
        metrics = RunningMetrics()
        for clips, labels in self.val_loader:
            clips, labels = clips.to(self.device), labels.to(self.device)
            with torch.autocast(self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None):
                logits = self.model(clips).float()
            metrics.update(self.criterion(logits, labels).item(), logits, labels)
        metrics.all_reduce()
        return {"val_loss": metrics.loss, "val_top1": metrics.top1, "val_top5": metrics.top5}

    def _log(self, row: dict) -> None:
        if not self.context.is_main:
            return
        with atomic_path(self.run_dir / "metrics.csv") as tmp:
            pd.DataFrame(self.history).to_csv(tmp, index=False)
        val = f"  val loss {row['val_loss']:.3f} top1 {row['val_top1']:5.1f}%" if "val_top1" in row else ""
        print(f"epoch {row['epoch']:3d}/{self.config.epochs}  train loss {row['train_loss']:.3f} "
              f"top1 {row['train_top1']:5.1f}%{val}  lr {row['lr']:.2e}  "
              f"{row['clips_per_s']:.0f} clips/s  {row['seconds']:.0f}s", flush=True)

    def fit(self) -> TrainResult:
        try:
            while self.epoch < self.config.epochs:
                lr = self.optimizer.param_groups[0]["lr"]
                row = {"epoch": self.epoch + 1, "lr": lr, **self._train_epoch(), **self._validate()}
                self.history.append(row)
                self.epoch, self.step = self.epoch + 1, 0
                self.partial, self.partial_seconds = RunningMetrics(), 0.0
                improved = "val_top1" in row and (self.best_val_top1 is None or row["val_top1"] > self.best_val_top1)
                if improved:
                    self.best_val_top1, self.best_epoch = row["val_top1"], row["epoch"]
                state = self._state()
                self._save("last.pt", state)
                if improved:
                    self._save("best.pt", state)
                if self.context.is_main:
                    (self.run_dir / "interrupted.pt").unlink(missing_ok=True)
                self._log(row)
                if self.stop_after_epoch is not None and self.epoch >= self.stop_after_epoch:
                    break
        finally:
            self.context.barrier()
        return TrainResult(self.run_dir, self.config, pd.DataFrame(self.history), self.classes, self.best_epoch,
                           self.best_val_top1)


def train(config: TrainConfig, *, resume: bool = False, overwrite: bool = False, progress: bool | None = None,
          stop_after_epoch: int | None = None) -> TrainResult:
    """Train `config` into its run folder; see the module docstring for the guarantees."""
    return Trainer(config, resume=resume, overwrite=overwrite, progress=progress,
                   stop_after_epoch=stop_after_epoch).fit()


def train_or_load(config: TrainConfig, *, retrain: bool = False, progress: bool | None = None) -> TrainResult:
    """The course's cache: reuse a finished run of exactly this config, resume an unfinished one."""
    run_dir = Path(config.run_dir())
    if retrain and run_dir.exists():
        shutil.rmtree(run_dir)
    if is_complete(run_dir) and not _differences(read_run_config(run_dir), config):
        checkpoint = torch.load(run_dir / "last.pt", map_location="cpu", weights_only=True)
        print(f"reusing the finished run {run_dir}")
        return TrainResult(run_dir, config, pd.DataFrame(checkpoint["history"]), list(checkpoint["classes"]),
                           checkpoint["best_epoch"], checkpoint["best_val_top1"])
    return train(config, resume=read_run_config(run_dir) is not None, progress=progress)
