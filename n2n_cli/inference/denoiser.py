"""Tiled, batched prediction: memory is bounded by the tile, not by the image. Everything here is numpy; the network
is called through a Predictor (backends.py), tiles are placed by tiling.py, and samples are mapped to the
network's range and back by samples.py (by a Range, io/normalize.py: the network sees clamp(x', 0, 1), and what lies
outside passes through unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from .. import defaults
from ..device import is_gpu
from ..flags import flag
from ..io import split_alpha
from ..io.normalize import UNIT, Normalization, Range
from ..memory import available_memory, room
from ..models.base import UNKNOWN_TRAIN_BYTES, train_bytes_per_pixel
from ..noise.estimate import NoiseEstimate, estimate_noise, removed_level, removed_squares
from . import route as routes
from .backends import Predictor, TorchPredictor
from .chroma import hold_chroma
from .grid import grid_pads, on_grid
from .samples import network_input, store
from .tiling import layout, ramp
from .turns import DIHEDRAL, dihedral_mean, turned

MIN_SIDE = 8  # images smaller than this are edge-padded up to it, so every model takes any size from 1 x 1
Tiles = Callable[[int, int], None]  # progress inside an image: (tiles done, tiles in all)


class Denoiser:
    """Runs a network over images of any size, tile by tile, in batches of tiles."""

    def __init__(
        self,
        model: nn.Module | Predictor,
        device: torch.device | None = None,
        tile: int = defaults.TILE,
        overlap: int | None = None,
        batch: int | None = None,
        gray_model: nn.Module | Predictor | None = None,
        tta: bool = False,
        strength: float = defaults.STRENGTH,
        normalization: Normalization | None = None,
        route: str = "plain",
        camera_model: nn.Module | Predictor | None = None,
    ):
        """`model`: an n2n model (run with torch on `device`) or any Predictor. `gray_model`, if given, takes the
        gray images, and the RGB images whose three channels are equal (a gray picture stored as RGB). `overlap`
        defaults to defaults.OVERLAP, less for small tiles. `tta`: average the outputs over the 8 flips and
        90-degree rotations of each tile (8 times the work). `strength`: how much of what the network removes is
        taken away, from 0 (the input unchanged) to 1 (the network's output). `normalization`: the model's rule for
        an image's range (io/normalize.py; default: the default rule). `route`: how each image is denoised
        (route.py): "plain" (`model` once, the default here: evaluation during training, the course API), "auto"
        (what `n2n denoise` does: `model`, or `camera_model` where the noise estimated in the image and the two
        models' outputs say it is a camera's strong noise), "camera" (`camera_model` for every colour image) or
        "shuffle"; `report` then says what the last image took."""
        if not 0 <= strength <= 1:
            raise ValueError(f"strength {strength} must lie in [0, 1]")
        if route not in routes.ROUTES:
            raise ValueError(f"route {route!r}: choose one of {', '.join(routes.ROUTES)}")
        self.tta, self.strength, self.route = tta, strength, route
        self.report: routes.RouteReport | None = None
        self.normalization = normalization or Normalization()
        self.net: Predictor = _predictor(model, device)
        self.gray: Predictor | None = _predictor(gray_model, device) if gray_model is not None else None
        self.camera: Predictor | None = _predictor(camera_model, device) if camera_model is not None else None
        self.channels = self.net.channels
        self.overlap = min(defaults.OVERLAP, tile // 4) if overlap is None else overlap
        if tile < 1 or tile <= 2 * self.overlap:
            raise ValueError(f"tile ({tile}) must be larger than twice the overlap ({self.overlap})")
        self.tile = tile
        self.batch = batch or (defaults.TILE_BATCH_CUDA if is_gpu(self.net.device) else defaults.TILE_BATCH)

    def peak_bytes(self, height: int, width: int) -> int:
        """Memory the network takes for an image of this size at its peak: a batch of the largest tiles (the image
        itself, decoded and written, is counted by ImageInfo.check). 8 times with `tta` is not needed: its passes run
        one after the other."""
        nets = [getattr(p, "model", None) for p in (self.net, self.gray, self.camera) if p is not None]
        per_pixel = max(train_bytes_per_pixel(n) if n is not None else UNKNOWN_TRAIN_BYTES for n in nets)
        tile = min(self.tile, height) * min(self.tile, width)
        return int(self.batch * tile * per_pixel * defaults.INFER_SHARE)

    def _run(self, tiles: list[np.ndarray], batch: int, net: Predictor | None = None) -> list[np.ndarray]:
        """H x W x C float32 tiles (one size) -> network outputs in [0, 1], in batches of `batch`; `net`: a colour
        network to run instead of the denoiser's own (the camera model)."""
        fn = self._net if net is None else net
        x = np.stack(tiles).transpose(0, 3, 1, 2)  # N x C x H x W
        n, c, h, w = x.shape
        pad_h, pad_w = max(0, MIN_SIDE - h), max(0, MIN_SIDE - w)
        if pad_h or pad_w:
            x = np.pad(x, ((0, 0), (0, 0), (0, pad_h), (0, pad_w)), mode="edge")
        out = []
        for i in range(0, n, batch):
            xb = x[i : i + batch]
            yb = dihedral_mean(fn, xb) if self.tta else fn(xb)
            out.append(yb[..., :h, :w])
        return list(np.concatenate(out).transpose(0, 2, 3, 1))

    def _run_sizes(self, tiles: list[np.ndarray], net: Predictor | None = None) -> list[np.ndarray]:
        """_run over tiles of up to two sizes (the last tile of a row is shorter): each size in its own batches."""
        out: list[np.ndarray] = [np.empty(0)] * len(tiles)
        for shape in dict.fromkeys(t.shape for t in tiles):
            idx = [i for i, t in enumerate(tiles) if t.shape == shape]
            for i, y in zip(idx, self._run([tiles[i] for i in idx], self.batch, net)):
                out[i] = y
        return out

    def _net(self, xb: np.ndarray) -> np.ndarray:
        """N x C x H x W -> the network's output. Gray images take the gray network when there is one; else a colour
        network sees them replicated (output: the channel mean), and a gray network takes colour images channel by
        channel."""
        c = xb.shape[1]
        if c == 1 and self.gray is not None:
            return self.gray(xb)
        if c != self.channels:
            if self.channels == 3:
                return self.net(np.repeat(xb, 3, axis=1)).mean(1, keepdims=True)
            k = len(xb)
            return self.net(xb.reshape(k * c, 1, *xb.shape[2:])).reshape(xb.shape)
        return self.net(xb)

    def __call__(self, image: np.ndarray, rng: Range | None = None, on_tiles: Tiles | None = None) -> np.ndarray:
        """Denoise an H x W x C image; alpha passes through; the same dtype comes back. `rng`: the samples that map to
        the network's 0 and 1, given for the frames of a stack (one range per file); by default the image's own,
        by the denoiser's rule. `on_tiles(done, total)` is called after each row of tiles. An image whose JPEG
        block grid lies off its origin is padded to put it there first, and cut back (grid.py)."""
        if rng is None:
            rng = self.normalization.range_of([split_alpha(image)[0]])
        out, shift = on_grid(image, lambda padded: self._denoise(padded, rng, on_tiles))
        if shift is not None and self.report is not None:
            self.report = replace(self.report, grid=shift)
        return out

    def _denoise(self, image: np.ndarray, rng: Range, on_tiles: Tiles | None) -> np.ndarray:
        """__call__ for an image as it is."""
        color, alpha = split_alpha(image)
        if self._gray_copy(color):  # a gray picture stored as RGB: the gray network, then back to RGB
            g, a = split_alpha(self._denoise(image[..., [0] + ([3] if alpha is not None else [])], rng, on_tiles))
            return np.concatenate([np.repeat(g, 3, axis=2)] + ([a] if a is not None else []), axis=2)
        out = np.empty_like(image)
        if alpha is not None:
            out[..., -1:] = alpha
        c = color.shape[2]
        self.report = None
        tell = on_tiles or (lambda done, total: None)
        strength = self.strength
        if self.route != "plain":
            est = estimate_noise(color, rng.lo, rng.span)
            why, boost = self._stays_plain(c, est), self._boost(est)
            if why is None or self._whole_passes(c, est):  # the route, or the plain pass twice
                need, free = routes.passes_memory(*color.shape), room(available_memory())
                if free is None or need <= free:
                    if why is None:  # a candidate, or a route asked for: never boosted
                        y = self._routed(color, rng, est, tell)
                    else:
                        y = self._weak(color, rng, est, why, boost, tell)
                    store(out[..., :c], y, color, rng, strength)
                    self._tell_samples(color, rng)
                    return out
                lack = "not enough memory for the whole-image passes"
                why = f"{why}; {lack} (one pass)" if why else f"{lack} of the {self.route} route"
            strength *= boost
            self.report = routes.RouteReport("plain", why, 1, est, boost=boost)
            self._tell_samples(color, rng)
        tiles_at = lambda y, x, h, w: network_input(color[y : y + h, x : x + w], rng)  # noqa: E731
        for top, rows in self._rows(color.shape, tiles_at, tell):
            store(out[top : top + len(rows), :, :c], rows, color[top : top + len(rows)], rng, strength)
        return out

    def _tell_samples(self, color: np.ndarray, rng: Range) -> None:
        """The report of an image not of 8 bits names the samples its file's rule mapped to the network's 0 and 1
        (io/normalize.py): --explain then shows how a 16-bit or float file was read."""
        if self.report is not None and color.dtype != np.uint8:
            self.report = replace(self.report, samples=(rng.lo, rng.hi))

    def _boost(self, est: NoiseEstimate) -> float:
        """Times the plain pass's correction is taken: route.weak_boost under auto with the bundled models (a camera
        model beside the default ones); 1 elsewhere. A boosted image takes the whole-image passes of _weak."""
        return routes.weak_boost(est) if self.route == "auto" and self.camera is not None else 1.0

    def _whole_passes(self, channels: int, est: NoiseEstimate) -> bool:
        """Whether an image takes whole-image passes, one at a time: its route's (_routed) or weak noise's (_weak)."""
        return self._stays_plain(channels, est) is None or self._boost(est) != 1

    def _weak(
        self, color: np.ndarray, rng: Range, est: NoiseEstimate, why: str, boost: float, tell: Tiles
    ) -> np.ndarray:
        """A camera's weak noise (route.weak_boost), in the network's range: the mean of the plain pass over `color`
        (H x W x C) and over its anti-transpose (turned half a turn and transposed: its last pixel first), turned
        back (the two passes' errors differ, so their mean has less: experiments.weak_passes; with --tta the mean
        over every flip and turn, the image and its anti-transpose first), its correction taken `boost` times (less
        where the two passes' corrections agree less: route.agreed_boost), then a colour image's chroma held to its
        budget (chroma.hold_chroma; tighter where they agree: route.agreed_budget). `tell` hears the passes as one
        count."""
        x = network_input(color, rng)
        turns = DIHEDRAL if self.tta else DIHEDRAL[:2]  # the image and its anti-transpose (ANTI) first
        tta, self.tta = self.tta, False  # with --tta, each turn is a whole-image pass of its own
        try:

            def part(i: int) -> Tiles:  # pass i of them all, heard as one count
                return lambda d, n: tell(i * n + d, len(turns) * n)

            y = self._whole(x, part(0))
            agree = 1.0
            for i, t in enumerate(turns[1:], 1):
                out = turned(self._whole(turned(x, t), part(i)), t, back=True)
                if i == 1:  # the anti-transpose: how it agrees with the image's pass tells the factor and the budget
                    agree = routes.agreement(x, y, out)
                y += out  # in place: whole-image copies count (route.passes_memory)
        finally:
            self.tta = tta
        y /= len(turns)
        boost = routes.agreed_boost(boost, agree)
        y -= x
        y *= boost
        y += x
        budget = routes.agreed_budget(agree) if color.shape[2] == 3 else None
        y, kept = hold_chroma(y, budget) if budget is not None else (y, None)
        passes = 1 if tta else 2
        self.report = routes.RouteReport(
            "plain", why, passes, est, boost=boost, agreement=agree, chroma_kept=kept, chroma_budget=budget
        )
        return y

    def _stays_plain(self, channels: int, est: NoiseEstimate) -> str | None:
        """Why an image takes the plain pass of the denoiser's own model under its route (None: it takes the route)."""
        if self.route == "shuffle":
            return None
        if self.camera is None or channels != 3:
            return f"no camera model for it (a gray image, or one model named with {flag('model')})"
        if self.route == "camera" or routes.candidate(est):
            return None
        return routes.plain_reason(est)

    def _routed(self, color: np.ndarray, rng: Range, est: NoiseEstimate, tell: Tiles) -> np.ndarray:
        """The network's output for `color` (H x W x C) by the denoiser's route, in the network's range: auto (both
        models, over the whole image or the tiles _judged picks, then the one route.choose picks, and for noise of
        defaults.CAMERA_SHUFFLE_LEVEL or more the camera model's shuffle route), camera, or shuffle; `tell` hears
        all its passes as one count."""
        x = network_input(color, rng)
        judged = self._judged(x.shape, est) if self.route == "auto" else None
        share = sum(th * tw for (_, _, th, tw), _ in judged or []) / (x.shape[0] * x.shape[1])
        total = [{"shuffle": 3, "camera": 1}.get(self.route, 2) if judged is None else 1 + 2 * share]
        done = [0.0]  # passes done: a sub-image counts as a quarter of one

        def count(k: float) -> Tiles:
            return lambda d, n: tell(round(100 * (done[0] + k * d / n)), round(100 * total[0]))

        def whole(t: np.ndarray, net: Predictor | None = None) -> np.ndarray:
            k = t.size / x.size
            y = self._whole(t, count(k), net)
            done[0] += k
            return y

        if self.route == "camera":
            self.report = routes.RouteReport("camera", "asked for (--route camera)", 1, est)
            return whole(x, self.camera)
        if self.route == "shuffle":
            self.report = routes.RouteReport("shuffle", "asked for (--route shuffle)", 3, est)
            return routes.shuffle_route(whole, x, whole(x), est.level / 255.0)
        if judged is None:
            plain, camera = whole(x), whole(x, self.camera)
            extra = removed_level(plain, camera, est)
        else:
            extra = self._judged_extra(x, judged)
            done[0] += 2 * share
            tell(round(100 * done[0]), round(100 * total[0]))
        route, reason = routes.choose(est, extra)
        tiles = None if judged is None else (len(judged), math.prod(map(len, self._layout(x.shape))))
        passes = 2 if judged is None else 1  # the whole passes taken: both models', or the chosen one's
        if route == "plain":
            self.report = routes.RouteReport("plain", reason, passes, est, extra, judged=tiles)
            return plain if judged is None else whole(x)
        if judged is not None:
            camera = whole(x, self.camera)
        if est.level >= defaults.CAMERA_SHUFFLE_LEVEL:
            total[0] += 2
            self.report = routes.RouteReport(
                "camera+shuffle", f"{reason}; {routes.STRONG}", passes + 2, est, extra, judged=tiles
            )
            return routes.shuffle_route(lambda t: whole(t, self.camera), x, camera, est.level / 255.0)
        self.report = routes.RouteReport("camera", reason, passes, est, extra, judged=tiles)
        return camera

    def _layout(self, shape: tuple[int, ...]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The tiles' (start, length) down and across an image of `shape` (H x W x C)."""
        multiple = math.lcm(*(p.multiple for p in (self.net, self.gray, self.camera) if p is not None))
        return (
            layout(shape[0], self.tile, self.overlap, multiple),
            layout(shape[1], self.tile, self.overlap, multiple),
        )

    def _judged(self, shape: tuple[int, ...], est: NoiseEstimate) -> list[routes.Judged] | None:
        """route.judged_tiles for an image of `shape` (H x W x C) in the denoiser's tiles."""
        ys, xs = self._layout(shape)
        return routes.judged_tiles(ys, xs, shape[0], shape[1], est)

    def _judged_extra(self, x: np.ndarray, judged: list[routes.Judged]) -> float:
        """What the camera model takes away beyond the default where `x` is flat, in levels, from both models' outputs
        on the tiles `judged` (_judged) at the flat blocks each holds: removed_level's over those blocks."""
        crops = [x[y : y + th, q : q + tw] for (y, q, th, tw), _ in judged]
        plain, camera = self._run_sizes(crops), self._run_sizes(crops, self.camera)
        squares = [removed_squares(p, c, corners) for p, c, (_, corners) in zip(plain, camera, judged)]
        return math.sqrt(float(np.concatenate(squares).mean()))

    def _whole(self, x: np.ndarray, tell: Tiles, net: Predictor | None = None) -> np.ndarray:
        """The network's output (`net`'s, else the denoiser's own) over a whole H x W x C float32 image in its range,
        tile by tile."""
        y = np.empty_like(x)
        for top, rows in self._rows(x.shape, lambda r, q, h, w: x[r : r + h, q : q + w], tell, net):
            y[top : top + len(rows)] = rows
        return y

    def _rows(
        self,
        shape: tuple[int, ...],
        tile_at: Callable[[int, int, int, int], np.ndarray],
        tell: Tiles,
        net: Predictor | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """The network's output over an image of `shape` (H x W x C), tile by tile, as (first row, rows) in order,
        each band of rows as soon as no later tile touches it. `tile_at(y, x, h, w)`: the network's input there;
        `tell(done, total)` hears the tiles done after each row of them."""
        h, w, c = shape
        ys, xs = self._layout(shape)
        if len(ys) == 1 and len(xs) == 1:  # the image is one tile: nothing to blend
            yield 0, self._run([tile_at(0, 0, h, w)], self.batch, net)[0]
            tell(1, 1)
            return
        wx = [ramp(tw, self.overlap, x > 0, x + tw < w) for x, tw in xs]
        acc = np.zeros((0, w, c), np.float32)  # rows [top, top + len(acc)) still open to later tiles
        wsum = np.zeros((0, w, 1), np.float32)
        top = 0
        for i, (y, th) in enumerate(ys):
            grow = y + th - top - len(acc)
            if grow > 0:
                acc = np.concatenate([acc, np.zeros((grow, w, c), np.float32)])
                wsum = np.concatenate([wsum, np.zeros((grow, w, 1), np.float32)])
            wy = ramp(th, self.overlap, y > 0, y + th < h)
            tiles = [tile_at(y, x, th, tw) for x, tw in xs]
            for (x, tw), wxx, t in zip(xs, wx, self._run_sizes(tiles, net)):
                wt = (wy[:, None] * wxx[None, :])[..., None]
                acc[y - top : y - top + th, x : x + tw] += t * wt
                wsum[y - top : y - top + th, x : x + tw] += wt
            done = (ys[i + 1][0] if i + 1 < len(ys) else h) - top  # rows no later tile touches
            yield top, acc[:done] / np.maximum(wsum[:done], 1e-12)
            acc, wsum, top = acc[done:], wsum[done:], top + done
            tell((i + 1) * len(xs), len(ys) * len(xs))

    def _gray_copy(self, color: np.ndarray) -> bool:
        """True when there is a gray network and `color` (H x W x 3) holds one gray picture in all three channels."""
        return (
            self.gray is not None
            and color.shape[2] == 3
            and np.array_equal(color[..., 0], color[..., 1])
            and np.array_equal(color[..., 0], color[..., 2])
        )

    def predict(self, x: torch.Tensor, ranges: Sequence[Range] | None = None) -> torch.Tensor:
        """N x C x H x W float (integer data divided by its type's maximum) -> denoised, same shape. `ranges`: each
        image's range in x's units (io/normalize.py); None: x is in the network's range already. Small images go
        through in batches holding as many pixels as a batch of tiles; larger ones, and with a route other than plain
        the images whose noise may call for another (route.py), one by one, as __call__ takes them."""
        n, c, h, w = x.shape
        ranges = list(ranges) if ranges is not None else [UNIT] * n
        imgs = x.permute(0, 2, 3, 1).float().cpu().numpy()
        if h > self.tile or w > self.tile or self.route in ("shuffle", "camera"):
            return torch.from_numpy(np.stack([self(img, r) for img, r in zip(imgs, ranges)])).permute(0, 3, 1, 2)
        per_batch = max(1, self.batch * self.tile * self.tile // (h * w))
        out = np.empty_like(imgs)
        ests = [estimate_noise(img, r.lo, r.span) if self.route == "auto" else None for img, r in zip(imgs, ranges)]
        grid = [self.route != "plain" and grid_pads(img) is not None for img in imgs]  # a JPEG's grid to put back
        alone = [g or (e is not None and self._whole_passes(c, e)) for g, e in zip(grid, ests)]  # route or grid
        for j in np.flatnonzero(alone):
            out[j] = self(imgs[j], ranges[j])  # as __call__ takes them
        gray = [self._gray_copy(img) for img in imgs]
        strength = [self.strength * (self._boost(e) if e is not None else 1.0) for e in ests]
        for as_gray in (False, True):  # gray pictures stored as RGB take the gray network, as in __call__
            idx = [i for i in range(n) if gray[i] == as_gray and not alone[i]]
            part = [imgs[i][..., :1] if as_gray else imgs[i] for i in idx]
            for k in range(0, len(idx), per_batch):
                chunk = idx[k : k + per_batch]
                inputs = [network_input(p, ranges[i]) for i, p in zip(chunk, part[k : k + per_batch])]
                for i, p, y in zip(chunk, part[k : k + per_batch], self._run(inputs, per_batch)):
                    store(out[i], y, p, ranges[i], strength[i])
        return torch.from_numpy(out).permute(0, 3, 1, 2)


def _predictor(model: nn.Module | Predictor, device: torch.device | None) -> Predictor:
    return TorchPredictor(model, device) if isinstance(model, nn.Module) else model
