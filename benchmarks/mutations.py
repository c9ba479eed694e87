"""The long run of the mutation tests (tests/unit/test_mutations.py): every registered check
on every real output (../shared/captures when present, each simulator profile as found and
with its radios on, tests/fixtures/storage), each section it reads damaged one way at a
time, and every result judged: a mutation may make a result less favourable or less
certain, never more favourable. Wrong passes must be 0.

    .venv/bin/python benchmarks/mutations.py [--limit 2000] [--only gps,accounts]
                                             [--sources sim:] [--show 20]

``--limit`` is per (check, source, section): small outputs get every mutation, large ones
(a 13 000-line vendor Wi-Fi dump has over a million) every whole-output replacement, the
lines the parser reads, and a deterministic sample of the rest. ``--limit 0`` runs them
all (hours). Exit status 1 when any wrong pass is found.

Also printed, for information: "variants" (passes on a mutated text a real phone prints,
each explained in ``indistinguishable``) and "->fail" (outputs damaged into a fail; not a
wrong pass, but a cut output should rather be unknown).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tests.unit import test_mutations as tm  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=2000,
                        help="mutations per (check, source, section); 0 = all")
    parser.add_argument("--only", default="", help="comma-separated check names")
    parser.add_argument("--sources", default="", help="source name prefix (sim:, capture:)")
    parser.add_argument("--show", type=int, default=20, help="wrong passes to print")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    limit = args.limit or None
    sources = tm.all_sources()
    print(f"sources: {len(sources)} ({sum(s.name.startswith('capture:') for s in sources)} "
          f"capture folders, {sum(s.name.startswith('sim:') for s in sources)} simulator "
          f"states, {sum(s.name.startswith('fixture:') for s in sources)} fixtures); "
          f"limit per section: {limit or 'none'}", flush=True)
    if not any(s.name.startswith("capture:") for s in sources):
        print(f"  (real captures not found at {tm.CAPTURES}: only simulator and fixtures)")
    totals: dict[str, tm.Tally] = {}
    started = time.perf_counter()
    print(f"{'check':<14}{'sources':>8}{'mutations':>11}{'wrong':>7}{'variants':>10}"
          f"{'->fail':>8}{'seconds':>9}", flush=True)
    for spec in tm.CHECKS:
        if only and spec.name not in only:
            continue
        tally, used, t0 = tm.Tally(), 0, time.perf_counter()
        for source in sources:
            if source.name.startswith(args.sources) and tm.applies(spec, source):
                tally.add(tm.mutate_and_judge(spec, source, limit))
                used += 1
        totals[spec.name] = tally
        print(f"{spec.name:<14}{used:>8}{tally.tried:>11}{len(tally.wrong):>7}"
              f"{len(tally.variants):>10}{tally.became_fail:>8}"
              f"{time.perf_counter() - t0:>9.1f}", flush=True)
    tried = sum(t.tried for t in totals.values())
    wrong = [w for t in totals.values() for w in t.wrong]
    variants = [v for t in totals.values() for v in t.variants]
    print(f"{'total':<14}{'':>8}{tried:>11}{len(wrong):>7}{len(variants):>10}"
          f"{sum(t.became_fail for t in totals.values()):>8}"
          f"{time.perf_counter() - started:>9.1f}")
    kinds: dict[str, int] = {}
    for v in variants:
        kind = v.rsplit("(", 1)[-1].rstrip(")")
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind, n in sorted(kinds.items()):
        print(f"  variant: {kind}: {n}")
    for line in wrong[: args.show]:
        print("WRONG PASS:", line)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
