"""Exact area of overlap between two T shapes: Push-T's coverage of the goal."""

from __future__ import annotations

import numpy as np

# The T as two disjoint rectangles in its own frame (origin at the centre of mass): (cx, cy, hx, hy).
T_RECTS = ((0.0, 0.0257, 0.06, 0.015), (0.0, -0.0343, 0.015, 0.045))
T_AREA = sum(4 * hx * hy for _, _, hx, hy in T_RECTS)


def rect_corners(cx: float, cy: float, hx: float, hy: float, pose: np.ndarray) -> np.ndarray:
    x, y, th = pose
    local = np.array([[cx - hx, cy - hy], [cx + hx, cy - hy], [cx + hx, cy + hy], [cx - hx, cy + hy]])
    c, s = np.cos(th), np.sin(th)
    return local @ np.array([[c, s], [-s, c]]) + np.array([x, y])


def t_polygons(pose: np.ndarray) -> list[np.ndarray]:
    return [rect_corners(*r, pose) for r in T_RECTS]


def _left_of(a: np.ndarray, edge: np.ndarray, p: np.ndarray) -> bool:
    return edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0]) >= 0


def _clip(subject: np.ndarray, clipper: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: the part of convex polygon `subject` inside convex CCW polygon `clipper`."""
    out = subject
    for i in range(len(clipper)):
        if len(out) == 0:
            break
        a, b = clipper[i], clipper[(i + 1) % len(clipper)]
        edge = b - a
        poly, out = out, []
        for j in range(len(poly)):
            p, q = poly[j], poly[(j + 1) % len(poly)]
            pin, qin = _left_of(a, edge, p), _left_of(a, edge, q)
            if pin:
                out.append(p)
            if pin != qin:
                d = q - p
                denom = edge[0] * d[1] - edge[1] * d[0]
                t = (edge[1] * (p[0] - a[0]) - edge[0] * (p[1] - a[1])) / denom
                out.append(p + t * d)
        out = np.array(out) if out else np.zeros((0, 2))
    return out


def polygon_area(poly: np.ndarray) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def coverage(pose: np.ndarray, goal: np.ndarray) -> float:
    """Fraction of the goal T covered by the block: intersection area / T area."""
    area = sum(polygon_area(_clip(a, b)) for a in t_polygons(pose) for b in t_polygons(goal))
    return min(1.0, area / T_AREA)
