"""Each training speed switch (robot_hf/training/speed.py) on and off: the same loss to tolerance on a fixed batch, the
same optimizer and EMA updates, and a bad setting refused with one line."""

import copy
import shutil

import pytest
import torch

from robot_hf.training.config import EMAConfig
from robot_hf.training.ema import EMA
from robot_hf.training.speed import autocast, cpu_has_bf16, make_adamw, resolve_precision, to_channels_last
from tests.policies.conftest import STATS, make_batch, small_config


def _policy(name: str, **overrides):
    from policies import policy_class

    torch.manual_seed(0)
    config = small_config(name, **overrides)
    return policy_class(config.name)(config, STATS).train()


def _loss(policy, batch, precision="fp32") -> float:
    torch.manual_seed(1)  # the same crops and noise every call
    with autocast(precision, "cpu"):
        return float(policy.compute_loss(batch)["loss"].detach().float())


@pytest.mark.parametrize("name, overrides", [("diffusion", {"denoiser": "unet"}), ("act", {})])
def test_bf16_and_channels_last_give_the_fp32_loss_on_a_fixed_batch(name, overrides):
    policy = _policy(name, **overrides)
    batch = make_batch(policy.config)
    reference = _loss(policy, batch)
    assert _loss(policy, batch) == reference  # the batch and noise really are fixed
    assert _loss(policy, batch, "bf16") == pytest.approx(reference, rel=0.03)
    assert any(p.dim() == 4 for p in policy.parameters())
    to_channels_last(policy)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in policy.parameters() if p.dim() == 4)
    assert _loss(policy, batch) == pytest.approx(reference, rel=1e-4)


