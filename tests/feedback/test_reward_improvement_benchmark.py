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


def test_the_sources_ablation_arms_compose_and_the_anchor_alone_learns_at_the_dpo_arms_rate():
    from robot_hf.config.compose import compose
    from robot_hf.training.objectives.config import ObjectiveConfig

    bench = load("reward_improvement")
    rates = {}
    for name, objective in {**bench.SOURCES, bench.BRANCHES: bench.BRANCH_ARM}.items():
        cfg = compose("train", [*bench.task_overrides("lift"), *objective, "feedback=hg_dagger"])
        rates[name] = cfg.train.lr * ObjectiveConfig(**cfg.objective).lr_scale
        assert cfg.objective.name == ("bc" if name == bench.ANCHOR else "dpo")
        assert (list(cfg.objective.sources) == ["branch"]) == (name == bench.BRANCHES)
    assert len(set(rates.values())) == 1, rates
