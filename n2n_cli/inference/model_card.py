"""The text files of a BioImage.IO package (bioimageio.py): rdf.yaml, written without a YAML library (block style;
every string double-quoted, as JSON writes it, which YAML reads), and the README a user opens in Fiji or napari."""

from __future__ import annotations

import json
from typing import Any

from ..flags import flag
from ..humanize import describe_model
from ..io.normalize import Range


def yaml_text(value: Any) -> str:
    """`value` (dicts, lists, strings, numbers, booleans, None) as block-style YAML."""
    return "\n".join(_yaml(value, 0)) + "\n"


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def _yaml(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines += [f"{pad}{k}:", *_yaml(v, indent + 2)]
            else:
                lines.append(f"{pad}{k}: {_yaml(v, 0)[0]}")
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        lines = []
        for item in value:
            inner = _yaml(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip()}")
            lines += inner[1:]
        return lines
    return [pad + _scalar(value)]


def readme(rdf: dict[str, Any], ckpt: dict[str, Any], sample: str, rng: Range, dtype: str) -> str:
    """The package's documentation: what the model is, how it maps intensities, how to run it where people work."""
    n2n = rdf["config"]["n2n"]
    rule = n2n["normalization"]
    cfg = ckpt.get("config", {})
    trained = ", ".join(
        f"{k} {cfg[k]}" for k in ("data", "noise", "epochs", "patch_size", "init") if cfg.get(k) not in (None, "")
    )
    size = rdf["inputs"][0]["axes"][2]["size"]
    gray = rdf["inputs"][0]["axes"][1]["channel_names"] == ["gray"]
    lo, hi = rng.lo, rng.hi
    model, sample_flag, clean, pairs = flag("model"), flag("sample"), flag("eval_clean"), flag("eval_pairs")
    return f"""# {rdf["name"]}

{rdf["description"]}

## The model

A {describe_model(ckpt["model"], n2n["model_kwargs"])} trained with n2n by Noise2Noise
(Lehtinen et al., ICML 2018, [arXiv:1803.04189](https://arxiv.org/abs/1803.04189)): it learnt to remove noise from
pairs of noisy images, without clean ones.{f" Training: {trained}." if trained else ""} It takes images of
{"one channel (gray)" if gray else "three channels (RGB)"},
any height and width from {size["min"]} pixels (the network pads to its own grid inside the graph). Run it on the
whole image, as bioimageio.core's `predict` and napari do: it then gives n2n's own output, borders included (the
package declares no halo; a tool that cuts an image into tiles without overlap would show their seams). A
multichannel microscopy image is denoised one channel at a time, as a gray image each.

## Normalization

The network works on intensities in [0, 1]. `n2n denoise` maps each file by its own range: 8-bit images by
x / 255, others from the {rule["low"]:g}th to the {rule["high"]:g}th percentile of their samples. A package cannot
invert a range found per image, so this one records a fixed range, the one n2n found for the sample it was
exported with (`{sample}`, {dtype}): **{lo:g} to {hi:g}**.

- pre-processing (`scale_linear`): x' = (x - {lo:g}) / {hi - lo:g}
- inside the model: the network sees clamp(x', 0, 1); what lies outside [0, 1] (structures brighter than the
  range, or darker) is added back unchanged, so nothing is clipped that was not clipped in the input
- post-processing (`scale_linear`): y = y' x {hi - lo:g} + {lo:g}, in the input's units (float32)

Images taken with the sample's microscope settings (same camera, offset, gain and bit depth) come out as n2n's
own output. For other images run `n2n denoise` (which finds each image's range), or export again with a sample
like them: `n2n export model.zip {model} MODEL {sample_flag} IMAGE`.

## Use it

### Fiji (deepImageJ)

1. Install deepImageJ: Help > Update... > Manage update sites, tick DeepImageJ, apply, restart Fiji.
2. Plugins > DeepImageJ > DeepImageJ Install Model, choose this zip file (from a local file).
3. Open an image (a 2D image, or a stack: each plane is one image), then Plugins > DeepImageJ > DeepImageJ Run,
   pick this model and its ONNX or PyTorch engine (deepImageJ offers to install the engine the first time).

### napari and Python (bioimageio.core)

```bash
pip install 'n2n-cli[bioimageio]' napari[all]   # bioimageio.core 0.11 in a set tested together
bioimageio test model.zip    # runs the test input and compares with the test output
```

```python
import napari, numpy as np, tifffile
from bioimageio.core import predict  # bioimageio.core 0.11

image = tifffile.imread("cell.tif")  # Y x X
out = predict(model="model.zip", inputs=image[None, None].astype("float32"))  # the whole image: n2n's output
viewer = napari.Viewer()
viewer.add_image(image, name="noisy")
viewer.add_image(np.asarray(out.members["denoised"].data).squeeze(), name="denoised")
napari.run()
```

### ilastik

The Neural Network Classification workflow loads BioImage.IO models: give it this zip file (or drag it in).

## Validation

The test tensors are a crop of the sample and this model's output for it: `bioimageio test model.zip` checks
that a runtime reproduces it. To measure quality on your own data, use n2n on the original model file:
`n2n eval noisy/ {clean} clean/ {model} MODEL` with clean references, or `n2n eval captures/ {pairs} {model}
MODEL` with two noisy captures of each scene (PSNR estimated from the pairs).

## Citation

{rdf["cite"][0]["text"]} doi:{rdf["cite"][0]["doi"]}

Made by n2n {n2n["version"]}; license {rdf["license"]}.
"""