def test_a_channels_last_policy_saves_and_loads_its_weights(tmp_path):
    from policies import load_policy

    policy = to_channels_last(_policy("diffusion", denoiser="unet"))
    policy.save_pretrained(tmp_path / "p")
    loaded = load_policy(tmp_path / "p")
    for (k, a), b in zip(policy.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


def test_the_fused_optimizer_takes_the_same_steps_as_the_multi_tensor_one():
    policy = _policy("diffusion", denoiser="unet")
    batch = make_batch(policy.config)
    twins = [policy, copy.deepcopy(policy)]
    start = torch.cat([p.detach().flatten() for p in policy.parameters()])
    optimizers = [make_adamw(m.parameters(), fused, lr=1e-3, betas=(0.95, 0.999), weight_decay=1e-6)
                  for m, fused in zip(twins, (True, False), strict=True)]
    assert optimizers[0].defaults.get("fused") and optimizers[1].defaults.get("foreach")
    for _ in range(3):
        for model, optimizer in zip(twins, optimizers, strict=True):
            optimizer.zero_grad()
            torch.manual_seed(2)
            model.compute_loss(batch)["loss"].backward()
            optimizer.step()
    # Compared as whole updates: a parameter whose gradient is near Adam's eps (1e-8) amplifies rounding differences.
    fused, multi = (torch.cat([p.detach().flatten() for p in m.parameters()]) - start for m in twins)
    assert multi.norm() > 0
    assert (fused - multi).norm() / multi.norm() < 1e-3


def test_the_one_kernel_ema_update_is_the_moving_average():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    ema = EMA(model, EMAConfig(power=0.75))
    expected = [p.detach().clone() for p in model.parameters()]
    for step in range(4):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
            model[1].running_mean.add_(1.0)
        d = 1 - (1 + step) ** -0.75
        expected = [d * e + (1 - d) * p.detach() for e, p in zip(expected, model.parameters(), strict=True)]
        ema.update(model)
    for e, p in zip(expected, ema.model.parameters(), strict=True):
        torch.testing.assert_close(p, e)
    assert torch.equal(ema.model[1].running_mean, model[1].running_mean)  # buffers are copied, not averaged


def test_precision_auto_follows_the_hardware_and_bad_settings_are_refused():
    assert resolve_precision("auto", "cpu") == ("bf16" if cpu_has_bf16() else "fp32")
    assert resolve_precision("fp32", "cpu") == "fp32"
    with pytest.raises(ValueError, match="fp16 needs a CUDA device"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="train.precision='half'"):
        resolve_precision("half", "cpu")


def test_the_cli_refuses_an_unknown_precision_with_one_line(tmp_path, capsys):
    from robot_hf.cli.main import main

    assert main(["train", "train=tiny", "train.precision=half", f"run.dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.precision" in err[0] and "bf16" in err[0]
    assert not (tmp_path / "run").exists()


def test_a_model_whose_cpu_backward_would_crash_in_channels_last_is_named_and_left_alone():
    from policies.encoders.resnet import ResNet
    from robot_hf.training.speed import channels_last_hazard

    hazard = channels_last_hazard(ResNet((8, 16)), "cpu")
    assert hazard and "stages.2.skip.0" in hazard and "8 input channels" in hazard and "policy.vision.widths" in hazard
    assert channels_last_hazard(ResNet((16, 32)), "cpu") is None
    assert channels_last_hazard(ResNet((8, 16)), "cuda:0") is None


def test_an_image_policy_with_small_widths_trains_in_fp32_with_channels_last_requested(lerobot_pusht, tmp_path):
    """In a child process, since the failure is a segfault: ACT with 8- and 16-channel stages on 96 px images, fp32,
    train.channels_last=true (the default): the run finishes and says channels-last is off for it."""
    import subprocess
    import sys

    from tests.training.test_any_dataset import TINY_ACT

    data = tmp_path / "pusht"
    shutil.copytree(lerobot_pusht, data)
    run = subprocess.run([sys.executable, "-m", "robot_hf.cli.main", "train", *TINY_ACT, f"dataset.root={data}",
                          f"run.dir={tmp_path / 'run'}", "dataset.camera_keys={top: observation.image}",
                          "train.precision=fp32", "train.channels_last=true"], capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "channels-last off: " in run.stdout


def test_lerobots_side_of_the_comparison_runs_without_robot_hf():
    """benchmarks/lerobot_side.py runs under another Python (the one with LeRobot): it may import only the standard
    library, torch and lerobot, and it must not download pretrained weights (nothing is fetched at run time)."""
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "benchmarks" / "lerobot_side.py").read_text()
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "argparse", "json", "statistics", "time", "torch", "lerobot"}, roots
    assert "pretrained_backbone_weights=None" in source


@pytest.mark.parametrize("kernel, stride, padding", [(5, 1, 2), (1, 1, 0), (3, 2, 1)])
def test_the_unets_matrix_product_convolution_gives_the_convolutions_outputs_and_gradients(monkeypatch, kernel, stride, padding):
    from policies.diffusion.unet import Conv1d

    torch.manual_seed(0)
    layer = Conv1d(12, 8, kernel, stride, padding)
    x = torch.randn(3, 12, 16, requires_grad=True)
    expected = torch.nn.functional.conv1d(x, layer.weight, layer.bias, stride, padding)
    expected_grads = torch.autograd.grad(expected.square().sum(), [x, layer.weight, layer.bias])
    assert not layer._as_product(x)  # a layer under the threshold keeps the convolution
    monkeypatch.setattr(Conv1d, "GEMM_MIN_WEIGHTS", 0)  # this small layer takes the product path too
    seen = []
    monkeypatch.setattr(torch.nn.functional, "conv1d", lambda *a, **k: seen.append(a))  # and never the convolution
    out = layer(x)
    assert not seen
    assert out.shape == expected.shape
    torch.testing.assert_close(out, expected)
    for got, want in zip(torch.autograd.grad(out.square().sum(), [x, layer.weight, layer.bias]), expected_grads, strict=True):
        torch.testing.assert_close(got, want)
