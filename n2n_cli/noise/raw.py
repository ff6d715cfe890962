"""A camera's noise made from first principles: the photo taken back to the sensor, noise added there, and the
camera's processing run again (unprocessing, Brooks et al., CVPR 2019).

A clean sRGB crop goes back through an inverse tone curve, an inverse gamma, an inverse colour matrix and inverse
white-balance gains to a Bayer mosaic (RGGB) of linear sensor values. The sensor's noise is added there: shot noise,
whose variance grows with the signal, plus read noise (the noise-level function variance = shot * x + read, Foi et
al. 2008; SIDD, Abdelhamed et al. CVPR 2018, reports such functions per phone and ISO). The mosaic is then demosaiced
(bilinear or Malvar-He-Cutler, both linear) and processed forward again: white balance, colour matrix, gamma, tone
curve, to first order: the noise at each pixel is the sensor's noise through the linear steps (demosaicing, gains,
colour matrix) times the slope of gamma and tone curve at the clean pixel. What a phone does beyond that is drawn
too: noise reduction (luma smoothed, chroma smoothed more), which leaves correlated grain and blotches over 2-4
pixels, and sharpening, which brings fine grain back. Only the noise is returned, never the clean crop's own trip
through the mosaic: its demosaicing error is not noise.

Every parameter is drawn per image, and the result is scaled so that its luma std on a flat mid-grey patch (a
simulation of such a patch through the same camera) is the level asked for: the level means the same whatever the
crop shows, and the crop's brightness shapes the noise as a sensor and a tone curve do (weak in bright areas where
shot noise is compressed, strong in the darker mid-tones).

Not calibrated here: the processed noise is compared with `polyu_dev`'s in docs/camera-noise.md, but phone photos
(SIDD and the like) are not in this project's data, so the phone-only parts (noise reduction, sharpening, levels up
to 40) are set from published descriptions, not fitted.

Why first order: through the full nonlinear processing the noise is not zero-mean given the clean crop (black-level
clipping lifts the darks by several levels at high ISO, a concave gamma pulls mid-tones down). But the reference a
real photo is judged against, the mean of many shots, carries the same shift, and so does what a user calls the
scene: a model taught to remove that shift would darken real photos' shadows. First-order noise is zero-mean by
construction, as every other noise in this package is, so a Noise2Noise target made with it has the clean crop as
its mean.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .camera import RGB_TO_YCC, _draw

# sRGB (linear, D65) to CIE XYZ
SRGB_TO_XYZ = (
    (0.4124564, 0.3575761, 0.1804375),
    (0.2126729, 0.7151522, 0.0721750),
    (0.0193339, 0.1191920, 0.9503041),
)
# XYZ -> camera matrices of four cameras (Adobe DNG colour matrices, as dcraw lists them, / 10000): Canon EOS 5D
# Mark II, Nikon D700, Sony ILCE-7, Canon EOS 80D. Each image's camera is a random convex mixture of them.
XYZ_TO_CAM = (
    (4716, 603, -830, -7798, 15474, 2480, -1496, 1937, 6651),
    (8139, -2171, -663, -8747, 16541, 2295, -1925, 2008, 8093),
    (5271, -712, -347, -6153, 13653, 2763, -1601, 2366, 7242),
    (7457, -671, -937, -4849, 12495, 2643, -1213, 1896, 5961),
)
GAMMA = 2.2
RED_GAIN = (1.9, 2.4)  # white-balance gains (Brooks et al.'s ranges)
BLUE_GAIN = (1.5, 1.9)
READ_RATIO = (3e-4, 5e-2)  # read noise variance over the shot noise's gain (log-uniform): the darks' share
MHC_SHARE = 0.5  # demosaiced by Malvar-He-Cutler (sharper, less correlated) instead of bilinear
NR_SHARE = 0.6  # images given a phone's noise reduction ...
NR_LUMA = (0.5, 1.5)  # ... luma smoothed by a Gaussian of this std (pixels, log-uniform) ...
NR_LUMA_KEEP = (0.2, 0.7)  # ... keeping this share of the unsmoothed luma noise ...
NR_CHROMA = (1.0, 4.0)  # ... and chroma smoothed by a Gaussian of this std
SHARPEN_SHARE = 0.5  # images sharpened (unsharp mask of radius 1 pixel) ...
SHARPEN = (0.2, 1.0)  # ... by this amount
FLAT = 32  # side of the flat mid-grey patch that sets the level
MID_GREY = 0.5  # sRGB value of that patch


def tone_inverse(y: torch.Tensor) -> torch.Tensor:
    """The inverse of the smoothstep tone curve 3x^2 - 2x^3 (Brooks et al.'s stand-in for a camera's curve)."""
    return 0.5 - torch.sin(torch.asin((1 - 2 * y.clamp(0, 1)).clamp(-1, 1)) / 3)


def _tone_slope(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0, 1)
    return 6 * x * (1 - x)


GAMMA_FLOOR = 1e-3  # the gamma curve's slope is taken no steeper than at this linear value (it is infinite at 0)


def _gamma(x: torch.Tensor) -> torch.Tensor:
    return x.clamp_min(1e-8) ** (1 / GAMMA)


def _gamma_slope(x: torch.Tensor) -> torch.Tensor:
    return x.clamp_min(GAMMA_FLOOR) ** (1 / GAMMA - 1) / GAMMA


def _camera_matrix(g: torch.Generator | None, dev: torch.device) -> torch.Tensor:
    """3 x 3 linear sRGB -> camera RGB of a random mixture of the cameras, rows summing to 1 (white stays white)."""
    w = torch.rand(len(XYZ_TO_CAM), generator=g, device=dev)
    xyz_to_cam = (w / w.sum()) @ (torch.tensor(XYZ_TO_CAM, device=dev, dtype=torch.float32) / 10000)
    m = xyz_to_cam.view(3, 3) @ torch.tensor(SRGB_TO_XYZ, device=dev)
    return m / m.sum(1, keepdim=True)


def _bayer(h: int, w: int, dev: torch.device) -> torch.Tensor:
    """3 x H x W mask of the RGGB mosaic's colour at each site."""
    m = torch.zeros(3, h, w, device=dev)
    m[0, 0::2, 0::2] = 1
    m[1, 0::2, 1::2] = 1
    m[1, 1::2, 0::2] = 1
    m[2, 1::2, 1::2] = 1
    return m


