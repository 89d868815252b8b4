"""Training: `mict train` and its library call `train(config)`.

One loop for the CPU course and the GPU reproduction. What it guarantees:

* Honest model selection: `best.pt` is chosen on the validation groups, never on test.
* Exact resume: augmentation depends only on (seed, epoch, index) and shuffling only on
  (seed, epoch), so on the same machine a run stopped and resumed ends with the weights
  of a run that never stopped. Ctrl-C saves `interrupted.pt` first.
* Nothing lost: checkpoints are written atomically (`mict.checkpoints`); a NaN loss stops
  the run and leaves the last good checkpoint in place. A prepared frame that does not
  decode stops the run too, after saving its position in `interrupted.pt`: skipping the
  clip would silently change what the run learns. The error names the video and the
  frame and gives the `mict prepare --verify` command that repairs it; `--resume` then
  continues where the run stopped.
* Scale: mixed precision on CUDA (`mict.runtime`), DistributedDataParallel under
  `torchrun -m mict train`, gradient accumulation.
"""

import time
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DistributedSampler
from tqdm.auto import tqdm

from .atomic import atomic_path
from .checkpoints import (
    CHECKPOINT_FORMAT,
    TrainResult,
    latest_checkpoint,
    prepare_run_dir,
    save_checkpoint,
    write_run_config,
)
from .config import TrainConfig, frame_size_for
from .data import ClipDataset, CorruptFrameError, EpochSlice, ShardSampler, ensure_prepared, make_loader
from .errors import ConfigError, MictError
from .metrics import RunningMetrics
from .models import get_model, read_checkpoint
from .optim import build_optimizer, build_scheduler
from .progress import show_progress
from .runtime import autocast_dtype, rng_state, set_rng_state, setup_distributed, unwrap


