import numpy as np
import pytest
import torch

from policies import policy_class
from policies.base import Policy
from tests.policies.conftest import STATS, make_batch, small_config

VARIANTS = [("diffusion", {"denoiser": "unet"}), ("diffusion", {"denoiser": "transformer"}), ("act", {}), ("mlp", {})]
IDS = ["diffusion-unet", "diffusion-transformer", "act", "mlp"]


@pytest.mark.parametrize("name, overrides", VARIANTS, ids=IDS)
def test_loss_decreases_on_a_tiny_dataset(name, overrides):
    torch.manual_seed(0)
    config = small_config(name, **overrides)
    policy = policy_class(name)(config, STATS)
    batch = make_batch(config)

    def fixed_loss() -> float:  # the same noise, timesteps and crops every time
        policy.eval()
        torch.manual_seed(123)
        with torch.no_grad():
            value = policy.compute_loss(batch)["loss"].item()
        policy.train()
        return value

    before = fixed_loss()
    opt = torch.optim.Adam(policy.parameters(), lr=2e-3)
    for _ in range(150):
        loss = policy.compute_loss(batch)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert fixed_loss() < 0.7 * before


@pytest.mark.parametrize("name, overrides", VARIANTS, ids=IDS)
def test_save_and_load_act_identically(name, overrides, tmp_path, observation):
    torch.manual_seed(0)
    policy = policy_class(name)(small_config(name, **overrides), STATS).eval()
    policy.save_pretrained(tmp_path / "p")
    loaded = Policy.from_pretrained(tmp_path / "p")
    assert type(loaded) is type(policy) and loaded.config == policy.config
    for p in (policy, loaded):
        p.reset()
    outs = []
    for p in (policy, loaded):
        torch.manual_seed(1)
        outs.append(np.stack([p.select_action(observation) for _ in range(5)]))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0].shape == (5, 3)


def test_select_action_serves_a_chunk_in_order_then_replans(observation, monkeypatch):
    policy = policy_class("mlp")(small_config("mlp", n_action_steps=3), STATS).eval()
    calls = []

    def fake_chunk(batch):
        calls.append(batch["observation.state"].shape)
        k = len(calls)
        return torch.tensor([[[10 * k + i] * 3 for i in range(3)]], dtype=torch.float32)

    monkeypatch.setattr(policy, "predict_chunk", fake_chunk)
    got = [policy.select_action(observation)[0] for _ in range(7)]
    assert got == [10, 11, 12, 20, 21, 22, 30]
    assert len(calls) == 3 and calls[0] == (1, 2, 5)  # batch 1, window of n_obs_steps=2
    policy.reset()
    assert policy.select_action(observation)[0] == 40


def test_observation_window_repeats_the_first_and_slides():
    policy = policy_class("mlp")(small_config("mlp", n_obs_steps=3, n_action_steps=1), STATS).eval()
    seen = []
    policy.predict_chunk = lambda batch: (seen.append(batch["observation.state"][0, :, 0].tolist()), torch.zeros(1, 1, 3))[1]
    for v in (1.0, 2.0, 3.0, 4.0):
        policy.select_action({"images": {"front": np.zeros((32, 32, 3), np.uint8)}, "state": np.full(5, v, np.float32), "task": "t"})
    assert seen == [[1, 1, 1], [1, 1, 2], [1, 2, 3], [2, 3, 4]]


def test_temporal_ensembling_matches_hand_computed_weights(observation):
    from policies.act.policy import TemporalEnsembler

    m, horizon = 0.5, 3
    ens = TemporalEnsembler(m, horizon)
    chunks = [torch.tensor([[[1.0], [2.0], [3.0]]]), torch.tensor([[[10.0], [20.0], [30.0]]]), torch.tensor([[[100.0], [200.0], [300.0]]])]
    out = [ens.update(c).item() for c in chunks]
    w0, w1, w2 = 1.0, np.exp(-m), np.exp(-2 * m)
    # step 0: only chunk 0; step 1: chunk 0's 2nd action (oldest, w0) and chunk 1's 1st (w1);
    # step 2: chunk 0's 3rd (w0), chunk 1's 2nd (w1), chunk 2's 1st (w2).
    expected = [1.0, (2 * w0 + 10 * w1) / (w0 + w1), (3 * w0 + 20 * w1 + 100 * w2) / (w0 + w1 + w2)]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    policy = policy_class("act")(small_config("act", temporal_ensemble=True, ensemble_coeff=m, n_action_steps=1), STATS).eval()
    preds = [torch.full((1, 6, 3), float(10 ** k)) for k in range(3)]
    policy.predict_horizon = lambda batch: preds.pop(0)
    acts = [policy.select_action(observation)[0] for _ in range(3)]
    np.testing.assert_allclose(acts, [1.0, (w0 + 10 * w1) / (w0 + w1), (w0 + 10 * w1 + 100 * w2) / (w0 + w1 + w2)], rtol=1e-5)


@pytest.mark.parametrize("sampler, steps", [("ddpm", None), ("ddim", 10)])
def test_ddpm_and_ddim_produce_actions_within_bounds(sampler, steps, observation):
    torch.manual_seed(0)
    policy = policy_class("diffusion")(small_config("diffusion", inference_scheduler=sampler, num_inference_steps=steps), STATS).eval()
    actions = np.stack([policy.select_action(observation) for _ in range(8)])
    assert np.isfinite(actions).all()
    assert (actions >= -2 - 1e-5).all() and (actions <= 2 + 1e-5).all()  # the min/max of the action stats
    assert policy.num_inference_steps == (100 if sampler == "ddpm" else 10)


