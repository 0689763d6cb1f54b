"""The reward-improvement benchmark's round table: success beside labels, person-seconds and the learned reward."""

from tests.benchmark_scripts import load


def row(r, success, labels=0, seconds=0.0, score=None, rollouts=None, wall=None):
    return {"round": r, "success": success, "ci95": [success - 0.1, success + 0.1], "labels": labels,
            "person_seconds": seconds, "learned_score": score, "rollout_success": rollouts, "wall_seconds": wall}


def test_round_table_puts_true_success_beside_the_learned_reward():
    bench = load("reward_improvement")
    results = {"raft": {"rounds": [row(0, 0.3), row(1, 0.5, 100, 400.0, 0.12, 0.35, 600.0)],
                        "baseline": [row(0, 0.3), row(1, 0.6, 0, 399.5, wall=250.0)]}}
    lines = bench.round_table("lift", 0, results)
    raft = next(x for x in lines if x.startswith("raft") and x.split()[1] == "1")
    assert "50 (40-60)" in raft and " 100 " in raft and "+0.120" in raft and "35%" in raft and raft.endswith("600")
    demos = next(x for x in lines if x.startswith("more demos") and x.split()[2] == "1")
    assert "60 (50-70)" in demos and " 400 " in demos and demos.endswith("250")  # each round's own wall time


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


def test_the_takeover_rounds_learn_from_take_overs_with_and_without_their_pairs_at_one_rate():
    """DPO's rounds and the no-pairs rounds at DPO's rate; HG-DAgger as `improve` runs it at the full rate."""
    from robot_hf.config.compose import compose
    from robot_hf.training.objectives.config import ObjectiveConfig

    bench = load("reward_improvement")
    rates = {}
    for name, (_, objective) in bench.TAKEOVER_ARMS.items():
        cfg = compose("improve", [*bench.task_overrides("lift"), "feedback=hg_dagger", *objective])
        assert cfg.feedback.type == "hg_dagger"  # rounds with the intervener; take-overs weighted as HG-DAgger's
        rates[name] = cfg.finetune_lr * ObjectiveConfig(**cfg.objective).lr_scale
        assert (list(cfg.objective.sources) == ["intervention"]) == (cfg.objective.name == "dpo")
    assert rates[bench.TAKEOVER_DPO] == rates[bench.TAKEOVER_BC] == rates[bench.TAKEOVER_HG] / 10, rates
    assert rates[bench.TAKEOVER_DPO_FULL] == rates[bench.TAKEOVER_HG], rates
    final = {"start": {"outcomes": [False] * 40}, bench.TAKEOVER_BC: {"outcomes": [True] * 20 + [False] * 20},
             bench.TAKEOVER_DPO: {"outcomes": [True] * 40}, bench.TAKEOVER_DEMOS: {"outcomes": [False] * 40}}
    lines = bench.paired_lines(final)
    assert any(f"{bench.TAKEOVER_DPO} beats {bench.TAKEOVER_BC}: +50 points" in line for line in lines), lines
    assert any(f"{bench.TAKEOVER_DPO} beats {bench.TAKEOVER_DEMOS}: +100 points" in line for line in lines), lines


