"""The value model's training run twice: at the same time (two messages), only one trains; a
redelivery of a training whose worker was killed trains, instead of finding its own lock."""

import pytest
from django.core.cache import cache

from ifixit.analytics import synthetic
from ifixit.analytics.models import SaleFact
from ifixit.analytics.valuation import tasks

TOO_LITTLE = {
    "skipped": "The warehouse holds 50 sales; the value model needs at least 200 (import historical sales first)."
}


@pytest.fixture(autouse=True)
def market(db):
    """Too little to train on: a training that runs says so, quickly; one that does not, says nothing."""
    SaleFact.objects.bulk_create(synthetic.facts(count=50, seed=1))
    cache.delete(tasks.TRAINING_LOCK)
    yield
    cache.delete(tasks.TRAINING_LOCK)


def test_a_second_training_while_one_runs_does_nothing():
    cache.set(tasks.TRAINING_LOCK, "training-1")  # the first is running
    assert tasks.train_value_model.apply(task_id="training-2").result is None
    assert cache.get(tasks.TRAINING_LOCK) == "training-1"  # and keeps its lock


def test_a_training_redelivered_after_its_worker_died_takes_its_lock_over():
    cache.set(tasks.TRAINING_LOCK, "training-1")  # as the killed run left it
    assert tasks.train_value_model.apply(task_id="training-1").result == TOO_LITTLE
    assert cache.get(tasks.TRAINING_LOCK) is None


def test_trainings_one_after_the_other_both_run():
    assert tasks.train_value_model.apply().result == TOO_LITTLE
    assert tasks.train_value_model.apply().result == TOO_LITTLE
