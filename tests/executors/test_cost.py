"""The engine's cost model, which admission uses to refuse at once what cannot finish in time."""

from app.executors.base import CostModel, connectivity_macs, run_macs
from app.schemas import RunRequest
from app.settings import Settings
from app.validation import prepare_run


def prepared(**fields):
    config = {"cell": "lstm", "hidden_size": 16, "input": {"text": ["hello world" * 4]}}
    return prepare_run(RunRequest.model_validate({**config, **fields}), Settings())


def test_connectivity_is_priced_at_its_own_rate_learnt_apart_from_runs():
    plain, analysed = prepared(), prepared(analysis=["connectivity", "trajectory"])
    assert connectivity_macs(plain) == 0 < run_macs(plain) < connectivity_macs(analysed)
    cost = CostModel()
    for _ in range(30):  # a slow machine: runs at 1e6 multiply-adds a second, connectivity 1e7
        cost.observe("run", run_macs(plain), run_macs(plain) / 1e6)
        cost.observe("connectivity", connectivity_macs(analysed), connectivity_macs(analysed) / 1e7)
    run_s = cost.fixed_s + run_macs(plain) / 1e6 + plain.numbers * 5e-9
    assert abs(cost.estimate_s(plain) - run_s) < 0.01 * run_s
    extra = cost.estimate_s(analysed) - cost.estimate_s(plain)
    expected = connectivity_macs(analysed) / 1e7 + (analysed.numbers - plain.numbers) * 5e-9
    assert abs(extra - expected) < 0.01 * expected


def test_jobs_too_short_to_measure_teach_nothing():
    cost, run = CostModel(), prepared()
    before = cost.estimate_s(run)
    cost.observe("run", run_macs(run), 0.001)
    assert cost.estimate_s(run) == before
