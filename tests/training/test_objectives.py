"""Training objectives: behaviour cloning, Diffusion-DPO with a BC anchor, and CPL, on a small synthetic dataset.

Every episode starts in the same states; episode 0 acts +1 ("good"), episode 1 acts -1 ("bad"), and the
demos (episodes 2-3) act 0. The preferences say episode 0's segments beat episode 1's.
"""

import numpy as np
import pytest
import torch

from policies import config_class, policy_class
from robot_hf.config.compose import ConfigError
from robot_hf.dataset import DatasetReader, DatasetWriter, Preference, build_features
from robot_hf.training.objectives import ObjectiveConfig, make_objective
from robot_hf.training.objectives.pairs import SegmentPairs
from robot_hf.training.setup import build_windows, dataset_features

FRAMES = 12
ACTIONS = {0: 1.0, 1: -1.0, 2: 0.0, 3: 0.0}


@pytest.fixture(scope="module")
def paired(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs") / "data"
    features = build_features({}, ["x", "y", "z"], ["a0", "a1"])
    with DatasetWriter.create(root, 10, features) as writer:
        for episode, value in ACTIONS.items():
            for t in range(FRAMES):
                writer.add_frame({"observation.state": np.array([t / FRAMES, 0.5, -0.5], np.float32),
                                  "action": np.full(2, value, np.float32), "task": "move",
                                  "source": "human" if episode >= 2 else "policy"})
            writer.save_episode()
        writer.add_preferences([
            Preference(0, 0, 10, 1, 0, 10, "a", "teacher:oracle"),
            Preference(1, 2, 12, 0, 2, 12, "b", "intervention:SimulatedIntervener"),
            Preference(0, 0, 10, 1, 0, 10, "equal", "teacher:oracle"),  # no direction: not a training pair
        ])
    return root


def build(kind: str, root, seed=0, **overrides):
    torch.manual_seed(seed)
    reader = DatasetReader(root)
    config = config_class(kind)(**overrides)
    config.cameras = []
    config.features = dataset_features(reader, [], None)
    config.check()
    weights = np.isin(reader.column("episode_index"), [2, 3]).astype(np.float32)  # the BC anchor: the demos
    windows = build_windows(reader, config, None, weights)
    return reader, windows, policy_class(kind)(config, stats=windows.stats())


SIZES = {"mlp": {"hidden": [32], "horizon": 4, "n_action_steps": 2, "n_obs_steps": 1},
         "diffusion": {"down_dims": [16, 32], "horizon": 4, "n_action_steps": 2, "n_obs_steps": 1,
                       "num_train_timesteps": 20, "num_inference_steps": 5, "step_embed_dim": 16}}


def error_on(policy, windows, episode: int, draw_seed=0) -> float:
    reader = windows.reader
    frames = np.arange(*reader.episode_bounds[episode])
    batch = windows.at_frames(frames)
    torch.manual_seed(draw_seed)
    with torch.no_grad():
        return float(policy.action_error(batch, policy.likelihood_draw(batch)).mean())


def test_pairs_keep_decided_answers_from_chosen_sources(paired):
    reader, windows, _ = build("mlp", paired, **SIZES["mlp"])
    pairs = SegmentPairs(reader, windows, ["teacher", "intervention"])
    assert len(pairs) == 2  # the "equal" answer carries no direction
    bounds = reader.episode_bounds
    assert pairs.chosen.tolist() == [bounds[0, 0], bounds[0, 0] + 2] and pairs.rejected.tolist() == [bounds[1, 0], bounds[1, 0] + 2]
    assert len(SegmentPairs(reader, windows, ["person"])) == 0
    win, lose, offsets = pairs.sample(3, 4, np.random.default_rng(0))
    assert (win["episode_index"] == 0).all() and (lose["episode_index"] == 1).all()
    assert (np.diff(offsets, axis=1) >= 0).all() and torch.equal(win["observation.state"], lose["observation.state"])


@pytest.mark.parametrize("kind", ["mlp", "diffusion"])
def test_dpo_at_the_reference(paired, kind):
    """At the reference the implicit margin is 0 and the loss log 2 / beta; a pair whose two segments are the same frames
    gives no gradient. (DPO's gradient at the reference is not zero for a real pair: it is -1/2 times the gradient of
    the log-likelihood gap, which is what moves the policy.)"""
    reader, windows, policy = build(kind, paired, **SIZES[kind])
    policy.eval()
    dpo = make_objective(ObjectiveConfig(name="dpo", bc_weight=0.0, dpo_loss="sigmoid"), policy, reader, windows, seed=0,
                         fine_tuning=True)
    out = dpo.loss(policy, {}, step=0)
    assert abs(float(out["margin"])) < 1e-6 and float(out["loss"].detach()) == pytest.approx(np.log(2) / 200, abs=1e-7)

    def largest_gradient() -> float:
        policy.zero_grad()
        dpo.loss(policy, {}, step=0)["loss"].backward()
        return max(float(p.grad.abs().max()) for p in policy.parameters() if p.grad is not None)

    real = largest_gradient()
    dpo.scoring.pairs.rejected = dpo.scoring.pairs.chosen.copy()
    assert largest_gradient() < 1e-3 * real  # float rounding only


def test_the_preference_term_is_in_the_action_errors_units_whatever_beta(paired):
    """At the reference the sigmoid term's gradient is half the log-likelihood gap's, for any beta: the BC anchor's
    weight means the same at beta 20 as at 2000 (written as -log sigmoid(beta x margin), it grew with beta)."""
    reader, windows, policy = build("mlp", paired, **SIZES["mlp"])
    policy.eval()
    grads = {}
    for beta in (20.0, 2000.0):
        dpo = make_objective(ObjectiveConfig(name="dpo", bc_weight=0.0, beta=beta, dpo_loss="sigmoid"), policy, reader,
                             windows, seed=0, fine_tuning=True)
        policy.zero_grad()
        dpo.loss(policy, {}, step=0)["loss"].backward()
        grads[beta] = torch.cat([p.grad.flatten() for p in policy.parameters() if p.grad is not None])
    assert float(grads[20.0].abs().max()) > 0
    torch.testing.assert_close(grads[20.0], grads[2000.0], rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("name", ["dpo", "cpl"])
@pytest.mark.parametrize("kind", ["mlp", "diffusion"])
def test_a_step_prefers_the_chosen_chunk(paired, kind, name):
    reader, windows, policy = build(kind, paired, **SIZES[kind])
    objective = make_objective(ObjectiveConfig(name=name, bc_weight=0.0, beta=10.0), policy, reader, windows, seed=0,
                               fine_tuning=True)
    gap_before = error_on(policy, windows, 1) - error_on(policy, windows, 0)
    optimizer = torch.optim.SGD(policy.parameters(), lr=(0.05 if kind == "mlp" else 0.02) * (10.0 if name == "dpo" else 1.0))
    for step in range(5):
        optimizer.zero_grad()
        objective.loss(policy, {}, step)["loss"].backward()
        optimizer.step()
    gap_after = error_on(policy, windows, 1) - error_on(policy, windows, 0)
    assert gap_after > gap_before + 1e-3, (gap_before, gap_after)


def test_the_bc_anchor_keeps_the_policy_near_its_demos(paired):
    """Many DPO steps without the anchor drag the policy off the demos (actions 0); with it, it stays close."""
    drift = {}
    for anchor in (0.0, 5.0):
        reader, windows, policy = build("mlp", paired, **SIZES["mlp"])
        bc_batch = windows.at_frames(np.flatnonzero(np.isin(reader.column("episode_index"), [2, 3])))
        objective = make_objective(ObjectiveConfig(name="dpo", bc_weight=anchor, beta=50.0, dpo_loss="sigmoid"), policy, reader, windows,
                                   seed=0, fine_tuning=True)
        optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3)
        for step in range(150):
            optimizer.zero_grad()
            objective.loss(policy, bc_batch, step)["loss"].backward()
            optimizer.step()
        drift[anchor] = error_on(policy, windows, 2)
    assert drift[5.0] < 0.5 * drift[0.0], drift


def test_preference_objectives_need_a_start_policy_and_pairs(paired, tmp_path):
    reader, windows, policy = build("mlp", paired, **SIZES["mlp"])
    with pytest.raises(ConfigError, match="policy.path"):
        make_objective(ObjectiveConfig(name="dpo"), policy, reader, windows, seed=0, fine_tuning=False)
    with pytest.raises(ConfigError, match="no decided preference"):
        make_objective(ObjectiveConfig(name="cpl", sources=["person"]), policy, reader, windows, seed=0, fine_tuning=True)
    with pytest.raises(ValueError, match="objective.sources"):
        ObjectiveConfig(name="dpo", sources=["teachers"]).check()


def test_dpo_trains_at_a_tenth_of_the_learning_rate(paired, tmp_path):
    """The DPO config's lr_scale reaches the optimiser: a fine-tune's logged learning rate is train.lr / 10."""
    import csv

    from robot_hf.config.compose import compose
    from robot_hf.training.workspace import TrainWorkspace

    _, _, policy = build("mlp", paired, **SIZES["mlp"])
    start = tmp_path / "start"
    policy.save_pretrained(start)
    cfg = compose("train", [f"dataset.root={paired}", f"policy.path={start}", "objective=dpo", "objective.pairs_per_step=2",
                            "train=tiny", "train.steps=4", "train.warmup_steps=0", "train.lr_schedule=constant",
                            "train.lr=1e-3", "train.log_every=2", "train.val_fraction=0", f"run.dir={tmp_path / 'run'}"])
    TrainWorkspace(cfg, quiet=True).run()
    with open(tmp_path / "run" / "train_log.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(float(r["lr"]) == pytest.approx(1e-4) for r in rows) and "preferred" in rows[0]


def test_ipo_holds_the_margin_at_its_target_where_the_sigmoid_keeps_pushing(paired):
    """IPO's squared loss is 1 / beta^2 at the reference and drives the margin to 1 / beta, then stops; the sigmoid loss goes on
    widening it (pushing the rejected chunk's error up) for as long as it trains."""
    margins = {}
    for loss in ("sigmoid", "ipo"):
        reader, windows, policy = build("mlp", paired, **SIZES["mlp"])
        objective = make_objective(ObjectiveConfig(name="dpo", bc_weight=0.0, beta=20.0, dpo_loss=loss), policy, reader,
                                   windows, seed=0, fine_tuning=True)
        if loss == "ipo":
            policy.eval()  # no dropout: the policy is its reference
            assert float(objective.loss(policy, {}, 0)["loss"].detach()) == pytest.approx(1 / 20.0**2, abs=1e-7)
            policy.train()
        optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3)
        for step in range(300):
            optimizer.zero_grad()
            objective.loss(policy, {}, step)["loss"].backward()
            optimizer.step()
        policy.eval()
        with torch.no_grad():
            margins[loss] = float(np.mean([float(objective.loss(policy, {}, 1000 + k)["margin"]) for k in range(10)]))
    assert margins["ipo"] == pytest.approx(1 / 20.0, rel=0.3), margins
    assert margins["sigmoid"] > 2 * margins["ipo"], margins


def test_an_unknown_dpo_loss_is_refused():
    with pytest.raises(ValueError, match="objective.dpo_loss"):
        ObjectiveConfig(name="dpo", dpo_loss="hinge").check()
