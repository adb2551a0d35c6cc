"""Semantic segmentation: synthetic shapes in the ADE20K folder layout.

Each 64x64 JPEG holds 1 to 3 (possibly overlapping) squares, circles and
triangles, each shape in its class's ``PALETTE`` colour (jittered), on a
noisy background, with a PNG label map of the same basename::

    <out>/ade/ADEChallengeData2016/
        images/training/00000.jpg ...        # 64 images
        images/validation/00064.jpg ...      # 64 images
        annotations/training/00000.png ...   # uint8 label maps
        annotations/validation/00064.png ...

The label maps follow ADE20K's convention: value 0 means "other/ignore"
(never written here), value ``k`` (1..4) is ``CLASSES[k - 1]``, background
included as a class. Load them with ``reduce_zero_label=True``, which
maps 0 to 255 (ignored) and ``k`` to ``k - 1``.

mmseg's ``ADE20KDataset`` rejects classes that are not among its 150 ADE
names: the toy-shapes config loads the data with mmseg's generic dataset
(``CustomDataset`` in mmseg 0.x, ``BaseSegDataset`` in 1.x), the ADE
suffixes (``.jpg`` images, ``.png`` label maps), ``reduce_zero_label=True``,
``CLASSES`` and ``PALETTE``, and gives the decode heads ``num_classes=4``.
"""
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import no_progress
from .shapes import (SHAPE_COLOURS, SHAPES, add_noise, background_colour,
                     regular_polygon, shape_colour)

#: Class names; label value ``k`` in the PNGs is ``CLASSES[k - 1]``.
CLASSES = ('background', ) + SHAPES
#: A colour per class, for ``palette=`` and visualisation; the shapes are
#: drawn in theirs.
PALETTE = ((0, 0, 0), ) + SHAPE_COLOURS
#: Name of the folder ``generate`` writes under ``out_dir``.
FOLDER = 'ade'
#: Number of images in each split.
SPLITS = (('training', 64), ('validation', 64))
#: Side of the square images, in pixels.
IMAGE_SIZE = 64
#: Range of the shapes' circumradius, in pixels.
RADIUS_RANGE = (7, 16)


def _draw_sample(rng):
    """Draw one image and its label map.

    Args:
        rng (np.random.Generator): Random generator.

    Returns:
        tuple[np.ndarray, np.ndarray]: The RGB image (HxWx3 uint8) and the
        label map (HxW uint8, values 1..len(CLASSES)).
    """
    size = (IMAGE_SIZE, IMAGE_SIZE)
    image = Image.new('RGB', size, background_colour(rng))
    labels = Image.new('L', size, 1)  # 1 = 'background'
    draw_image, draw_labels = ImageDraw.Draw(image), ImageDraw.Draw(labels)
    for _ in range(int(rng.integers(1, 4))):
        shape = int(rng.integers(3))
        radius = rng.uniform(*RADIUS_RANGE)
        center = rng.uniform(radius / 2, IMAGE_SIZE - radius / 2, size=2)
        points = regular_polygon(rng, shape, radius, center)
        draw_image.polygon(points, fill=shape_colour(rng, shape))
        draw_labels.polygon(points, fill=shape + 2)
    return add_noise(image, rng), np.asarray(labels, dtype=np.uint8)


def generate(out_dir, seed=0, progress=None):
    """Write the ADE20K-layout shapes data set under ``out_dir/ade``.

    The folder is removed first, so reruns rewrite it cleanly; the output
    depends on ``seed`` only.

    Args:
        out_dir (str | Path): Root of the toy data.
        seed (int): Random seed.
        progress (callable, optional): Wraps an iterable to show progress,
            called as ``progress(iterable, desc=..., total=...)``, e.g.
            ``tqdm.tqdm``. Defaults to no progress display.

    Returns:
        dict: ``root`` (Path of ``ADEChallengeData2016``), ``counts``
        (images per split) and ``classes``.
    """
    progress = progress or no_progress
    top = Path(out_dir) / FOLDER
    if top.exists():
        shutil.rmtree(top)
    root = top / 'ADEChallengeData2016'
    rng = np.random.default_rng(seed)
    index = 0
    counts = {}
    for split, num_images in SPLITS:
        img_dir = root / 'images' / split
        ann_dir = root / 'annotations' / split
        img_dir.mkdir(parents=True)
        ann_dir.mkdir(parents=True)
        for _ in progress(
                range(num_images), desc=f'seg {split}', total=num_images):
            pixels, labels = _draw_sample(rng)
            Image.fromarray(pixels).save(
                img_dir / f'{index:05d}.jpg', quality=95)
            Image.fromarray(labels).save(ann_dir / f'{index:05d}.png')
            index += 1
        counts[split] = num_images
    return dict(root=root, counts=counts, classes=CLASSES)
