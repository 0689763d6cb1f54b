import numpy as np
import pytest
import torch

FEATURES = {"cameras": {"front": [3, 32, 32]}, "state_dim": 5, "action_dim": 3}
SMALL_VISION = {"widths": [8, 16], "blocks": 1, "keypoints": 8, "feature_dim": 16, "crop": [28, 28]}


def small_config(name: str, **overrides):
    from policies import config_class

    base = {"features": FEATURES, "vision": SMALL_VISION}
    if name == "diffusion":
        base.update(down_dims=[16, 32], n_layer=2, n_emb=32, n_head=2, horizon=8, n_action_steps=4, step_embed_dim=16)
    if name == "act":
        base.update(d_model=32, n_heads=4, dim_feedforward=64, n_encoder_layers=1, n_vae_encoder_layers=1, horizon=6, n_action_steps=6)
    if name == "mlp":
        base.update(hidden=[64], horizon=8, n_action_steps=4)
    base.update(overrides)
    return config_class(name).from_dict(base)


def make_batch(config, b: int = 6, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    t = config.n_obs_steps
    actions = torch.randn(b, config.horizon, 3, generator=g)
    return {
        "observation.images.front": torch.randint(0, 255, (b, t, 3, 32, 32), generator=g, dtype=torch.uint8),
        "observation.state": torch.randn(b, t, 5, generator=g),
        "action": actions,
        "action_is_pad": torch.zeros(b, config.horizon, dtype=torch.bool),
        "weight": torch.ones(b),
        "task": ["lift the red cube"] * b,
    }


STATS = {
    "observation.state": {"min": -np.ones(5) * 3, "max": np.ones(5) * 3, "mean": np.zeros(5), "std": np.ones(5)},
    "action": {"min": -np.ones(3) * 2, "max": np.ones(3) * 2, "mean": np.zeros(3), "std": np.ones(3)},
}


@pytest.fixture
def observation():
    rng = np.random.default_rng(0)
    return {"images": {"front": rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)},
            "state": rng.normal(size=5).astype(np.float32), "task": "lift the red cube"}
