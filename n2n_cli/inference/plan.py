"""Where each denoised file goes, decided for every file before any work, so that nothing a user has is written
over: an output never replaces an input, never lands where it would be read again as an input, and replaces an
existing file only when n2n wrote it there and it is unchanged since (the folder's manifest lists it: manifest.py)
or with `overwrite`.

Outputs: TIFF for a TIFF (its shape, axes, sample type and calibration kept: io/tiffmeta.py), PNG for any other
image; or every output in one format asked for (`fmt`: png, jpg, tif), or named by a single output file's suffix.
A file the format cannot hold (a 16-bit image as JPEG, a stack as PNG) is refused before any work. Names that
would collide keep their source suffix.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import defaults
from ..errors import ImageError, UserError
from ..flags import flag
from ..io import fit_name, jpeg_refusal, list_images, probe
from ..io.listing import list_others
from ..io.lock import Lock, folder_lock
from ..io.outputs import Outputs
from ..io.paths import check_name
from ..io.regular import not_regular
from .manifest import MARKER, denoise_outputs

OUTPUT_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
FORMATS = {"png": ".png", "jpg": ".jpg", "tif": ".tif"}  # --format: the suffix of every output
FORMAT_OF = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tif", ".tiff": "tif"}


@dataclass
class Job:
    src: Path
    dest: Path


@dataclass
class Plan:
    jobs: list[Job]
    notes: list[str] = field(default_factory=list)  # renamings and skipped files the user should hear about
    folders: list[Path] = field(default_factory=list)  # the folders outputs go to
    max_pixels: int = defaults.MAX_PIXELS  # the pixel budget every file of the run is read under
    outputs: Outputs = field(default_factory=lambda: denoise_outputs(False))  # what may be replaced (the manifests)
    unreadable: list[str] = field(default_factory=list)  # sub-folders that could not be listed: one line each
    quality: int = defaults.JPEG_QUALITY  # of JPEG outputs

    @property
    def locks(self) -> list[Lock]:
        """What the run holds while it writes: every output folder's lock."""
        return [folder_lock(d) for d in self.folders]


def _output_suffix(src: Path, max_pixels: int, fmt: str | None = None) -> str:
    """The format asked for; else .tif for a TIFF (and for stacks and float images, which PNG cannot hold), .png
    otherwise; a file that cannot be probed gets .png here and its error when it is processed."""
    if fmt is not None:
        return FORMATS[fmt]
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


