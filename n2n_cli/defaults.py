"""Every default of n2n, in one place. The CLI, the trainer, the course API and the benchmarks read them here."""

# models
MODEL = "fast"  # architecture trained by `n2n train` when --arch is not given
BUNDLED = "fast-blind.pt"  # default bundled weights (weights/), used by eval, denoise and Model.load_pretrained_model
BUNDLED_GRAY = "fast-gray.pt"  # default bundled weights for gray (1-channel) images in eval and denoise, when shipped
COURSE_MODEL = "seed"  # architecture of a fresh course-API Model(): the EE-559 report's network

# training
EPOCHS = 10
BATCH_SIZE = 16  # global batch on the CPU; under torchrun each process takes batch / world_size
BATCH_SIZE_CUDA = 64  # global batch on a GPU, where small batches leave it idle
LR_MAX = 1.0  # --lr above this is refused: Adam's steps that large make every run diverge
LR = 1e-3  # Adam, as in the report and the Noise2Noise paper, at batch LR_BATCH ...
LR_BATCH = 8  # ... and scaled by sqrt(batch / LR_BATCH) for other batch sizes unless --lr is given
FINETUNE_LR = 1e-4  # the course API's `train` after load_pretrained_model(): fine-tuning, decaying along a cosine
SCHEDULE = "cosine"  # learning rate decays to 0 along a half cosine over the run ("constant": the report's way)
CHECKPOINT = "n2n-model.pt"  # where `n2n train` writes, with n2n-model.metrics.jsonl beside it
STATE_EVERY_S = 300  # inside an epoch, the run's state (NAME.state.pt) is saved this often, and when it is stopped
PATCH_SIZE = 128  # random crops for image-folder sources (tensor files are used at their own size)
CLEAN_SHARE = 0.0  # synthetic pairs (--noise): share of inputs left clean, the target still noisy
GRAY_SHARE = 0.0  # synthetic pairs: share of colour crops made gray, the same noise in every channel
ZOOM_SHARE = 0.0  # synthetic pairs: share of crops enlarged (a random part of the crop, 1-ZOOM_MAX times) before the
ZOOM_MAX = 3.0  # noise, so the clean content is as smooth from pixel to pixel as a full-size camera photo's
DARK_SHARE = 0.0  # synthetic pairs: share of crops darkened (clean ** gamma, gamma 1-6) before the noise
JPEG_SHARE = 0.0  # synthetic pairs: share of noisy inputs saved as JPEG (quality 60-95) before training on them
BALANCE = False  # synthetic pairs: weigh each crop's loss by 1 / its noise level (--balance) ...
BALANCE_LEVEL = 10 / 255  # ... scaled so that a crop with noise of this rms has weight 1 ...
BALANCE_FLOOR = 1 / 255  # ... and added to the level, so that nearly clean crops do not take over
CAMERA_LEVELS = (1.0, 10.0)  # `--noise camera`: luma noise std where it peaks, 0-255 scale (polyu_dev: about 3.3)
RAW_LEVELS = (1.0, 40.0)  # `--noise raw`: luma noise std on mid-grey, 0-255 (DSLRs at high ISO 3-8, phones 8-40)
CAMERA_JPEG_SHARE = 0.75  # synthetic pairs with camera noise: share of inputs saved as JPEG, as cameras keep photos,
CAMERA_JPEG_QUALITY = (70, 98)  # at a quality drawn from this range (--jpeg-share applies to the other kinds)
AUGMENT = True  # random flips and 90-degree rotations, the same for both images of a pair
SEED = 0
SEED_MAX = 2**63 - 1  # seeds lie in 0..SEED_MAX: what torch and numpy generators take
NOISE_MAX = 255.0  # noise levels (gaussian sigma, mix and camera levels) are on the 0-255 scale: at most the range
POISSON_PEAK = (0.1, 1e6)  # poisson peaks outside this: noise beyond any photo's (a tenth of a photon at white), or
#                            none at all (and torch.poisson loses its precision above it)
WORKERS = 2  # data-loader worker processes for image folders (0: decode and crop in the training process)
CACHE_MB = 2048  # decoded images kept in memory per process; beyond this, files are decoded on every use
MEMORY_HEADROOM = 0.9  # memory plans: a run may plan to take this share of the memory available, not all of it
WORKER_MB = 150  # memory plan: what one data-loader process adds beyond its image cache (forked: shares the rest)
LOADER_PREFETCH = 2  # batches each loader process keeps ready (torch's DataLoader default)
BF16_ACTIVATIONS = 0.75  # memory plan on a GPU: activations under bf16 autocast, as a share of float32 (estimated)
DIVERGED_LOSS = 1e3  # an epoch's mean loss above this is divergence (losses on [0, 1] images stay near 0.001-10)
DIVERGED_RATIO = 4.0  # ... and so is one this many times the best earlier epoch's on the same data (a garbage model
#                        stays finite: seed and tiny end in a sigmoid; lr 1 took tiny from 0.039 to 0.236)
NE2NE_GAMMA = 2.0  # --single (Neighbor2Neighbor): regulariser weight, ramped linearly from 0 to this over the run
SINGLE_CORRELATION = 0.35  # --single on image files: a note before the run when their noise is this correlated ...
SINGLE_CHECK_IMAGES = 8  # ... (median over this many images; camera photos 0.4-0.8, Gaussian and FMD noise < 0.35)
VAL_NOISE_SEED = 1234  # noise seed for synthetic validation pairs, so the same command prints the same PSNR