def _conv(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Each channel of n x c x H x W convolved with one 2-D kernel, borders reflected."""
    r = k.shape[-1] // 2
    c = x.shape[1]
    return F.conv2d(F.pad(x, (r, r, r, r), mode="reflect"), k.expand(c, 1, -1, -1).contiguous(), groups=c)


def demosaic_bilinear(mosaic: torch.Tensor) -> torch.Tensor:
    """n x 1 x H x W RGGB mosaic -> n x 3 x H x W, each missing value the mean of its nearest same-colour sites."""
    dev = mosaic.device
    mask = _bayer(mosaic.shape[-2], mosaic.shape[-1], dev)
    rb = torch.tensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]], device=dev, dtype=torch.float32).view(1, 1, 3, 3) / 4
    gk = torch.tensor([[0, 1, 0], [1, 4, 1], [0, 1, 0]], device=dev, dtype=torch.float32).view(1, 1, 3, 3) / 4
    planes = mosaic * mask
    return torch.cat([_conv(planes[:, :1], rb), _conv(planes[:, 1:2], gk), _conv(planes[:, 2:], rb)], 1)


def _mhc_kernels(dev: torch.device) -> dict[str, torch.Tensor]:
    """Malvar, He and Cutler's 5 x 5 demosaicing filters (ICASSP 2004), / 8."""
    g_at_rb = [[0, 0, -1, 0, 0], [0, 0, 2, 0, 0], [-1, 2, 4, 2, -1], [0, 0, 2, 0, 0], [0, 0, -1, 0, 0]]
    row = [[0, 0, 0.5, 0, 0], [0, -1, 0, -1, 0], [-1, 4, 5, 4, -1], [0, -1, 0, -1, 0], [0, 0, 0.5, 0, 0]]
    diag = [[0, 0, -1.5, 0, 0], [0, 2, 0, 2, 0], [-1.5, 0, 6, 0, -1.5], [0, 2, 0, 2, 0], [0, 0, -1.5, 0, 0]]
    t = {
        k: torch.tensor(v, device=dev, dtype=torch.float32).view(1, 1, 5, 5) / 8
        for k, v in (("g", g_at_rb), ("row", row), ("diag", diag))
    }
    t["col"] = t["row"].transpose(-1, -2)
    return t


def demosaic_mhc(mosaic: torch.Tensor) -> torch.Tensor:
    """n x 1 x H x W RGGB mosaic -> n x 3 x H x W by Malvar-He-Cutler's gradient-corrected linear interpolation."""
    dev = mosaic.device
    h, w = mosaic.shape[-2:]
    k = _mhc_kernels(dev)
    f = {name: _conv(mosaic, kern)[:, 0] for name, kern in k.items()}
    m = mosaic[:, 0]
    yy, xx = torch.meshgrid(torch.arange(h, device=dev), torch.arange(w, device=dev), indexing="ij")
    r_site, b_site = (yy % 2 == 0) & (xx % 2 == 0), (yy % 2 == 1) & (xx % 2 == 1)
    g_red_row, g_blue_row = (yy % 2 == 0) & (xx % 2 == 1), (yy % 2 == 1) & (xx % 2 == 0)
    green = torch.where(r_site | b_site, f["g"], m)
    red = torch.where(r_site, m, torch.where(g_red_row, f["row"], torch.where(g_blue_row, f["col"], f["diag"])))
    blue = torch.where(b_site, m, torch.where(g_blue_row, f["row"], torch.where(g_red_row, f["col"], f["diag"])))
    return torch.stack([red, green, blue], 1)


def _gauss(s: float, dev: torch.device) -> torch.Tensor:
    r = max(1, math.ceil(3 * s))
    t = torch.arange(-r, r + 1, device=dev, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / s) ** 2)
    k = k / k.sum()
    return (k[:, None] * k[None, :]).view(1, 1, 2 * r + 1, 2 * r + 1)


