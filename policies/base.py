"""The policy interface: reset, select_action, compute_loss, save_pretrained, from_pretrained.

A policy sees observation dicts ({"images": {camera: HxWx3 uint8}, "state": float32[D], "task": str},
single or batched) and returns actions in the robot's own units. Chunk queues live inside
`select_action`; callers only `reset()` at the start of an episode (or after a take-over).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from policies.config import ActingError, PolicyConfig
from policies.encoders.language import embed
from policies.encoders.observation import ObservationEncoder
from policies.normalize import Normalizer
from policies.saved import load_weights, read_payload, save


def camera_key(camera: str) -> str:
    return f"observation.images.{camera}"


# A training batch's auxiliary targets (policy.auxiliary_targets) are under "target.<feature>", standardised.
TARGET_PREFIX = "target."
# Where a training forward pass asks for the observation features it encodes (the auxiliary head reads them).
_ENCODED = "_encoded"


class Policy(nn.Module):
    name: ClassVar[str] = ""
    config_class: ClassVar[type[PolicyConfig]] = PolicyConfig

    def __init__(self, config: PolicyConfig, stats: dict[str, dict[str, Any]] | None = None):
        super().__init__()
        config.check()
        if not config.features:
            raise ValueError("policy config has no features; build policies with robot_hf.training (it reads them from the dataset)")
        self.config = config
        f = config.features
        self.cameras = list(f["cameras"])
        self.state_dim, self.action_dim = int(f["state_dim"]), int(f["action_dim"])
        modes = {"observation.state": config.state_norm, "action": config.action_norm}
        shapes: dict[str, tuple[int, ...]] = {"observation.state": (self.state_dim,), "action": (self.action_dim,)}
        for cam in self.cameras:
            modes[camera_key(cam)] = config.image_norm
            shapes[camera_key(cam)] = (3, 1, 1)
        self.normalizer = Normalizer(modes, shapes, stats)
        names = f.get("action_names", [])
        self.gripper_dims = [i for i, n in enumerate(names) if "gripper" in str(n).lower()]
        if config.gripper_binary and not self.gripper_dims:
            raise ValueError(f"policy.gripper_binary: no action is a gripper's (action names: {list(names)}); drop it")
        self.encoder = self.build_encoder(config)
        self.target_head = self.build_target_head(config)
        self._obs_queue: deque = deque(maxlen=config.n_obs_steps)
        self._action_queue: deque = deque()
        self._reranker: tuple[Any, int] | None = None

    def build_encoder(self, config: PolicyConfig) -> ObservationEncoder:
        return ObservationEncoder(config)

    def build_target_head(self, config: PolicyConfig) -> nn.Linear | None:
        """A linear read-out of the observation features for policy.auxiliary_targets (their sizes come from the data)."""
        if not config.auxiliary_targets:
            return None
        dims = config.features.get("auxiliary_targets") or {}
        return nn.Linear(self.encoder.out_dim, sum(int(dims[k]) for k in config.auxiliary_targets))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # ---- inputs --------------------------------------------------------------------------------------
    def observation_features(self, batch: dict[str, Any]) -> torch.Tensor:
        """(B, T, F) features of the observation window in `batch` (images uint8 (B, T, 3, H, W))."""
        state = batch["observation.state"]
        b, t = state.shape[:2]
        images = {}
        for cam in self.cameras:
            x = batch[camera_key(cam)]
            x = x.float() / 255.0 if x.dtype == torch.uint8 else x
            images[cam] = self.normalizer.normalize(camera_key(cam), x).reshape(b * t, *x.shape[2:])
        norm_state = self.normalizer.normalize("observation.state", state.float()).reshape(b * t, -1)
        lang = None
        if self.config.use_language:
            lang = self.language(batch).repeat_interleave(t, dim=0)
        feats = self.encoder(images, norm_state, lang).reshape(b, t, -1)
        encoded = batch.get(_ENCODED)
        if encoded is not None and self.target_head is not None:  # not a hierarchy's low level, which has its own
            encoded.setdefault("features", feats[:, -1])  # the current frame's, from the forward pass's first encoding
        return feats

    def language(self, batch: dict[str, Any]) -> torch.Tensor:
        """(B, 384 x language_inputs) language input: the batch's own embedding where given (`language`), else its
        instructions' texts."""
        given = batch.get("language")
        if given is not None:
            return torch.as_tensor(given, dtype=torch.float32, device=self.device)
        return embed(list(batch["task"]), self.device)

    def _window(self, observation: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Append an observation to the history; the last n_obs_steps as a batch (first ones repeated)."""
        state = np.asarray(observation["state"], dtype=np.float32)
        single = state.ndim == 1
        step = {"observation.state": torch.as_tensor(state[None] if single else state, device=self.device)}
        for cam in self.cameras:
            try:
                image = np.asarray(observation["images"][cam])
            except KeyError:
                raise KeyError(f"the policy needs camera {cam!r}; the observation has {sorted(observation['images'])}") from None
            image = image[None] if single else image
            step[camera_key(cam)] = torch.as_tensor(image, device=self.device).permute(0, 3, 1, 2)
        task = observation.get("task", "")
        tasks = [task] if isinstance(task, str) else list(task)
        if not self._obs_queue:
            self._obs_queue.extend([step] * self.config.n_obs_steps)
        else:
            self._obs_queue.append(step)
        batch = {k: torch.stack([s[k] for s in self._obs_queue], dim=1) for k in step}
        n = 1 if single else len(state)
        batch["task"] = tasks if len(tasks) == n else tasks * n
        if observation.get("language") is not None:
            language = np.asarray(observation["language"], dtype=np.float32)
            batch["language"] = language[None] if language.ndim == 1 else language
        return batch, single

    # ---- acting ----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the observation history and any queued actions (new episode, or after a take-over)."""
        self._obs_queue.clear()
        self._action_queue.clear()

    @torch.no_grad()
    def select_action(self, observation: dict[str, Any]) -> np.ndarray:
        """The next action, (A,) for one observation or (B, A) for a batch of them."""
        batch, single = self._window(observation)
        if not self._action_queue:
            chunk = self.next_chunk(batch)  # (B, n_action_steps, A), robot units
            self._action_queue.extend(chunk.transpose(0, 1))
        action = self.to_robot(self._action_queue.popleft().cpu().numpy().astype(np.float32))
        return action[0] if single else action

    def to_robot(self, action: np.ndarray) -> np.ndarray:
        """The action as sent: with `gripper_binary`, the gripper's at the nearer of its demos' two levels."""
        if not self.config.gripper_binary:
            return action
        dims = self.gripper_dims
        low = self.normalizer.stat("action", "min")[dims].cpu().numpy()
        high = self.normalizer.stat("action", "max")[dims].cpu().numpy()
        action = action.copy()
        action[..., dims] = np.where(action[..., dims] > (low + high) / 2, high, low)
        return action

    def predict_chunk(self, batch: dict[str, Any]) -> torch.Tensor:
        raise NotImplementedError

    def next_chunk(self, batch: dict[str, Any]) -> torch.Tensor:
        """The chunk to run: the policy's own, or the best of N by a value head (`rerank`)."""
        if self._reranker is None:
            return self.predict_chunk(batch)
        from policies.rerank import best_of_n

        return best_of_n(self, batch, *self._reranker)

    def rerank(self, value, n: int) -> Policy:
        """Run the best of `n` sampled chunks by `value` ((state, chunk) -> score) from now on; n <= 1 turns it off."""
        self._reranker = (value.to(self.device).eval(), int(n)) if n > 1 else None
        return self

    def compute_loss(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    # ---- how well the policy explains an action chunk (preference objectives) ----------------------------------
    def likelihood_draw(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The randomness `action_error` needs for `batch` (diffusion: the noise and the timestep), drawn once so a
        policy and its frozen reference, and a chosen and a rejected chunk, are scored on the same draw."""
        return {}

    def action_error(self, batch: dict[str, Any], draw: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """(B,) the policy's training error on each sample's action chunk, padding left out: minus a log-likelihood
        up to scale and constant (a Gaussian's for MSE, a Laplace's for L1, the ELBO's for diffusion)."""
        raise NotImplementedError(f"{type(self).__name__} does not score action chunks; preference objectives need a "
                                  "policy that does (diffusion, act, mlp)")

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The training loss (with the auxiliary targets' where the batch has them); a forward pass so
        DistributedDataParallel synchronises gradients."""
        keys = [TARGET_PREFIX + k for k in self.config.auxiliary_targets]
        if self.target_head is None or not all(k in batch for k in keys):
            return self.compute_loss(batch)
        encoded: dict[str, torch.Tensor] = {}
        out = dict(self.compute_loss({**batch, _ENCODED: encoded}))
        target = torch.cat([batch[k].float().reshape(len(batch[k]), -1) for k in keys], dim=-1)
        error = F.mse_loss(self.target_head(encoded["features"]), target.to(encoded["features"]), reduction="none")
        auxiliary = self.weighted_mean(error.mean(-1), batch)
        out["loss"] = out["loss"] + self.config.auxiliary_weight * auxiliary
        out["auxiliary"] = auxiliary.detach()
        return out

    def weighted_mean(self, per_sample: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        """Mean of per-sample losses weighted by the dataset's per-frame weights (Sirius, RLIF...)."""
        weight = batch.get("weight")
        if weight is None:
            return per_sample.mean()
        weight = weight.to(per_sample)
        return (per_sample * weight).sum() / weight.sum().clamp_min(1e-8)

    # ---- saving ----------------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        return save(self, directory, self.name, self.config.to_dict())

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | torch.device = "cpu",
                        acting: dict[str, Any] | None = None) -> Policy:
        """The saved policy; `acting`: settings of how it acts (its config's ACTING keys) in place of the trained ones."""
        payload = read_payload(directory, "policy")
        if cls is Policy:
            from policies import policy_class

            klass = policy_class(payload["type"])
        else:
            klass = cls
        if not acting:
            return load_weights(klass(klass.config_class.from_dict(payload["config"])), directory, device)
        allowed = klass.config_class.ACTING
        refused = sorted(set(acting) - set(allowed))
        if refused:
            raise ActingError(f"policy.{refused[0]}: a {payload['type']} checkpoint can be told only "
                              f"{', '.join(allowed) or 'nothing'} at run time; drop policy.{refused[0]}")
        try:
            config = klass.config_class.from_dict({**payload["config"], **acting})
            config.check()
        except ValueError as e:
            raise ActingError(f"{e} (set at run time: {', '.join(f'policy.{k}={v}' for k, v in acting.items())})") from e
        return load_weights(klass(config), directory, device)
