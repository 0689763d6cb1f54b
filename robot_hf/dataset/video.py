"""Encode, concatenate and decode the per-camera MP4 files (PyAV, FFmpeg inside)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# info.json's "video.codec" name -> the FFmpeg encoder robot-hf uses to write it.
ENCODERS = {"h264": "libx264", "av1": "libsvtav1", "hevc": "libx265"}


@dataclass(frozen=True)
class VideoSettings:
    codec: str = "h264"
    crf: int = 23
    # Short GOPs keep random access cheap when frames are decoded per sample (LeRobot uses 2).
    gop: int = 2
    preset: str = "veryfast"
    pix_fmt: str = "yuv420p"

    def __post_init__(self):
        if self.codec not in ENCODERS:
            raise ValueError(f"video codec {self.codec!r} is not supported; use one of {sorted(ENCODERS)}")

    def encoder_options(self) -> dict[str, str]:
        if self.codec == "av1":
            # SVT-AV1 presets run 0 (slowest) to 13; 10+ keeps up with recording on 2 cores.
            preset = self.preset if self.preset.isdigit() else "10"
            return {"crf": str(self.crf), "g": str(self.gop), "preset": preset}
        return {"crf": str(self.crf), "g": str(self.gop), "preset": self.preset, "bf": "0"}

    def feature_info(self, height: int, width: int, fps: int) -> dict:
        """The `info` block LeRobot stores with each video feature."""
        return {
            "video.height": height,
            "video.width": width,
            "video.codec": self.codec,
            "video.pix_fmt": self.pix_fmt,
            "video.is_depth_map": False,
            "video.fps": fps,
            "video.channels": 3,
            "has_audio": False,
        }

    @classmethod
    def from_feature_info(cls, info: dict, **overrides) -> VideoSettings:
        codec = info.get("video.codec", "h264")
        if codec == "libsvtav1":
            codec = "av1"
        return cls(codec=codec if codec in ENCODERS else "h264", pix_fmt=info.get("video.pix_fmt", "yuv420p"), **overrides)


def encode_frames(frames: np.ndarray, path: Path, fps: int, settings: VideoSettings) -> None:
    """Write frames (N, H, W, 3) uint8 to an MP4, one frame every 1/fps seconds from t=0."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1:3]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(ENCODERS[settings.codec], rate=fps, options=settings.encoder_options())
        stream.width, stream.height, stream.pix_fmt = width, height, settings.pix_fmt
        stream.time_base = Fraction(1, fps)
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def concatenate(parts: Sequence[tuple[Path, float, float]], out: Path) -> None:
    """Remux segments into one file without re-encoding.

    Each part is (path, start_s, end_s): the packets of `path` whose time lies in [start_s, end_s)
    are written one after another, each segment shifted so it starts where the previous one ended.
    Segments must start on a keyframe, which holds for episodes robot-hf or LeRobot encoded.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w", format="mp4") as container:
        ostream = None
        offset_s = 0.0
        for path, start_s, end_s in parts:
            with av.open(str(path)) as container_in:
                stream = container_in.streams.video[0]
                if ostream is None:
                    # opaque: copy codec parameters without opening an encoder (the decoder may be dav1d).
                    ostream = container.add_stream_from_template(stream, opaque=True)
                tb = stream.time_base
                shift = round((offset_s - start_s) / tb)
                first = True
                for packet in container_in.demux(stream):
                    if packet.pts is None:
                        continue
                    t = float(packet.pts * tb)
                    if t < start_s - 1e-6 or t >= end_s - 1e-6:
                        continue
                    if first and not packet.is_keyframe:
                        raise ValueError(f"{path}: the segment at {start_s}s does not start on a keyframe")
                    first = False
                    packet.pts += shift
                    packet.dts = packet.pts if packet.dts is None else packet.dts + shift
                    packet.stream = ostream
                    container.mux(packet)
            offset_s += end_s - start_s


def count_frames(path: Path) -> int:
    """Frames in the file, counted from packets (no decoding)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.pts is not None)


def frame_times(path: Path) -> np.ndarray:
    """Presentation time (s) of every frame, from packets."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        times = [float(p.pts * tb) for p in container.demux(stream) if p.pts is not None]
    return np.sort(np.asarray(times, dtype=np.float64))


def iter_frames(path: Path) -> Iterator[tuple[float, np.ndarray]]:
    """Every frame of a file in order, as (time in seconds, (H, W, 3) uint8)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            yield float(frame.time), frame.to_ndarray(format="rgb24")


def decode_range(path: Path, start_s: float, count: int, fps: float, tolerance_s: float = 1e-4) -> np.ndarray:
    """`count` consecutive frames starting at `start_s` (seconds into the file)."""
    wanted = start_s + np.arange(count) / fps
    return decode_at(path, wanted, tolerance_s)


def decode_at(path: Path, times_s: Sequence[float], tolerance_s: float = 1e-4) -> np.ndarray:
    """The frames shown at the given times (seconds into the file), seeking once."""
    times_s = np.asarray(times_s, dtype=np.float64)
    first, last = float(times_s.min()), float(times_s.max())
    out: list[np.ndarray | None] = [None] * len(times_s)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(max(0, int(first / stream.time_base)), stream=stream, backward=True, any_frame=False)
        # Half a frame of slack: decoded times are rounded to the stream's time base.
        slack = max(tolerance_s, 0.5 / float(stream.average_rate or 30))
        for frame in container.decode(stream):
            t = float(frame.time)
            if t > last + slack:
                break
            hits = np.nonzero(np.abs(times_s - t) <= slack)[0]
            if len(hits):
                image = frame.to_ndarray(format="rgb24")
                for h in hits:
                    out[h] = image
    missing = [float(times_s[i]) for i, img in enumerate(out) if img is None]
    if missing:
        raise ValueError(f"{path}: no frame at time(s) {missing[:5]}s (file may be truncated)")
    return np.stack(out)


def undecodable(path: Path, every_frame: bool = False) -> Iterator[tuple[float | None, str]]:
    """(time in seconds, error) of each packet the decoder rejects; keyframes only unless `every_frame` (much faster:
    every episode starts on a keyframe, so a damaged episode start is always found)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if not every_frame:
            stream.codec_context.skip_frame = "NONKEY"
        for packet in container.demux(stream):
            try:
                packet.decode()
            except av.error.FFmpegError as e:
                yield (float(packet.pts * stream.time_base) if packet.pts is not None else None), str(e)