def _check_format(files: list[Path], dests: dict[Path, Path], max_pixels: int) -> None:
    """Refuse, before any work, a file whose output format cannot hold it: naming the file, what it holds, and the
    formats that can (a file that cannot be probed: its error comes when it is processed)."""
    for f in files:
        kind = FORMAT_OF.get(dests[f].suffix.lower())
        if kind not in ("jpg", "png"):
            continue
        try:
            info = probe(f, max_pixels)
        except ImageError:
            continue
        if kind == "jpg" and (why := jpeg_refusal(info)):
            raise UserError(f"{f}: {why}; choose {flag('format')} png or tif")
        if kind == "png" and (info.frames > 1 or info.is_float):
            raise UserError(f"{f}: a stack or a float image, which PNG cannot hold; choose {flag('format')} tif")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _outside_output(files: list[Path], out_dir: Path, output: Path) -> list[Path]:
    """The input files of a recursive run whose OUTPUT lies inside its input tree, OUTPUT's subtree left out: n2n's own
    earlier outputs there are skipped by their manifest; an image of the user's there would be read as an input and
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
    replacing: bool = True,
    fmt: str | None = None,
    quality: int = defaults.JPEG_QUALITY,
) -> Plan:
    """Every (input, output) pair, checked before any work (on resolved paths: symlinks and `..` count). An output
    never replaces an input; OUTPUT may be a new folder beside or inside the input's folder, but not that folder itself
    (its outputs would sit among the images read) unless `into_input_folder`; a recursive run never reads OUTPUT's
    subtree as input; an existing file is replaced only when n2n wrote it and it is unchanged, or with `overwrite`.
    Names that would collide keep their source suffix. `replacing=False` skips the checks on existing outputs: a
    plan made only to know which folders to lock, before another run holding them has finished writing. `fmt`:
    png, jpg or tif for every output (default: TIFF for TIFFs, stacks and float images, PNG for the others)."""
    check_name(inputs, "INPUT")
    check_name(output, "OUTPUT")
    if not inputs.exists():
        raise UserError(f"{inputs}: no such file or folder")
    special = not_regular(inputs)
    if special is not None and special != "a folder":
        raise UserError(f"{inputs}: {special}, not an image file or a folder")
    single_file = inputs.is_file()
    suffix = output.suffix.lower()
    if suffix in defaults.IMAGE_FILE_SUFFIXES and suffix not in OUTPUT_SUFFIXES and not output.is_dir():
        raise UserError(
            f"{output}: n2n writes PNG, JPEG and TIFF, not {suffix[1:].upper()}; name the output .png, .jpg or .tif, "
            "or give a folder"
        )
    if fmt is not None and suffix in OUTPUT_SUFFIXES and FORMAT_OF[suffix] != fmt and not output.is_dir():
        raise UserError(f"{output}: a {suffix} name, but {flag('format')} {fmt}; name it {FORMATS[fmt]}")
    as_file = single_file and suffix in OUTPUT_SUFFIXES and not output.is_dir()
    if not single_file and suffix in OUTPUT_SUFFIXES and not output.is_dir():
        raise UserError(f"{output}: a file name, but {inputs} is a folder; give an output folder")
    if not as_file and output.exists() and not output.is_dir():
        raise UserError(
            f"{output}: is a file; the output must be a folder, or a .png/.jpg/.tif file name for one input"
        )
    root = inputs.parent if single_file else inputs
    out_dir = (output.parent if as_file else output).resolve()
    if not as_file and not into_input_folder and out_dir == root.resolve():
        raise UserError(
            f"{output}: the outputs would go inside the folder that holds the input ({root}), among the "
            f"images read; choose another output folder, e.g. a new folder inside it (or pass "
            f"{flag('into_input_folder')})"
        )
    if recursive and not single_file and not into_input_folder and _inside(root.resolve(), out_dir):
        raise UserError(
            f"{output}: holds the input folder {inputs}; a recursive run mirrors its sub-folders into {output}, where "
            f"they can land in {inputs} among the images read; choose an output folder outside it (or pass "
            f"{flag('into_input_folder')})"
        )
    plan = Plan([], max_pixels=max_pixels, outputs=denoise_outputs(overwrite or not replacing), quality=quality)
    files = [inputs] if single_file else _input_files(inputs, recursive, out_dir, output, plan)
    suffix_of = {f: _output_suffix(f, max_pixels, fmt) for f in files}
    notes = plan.notes
    if as_file:
        if output.suffix.lower() == ".png" and not _png_holds(inputs, max_pixels):
            raise UserError(
                f"{output}: {inputs} is a stack or a float image, which PNG cannot hold; name the output .tif"
            )
        dests = {inputs: output}
    else:
        dests = _destinations(files, root, output, suffix_of, notes)
    _check_format(files, dests, max_pixels)
    plan.jobs = _jobs(files, dests, plan)
    plan.folders = sorted({j.dest.parent for j in plan.jobs})
    return plan


def _input_files(inputs: Path, recursive: bool, out_dir: Path, output: Path, plan: Plan) -> list[Path]:
    """The images of an input folder, without the files n2n wrote there (unchanged, by the manifests), nor OUTPUT's
    subtree when it lies in the tree. Skipped outputs outside OUTPUT are named in a note."""
    unreadable: list[tuple[Path, str]] = []
    listed = list_images(inputs, recursive, unreadable)
    plan.unreadable = [
        f"{d}: cannot read this sub-folder ({why}); its images are not denoised" for d, why in unreadable
    ]
    own = [f for f in listed if plan.outputs.owns(f)]
    files = [f for f in listed if f not in set(own)]
    root = inputs.resolve()
    if recursive and out_dir != root and _inside(out_dir, root):
        files = _outside_output(files, out_dir, output)
    _note_left_aside(inputs, recursive, out_dir, plan)
    shown = [f for f in own if not _inside(f.resolve(), out_dir)]
    if shown:
        plan.notes.append(
            f"skipping {len(shown)} file(s) n2n wrote (listed in {MARKER}, unchanged), such as {shown[0]}: "
            "n2n does not denoise its own outputs again"
        )
    if not files and unreadable:
        raise UserError(plan.unreadable[0] + f" (and no image was found elsewhere in {inputs})")
    if not files:
        why = f" besides {len(own)} that n2n wrote itself (listed in {MARKER})" if own else ""
        raise UserError(
            f"{inputs}: no images found{why}" + ("" if recursive else f" (use {flag('recursive')} for sub-folders)")
        )
    return files


def _note_left_aside(inputs: Path, recursive: bool, out_dir: Path, plan: Plan) -> None:
    """Notes on what the run does not read: files that are not images (skipped, not failed), and sub-folders
    without `recursive` (the output folder aside)."""
    files, folders = list_others(inputs, recursive)
    files = [f for f in files if not _inside(f.resolve(), out_dir)]
    folders = [d for d in folders if d.resolve() != out_dir]
    if files:
        plan.notes.append(
            f"skipping {len(files)} file(s) that are not images (by their suffix), such as {files[0].name}"
        )
    if folders:
        plan.notes.append(
            f"{len(folders)} sub-folder(s) not read, such as {folders[0].name}: {flag('recursive')} reads them"
        )


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
            name = rel.with_suffix(suffix_of[f]).name if f in keeps else rel.name + suffix_of[f]
            dests[f] = output / rel.parent / fit_name(name)  # a 255-byte name with a suffix added is shortened
        if len(group) > 1:
            notes.append(
                f"{', '.join(f.name for f in group)} share a name: writing {', '.join(dests[f].name for f in group)}"
            )
    return _apart(dests, notes)


def _apart(dests: dict[Path, Path], notes: list[str]) -> dict[Path, Path]:
    """Outputs that still share a name after the renaming above (a.jpg -> a.jpg.png beside an input a.jpg.png; names
    equal but for case, which some file systems take for one) are told apart by a number: NAME~2.png."""
    taken: set[tuple[Path, str]] = set()
    planned = {_name_key(d) for d in dests.values()}
    for f in sorted(dests):
        dest = dests[f]
        if _name_key(dest) in taken:
            stem, suffix = dest.stem, dest.suffix
            k = 2
            while _name_key(dest) in taken or _name_key(dest) in planned:
                dest = dest.with_name(fit_name(f"{stem}~{k}{suffix}", keep=f"~{k}{suffix}"))
                k += 1
            notes.append(
                f"{f.name}: its output would share the name {dests[f].name} with another's: writing {dest.name}"
            )
            dests[f] = dest
        taken.add(_name_key(dest))
    return dests


def _name_key(path: Path) -> tuple[Path, str]:
    return path.parent, path.name.casefold()


def _jobs(files: list[Path], dests: dict[Path, Path], plan: Plan) -> list[Job]:
    """The jobs, once no output would replace an input, a folder, or a file n2n does not own (unless `overwrite`)."""
    input_keys = {_key(f) for f in files}
    jobs = []
    for f in files:
        dest = dests[f]
        check_name(dest, "an output")
        plan.outputs.manifest(dest)  # read now: one that cannot be read (a FIFO there) is refused before any work
        if dest.exists() or dest.is_symlink():
            if _key(dest) in input_keys:
                raise UserError(f"{dest}: is an input of this run; refusing to overwrite it")
            if dest.is_dir():
                raise UserError(f"{dest}: is a folder where an output file would go")
            plan.outputs.check(dest)
        jobs.append(Job(f, dest))
    return jobs


def _key(path: Path) -> tuple[int, int] | Path:
    """The same file under any name (symlinks, `..`, hard links)."""
    try:
        st = path.stat()
        return st.st_dev, st.st_ino
    except OSError:
        return path.resolve()