def test_the_branch_arms_dataset_holds_the_start_policys_continuations_and_their_pairs(tmp_path, monkeypatch):
    """branch_dataset end to end on a tiny copy of the ablation's data: demos first, then the start policy's rollouts."""
    import shutil
    from types import SimpleNamespace

    from robot_hf.cli.main import main
    from robot_hf.dataset import DatasetReader

    task = ["task=lift", "task.object_state=true", "task.cameras=[front]", "task.image_height=32", "task.image_width=32"]
    bench = load("reward_improvement")
    monkeypatch.setattr(bench, "task_overrides", lambda name: task)
    root, data, base = tmp_path / "sources", tmp_path / "sources" / "data", tmp_path / "base"
    assert main(["record", *task, "dataset.num_episodes=2", f"dataset.root={data}"]) == 0
    assert main(["train", *task, "policy=diffusion_unet", "policy.cameras=[]", "policy.down_dims=[16,32]",
                 f"dataset.root={data}", "train=tiny", "train.steps=4", "train.save_every=4", f"run.dir={base}"]) == 0
    start = base / "checkpoints" / "step_0000004"
    assert main(["rollout", *task, f"policy.path={start}", "dataset.num_episodes=2", f"dataset.root={data}",
                 "dataset.resume=true", "record.episode_time_s=3"]) == 0
    assert main(["reward", "label", f"dataset.root={data}", "teacher=oracle", "labels=4", "batch=4", "query.segment=6",
                 "reward.image_size=16", "reward.widths=[8]", "reward.hidden=16", "reward.members=2", "train.epochs=1",
                 "train.min_steps=5", f"run.dir={root / 'label'}"]) == 0
    args = SimpleNamespace(branch_states=2, branch_k=2, branch_steps=4, branch_before_takeover=0, demos=2)
    out = bench.branch_dataset("lift", root, data, start, args, seed=0)
    reader = DatasetReader(out)
    branches = [ep for ep in reader.meta.episodes if ep.get("branch_of") is not None]
    assert len(branches) == 4 and {ep["branch_of"] for ep in branches} <= {2, 3}  # from the rollouts, not the demos
    assert all(ep["replay_error"] == 0.0 for ep in branches)
    pairs = [p for p in reader.preferences if p.annotator.startswith("branch")]
    assert (out / "branches.done").read_text() == f"{len(pairs)} pairs\n" and len(pairs) == 2  # one per branch point
    assert all(reader.meta.episodes[e].get("branch_of") is not None for p in pairs for e in (p.a_episode_index, p.b_episode_index))
    assert len(DatasetReader(data).meta.episodes) == 4  # the ablation's own data is left as it was
    shutil.rmtree(data)
    assert bench.branch_dataset("lift", root, data, start, args, seed=0) == out  # recorded once, then reused


def test_paired_lines_compare_every_arm_with_the_start_and_the_anchor_alone():
    bench = load("reward_improvement")
    n = 40
    final = {"start": {"outcomes": [False] * n, "max_progress": [0.5] * n},
             bench.ANCHOR: {"outcomes": [True] * (n // 2) + [False] * (n // 2), "max_progress": [0.7] * n},
             bench.BRANCHES: {"outcomes": [True] * n, "max_progress": [0.9] * n}}
    lines = bench.paired_lines(final)
    assert any(line.strip().startswith(f"{bench.BRANCHES} beats start: +100 points") for line in lines), lines
    assert any(f"{bench.BRANCHES} beats {bench.ANCHOR}: +50 points" in line for line in lines), lines
    assert any(f"max progress {bench.BRANCHES} - {bench.ANCHOR}: +0.200" in line for line in lines), lines
    assert not any(line.strip().startswith("start ") for line in lines)  # the references are not arms of their own


def test_value_ranking_scores_a_scorer_by_the_pick_it_would_make():
    ranking = load("value_ranking")
    outcomes = {0: 0.2, 1: 0.9, 2: 0.5, 3: 0.1, 4: 0.4, 5: 0.3}
    groups = {(10, 5, 0): [0, 1, 2], (11, 7, 0): [3, 4, 5]}  # branch_groups' keys: (rollout, frame, round)
    rows = {name: rest for name, *rest in ranking.pick_table(
        groups, lambda m, t: outcomes[m], {"right": lambda m, t: outcomes[m], "wrong": lambda m, t: -outcomes[m]},
        resamples=50)}
    assert rows["right"][0] == 1.0 and rows["right"][3] == (0.9 + 0.4) / 2  # always the best continuation
    assert rows["wrong"][0] == 0.0 and rows["wrong"][3] == (0.2 + 0.1) / 2  # always the worst
    assert abs(rows["random pick (best-of-1)"][3] - (1.6 / 3 + 0.8 / 3) / 2) < 1e-9  # the mean of each point
