"""Accuracy bookkeeping that stays right for the last, partial batch and across processes."""

import torch


def correct_top_k(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> dict[int, int]:
    """How many samples have their label among the k highest scores, for each k."""
    k_max = min(max(ks), logits.shape[1])
    top = logits.topk(k_max, dim=1).indices
    hits = top == labels.unsqueeze(1)
    return {k: int(hits[:, : min(k, k_max)].any(dim=1).sum()) for k in ks}


class RunningMetrics:
    """Sums of loss × samples and of correct predictions: means weighted by batch size."""

    def __init__(self):
        self.count = 0
        self.loss_sum = 0.0
        self.correct = {1: 0, 5: 0}

    def update(self, loss: float, logits: torch.Tensor, labels: torch.Tensor) -> None:
        n = labels.shape[0]
        self.count += n
        self.loss_sum += loss * n
        for k, c in correct_top_k(logits.detach().float(), labels).items():
            self.correct[k] += c

    def state(self) -> dict:
        return {"count": self.count, "loss_sum": self.loss_sum, "correct1": self.correct[1],
                "correct5": self.correct[5]}

    def load(self, state: dict) -> None:
        self.count, self.loss_sum = state["count"], state["loss_sum"]
        self.correct = {1: state["correct1"], 5: state["correct5"]}

    def all_reduce(self) -> None:
        """Sum the counts over every process of a distributed run."""
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            totals = torch.tensor([self.count, self.loss_sum, self.correct[1], self.correct[5]], dtype=torch.float64)
            if torch.distributed.get_backend() == "nccl":
                totals = totals.cuda()
            torch.distributed.all_reduce(totals)
            count, loss_sum, c1, c5 = totals.tolist()
            self.count, self.loss_sum, self.correct = int(count), loss_sum, {1: int(c1), 5: int(c5)}

    @property
    def loss(self) -> float:
        return self.loss_sum / self.count if self.count else float("nan")

    @property
    def top1(self) -> float:
        return 100.0 * self.correct[1] / self.count if self.count else float("nan")

    @property
    def top5(self) -> float:
        return 100.0 * self.correct[5] / self.count if self.count else float("nan")
