"""How fast `traomay --help` answers, against a bare Python start.

    .venv/bin/python benchmarks/cli_startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def timed(args: list[str], rounds: int = 10) -> float:
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    bare = timed([sys.executable, "-c", "pass"])
    help_ = timed([sys.executable, "-m", "traomay", "--help"])
    print(f"python -c pass: {bare*1000:.0f} ms; traomay --help: {help_*1000:.0f} ms; "
          f"ratio {help_/bare:.1f}x")


if __name__ == "__main__":
    main()