# quality from noisy pairs (`n2n eval --pairs`, validation on pairs during training)
EVAL_CHUNK_MB = 256  # tensor files are scored in chunks of at most 1000 images and of about this many MB as floats
PAIR_BLOCK = 8  # side of the blocks over which a pair's difference is averaged to find structure noise cannot explain
PAIR_TOLERANCE_DB = 0.5  # refuse a pair whose difference holds enough structure to bias the input estimate by this

# inference
STRENGTH = 1.0  # share of the estimated noise that denoising removes (--strength; 1: all of it)
ROUTE = "auto"  # how images are denoised (inference/route.py): auto, plain, camera or shuffle
CAMERA_MODEL = "fast-camera.pt"  # bundled model for a camera's strong noise, which the auto route may take ...
CAMERA_LEVEL = 3.0  # ... for noise of at least this std (8-bit levels, in the image's flattest blocks) ...
CAMERA_CORRELATION = 0.1  # ... correlated at least this much between neighbouring pixels, when there ...
CAMERA_EXTRA = 1.75  # ... it takes away at least this many levels more than the default model does ...
CAMERA_EXTRA_SHARE = 0.25  # ... and at least this share of the noise's level (clean photos: far less)
EVIDENCE_GRID = 2  # a candidate of over twice this squared tiles is judged on a grid of this squared, spread out
WEAK_CORRELATION = 0.4  # auto: noise weaker than CAMERA_LEVEL but correlated at least this much (a camera's
WEAK_BOOST = 1.4  # weak noise, which the default model takes only in part) takes this many times its correction
#                   (of the mean of two plain passes: the image, and its anti-transpose)
WEAK_AGREEMENT = (0.7, 0.85)  # ... when the two passes' corrections (luma) correlate at least the second; 1 time
#                               below the first, linear between (a clean photo's differ: experiments/pass_agreement.py)
CHROMA_BUDGET = 0.05  # such weak noise: the output's chroma detail is held to this share of its luma's (energy) ...
CHROMA_BUDGET_AGREED = 0.01  # ... this share where its passes agree (WEAK_AGREEMENT[1]; linear between) ...
CHROMA_FINE = 1.5  # ... counting detail finer than a Gaussian blur of this many pixels ...
CHROMA_BLUR = 2.0  # ... the excess taken away by a Gaussian blur of this many pixels (inference/chroma.py)
JPEG_BLOCK = 8  # an image's JPEG block grid is found (inference/grid.py) where neighbours differ across one
GRID_STRENGTH = 1.12  # phase of the block's edge at least this many times their mean difference over all phases ...
GRID_MARGIN = 1.1  # ... and this many times the next phase's (PNG and TIFF images: under 1.08 and 1.08)
CAMERA_SHUFFLE_LEVEL = 10.0  # noise of at least this std (levels) that the camera model takes: its sub-images too
SHUFFLE_EDGE = 2.0  # the shuffle route's result is kept where the local gradient is small against this x the noise
SHUFFLE_EDGE_RADIUS = 2  # pixels over which that gradient is averaged (twice, a box each time)
TILE = 512  # tile side for denoising; memory stays bounded by the tile, not the image
OVERLAP = 32  # pixels shared by neighbouring tiles, blended linearly
TILE_BATCH = 1  # tiles per forward pass on the CPU (more only costs memory there)
TILE_BATCH_CUDA = 16  # tiles per forward pass on a GPU
INFER_SHARE = 0.6  # memory plan: denoising takes at most this share of a training step's bytes per pixel
#                    (Net.train_bytes_per_pixel; measured 0.33 for fast, 0.41 unet, 0.56 seed)

