"""Camera noise as a photo holds it: what a camera's processing leaves of its sensor noise, made directly in sRGB.

Measured on real photos (noisy shot minus the mean of ~500 shots, `experiments/noise_calibration.py`): the noise of a
processed camera photo is not independent from pixel to pixel. Its luma part is correlated with the next pixel
(about 0.6) and hardly beyond, not always alike across and down; its colour (chroma) part is weaker but forms large
blotches (correlation still about 0.6 six pixels away); its level follows the brightness, highest in the darker
mid-tones and lower in deep shadows and highlights, where the tone curve flattens; and even at one brightness its
level varies from patch to patch (probably what in-camera noise reduction leaves), which gives it heavy tails (kurtosis
about 5.5 where Gaussian noise has 3). The model here makes such noise from white noise: luma and two chroma fields,
each blurred to its correlation length, scaled by a brightness profile and a smooth random patchiness field, and
taken from YCbCr to RGB. Every parameter is drawn per image from a range around what was measured, so that one model
learns cameras it never saw.

The noise is zero-mean given the clean image, whatever its parameters: a Noise2Noise target made with it (unclipped,
unrounded) has the clean crop as its mean, as the synthetic Gaussian targets do.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# ITU-R BT.601 full range (JPEG's YCbCr): rows give Y, Cb, Cr from R, G, B
RGB_TO_YCC = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))

# Ranges each image's parameters are drawn from (uniform; `*_BLUR` log-uniform), around polyu_dev's measurements
LUMA_BLUR = (0.5, 1.0)  # std in pixels of the Gaussian blur of luma noise: neighbour correlation 0.29-0.78 ...
LUMA_WHITE = (0.2, 0.6)  # ... of which this share of the variance is left white (unblurred): fine grain
CHROMA_BLUR = (3.0, 8.0)  # the same for chroma noise: the blotches ...
CHROMA_FINE = (0.4, 0.8)  # ... of which this share of the variance is blurred by CHROMA_FINE_BLUR only
CHROMA_FINE_BLUR = (0.8, 2.0)
CHROMA_RATIO = (0.25, 0.7)  # chroma noise std over luma noise std, for Cb and Cr each
PEAK = (0.2, 0.5)  # brightness (clean luma, 0-1) where the noise is strongest
FLOOR = (0.15, 0.5)  # the noise's level at black and white, as a share of its peak
PATCHY = (0.2, 0.45)  # std of the log of a smooth random field (blur PATCHY_BLUR pixels) that scales the noise ...
PATCHY_BLUR = (1.5, 3.0)  # ... so that its level varies from patch to patch and its tails are heavy, as measured
ASPECT = (0.75, 1.33)  # vertical over horizontal blur of the luma noise: grain that is not round
# `camera+edges` only: the shot-to-shot variation at edges (see `edge_noise`), its luma variance in levels^2 being
# EDGE_GAIN * g ** EDGE_POWER at a luma gradient magnitude of g levels per pixel (Gaussian derivative, std 1 pixel)
EDGE_GAIN = (2.0, 8.0)  # log-uniform. Measured as the docs' calibration does (JPEG q75, as polyu_dev's files) the
# recipe's variance at edges is then half the real one; twice this gain matches it there but trained worse (model card)
EDGE_POWER = 0.8
EDGE_MAX = 64.0  # gradients steeper than this count as this steep
EDGE_WHITE = (0.4, 0.8)  # share of the edge noise's variance left white (it is finer than the flat-area noise)
EDGE_CHROMA = (0.1, 0.35)  # its chroma std over its luma std, for Cb and Cr each


def _draw(
    lo: float, hi: float, n: int, g: torch.Generator | None, dev: torch.device, log: bool = False
) -> torch.Tensor:
    u = torch.rand(n, generator=g, device=dev)
    if log:
        return torch.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * u)
    return lo + (hi - lo) * u


def _kernel(s: float, dev: torch.device) -> torch.Tensor:
    r = max(1, math.ceil(3 * s))
    t = torch.arange(-r, r + 1, device=dev, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / s) ** 2)
    return k / k.square().sum().sqrt()  # unit sum of squares: unit variance after the pass


def correlated(
    n: int,
    h: int,
    w: int,
    blur: torch.Tensor,
    g: torch.Generator | None,
    dev: torch.device,
    aspect: torch.Tensor | None = None,
) -> torch.Tensor:
    """n x 1 x h x w Gaussian noise of unit variance, each image blurred by a Gaussian of std `blur[i]` pixels
    across and `blur[i] * aspect[i]` down (made on a margin and cut, so it is as correlated at the border as
    inside)."""
    out = torch.empty(n, 1, h, w, device=dev)
    ratios = [1.0] * n if aspect is None else aspect.tolist()
    for i, (s, a) in enumerate(zip(blur.tolist(), ratios)):
        kx, ky = _kernel(s, dev), _kernel(s * a, dev)
        rx, ry = len(kx) // 2, len(ky) // 2
        white = torch.randn(1, 1, h + 2 * ry, w + 2 * rx, generator=g, device=dev)
        out[i] = F.conv2d(F.conv2d(white, kx.view(1, 1, 1, -1)), ky.view(1, 1, -1, 1))[0]
    return out


def patchy(n: int, h: int, w: int, g: torch.Generator | None, dev: torch.device) -> torch.Tensor:
    """n x 1 x h x w positive field with a mean square of 1 in each image: exp of a smooth Gaussian field."""
    field = torch.exp(
        _draw(*PATCHY, n, g, dev).view(n, 1, 1, 1) * correlated(n, h, w, _draw(*PATCHY_BLUR, n, g, dev), g, dev)
    )
    return field / field.square().mean((1, 2, 3), keepdim=True).sqrt()


def blend(a: torch.Tensor, b: torch.Tensor, share: torch.Tensor) -> torch.Tensor:
    """Two independent unit-variance fields mixed so that `share` (per image) of the variance comes from b."""
    share = share.view(-1, 1, 1, 1)
    return (1 - share).sqrt() * a + share.sqrt() * b


def profile(luma: torch.Tensor, peak: torch.Tensor, floor: torch.Tensor) -> torch.Tensor:
    """The noise level at each pixel as a share of its peak: `floor` at black and white, 1 at brightness `peak`
    (floor + (1 - floor) sin(pi x^k), with k placing the maximum at `peak`). luma: n x 1 x H x W in [0, 1]."""
    k = (math.log(0.5) / torch.log(peak)).view(-1, 1, 1, 1)
    f = floor.view(-1, 1, 1, 1)
    return f + (1 - f) * torch.sin(math.pi * luma.clamp(0, 1) ** k)


def gradient(luma: torch.Tensor) -> torch.Tensor:
    """n x 1 x H x W gradient magnitude of `luma` (n x 1 x H x W), by derivatives of a Gaussian of std 1 pixel, in
    the units of `luma` per pixel (borders replicated; exactly 0 where the image is flat)."""
    t = torch.arange(-3, 4, device=luma.device, dtype=luma.dtype)
    k = torch.exp(-0.5 * t**2)
    k = k / k.sum()
    d = -t * k  # derivative of the Gaussian
    d = d / -(t * d).sum()  # unit response to a unit ramp
    x = F.pad(luma - luma.mean((2, 3), keepdim=True), (3, 3, 3, 3), mode="replicate")  # a flat image: all 0
    gx = F.conv2d(F.conv2d(x, d.view(1, 1, 1, -1)), k.view(1, 1, -1, 1))
    gy = F.conv2d(F.conv2d(x, k.view(1, 1, 1, -1)), d.view(1, 1, -1, 1))
    return torch.sqrt(gx**2 + gy**2)


def edge_noise(luma: torch.Tensor, chroma: bool, g: torch.Generator | None) -> torch.Tensor:
    """What a camera photo varies by at edges from shot to shot, beyond its noise in flat areas (demosaicing, sharpening
    and JPEG acting on the noise, and the scene moving by a fraction of a pixel against the sensor's colour mosaic):
    measured on polyu_dev (noisy shot minus the mean of ~500, aligned to it), in mid-tones its high-passed luma
    variance rises from 3 levels^2 where the image is flat to 40 at gradients over 32 levels per pixel, about as the
    gradient to the power 0.8, and hardly with the ISO (ISO 800 shows as much as 12800). Zero-mean, as the camera noise
    is. luma: n x 1 x H x W clean luma in [0, 1]; returns n x 1 x H x W (luma) or n x 3 x H x W (YCbCr)."""
    n, _, h, w = luma.shape
    dev = luma.device
    gain = _draw(*EDGE_GAIN, n, g, dev, log=True).view(n, 1, 1, 1)
    grad = gradient(luma * 255.0).clamp(max=EDGE_MAX)
    scale = (gain * grad**EDGE_POWER).sqrt() / 255.0
    white = _draw(*EDGE_WHITE, n, g, dev)
    y = blend(
        correlated(n, h, w, _draw(*LUMA_BLUR, n, g, dev, log=True), g, dev),
        torch.randn(n, 1, h, w, generator=g, device=dev),
        white,
    )
    if not chroma:
        return scale * y
    ratio = _draw(*EDGE_CHROMA, 2 * n, g, dev).view(n, 2, 1, 1)
    return scale * torch.cat([y, ratio * torch.randn(n, 2, h, w, generator=g, device=dev)], 1)


def camera_noise(
    clean: torch.Tensor,
    level: torch.Tensor,
    generator: torch.Generator | None = None,
    shared: bool = False,
    edges: bool = False,
) -> torch.Tensor:
    """Zero-mean camera noise for `clean` (n x C x H x W in [0, 1], C = 1 or 3), its luma std `level` (n x 1 x 1 x 1,
    0-1 scale) where the profile peaks. `shared` or one channel: luma noise only, the same in every channel (a gray
    image made from a colour photo). `edges`: plus `edge_noise`."""
    n, c, h, w = clean.shape
    dev, g = clean.device, generator
    luma_blur, luma_white = _draw(*LUMA_BLUR, n, g, dev, log=True), _draw(*LUMA_WHITE, n, g, dev)
    aspect = _draw(*ASPECT, n, g, dev, log=True)
    peak, floor = _draw(*PEAK, n, g, dev), _draw(*FLOOR, n, g, dev)
    m = torch.tensor(RGB_TO_YCC, device=dev)
    luma = clean if c == 1 else torch.einsum("k,nkhw->nhw", m[0], clean)[:, None]
    scale = level * profile(luma, peak, floor) * patchy(n, h, w, g, dev)  # n x 1 x H x W
    y = blend(
        correlated(n, h, w, luma_blur, g, dev, aspect), torch.randn(n, 1, h, w, generator=g, device=dev), luma_white
    )
    if shared or c == 1:
        y = scale * y + edge_noise(luma, False, g) if edges else scale * y
        return y.expand(n, c, h, w).to(clean.dtype)
    blotch, fine = _draw(*CHROMA_BLUR, n, g, dev, log=True), _draw(*CHROMA_FINE_BLUR, n, g, dev, log=True)
    share, ratio = _draw(*CHROMA_FINE, n, g, dev), _draw(*CHROMA_RATIO, 2 * n, g, dev).view(n, 2, 1, 1)
    cb_cr = ratio * torch.cat(
        [blend(correlated(n, h, w, blotch, g, dev), correlated(n, h, w, fine, g, dev), share) for _ in range(2)], 1
    )
    ycc = scale * torch.cat([y, cb_cr], 1)
    if edges:
        ycc = ycc + edge_noise(luma, True, g)
    return torch.einsum("jk,nkhw->njhw", torch.linalg.inv(m), ycc).to(clean.dtype)
