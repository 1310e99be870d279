"""Train the value model on the warehouse now, or only measure how well it would do.

    manage.py valuation_train                 # train, evaluate on held-out sales, promote if not worse
    manage.py valuation_train --evaluate      # k-fold cross-validation of the model, the peer and the baseline
    manage.py valuation_train --evaluate --folds 10 --max-rows 100000

The baseline is the median price of the same make, model and year (then make and model,
then make, then all) in the training folds: what a dealer's price guide does. The peer is a
plain scikit-learn gradient boosting on the same columns (ml.evaluation.Peer): what an analyst
builds in an hour. All three are fitted and tested on the same folds.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ifixit.analytics.valuation import services as valuation


def _line(name: str, metrics, seconds: float | None = None) -> str:
    coverage = "n/a" if metrics.coverage is None else f"{metrics.coverage:.1%}"
    line = f"  {name:<10} MAE {metrics.mae:>9,.0f}  MAPE {metrics.mape:>6.1%}  R² {metrics.r2:>6.3f}  interval coverage {coverage:>5}"
    return line if seconds is None else f"{line}  training {seconds:,.1f} s"


class Command(BaseCommand):
    help = "Train the value model on the warehouse (promoted only if not worse), or --evaluate it by k-fold cross-validation."

    def add_arguments(self, parser):
        parser.add_argument("--evaluate", action="store_true",
                            help="Only cross-validate the model, the peer and the baseline on the same folds; keep nothing.")
        parser.add_argument("--folds", type=int, default=5, help="Folds for --evaluate (default 5).")
        parser.add_argument("--max-rows", type=int, help="Use at most this many of the most recent sales.")

    def handle(self, *args, evaluate, folds, max_rows, **options):
        if folds < 2:
            raise CommandError("--folds must be at least 2.")
        started = time.monotonic()
        try:
            if evaluate:
                self._evaluate(folds=folds, max_rows=max_rows)
            else:
                self._train(max_rows=max_rows)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Took {time.monotonic() - started:.1f} s.")

    def _evaluate(self, *, folds: int, max_rows: int | None) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  fold {done} of {total} done")

        result = valuation.valuation_evaluate(folds=folds, max_rows=max_rows, progress=progress)
        self.stdout.write(f"{result.folds}-fold cross-validation on {result.model.rows:,} sales:")
        seconds = result.train_seconds
        self.stdout.write(_line("model", result.model, seconds.get("model")))
        if result.peer is not None:
            self.stdout.write(_line("peer", result.peer, seconds.get("peer")))
        self.stdout.write(_line("baseline", result.baseline, seconds.get("baseline")))
        self.stdout.write("  (training time summed over the folds; the peer and the baseline give no interval)")
        for name, other in (("peer", result.peer), ("baseline", result.baseline)):
            gain = result.gain(other)
            if gain is not None:
                verdict = "better" if gain > 0 else "worse"
                self.stdout.write(f"The model's MAE is {abs(gain):.1%} {verdict} than the {name}'s.")

    def _train(self, *, max_rows: int | None) -> None:
        result = valuation.valuation_train(triggered_by="command", max_rows=max_rows)
        row = result.model
        self.stdout.write(f"Value model v{row.version}: trained on {row.training_rows:,} sales, tested on {row.held_out_rows:,} held out.")
        metrics, baseline = row.metrics, row.baseline_metrics
        self.stdout.write(
            f"  model      MAE {metrics['mae']:>9,.0f}  MAPE {metrics['mape']:>6.1%}  R² {metrics['r2']:>6.3f}  "
            f"interval coverage {metrics['coverage']:.1%}"
        )
        self.stdout.write(f"  baseline   MAE {baseline['mae']:>9,.0f}  MAPE {baseline['mape']:>6.1%}  R² {baseline['r2']:>6.3f}")
        self.stdout.write(row.decision)
        self.stdout.write("Promoted: now in use." if result.promoted else "Not promoted: the model in use stays.")