class TrainingDiverged(MictError, RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class NonFiniteLoss(ArithmeticError):
    """The loss of a step was NaN or infinite (its value is the message)."""


def optimisation_step(model: nn.Module, optimizer: torch.optim.Optimizer, clips: torch.Tensor, labels: torch.Tensor,
                      *, criterion: nn.Module | None = None, scaler: torch.amp.GradScaler | None = None,
                      scheduler=None, accumulation: int = 1, autocast_dtype: torch.dtype | None = None,
                      no_sync=None) -> tuple[float, torch.Tensor]:
    """One optimiser step on a batch of N×3×T×H×W clips: forward, cross-entropy, backward, step.

    Returns the loss (before the update) and the logits. The batch can be split into `accumulation`
    interleaved micro-batches, whose gradients add up before the step; `no_sync` (DDP's) skips the
    gradient all-reduce of all but the last. A gradient `scaler` and `autocast_dtype` serve fp16/bf16.
    """
    criterion = criterion or nn.CrossEntropyLoss()
    total_loss, all_logits = 0.0, []
    for k in range(accumulation):
        # Interleaved micro-batches are exactly the per-process batches DDP would see.
        micro_clips, micro_labels = clips[k::accumulation], labels[k::accumulation]
        sync = k == accumulation - 1 or no_sync is None
        with no_sync() if not sync else nullcontext(), torch.autocast(clips.device.type, dtype=autocast_dtype,
                                                                      enabled=autocast_dtype is not None):
            logits = model(micro_clips)
            loss = criterion(logits.float(), micro_labels) / accumulation
        if not torch.isfinite(loss):
            raise NonFiniteLoss(loss.item())
        (scaler.scale(loss) if scaler is not None else loss).backward()
        total_loss += loss.item()
        all_logits.append((k, logits.detach()))
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if scheduler is not None:
        scheduler.step()
    logits = torch.empty(clips.shape[0], all_logits[0][1].shape[1], device=clips.device)
    for k, part in all_logits:
        logits[k::accumulation] = part.float()
    return total_loss, logits


class Trainer:
    def __init__(self, config: TrainConfig, *, resume: bool = False, overwrite: bool = False,
                 progress: bool | None = None, stop_after_epoch: int | None = None):
        self.config, self.progress = config, show_progress(progress)
        self.stop_after_epoch = stop_after_epoch  # for tests and demos of resuming
        self.context, self.device = setup_distributed(config.device)
        world, accumulation = self.context.world_size, config.accumulation
        if config.batch_size % (world * accumulation):
            raise ConfigError(f"batch_size {config.batch_size} must be divisible by processes × accumulation "
                             f"= {world} × {accumulation}")
        self.micro_batch = config.batch_size // (world * accumulation)
        synthesize_at = frame_size_for(config.base_size) if config.generates_synthetic_data() else None
        root = ensure_prepared(config.data_root(), synthesize_at=synthesize_at, synthetic=config.synthetic,
                               context=self.context, progress=progress)
        self.run_dir = Path(config.run_dir())
        if self.context.is_main:
            prepare_run_dir(config, resume, overwrite)
            write_run_config(config, self.run_dir)
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
            raise ConfigError(f"the training subset ({len(self.train_set)} clips) is smaller than one batch "
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
                raise ConfigError("--sync-bn needs CUDA GPUs (PyTorch's SyncBatchNorm has no CPU implementation)")
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        self.model = model.to(self.device)
        if self.context.enabled:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        self.optimizer = build_optimizer(config, model)
        self.scheduler = build_scheduler(config, self.optimizer, self.steps_per_epoch)
        self.autocast_dtype, use_scaler = autocast_dtype(config.amp, self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=use_scaler)
        self.criterion = nn.CrossEntropyLoss()

        self.epoch, self.step = 0, 0  # the next epoch to train, and the steps of it already done
        self.history: list[dict] = []
        self.best_val_top1, self.best_epoch = None, None
        self.partial, self.partial_seconds = RunningMetrics(), 0.0  # the current epoch so far
        if resume:
            self._resume()

    # --- the loop ---------------------------------------------------------------------------------

    def fit(self) -> TrainResult:
        try:
            while self.epoch < self.config.epochs:
                lr = self.optimizer.param_groups[0]["lr"]
                try:
                    row = {"epoch": self.epoch + 1, "lr": lr, **self._train_epoch(), **self._validate()}
                except (KeyboardInterrupt, CorruptFrameError) as stop:
                    self._save("interrupted.pt")
                    self._explain_interruption(stop)
                    raise
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

    def _train_epoch(self) -> dict:
        config, epoch = self.config, self.epoch
        self.model.train()
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        per_step = self.micro_batch * config.accumulation
        loader = make_loader(self.train_set, per_step, EpochSlice(self.sampler, self.step * per_step),
                             config.workers, self.device, drop_last=True, seed=config.seed + epoch)
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
                self.partial_seconds = time.perf_counter() - start
                bar.set_postfix(loss=f"{metrics.loss:.3f}", top1=f"{metrics.top1:.1f}")
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        metrics.all_reduce()
        return {"train_loss": metrics.loss, "train_top1": metrics.top1, "train_top5": metrics.top5,
                "seconds": seconds, "clips_per_s": metrics.count / seconds}

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None)

    def _optimisation_step(self, clips: torch.Tensor, labels: torch.Tensor) -> tuple[float, torch.Tensor]:
        try:
            return optimisation_step(self.model, self.optimizer, clips, labels, criterion=self.criterion,
                                     scaler=self.scaler, scheduler=self.scheduler,
                                     accumulation=self.config.accumulation, autocast_dtype=self.autocast_dtype,
                                     no_sync=self.model.no_sync if self.context.enabled else None)
        except NonFiniteLoss as loss:
            raise TrainingDiverged(
                f"the loss became {loss} at epoch {self.epoch + 1}, batch {self.step + 1} "
                f"(lr {self.optimizer.param_groups[0]['lr']:.3g}). The run stopped; its last good checkpoint "
                f"is {self.run_dir / 'last.pt'}. Try a lower --lr or more --warmup-epochs."
            ) from None

    @torch.no_grad()
    def _validate(self) -> dict:
        if self.val_loader is None:
            return {}
        self.model.eval()
        metrics = RunningMetrics()
        for clips, labels in self.val_loader:
            clips, labels = clips.to(self.device), labels.to(self.device)
            with self._autocast():
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

    # --- checkpoints ------------------------------------------------------------------------------

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
            save_checkpoint(state or self._state(), self.run_dir / name)

    def _explain_interruption(self, stop: BaseException) -> None:
        if not self.context.is_main:
            return
        where = f"epoch {self.epoch + 1}, batch {self.step}"
        if isinstance(stop, CorruptFrameError):
            stop.args = (f"{stop}\nThe run stopped and saved {self.run_dir / 'interrupted.pt'} ({where}); "
                         f"once the frames are repaired, continue it with --resume.",)
        else:
            print(f"\ninterrupted: saved {self.run_dir / 'interrupted.pt'} ({where}); continue with --resume")

    def _resume(self) -> None:
        path = latest_checkpoint(self.run_dir)
        if path is None:
            print(f"nothing to resume in {self.run_dir}: starting from scratch")
            return
        checkpoint = read_checkpoint(path, map_location=self.device)
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


def train(config: TrainConfig, *, resume: bool = False, overwrite: bool = False, progress: bool | None = None,
          stop_after_epoch: int | None = None) -> TrainResult:
    """Train `config` into its run folder; see the module docstring for the guarantees."""
    return Trainer(config, resume=resume, overwrite=overwrite, progress=progress,
                   stop_after_epoch=stop_after_epoch).fit()
