"""Benchmark: how long `husky --help` and `husky validate` take as fresh processes.

Target (issue #2): `husky --help` under 300 ms, which needs the CLI to import no
server stack at start. Prints the median of N runs beside the target.

    python bench/cli_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"--help": 0.300, "validate": 1.000}


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "husky", *args], cwd=ROOT, check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    repeat = parser.parse_args().repeat
    import compileall

    compileall.compile_dir(ROOT / "src" / "husky", quiet=1)  # as `pip install` does
    cases = {
        "--help": ["--help"],
        "validate": ["-c", "examples/quickstart/husky.yaml", "validate"],
    }
    for name, args in cases.items():
        median = statistics.median(timed(args) for _ in range(repeat))
        verdict = "PASS" if median < TARGETS[name] else "FAIL"
        print(
            f"husky {name:<9} median {median * 1000:6.0f} ms  target < {TARGETS[name] * 1000:.0f} ms  -> {verdict}"
        )


if __name__ == "__main__":
    main()
