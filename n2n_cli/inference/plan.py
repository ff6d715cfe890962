"""Where each denoised file goes, decided for every file before any work, so that nothing a user has is written
over: an output never replaces an input, never lands where it would be read again as an input, and replaces an
existing file only in a folder n2n wrote before (it carries a marker file) or with `overwrite`.

Outputs: TIFF for a TIFF (its shape, axes, sample type and calibration kept: io/tiffmeta.py), PNG for any other
image. Names that would collide keep their source suffix.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import defaults
from ..errors import ImageError, UserError
from ..flags import flag
from ..io import atomic_write, list_images, probe

MARKER = ".n2n-output"  # in every folder n2n denoises into
OUTPUT_SUFFIXES = (".png", ".tif", ".tiff")


@dataclass
class Job:
    src: Path
    dest: Path


@dataclass
class Plan:
    jobs: list[Job]
    notes: list[str] = field(default_factory=list)  # renamings the user should hear about
    folders: list[Path] = field(default_factory=list)  # output folders to mark
    max_pixels: int = defaults.MAX_PIXELS  # the pixel budget every file of the run is read under


def _output_suffix(src: Path, max_pixels: int) -> str:
    """.tif for a TIFF (and for stacks and float images, which PNG cannot hold), .png otherwise; a file that cannot
    be probed gets .png here and its error when it is processed."""
    try:
        info = probe(src, max_pixels)
    except ImageError:
        return ".png"
    return ".tif" if info.format == "TIFF" or info.frames > 1 or info.is_float else ".png"


def _png_holds(src: Path, max_pixels: int) -> bool:
    """Whether a PNG can hold what `src` holds: one frame of 8 or 16 bits (a file that cannot be probed: its error
    comes when it is processed)."""
    try:
        info = probe(src, max_pixels)
    except ImageError:
        return True
    return info.frames == 1 and not info.is_float


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _in_output_folder(path: Path, root: Path) -> bool:
    """True when a file lies in a folder (below `root`) that n2n wrote denoised images into."""
    return any((d / MARKER).is_file() for d in path.parents if _inside(d, root))


def _outside_output(files: list[Path], out_dir: Path, output: Path) -> list[Path]:
    """The input files of a recursive run whose OUT lies inside its input tree, OUT's subtree left out: n2n's own
    earlier outputs there are skipped by their marker; an image of the user's there would be read as an input and
    its output written beside it, so it is refused."""
    kept = []
    for f in files:
        if _inside(f.resolve(), out_dir):
            raise UserError(
                f"{f}: an image in the output folder {output}, which lies in the input tree: a recursive "
                "run would read it as an input; choose an output folder that holds no images"
            )
        kept.append(f)
    return kept


def plan_outputs(
    inputs: Path,
    output: Path,
    recursive: bool = False,
    overwrite: bool = False,
    into_input_folder: bool = False,
    max_pixels: int = defaults.MAX_PIXELS,
) -> Plan:
    """Every (input, output) pair, checked before any work (on resolved paths: symlinks and `..` count). An output
    never replaces an input; OUT may be a new folder beside or inside the input's folder, but not that folder itself
    (its outputs would sit among the images read) unless `into_input_folder`; a recursive run never reads OUT's
    subtree as input; an existing file is replaced only in a folder n2n wrote before or with `overwrite`. Names
    that would collide keep their source suffix."""
    if not inputs.exists():
        raise UserError(f"{inputs}: no such file or folder")
    single_file = inputs.is_file()
    as_file = single_file and output.suffix.lower() in OUTPUT_SUFFIXES and not output.is_dir()
    if not single_file and output.suffix.lower() in OUTPUT_SUFFIXES and not output.is_dir():
        raise UserError(f"{output}: a file name, but {inputs} is a folder; give an output folder")
    if not as_file and output.exists() and not output.is_dir():
        raise UserError(f"{output}: is a file; the output must be a folder, or a .png/.tif file name for one input")
    root = inputs.parent if single_file else inputs
    out_dir = (output.parent if as_file else output).resolve()
    if not as_file and not into_input_folder and out_dir == root.resolve():
        raise UserError(
            f"{output}: the outputs would go inside the folder that holds the input ({root}), among the "
            f"images read; choose another output folder, e.g. a new folder inside it (or pass "
            f"{flag('into_input_folder')})"
        )
    files = [inputs] if single_file else _input_files(inputs, recursive, out_dir, output)
    suffix_of = {f: _output_suffix(f, max_pixels) for f in files}
    notes: list[str] = []
    if as_file:
        if output.suffix.lower() == ".png" and not _png_holds(inputs, max_pixels):
            raise UserError(
                f"{output}: {inputs} is a stack or a float image, which PNG cannot hold; name the output .tif"
            )
        dests = {inputs: output}
    else:
        dests = _destinations(files, root, output, suffix_of, notes)
    jobs = _jobs(files, dests, overwrite)
    folders = [] if as_file else sorted({j.dest.parent for j in jobs})
    return Plan(jobs, notes, folders, max_pixels)


def _input_files(inputs: Path, recursive: bool, out_dir: Path, output: Path) -> list[Path]:
    """The images of an input folder, without n2n's own outputs, nor OUT's subtree when it lies in the tree."""
    files = [f for f in list_images(inputs, recursive) if not _in_output_folder(f, inputs)]
    root = inputs.resolve()
    if recursive and out_dir != root and _inside(out_dir, root):
        files = _outside_output(files, out_dir, output)
    if not files:
        raise UserError(f"{inputs}: no images found" + ("" if recursive else " (use --recursive for sub-folders)"))
    return files


def _destinations(
    files: list[Path], root: Path, output: Path, suffix_of: dict[Path, str], notes: list[str]
) -> dict[Path, Path]:
    """Each file's output under `output`, mirroring its place under `root`; names that would collide (x.jpg and
    x.png both give x.png) keep their source suffix, and a note says so."""
    dests: dict[Path, Path] = {}
    by_name: dict[Path, list[Path]] = defaultdict(list)
    for f in files:
        rel = f.relative_to(root)
        by_name[(output / rel.with_suffix(suffix_of[f])).with_name(rel.stem.lower() + suffix_of[f])].append(f)
    for group in by_name.values():
        keeps = [f for f in group if f.suffix.lower() == suffix_of[f]][:1] if len(group) > 1 else group
        for f in group:
            rel = f.relative_to(root)
            dests[f] = output / (
                rel.with_suffix(suffix_of[f]) if f in keeps else rel.with_name(rel.name + suffix_of[f])
            )
        if len(group) > 1:
            notes.append(
                f"{', '.join(f.name for f in group)} share a name: writing {', '.join(dests[f].name for f in group)}"
            )
    return dests


def _jobs(files: list[Path], dests: dict[Path, Path], overwrite: bool) -> list[Job]:
    """The jobs, once no output would replace an input, a folder, or a file n2n did not write (unless `overwrite`)."""
    input_keys = {_key(f) for f in files}
    jobs = []
    for f in files:
        dest = dests[f]
        if dest.exists():
            if _key(dest) in input_keys:
                raise UserError(f"{dest}: is an input of this run; refusing to overwrite it")
            if dest.is_dir():
                raise UserError(f"{dest}: is a folder where an output file would go")
            if not overwrite and not (dest.parent / MARKER).is_file():
                raise UserError(
                    f"{dest}: exists and was not written by an earlier n2n denoise into this folder; "
                    f"choose an empty output folder, or pass {flag('overwrite')} to replace it"
                )
        jobs.append(Job(f, dest))
    return jobs


def _key(path: Path) -> tuple[int, int] | Path:
    """The same file under any name (symlinks, `..`, hard links)."""
    try:
        st = path.stat()
        return st.st_dev, st.st_ino
    except OSError:
        return path.resolve()


def mark_folder(d: Path) -> None:
    if not (d / MARKER).is_file():
        atomic_write(
            d / MARKER,
            lambda f: f.write(
                b"Denoised images written by n2n. n2n may replace them when "
                b"run again into this folder, and skips this folder as input.\n"
            ),
        )
