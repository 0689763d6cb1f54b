"""LeRobot's side of `vs_lerobot.py`, run by the Python that has LeRobot installed (it imports nothing from robot-hf).

Trains LeRobot's own policy (its default config, CPU) on a LeRobot v3.0 dataset for a few steps with its own data
loader, preprocessor and optimizer preset, then times its loader alone and one action chunk from `select_action`.
Prints one JSON line:

    python benchmarks/lerobot_side.py --root <dataset> --policy diffusion --batch 16 --steps 12 --skip 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--policy", choices=["diffusion", "act"], required=True)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--skip", type=int, default=3, help="first steps left out of the rate (first batches, lazy setup)")
    parser.add_argument("--loader-samples", type=int, default=640)
    parser.add_argument("--loader-batch", type=int, default=64)
    parser.add_argument("--chunks", type=int, default=3)
    args = parser.parse_args()

    import lerobot
    import torch
    from lerobot.datasets.factory import resolve_delta_timestamps
    from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.policies.factory import make_policy, make_policy_config, make_pre_post_processors

    torch.manual_seed(0)
    repo_id = "local/robot_hf"
    meta = LeRobotDatasetMetadata(repo_id, root=args.root)
    # No ImageNet download (nothing may be fetched at run time; robot-hf's encoders start from scratch too).
    cfg = make_policy_config(args.policy, device="cpu", pretrained_backbone_weights=None)
    policy = make_policy(cfg, ds_meta=meta)
    dataset = LeRobotDataset(repo_id, root=args.root, delta_timestamps=resolve_delta_timestamps(cfg, meta),
                            video_backend="pyav")  # torchcodec needs system FFmpeg libraries these machines lack
    preprocess, _ = make_pre_post_processors(cfg, dataset_stats=dataset.meta.stats)
    optimizer = cfg.get_optimizer_preset().build(policy.parameters())
    clip = cfg.get_optimizer_preset().grad_clip_norm

    def loader(batch: int):
        return torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=0, drop_last=True)

    policy.train()
    done, started = 0, None
    while done < args.steps:
        for batch in loader(args.batch):
            if done == args.skip:
                started = time.perf_counter()
            loss, _ = policy.forward(preprocess(batch))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), clip)
            optimizer.step()
            optimizer.zero_grad()
            done += 1
            if done >= args.steps:
                break
    steps_per_s = (args.steps - args.skip) / (time.perf_counter() - started)

    seen, started = 0, None
    for batch in loader(args.loader_batch):  # the loader alone: decoded windows per second after its first batch
        if started is None:
            started = time.perf_counter()
        else:
            seen += len(batch["action"])
        if seen >= args.loader_samples:
            break
    samples_per_s = seen / (time.perf_counter() - started)

    policy.eval()
    sample = dataset[0]  # its observation keys hold n_obs_steps frames: the current one is the last
    observation = preprocess({k: v[None, -1] for k, v in sample.items()
                              if k.startswith("observation.") and not k.endswith("_is_pad")})
    chunk_s = []
    with torch.inference_mode():
        for _ in range(args.chunks):
            policy.reset()
            t0 = time.perf_counter()
            policy.select_action(dict(observation))  # an empty queue: the first call predicts a whole chunk
            chunk_s.append(time.perf_counter() - t0)
    diffusion = args.policy == "diffusion"  # its sampler runs num_inference_steps, or every train timestep when unset
    sampler = f"{cfg.noise_scheduler_type}-{cfg.num_inference_steps or cfg.num_train_timesteps}" if diffusion else "one pass"
    print(json.dumps({
        "lerobot": lerobot.__version__, "torch": torch.__version__, "policy": args.policy,
        "parameters": sum(p.numel() for p in policy.parameters()), "batch": args.batch, "steps": args.steps,
        "steps_per_s": steps_per_s, "loader_samples_per_s": samples_per_s, "chunk_s": statistics.median(chunk_s),
        "sampler": sampler,
    }))


if __name__ == "__main__":
    main()
