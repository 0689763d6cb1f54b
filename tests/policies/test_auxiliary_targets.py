"""policy.auxiliary_targets: a read-out of the observation features trained on a dataset feature, never an input."""

import pytest
import torch

from policies.base import TARGET_PREFIX, Policy
from tests.policies.conftest import FEATURES, STATS, make_batch, small_config

POSES = "observation.environment_state"


def with_targets(name: str, **overrides):
    return small_config(name, features={**FEATURES, "auxiliary_targets": {POSES: 2}}, auxiliary_targets=[POSES], **overrides)


def square_batch(config, b: int, seed: int) -> dict:
    """Dark images with a bright 6 px square at a random place; the target is where the square is (a pose the camera
    shows), standardised."""
    batch = make_batch(config, b=b, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    corner = torch.randint(0, 32 - 6, (b, 2), generator=g)
    image = torch.zeros(b, config.n_obs_steps, 3, 32, 32, dtype=torch.uint8)
    for i, (row, col) in enumerate(corner.tolist()):
        image[i, :, :, row: row + 6, col: col + 6] = 255
    batch["observation.images.front"] = image
    batch[TARGET_PREFIX + POSES] = (corner.float() - 13.0) / 7.5
    return batch


def plain_batch(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if not k.startswith(TARGET_PREFIX)}


def test_the_target_is_learned_from_the_camera():
    from policies import policy_class

    torch.manual_seed(0)
    policy = policy_class("mlp")(with_targets("mlp"), stats=STATS).train()
    optim = torch.optim.Adam(policy.parameters(), lr=3e-3)
    first = last = None
    for step in range(150):
        out = policy(square_batch(policy.config, 32, seed=step))
        optim.zero_grad()
        out["loss"].backward()
        optim.step()
        first = out["auxiliary"].item() if first is None else first
        last = out["auxiliary"].item()
    held_out = policy(square_batch(policy.config, 64, seed=10_000))["auxiliary"].item()
    assert first > 0.5 and last < 0.25 * first and held_out < 0.4, (first, last, held_out)


@pytest.mark.parametrize("name", ["diffusion", "mlp"])
def test_the_targets_loss_adds_to_the_loss_reaches_the_encoder_and_is_left_out_without_targets(name):
    from policies import policy_class

    policy = policy_class(name)(with_targets(name, auxiliary_weight=0.5), stats=STATS).train()
    batch = square_batch(policy.config, 8, seed=0)
    torch.manual_seed(0)
    out = policy(batch)
    torch.manual_seed(0)
    plain = policy.compute_loss(plain_batch(batch))
    assert out["loss"].item() == pytest.approx(plain["loss"].item() + 0.5 * out["auxiliary"].item(), rel=1e-5)
    encoder = next(policy.encoder.parameters())
    torch.manual_seed(1)
    policy(batch)["loss"].backward()
    with_target = encoder.grad.clone()
    policy.zero_grad()
    torch.manual_seed(1)
    policy.compute_loss(batch)["loss"].backward()
    assert not torch.allclose(with_target, encoder.grad)  # the target moves the encoder, not only its head
    assert "auxiliary" not in policy(plain_batch(batch))  # a batch without the targets trains on the actions alone


def test_a_policy_with_a_target_head_saves_loads_and_acts_without_the_target(tmp_path, observation):
    from policies import policy_class

    policy = policy_class("diffusion")(with_targets("diffusion"), stats=STATS).eval()
    policy.save_pretrained(tmp_path / "ckpt")
    loaded = Policy.from_pretrained(tmp_path / "ckpt")
    assert loaded.target_head is not None
    assert torch.equal(loaded.target_head.weight, policy.target_head.weight)
    assert "environment_state" not in observation
    assert loaded.select_action(observation).shape == (3,)


def test_a_policy_that_encodes_images_itself_refuses_targets():
    from policies import policy_class

    with pytest.raises(ValueError, match="policy.auxiliary_targets: ACT feeds its images' feature maps"):
        policy_class("act")(with_targets("act"), stats=STATS)
    with pytest.raises(ValueError, match="auxiliary_weight must be >= 0"):
        with_targets("mlp", auxiliary_weight=-1.0).check()
