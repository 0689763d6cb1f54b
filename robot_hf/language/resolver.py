"""Free text -> a motion of the vocabulary, or a refusal.

Raw cosine similarity of sentence embeddings puts "move left" next to "move right", so the frozen sentence encoder
(all-MiniLM-L6-v2) feeds a small head trained on generated paraphrases, with one more class for text that names no
motion. Text is refused (never acted on) when that class wins or the winner's probability is under `min_confidence`.
The head trains in seconds and is cached per vocabulary under ~/.cache/robot-hf/resolver.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from robot_hf.language import paraphrases
from robot_hf.language.motions import Vocabulary

VERSION = 4  # bump when the paraphrases or the head change, so cached heads are retrained


@dataclass(frozen=True)
class Resolution:
    text: str
    motion: str | None  # None: refused
    confidence: float


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").replace(".", " ").replace("!", " ").split())


def _cache_dir() -> Path:
    base = os.environ.get("ROBOT_HF_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "robot-hf")
    return Path(base) / "resolver"


def features(texts: list[str]) -> torch.Tensor:
    """(B, 3 * 384): the sentence's embedding, and the mean and max of its words' embeddings. A sentence embedding
    alone blurs "left" and "right" into the words around them; the words' own embeddings keep them apart."""
    from policies.encoders.language import embed

    sentences = embed(texts)
    words = [t.split() or [""] for t in texts]
    vectors = embed(sorted({w for ws in words for w in ws}))
    index = {w: i for i, w in enumerate(sorted({w for ws in words for w in ws}))}
    mean = torch.stack([vectors[[index[w] for w in ws]].mean(0) for ws in words])
    peak = torch.stack([vectors[[index[w] for w in ws]].max(0).values for ws in words])
    return torch.cat([sentences, mean, peak], dim=-1)


def _head(k: int) -> nn.Module:
    return nn.Sequential(nn.Linear(3 * 384, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, k + 1))


class MotionResolver:
    def __init__(self, vocab: Vocabulary, min_confidence: float = 0.6, seed: int = 0):
        self.vocab, self.min_confidence = vocab, min_confidence
        self.head = _head(len(vocab.texts))
        key = json.dumps({"v": VERSION, "seed": seed, "motions": [[m.text, m.signature, m.holding] for m in vocab.motions]})
        path = _cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.safetensors"
        if path.exists():
            self.head.load_state_dict(load_file(str(path)))
        else:
            self._fit(seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            save_file(self.head.state_dict(), str(tmp))
            os.replace(tmp, path)
        self.head.eval()
        self._exact = {_normalise(t): t for t in vocab.texts}
        self.resolve = lru_cache(maxsize=1024)(self._resolve)

    def _fit(self, seed: int, epochs: int = 400) -> None:
        texts, labels = paraphrases.paraphrase_set(self.vocab.motions, "train")
        junk = paraphrases.nonsense("train")
        x = features([_normalise(t) for t in texts + junk])
        y = torch.tensor(labels + [len(self.vocab.texts)] * len(junk))
        # Every class weighs the same, however many paraphrases it has.
        counts = torch.bincount(y, minlength=len(self.vocab.texts) + 1).float()
        weight = counts.sum() / counts.clamp_min(1) / len(counts)
        weight[-1] *= 0.5  # refusing is one class among many, not a prior against every unfamiliar wording
        loss_fn = nn.CrossEntropyLoss(weight=weight)
        torch.manual_seed(seed)
        opt = torch.optim.AdamW(self.head.parameters(), lr=3e-3, weight_decay=1e-3)
        self.head.train()
        for _ in range(epochs):
            noisy = x + 0.02 * torch.randn_like(x)  # embeddings of nearby wordings
            loss = loss_fn(self.head(noisy), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def _resolve(self, text: str) -> Resolution:
        key = _normalise(text)
        if key in self._exact:
            return Resolution(text, self._exact[key], 1.0)
        if not key:
            return Resolution(text, None, 0.0)
        with torch.no_grad():
            probs = torch.softmax(self.head(features([key])), dim=-1)[0].numpy()
        best = int(np.argmax(probs))
        if best == len(self.vocab.texts) or probs[best] < self.min_confidence:
            return Resolution(text, None, float(probs[best]) if best < len(self.vocab.texts) else 0.0)
        return Resolution(text, self.vocab.texts[best], float(probs[best]))

    def refusal_line(self, resolution: Resolution) -> str:
        return (f"not understood: {resolution.text!r} (not acted on); known motions: {', '.join(self.vocab.texts)}, "
                "or 'continue'")
