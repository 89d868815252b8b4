"""`python -m mict …` (and `torchrun -m mict train …`) run the `mict` command."""

import sys

from .cli import main

sys.exit(main())
