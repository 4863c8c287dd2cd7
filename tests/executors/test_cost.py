"""The engine's cost model, which admission uses to refuse at once what cannot finish in time."""

from app.executors.base import LEARN_FROM, CostModel, EngineRun, connectivity_macs, run_macs
from app.schemas import RunRequest
from app.service import WorkRates
from app.settings import Settings
from app.validation import prepare_run


def prepared(**fields):
    text = "the quick brown fox jumps over the lazy dog " * 5  # T = 220, D = 28
    config = {"cell": "lstm", "hidden_size": 256, "input": {"text": [text[:200]]}}
    return prepare_run(RunRequest.model_validate({**config, **fields}), Settings())


def test_connectivity_is_priced_at_its_own_rate_learnt_apart_from_runs():
    plain, analysed = prepared(), prepared(analysis=["connectivity", "trajectory"])
    assert connectivity_macs(plain) == 0 < run_macs(plain) < connectivity_macs(analysed)
    cost = CostModel()
    for _ in range(30):  # a slow machine: runs at 1e8 multiply-adds a second, connectivity 1e9
        cost.observe("run", run_macs(plain), cost.fixed_s + run_macs(plain) / 1e8)
        conn = connectivity_macs(analysed)
        cost.observe("connectivity", conn, cost.fixed_s + conn / 1e9)
    run_s = cost.fixed_s + run_macs(plain) / 1e8 + plain.numbers * 5e-9
    assert abs(cost.estimate_s(plain) - run_s) < 0.01 * run_s
    extra = cost.estimate_s(analysed) - cost.estimate_s(plain)
    expected = connectivity_macs(analysed) / 1e9 + (analysed.numbers - plain.numbers) * 5e-9
    assert abs(extra - expected) < 0.01 * expected


def test_small_jobs_teach_nothing_however_long_they_took():
    cost, run = CostModel(), prepared(input={"text": ["hello"]})
    before = cost.estimate_s(run)
    cost.observe("run", run_macs(run), 0.05)  # a busy machine's fixed cost, not the rate
    assert run_macs(run) < LEARN_FROM["run"] and cost.estimate_s(run) == before


def test_the_preparation_threads_learn_their_rates_as_the_engine_does():
    """One moving average (``Rates``) behind both: seconds per unit, the newest job 0.2."""
    rates = WorkRates()
    start = rates.seconds("weights", 1e9)
    rates.observe("weights", 1e9, 0.004)  # under 5 ms: the clock, not the rate
    assert rates.seconds("weights", 1e9) == start
    rates.observe("weights", 1e9, 2.0)  # a slow machine: 2 s where 1/3 s was expected
    assert abs(rates.seconds("weights", 1e9) - (0.8 * start + 0.2 * 2.0)) < 1e-12
    for _ in range(60):
        rates.observe("weights", 1e9, 2.0)
    assert abs(rates.seconds("weights", 1e9) - 2.0) < 1e-3
    assert rates.seconds("body", 5e7) == 1.0  # each kind apart


def test_a_run_teaches_its_rate_and_its_connectivitys_apart():
    """``learn_from``: the run's seconds (``run_s``) teach the run's rate, the rest of
    ``compute_ms`` connectivity's (what both executors learn from, Ray's web tier included)."""
    analysed = prepared(analysis=["connectivity"])
    cost = CostModel()
    for _ in range(60):  # runs at 1e8 multiply-adds a second, connectivity at 1e9
        run_s = cost.fixed_s + run_macs(analysed) / 1e8
        total_s = run_s + connectivity_macs(analysed) / 1e9
        cost.learn_from(analysed, EngineRun(None, {"compute_ms": total_s * 1000}, run_s))
    assert abs(cost.rates.rates["run"] / 1e8 - 1) < 1e-3
    assert abs(cost.rates.rates["connectivity"] / 1e9 - 1) < 1e-2
