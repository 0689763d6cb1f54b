"""The shared evaluation protocol: seed ranges that never overlap, counted test reads, paired claims only where supported."""

import time

import numpy as np
import pytest

from robot_hf.config.compose import compose
from robot_hf.evaluation.protocol import (
    SEED_RANGES,
    LockedReadLedger,
    SeedRange,
    check_disjoint,
    compare,
    mcnemar_p,
    paired_bootstrap,
    paired_ratio,
    range_of,
)
from robot_hf.feedback.improve import BASELINE_SEED, ROLLOUT_SEED


def test_the_seed_ranges_never_overlap_and_the_defaults_use_them():
    check_disjoint()
    with pytest.raises(ValueError, match="overlap"):
        check_disjoint([SeedRange("a", 0, 10), SeedRange("b", 5, 10)])
    assert range_of(compose("eval").eval.seed) == "dev_eval"
    assert range_of(ROLLOUT_SEED + 1000 * 3) == "rollouts" and range_of(BASELINE_SEED + 1000 * 3 + 10 * 99) == "baseline"
    assert range_of(SEED_RANGES["test"].start) == "test"


def test_mcnemar_on_constructed_outcomes():
    # 10 episodes only a succeeds on, 1 only b: p = 2 * P(X <= 1 | n=11, 1/2) = 24/2048
    a = np.array([1] * 10 + [0] * 1 + [1] * 20 + [0] * 19, bool)
    b = np.array([0] * 10 + [1] * 1 + [1] * 20 + [0] * 19, bool)
    assert mcnemar_p(a, b) == pytest.approx(24 / 2048)
    assert mcnemar_p(a, a) == 1.0
    assert mcnemar_p(np.array([1, 0], bool), np.array([0, 1], bool)) == 1.0  # one each way: no evidence


def test_a_claim_is_printed_only_where_the_paired_test_supports_it():
    strong_a = np.array([1] * 10 + [0] * 1 + [1] * 20 + [0] * 19, bool)
    strong_b = np.array([0] * 10 + [1] * 1 + [1] * 20 + [0] * 19, bool)
    assert compare("HG-DAgger", strong_a, "more demos", strong_b).startswith("HG-DAgger beats more demos: +18 points")
    weak_a = np.array([1] * 4 + [0] * 2 + [0] * 44, bool)
    weak_b = np.array([0] * 4 + [1] * 2 + [0] * 44, bool)
    line = compare("Sirius", weak_a, "more demos", weak_b)
    assert line.startswith("Sirius vs more demos: no supported difference") and "beats" not in line
    gain, lo, hi = paired_bootstrap(strong_a, strong_b)
    assert gain == pytest.approx(0.18) and lo < gain < hi


def test_the_paired_ratio_of_counts_and_its_interval():
    before = np.array([6, 4, 8, 2] * 25)
    halved = before // 2  # every episode needs half as many
    ratio, lo, hi = paired_ratio(halved, before)
    assert ratio == lo == hi == pytest.approx(0.5)  # no spread when every pair has the same ratio
    noisy = halved + np.array([1, -1, 0, 0] * 25)
    ratio, lo, hi = paired_ratio(noisy, before)
    assert ratio == pytest.approx(0.5) and lo < 0.5 < hi < 0.6
    with pytest.raises(ValueError, match="positive denominator"):
        paired_ratio(halved, np.zeros_like(before))


def test_locked_range_reads_are_counted_and_only_test_seeds_go_in(tmp_path):
    ledger = LockedReadLedger(tmp_path / "reads.json")
    test = SEED_RANGES["test"]
    assert ledger.record("confirmatory: interventions on Lift", test.seeds(100)) == 1
    assert ledger.record("confirmatory: interventions on Insertion", test.seeds(100)) == 2
    assert [r["episodes"] for r in ledger.reads()] == [100, 100]
    with pytest.raises(ValueError, match="not in the test range"):
        ledger.record("tuning", SEED_RANGES["dev_final"].seeds(5))


def _record_reads(path: str, worker: int, count: int, go) -> None:
    ledger = LockedReadLedger(path)
    go.wait(60)
    for k in range(count):
        ledger.record(f"worker {worker} read {k}", SEED_RANGES["test"].seeds(3))


def test_reads_recorded_by_processes_side_by_side_are_all_kept(tmp_path):
    """One benchmark process per training seed, each counting its test reads in the same ledger: none is lost (without
    the lock, these processes overwrote each other's reads or read a half-written file)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    path, go = str(tmp_path / "reads.json"), context.Event()
    workers = [context.Process(target=_record_reads, args=(path, w, 100, go)) for w in range(4)]
    for w in workers:
        w.start()
    time.sleep(3)  # every worker imported and waiting: they all start at once
    go.set()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0] * 4
    reads = LockedReadLedger(path).reads()
    assert len(reads) == 400 and len({r["purpose"] for r in reads}) == 400


def test_the_results_writer_refuses_a_number_without_its_seed_range(tmp_path):
    from robot_hf.evaluation.protocol import write_results

    good = {"arm": "hg_dagger", "success": 0.4, "seed_range": "test", "episodes": 100}
    write_results(tmp_path / "r.json", [good])
    for bad in ({**good, "seed_range": None}, {**good, "seed_range": "new seeds"}, {k: v for k, v in good.items() if k != "episodes"}):
        with pytest.raises(ValueError, match="seed_range|how many episodes"):
            write_results(tmp_path / "bad.json", [good, bad])
    assert not (tmp_path / "bad.json").exists()
