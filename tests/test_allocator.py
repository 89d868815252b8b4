"""keep_freed_memory: a step's large tensors reuse freed memory instead of faulting in fresh pages,
and training reaches the same weights either way. Each case runs in its own process, as malloc's
settings are the process's."""

import json
import os
import subprocess
import sys

import pytest

from mict.allocator import keep_freed_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

SCRIPT = r"""
import hashlib, json, resource
import torch
from mict.allocator import keep_freed_memory
from mict.models import get_model

kept = keep_freed_memory()

def step_like():
    # large blocks alive at once, then all freed, as a step's activations are; above 32 MB, glibc
    # always gives a block pages of its own
    blocks = [torch.empty(10 * 2**20).fill_(1.0) for _ in range(3)]  # 3 × 40 MB
    del blocks

step_like()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step_like()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5

torch.manual_seed(0)
model = get_model("mict_resnet18", num_classes=3, width=8)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
clips, labels = torch.randn(2, 3, 8, 32, 32), torch.tensor([0, 2])
for _ in range(2):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(clips), labels).backward()
    optimizer.step()
weights = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.state_dict().values())).hexdigest()
print(json.dumps({"kept": kept, "faults_per_step": faults, "weights": weights}))
"""


def run(keep: bool) -> dict:
    env = {**os.environ, "MICT_KEEP_FREED_MEMORY": "1" if keep else "0", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_freed_memory_is_reused_and_the_weights_do_not_change():
    plain, kept = run(keep=False), run(keep=True)
    assert (plain["kept"], kept["kept"]) == (False, True)
    pages = 3 * 40 * 2**20 // 4096
    assert plain["faults_per_step"] > pages / 2, plain  # glibc hands the blocks back every time
    assert kept["faults_per_step"] < plain["faults_per_step"] / 5, kept  # kept: few fresh pages
    assert kept["weights"] == plain["weights"]


def test_it_is_set_once_per_process():
    assert keep_freed_memory() is keep_freed_memory()
