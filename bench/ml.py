"""Issue 11's numbers in one run: `make bench-ml` (BENCH_ARGS="--rows 100000 --preferences 10000").

- the value model: training time on N rows, the stored model's size, predict_one latency
  (target under 20 ms), batch throughput, and the model, the plain scikit-learn peer and the
  median baseline cross-validated on the same folds (MAE, MAPE, R², interval coverage, training
  time), on the synthetic demo market and, with --datasets DIR, on each public listing file
  there (bench/ml_value.py; BENCH_ARGS="--datasets /work/datasets");
- alert matching: one new lot against 10,000 bidding preferences (target under 10 ms)
  and the index build (bench/alerts.py);
- market forecasts: a segment's forecast and backtest, uncached (bench/ml_forecast.py).

Each part is a module of its own that can also be run alone. Nothing here is a test:
timing never decides whether the suite passes.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import alerts  # noqa: E402 (after the path is set)
import ml_forecast  # noqa: E402
import ml_value  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="Sales to train the value model on.")
    parser.add_argument("--folds", type=int, default=5, help="Folds of the cross-validation.")
    parser.add_argument("--preferences", type=int, default=10_000, help="Bidding preferences to match against.")
    parser.add_argument("--datasets", type=Path, help="A folder of public listing files (bench/README.md).")
    parser.add_argument("--json", help="Also write the numbers to this file.")
    args = parser.parse_args()

    results = {}
    parts = [("value model", lambda: ml_value.measure(rows=args.rows, folds=args.folds))]
    parts += [(f"value model on {path.name}", lambda path=path: ml_value.measure_dataset(path, folds=args.folds))
              for path in ml_value.dataset_paths(args.datasets)]
    parts += [
        ("alert matching", lambda: alerts.measure(preferences=args.preferences)),
        ("forecasts", lambda: ml_forecast.measure()),
    ]
    for name, run in parts:
        print(f"{name}…", flush=True)
        started = time.monotonic()
        results[name] = run()
        print(f"  done in {time.monotonic() - started:.0f} s")
        for key, value in results[name].items():
            print(f"  {key}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
