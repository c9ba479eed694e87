"""Run every benchmark (not part of `make test`): `make bench`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in ("cli_startup.py", "inspection.py", "sim_wire.py", "inventory_writers.py",
               "inventory.py", "allocation.py", "batch_forms.py", "station.py --phones 1,8,32",
               "soak.py --seconds 60"):
    name, *args = script.split()
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / name), *args], check=False)
