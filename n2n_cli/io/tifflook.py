"""What a TIFF's samples mean, and what it says about itself: its photometric interpretation, its extra samples (alpha,
associated or not), a palette's colour map, and its descriptive tags (orientation, software, date, make, ...). Read
when the file is probed, written again with the denoised pixels (tiff.py): a meaning n2n cannot keep is refused in
one line, never reinterpreted.

- MINISBLACK, RGB: kept.
- MINISWHITE (0 is white): the samples are denoised as they are, and written MINISWHITE again.
- PALETTE: the samples are indices into a colour map; denoised as intensities, and written with the same map, only
  when the map is an intensity ramp (each of its colours never darker than the one before) or the file is ImageJ's
  (whose lookup tables colour intensities); any other map is refused.
- YCbCr compressed as JPEG: decoded to RGB (libjpeg converts), written RGB. CMYK, Lab, YCbCr stored raw, colour
  filter arrays and the rest: refused.
- The orientation tag is kept and the pixels are not turned: a TIFF comes back as it was stored, and shown as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ImageError

KEPT = {0: "miniswhite", 1: "minisblack", 2: "rgb", 3: "palette", 6: "rgb"}  # 6, YCbCr: only as JPEG (decoded RGB)
JPEG = (6, 7)  # old-style and new-style JPEG compression
DESCRIPTIVE = {  # tag code: TIFF type, for the tags a denoised file keeps (ASCII "s", SHORT "H")
    269: "s",  # DocumentName
    270: "s",  # ImageDescription (where the file's layout does not use it for its metadata)
    271: "s",  # Make
    272: "s",  # Model
    274: "H",  # Orientation
    285: "s",  # PageName
    305: "s",  # Software
    306: "s",  # DateTime
    315: "s",  # Artist
    316: "s",  # HostComputer
    33432: "s",  # Copyright
}
OWN = {270, 305, 306}  # written through tifffile's own arguments (description, software, datetime)
NAMES = {  # photometric interpretations refused, by name in the message
    4: "transparency-mask",
    5: "CMYK (separated)",
    6: "YCbCr (stored raw, not as JPEG)",
    8: "CIE Lab",
    9: "ICC Lab",
    10: "ITU Lab",
    32803: "colour-filter-array (raw sensor)",
    32844: "LogL",
    32845: "LogLuv",
    34892: "linear-raw",
}


@dataclass(frozen=True)
class TiffLook:
    photometric: str  # as tifffile writes it: "minisblack", "rgb", "miniswhite", "palette"
    extrasamples: tuple[int, ...] = ()  # 0 unspecified, 1 associated (premultiplied) alpha, 2 unassociated alpha
    colormap: np.ndarray | None = field(default=None, compare=False, hash=False)  # 3 x 2^bits, for a palette
    tags: tuple[tuple[int, Any], ...] = ()  # (code, value) of the descriptive tags the file has


def read_look(tif: Any, page: Any, path: Path, kind: str) -> TiffLook:
    """The look of a file whose first page is `page`; ImageError (one line) for a meaning n2n cannot keep. `kind`:
    the layout's (tiffmeta.py), whose metadata may live in the description."""
    code = int(page.photometric)
    if code not in KEPT or (code == 6 and int(page.compression) not in JPEG):
        raise ImageError(
            f"{path}: a {NAMES.get(code) or _name(code)} TIFF; n2n would change what its samples mean (it denoises "
            "gray, RGB, min-is-white and intensity-palette TIFFs): convert it to RGB or gray"
        )
    cmap = None
    if code == 3:
        cmap = np.asarray(page.colormap) if page.colormap is not None else None
        if cmap is None or cmap.ndim != 2 or cmap.shape[0] != 3:
            raise ImageError(f"{path}: a palette TIFF without a colour map")
        if not (tif.is_imagej or bool(np.all(np.diff(cmap.astype(np.int64), axis=1) >= 0))):
            raise ImageError(
                f"{path}: a palette TIFF whose colours are not an intensity ramp: its samples are colour-table "
                "indices, not intensities, and denoising them would change its colours; save it as RGB or gray"
            )
    tags = []
    for tag_code in DESCRIPTIVE:
        if tag_code == 270 and kind != "pages":
            continue  # ImageJ, OME and tifffile's own shapes keep their metadata there
        tag = page.tags.get(tag_code)
        if tag is not None and _plain(tag.value):
            tags.append((tag_code, tag.value))
    extras = tuple(int(v) for v in (page.extrasamples or ()))
    return TiffLook(KEPT[code], extras, cmap, tuple(tags))


def look_args(look: TiffLook, channels: int) -> dict[str, Any]:
    """tifffile's TiffWriter.write arguments that give the file `look` (`channels`: samples per pixel written)."""
    args: dict[str, Any] = {"photometric": look.photometric}
    extra = channels - (3 if look.photometric == "rgb" else 1)
    if extra > 0:
        args["extrasamples"] = look.extrasamples[:extra] if len(look.extrasamples) >= extra else (2,) * extra
    if look.colormap is not None:
        args["colormap"] = look.colormap
    own = dict(look.tags)
    if 270 in own:
        args["description"] = own[270]
    if 305 in own:
        args["software"] = own[305]
    if 306 in own:
        args["datetime"] = own[306]
    extratags = [(c, DESCRIPTIVE[c], 0 if DESCRIPTIVE[c] == "s" else 1, v, True) for c, v in look.tags if c not in OWN]
    if extratags:
        args["extratags"] = extratags
    return args


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and value != ""


def _name(code: int) -> str:
    import tifffile

    try:
        return str(tifffile.PHOTOMETRIC(code).name).replace("_", " ").lower()
    except ValueError:
        return f"photometric {code}"