class Camera:
    """One camera's settings, drawn at random: colour matrix, white balance, noise-level function's shape,
    demosaicing, noise reduction and sharpening. `unprocess` takes sRGB to its mosaic, `slope` and `linear` make the
    processing's first-order response to noise on that mosaic, `finish` applies its noise reduction and sharpening
    to a noise field (n x 3 x H x W in sRGB)."""

    def __init__(self, g: torch.Generator | None, dev: torch.device):
        self.rgb_to_cam = _camera_matrix(g, dev)
        self.cam_to_rgb = torch.linalg.inv(self.rgb_to_cam)
        red, blue = _draw(*RED_GAIN, 1, g, dev), _draw(*BLUE_GAIN, 1, g, dev)
        self.gains = torch.stack([red[0], torch.ones((), device=dev), blue[0]]).view(1, 3, 1, 1)
        self.read = float(_draw(*READ_RATIO, 1, g, dev, log=True))
        u = torch.rand(4, generator=g, device=dev).tolist()
        self.mhc = u[0] < MHC_SHARE
        self.nr = None
        if u[1] < NR_SHARE:
            self.nr = (
                float(_draw(*NR_LUMA, 1, g, dev, log=True)),
                float(_draw(*NR_LUMA_KEEP, 1, g, dev)),
                float(_draw(*NR_CHROMA, 1, g, dev, log=True)),
            )
        self.sharpen = float(_draw(*SHARPEN, 1, g, dev)) if u[2] < SHARPEN_SHARE else 0.0
        self.ycc = torch.tensor(RGB_TO_YCC, device=dev)

    def unprocess(self, srgb: torch.Tensor) -> torch.Tensor:
        """n x 3 x H x W sRGB in [0, 1] -> n x 1 x H x W linear RGGB mosaic."""
        lin = _gamma_inverse(tone_inverse(srgb))
        cam = torch.einsum("jk,nkhw->njhw", self.rgb_to_cam, lin) / self.gains
        return (cam * _bayer(cam.shape[-2], cam.shape[-1], cam.device)).sum(1, keepdim=True)

    def linear(self, mosaic: torch.Tensor) -> torch.Tensor:
        """Mosaic -> white-balanced linear sRGB (demosaic, gains, colour matrix): the processing's linear part."""
        rgb = demosaic_mhc(mosaic) if self.mhc else demosaic_bilinear(mosaic)
        return torch.einsum("jk,nkhw->njhw", self.cam_to_rgb, rgb * self.gains)

    def slope(self, clean_mosaic: torch.Tensor) -> torch.Tensor:
        """The derivative of the processing's pointwise part (gamma, tone curve) at the clean crop, per pixel and
        channel."""
        v = self.linear(clean_mosaic).clamp(0, 1)
        return _tone_slope(_gamma(v)) * _gamma_slope(v)

    def noise(self, mosaic: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        """Shot and read noise for a clean mosaic, its shot gain 1: std sqrt(x + read) at each site."""
        std = (mosaic.clamp_min(0) + self.read).sqrt()
        return std * torch.randn(mosaic.shape, generator=g, device=mosaic.device)

    def finish(self, noise: torch.Tensor) -> torch.Tensor:
        """A phone's noise reduction and sharpening, applied to processed noise (n x 3 x H x W sRGB)."""
        if self.nr is None and not self.sharpen:
            return noise
        dev = noise.device
        ycc = torch.einsum("jk,nkhw->njhw", self.ycc, noise)
        y, cbcr = ycc[:, :1], ycc[:, 1:]
        if self.nr is not None:
            luma_blur, keep, chroma_blur = self.nr
            y = keep * y + (1 - keep) * _conv(y, _gauss(luma_blur, dev))
            cbcr = _conv(cbcr, _gauss(chroma_blur, dev))
        if self.sharpen:
            y = y + self.sharpen * (y - _conv(y, _gauss(1.0, dev)))
        return torch.einsum("jk,nkhw->njhw", torch.linalg.inv(self.ycc), torch.cat([y, cbcr], 1))


def _gamma_inverse(x: torch.Tensor) -> torch.Tensor:
    return x.clamp_min(0) ** GAMMA


def _processed_noise(cam: Camera, clean: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """The camera's noise in sRGB for `clean` (1 x 3 x H x W), at shot gain 1 (unscaled): the sensor's noise through
    the linear part of the processing, times the slope of its pointwise part at the clean crop."""
    mosaic = cam.unprocess(clean)
    return cam.finish(cam.slope(mosaic) * cam.linear(cam.noise(mosaic, g)))


def _luma_std(noise: torch.Tensor) -> torch.Tensor:
    y = torch.einsum("k,nkhw->nhw", torch.tensor(RGB_TO_YCC[0], device=noise.device), noise)
    return y.flatten(1).std(1)


def raw_noise(
    clean: torch.Tensor,
    level: torch.Tensor,
    generator: torch.Generator | None = None,
    shared: bool = False,
) -> torch.Tensor:
    """Camera noise made through a simulated sensor and processing, for `clean` (n x C x H x W in [0, 1], C = 1 or 3),
    its luma std on a flat mid-grey patch `level` (n x 1 x 1 x 1, 0-1 scale). `shared` or one channel: the luma
    of it, the same in every channel (a gray photo)."""
    n, c, h, w = clean.shape
    dev, g = clean.device, generator
    out = torch.empty(n, 1 if (shared or c == 1) else 3, h, w, device=dev)
    grey = torch.full((1, 3, FLAT, FLAT), MID_GREY, device=dev)
    luma = torch.tensor(RGB_TO_YCC[0], device=dev).view(1, 3, 1, 1)
    for i in range(n):
        cam = Camera(g, dev)
        rgb = clean[i : i + 1].float().expand(1, 3, h, w)
        # a mosaic needs even sides: made on the crop grown by one row and column where needed, then cut
        ph, pw = h % 2, w % 2
        if ph or pw:
            rgb = F.pad(rgb, (0, pw, 0, ph), mode="replicate")
        noise = _processed_noise(cam, rgb, g)[..., :h, :w]
        scale = level[i].view(()) / _luma_std(_processed_noise(cam, grey, g))[0].clamp_min(1e-8)
        noise = noise * scale
        out[i] = (noise * luma).sum(1)[0] if out.shape[1] == 1 else noise[0]
    return out.expand(n, c, h, w).to(clean.dtype)