# intensity normalization (io/normalize.py): 8-bit images / 255; other sample types by a robust range per file
NORM_LOW = 0.01  # percentile of a file's samples mapped to 0: its darkest level, a few stray pixels aside ...
NORM_HIGH = 99.95  # ... and to 1; what lies outside passes through the network unchanged (docs/microscopy.md)
NORM_PHOTO = 0.25  # a colour file of 16-bit (any unsigned integer) samples whose high percentile reaches this
#                   share of its type's maximum (more than 14 bits used: 12- and 14-bit sensor data never do) is a
#                   photo (a raw converter's TIFF or PNG): x / that maximum, as 8-bit files
NORM_SAMPLES = 2**18  # samples per file the percentiles are taken from (a regular subsample of every frame)

# synthetic data (`n2n synth`)
SYNTH_SIZE = 32  # crop side of course-format files
SYNTH_COUNT = 1000
SYNTH_NOISE = "gaussian:25"
SYNTH_BYTES = 40  # memory plan: peak bytes per sample of the tensors `n2n synth` makes (measured: 25 for gaussian,
#                   39 for camera noise, whose steps keep more copies)

# files
PNG_LEVEL = 1  # zlib level of written PNGs (libpng): level 6 made writing up to half of denoising time
PNG_FILTER = 64  # row filter "average" on every row: with level 1, files as small as Pillow's level 6 with adaptive
#                  filtering, written in a sixth of the time (benchmarks/png_write.py)
JPEG_QUALITY = 95  # JPEG outputs (--format jpg): Pillow's quality scale (1-100), chroma at full resolution (4:4:4)
NETPBM_SUFFIXES = (".pgm", ".ppm", ".pnm", ".pbm")  # netpbm: PGM, PPM read as stored (io/netpbm.py), PBM by Pillow
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".bmp", ".webp", ".gif", *NETPBM_SUFFIXES)
CODEC_SUFFIXES = (".heic", ".heif", ".avif", ".jxl")  # images too (a phone's HEIC): read where Pillow has the codec
#                                                       (or a plugin) for them, else refused in one line each
RAW_SUFFIXES = tuple(  # camera raw files: images, refused by name in one line each (most hold a small preview ...
    ".dng .cr2 .cr3 .crw .nef .nrw .arw .srf .sr2 .raf .orf .rw2 .rwl .pef .srw .x3f .3fr .iiq .erf .kdc .mos".split()
)  # ... that a TIFF reader would take for the photo)
IMAGE_FILE_SUFFIXES = IMAGE_SUFFIXES + CODEC_SUFFIXES + RAW_SUFFIXES  # what a folder's listing takes for images
ICC_MAX_BYTES = 2**24  # an embedded colour profile larger than this (16 MiB) makes the file refused
MAX_PIXELS = 2**28  # pixels per frame decoded at most (268 MP, e.g. 16384 x 16384), checked from the header
#                     before decoding: a small file that would decode to gigabytes is refused; --max-pixels raises it
TENSOR_SUFFIXES = (".pkl", ".pt", ".pth")
