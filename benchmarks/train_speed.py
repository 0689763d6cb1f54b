r"""Training speed switches: steps/s of each switch against plain fp32 on the same data, interleaved.

    MUJOCO_GL=egl python benchmarks/train_speed.py                   # CPU sizes and LeRobot's default sizes
    MUJOCO_GL=egl python benchmarks/train_speed.py --rows lowdim_unet --repeats 3
    MUJOCO_GL=egl python benchmarks/train_speed.py --compile         # also torch.compile (its compile time is left out)

One PushT dataset (10 scripted episodes, one 96x96 camera plus the block's pose) trains every row for a few steps
per variant. A variant's rate is taken from the run's logged windows after the first (first batches and lazy
loads left out), so a row's numbers are steady training steps/s. Variants run interleaved (plain, each switch,
all of them, then again) so the machine's noise falls on all of them; each ratio is against the plain fp32 runs of
the same repeat. `auto` is the train config's default: bf16 only where `train.precision=auto` picks it.
Rows: lowdim_unet (the feedback benchmarks' low-dimensional U-Net, batch 64), image_unet and image_act (the
imitation benchmark's CPU sizes, batch 32), and lerobot_unet and lerobot_act (LeRobot's default sizes: the
U-Net of 512-1024-2048 on a ResNet-18, ACT with d_model 512 on a ResNet-18; batch 16, as in issue 30's table).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import imitation  # the same recording and rate reading as the imitation benchmark)

IMAGE = 96
ROWS = {
    # name: (policy overrides, batch, steps, log_every)
    "lowdim_unet": (["policy=diffusion_unet", "policy.down_dims=[64,128,256]", "policy.cameras=[]"], 64, 120, 20),
    "image_unet": ([*imitation.POLICIES["diffusion_unet"], *imitation.vision_overrides(IMAGE, False)], 32, 60, 10),
    "image_act": ([*imitation.POLICIES["act"], *imitation.vision_overrides(IMAGE, False)], 32, 60, 10),
    "lerobot_unet": ([*imitation.FULL_POLICIES["diffusion_unet"], *imitation.vision_overrides(IMAGE, True)], 16, 12, 3),
    "lerobot_act": ([*imitation.FULL_POLICIES["act"], *imitation.vision_overrides(IMAGE, True)], 16, 16, 4),
}
PLAIN = ["train.precision=fp32", "train.fused_optimizer=false", "train.channels_last=false", "train.compile=false"]
VARIANTS = {
    "plain fp32": PLAIN,
    "fused AdamW": [*PLAIN, "train.fused_optimizer=true"],
    "channels-last": [*PLAIN, "train.channels_last=true"],
    "bf16 autocast": [*PLAIN, "train.precision=bf16"],
    "all on (bf16)": ["train.precision=bf16", "train.fused_optimizer=true", "train.channels_last=true"],
    "defaults (auto)": [],
}


def train_rate(row: str, variant: str, repeat: int, data: Path, out: Path, measure=None) -> dict:
    """Steps/s of one short run and its final loss (cached under --out by row, variant and repeat). `measure(run_dir)`:
    more numbers taken from the trained run before its checkpoints are deleted (a dict merged into the result)."""
    from robot_hf.cli.main import main as cli

    policy, batch, steps, log_every = ROWS[row]
    run = out / "runs" / row / variant.replace(" ", "_").replace("(", "").replace(")", "") / f"repeat_{repeat}"
    result_file = run / "rate.json"
    if result_file.exists():
        return json.loads(result_file.read_text())
    code = cli(["train", "task=pusht", "task.object_state=true", f"task.image_height={IMAGE}", f"task.image_width={IMAGE}",
                *policy, f"dataset.root={data}", f"train.batch_size={batch}", f"train.steps={steps}", f"train.log_every={log_every}",
                f"train.save_every={steps}", "train.eval_every=0", "train.eval_final=false", "train.warmup_steps=2",
                "train.keep_last=1", f"run.dir={run}", "run.seed=0", *VARIANTS[variant]])
    if code:
        raise SystemExit(f"{row} / {variant}: training failed (exit {code})")
    rate, seconds = imitation.logged_training_rate(run, after_step=log_every)
    with open(run / "train_log.csv") as f:
        final_loss = float([row for row in csv.DictReader(f) if row.get("loss")][-1]["loss"])
    result = {"steps_per_s": rate, "seconds": seconds, "final_loss": final_loss, **(measure(run) if measure else {})}
    result_file.write_text(json.dumps(result))
    shutil.rmtree(run / "checkpoints")  # only the rate is kept: the LeRobot-size rows' weights and optimizer state are GBs
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="also a torch.compile variant (all switches on)")
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmarks/train_speed"))
    args = parser.parse_args()
    if args.compile:
        VARIANTS["all on + compile"] = [*VARIANTS["all on (bf16)"], "train.compile=true"]

    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from robot_hf.training.speed import cpu_has_bf16, resolve_precision

    data = args.out / "pusht_96"
    if not (data / "meta/info.json").exists():
        _record(data)
    rates: dict[tuple[str, str], list[dict]] = {}
    for repeat in range(args.repeats):
        for row in args.rows:
            for variant in VARIANTS:
                rates.setdefault((row, variant), []).append(train_rate(row, variant, repeat, data, args.out))
    table = Table(title=f"training steps/s on this CPU ({os.cpu_count()} cores, bf16 units: {cpu_has_bf16()}; "
                        f"precision=auto trains in {resolve_precision('auto', 'cpu')}), {args.repeats} interleaved repeats")
    for column in ("row", "variant", "steps/s (each repeat)", "x plain fp32 (mean of repeats)", "final loss"):
        table.add_column(column)
    for row in args.rows:
        plain = [r["steps_per_s"] for r in rates[(row, "plain fp32")]]
        for variant in VARIANTS:
            runs = rates[(row, variant)]
            ratio = np.mean([r["steps_per_s"] / p for r, p in zip(runs, plain, strict=True)])
            table.add_row(row, variant, ", ".join(f"{r['steps_per_s']:.2f}" for r in runs), f"{ratio:.2f}x",
                          f"{np.mean([r['final_loss'] for r in runs]):.4f}")
    Console(width=200).print(table)


def _record(data: Path) -> None:
    """PushT with the block's pose in the state beside the camera: one dataset for the image and low-dimensional rows."""
    from robot_hf.cli.main import main as cli

    code = cli(["record", "task=pusht", "task.object_state=true", f"task.image_height={IMAGE}", f"task.image_width={IMAGE}",
                "teleop=scripted", "dataset.num_episodes=10", f"dataset.root={data}", "record.seed=0"])
    if code:
        raise SystemExit("recording PushT failed")


if __name__ == "__main__":
    main()