def test_denoising_chain_log_likelihood_has_gradients():
    torch.manual_seed(0)
    config = small_config("diffusion")
    policy = policy_class("diffusion")(config, STATS)
    batch = make_batch(config, b=3)
    chain = policy.sample_chain(batch, steps=5)
    assert chain.shape == (6, 3, config.horizon, 3)
    logp = policy.chain_log_prob(batch, chain)
    assert logp.shape == (3, 5) and torch.isfinite(logp).all()
    logp.sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.denoiser.parameters())


def test_language_conditioning_changes_the_action(observation):
    pytest.importorskip("sentence_transformers")
    torch.manual_seed(0)
    policy = policy_class("mlp")(small_config("mlp", use_language=True), STATS)
    batch = make_batch(policy.config, b=2)
    batch["task"] = ["put the red cube in the blue bowl", "put the green cube in the white bowl"]
    opt = torch.optim.Adam(policy.parameters(), lr=3e-3)
    batch["action"] = torch.stack([torch.ones(8, 3), -torch.ones(8, 3)])  # same images and state, different words
    batch["observation.images.front"][1] = batch["observation.images.front"][0]
    batch["observation.state"][1] = batch["observation.state"][0]
    for _ in range(150):
        loss = policy.compute_loss(batch)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    policy.eval()
    a = policy.predict_chunk(batch)
    assert a[0].mean() > 0.5 and a[1].mean() < -0.5


def test_bad_configs_fail_before_building():
    with pytest.raises(ValueError, match=r"horizon \(4\) is shorter than policy.n_action_steps \(8\)"):
        small_config("mlp", horizon=4, n_action_steps=8).check()
    with pytest.raises(ValueError, match="multiple of 2"):
        small_config("diffusion", horizon=7, n_action_steps=4).check()
    with pytest.raises(ValueError, match="temporal_ensemble needs"):
        small_config("act", temporal_ensemble=True, n_action_steps=6).check()


def test_a_checkpoint_acts_otherwise_only_where_its_config_allows(tmp_path, observation, monkeypatch):
    from policies.config import ActingError

    torch.manual_seed(0)
    policy = policy_class("diffusion")(small_config("diffusion"), STATS).eval()
    policy.save_pretrained(tmp_path / "p")
    told = Policy.from_pretrained(tmp_path / "p", acting={"n_action_steps": 2, "num_inference_steps": 3})
    assert (told.config.n_action_steps, told.num_inference_steps) == (2, 3)
    assert all(torch.equal(a, b) for a, b in zip(policy.state_dict().values(), told.state_dict().values()))
    timesteps = []
    original = told.sampler.set_timesteps
    monkeypatch.setattr(told.sampler, "set_timesteps", lambda n, **kw: (timesteps.append(n), original(n, **kw)))
    for _ in range(5):
        told.select_action(observation)
    assert timesteps == [3, 3, 3]  # a new chunk every 2 steps, each denoised in 3
    with pytest.raises(ActingError, match="policy.temporal_ensemble: a diffusion checkpoint can be told only n_action_steps"):
        Policy.from_pretrained(tmp_path / "p", acting={"temporal_ensemble": True})
    with pytest.raises(ActingError, match=r"horizon \(8\) is shorter than policy.n_action_steps \(9\).*set at run time"):
        Policy.from_pretrained(tmp_path / "p", acting={"n_action_steps": 9})
    policy_class("act")(small_config("act"), STATS).save_pretrained(tmp_path / "act")
    act = Policy.from_pretrained(tmp_path / "act", acting={"temporal_ensemble": True, "n_action_steps": 1, "ensemble_coeff": 0.1})
    assert act.config.temporal_ensemble and act.config.n_action_steps == 1 and act.config.ensemble_coeff == 0.1


@pytest.mark.parametrize("name, overrides", [("mlp", {}), ("act", {"temporal_ensemble": True, "n_action_steps": 1})])
def test_gripper_binary_sends_the_gripper_open_or_closed_and_leaves_the_other_actions(name, overrides, tmp_path, observation):
    features = {**small_config(name).features, "action_names": ["x", "y", "gripper"]}
    torch.manual_seed(0)
    policy = policy_class(name)(small_config(name, features=features, **overrides), STATS).eval()
    policy.save_pretrained(tmp_path / "p")
    snapped = Policy.from_pretrained(tmp_path / "p", acting={"gripper_binary": True})
    plain, binary = [], []
    for step in range(6):
        observation["state"] = observation["state"] + 0.1 * step
        plain.append(policy.select_action(observation))
        binary.append(snapped.select_action(observation))
    plain, binary = np.array(plain), np.array(binary)
    assert np.allclose(binary[:, :2], plain[:, :2], atol=1e-5)
    assert set(np.round(binary[:, 2], 5)) <= {-2.0, 2.0}  # the demos' min and max (STATS)
    assert np.array_equal(binary[:, 2] > 0, plain[:, 2] > 0)  # the nearer level
    assert not set(np.round(plain[:, 2], 5)) <= {-2.0, 2.0}  # a regression's gripper lies between them
    with pytest.raises(ValueError, match=r"policy.gripper_binary: no action is a gripper's .*drop it"):
        policy_class(name)(small_config(name, gripper_binary=True, **overrides), STATS)
