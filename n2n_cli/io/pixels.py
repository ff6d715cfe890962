"""Conversions between an image's own pixels (uint8, uint16, float32; alpha; gray or RGB) and what networks take."""

from __future__ import annotations

import numpy as np


def to_float(image: np.ndarray) -> np.ndarray:
    """Integer image -> float32 in [0, 1]; float images are returned as float32."""
    if image.dtype.kind == "f":
        return image.astype(np.float32, copy=False)
    return image.astype(np.float32) / float(np.iinfo(image.dtype).max)


def from_float(x: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """Float in [0, 1] -> rounded integer image of `dtype`."""
    peak = float(np.iinfo(dtype).max)
    return np.clip(np.rint(x * peak), 0, peak).astype(dtype)


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """H x W x C -> (colour channels, alpha or None)."""
    if image.shape[2] in (2, 4):
        return image[..., :-1], image[..., -1:]
    return image, None


def match_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """Drop alpha, then gray -> RGB by replication or RGB -> gray by averaging, to get `channels` channels."""
    img, _ = split_alpha(img)
    if img.shape[2] == channels:
        return img
    if channels == 3:
        return np.repeat(img, 3, axis=2)
    mean = img.mean(axis=2, keepdims=True, dtype=np.float32)
    return mean if img.dtype.kind == "f" else mean.round().astype(img.dtype)
