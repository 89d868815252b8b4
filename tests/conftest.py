import os
import warnings

import pytest
import torch

# Tests run on the CPU with a fixed number of threads, so that results are repeatable.
torch.set_num_threads(min(2, os.cpu_count() or 1))
warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    """No test may reach the network: any download attempt fails loudly, as offline."""
    from urllib.error import URLError

    def refuse(*args, **kwargs):
        raise URLError("downloads are disabled in tests")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
