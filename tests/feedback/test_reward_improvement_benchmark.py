"""The reward-improvement benchmark's round table: success beside labels, person-seconds and the learned reward."""

from tests.benchmark_scripts import load


def row(r, success, labels=0, seconds=0.0, score=None, rollouts=None):
    return {"round": r, "success": success, "ci95": [success - 0.1, success + 0.1], "labels": labels,
            "person_seconds": seconds, "learned_score": score, "rollout_success": rollouts}


def test_round_table_puts_true_success_beside_the_learned_reward():
    bench = load("reward_improvement")
    results = {"raft": {"rounds": [row(0, 0.3), row(1, 0.5, 100, 400.0, 0.12, 0.35)], "wall_seconds": 600.0,
                        "baseline": [row(0, 0.3), row(1, 0.6, 0, 399.5)]}}
    lines = bench.round_table("lift", 0, results)
    raft = next(x for x in lines if x.startswith("raft") and x.split()[1] == "1")
    assert "50 (40-60)" in raft and " 100 " in raft and "+0.120" in raft and "35%" in raft and raft.endswith("600")
    demos = next(x for x in lines if x.startswith("more demos") and x.split()[2] == "1")
    assert "60 (50-70)" in demos and " 400 " in demos
