"""Detection and instance segmentation: synthetic shapes in the COCO layout.

Each 128x128 JPEG holds 1 to 3 non-overlapping squares, circles and
triangles of random sizes and rotations, each shape in its own colour
(``shapes.SHAPE_COLOURS``, jittered), on a noisy background;
every object is annotated with its box, its polygon mask (the exact
polygon that was drawn), its area and ``iscrowd=0``::

    <out>/coco/
        annotations/instances_train2017.json   # 48 images
        annotations/instances_val2017.json     # 16 images
        train2017/000000000001.jpg ...
        val2017/000000000049.jpg ...

Category ids are 1..3 in the order of ``CLASSES``. mmdet's ``CocoDataset``
needs these class names, as the toy-shapes config gives them (and the heads
``num_classes=3``): without them it looks for the 80 COCO names.
"""
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import no_progress
from .shapes import (SHAPES, add_noise, background_colour, regular_polygon,
                     shape_colour)

#: Category names; their COCO category ids are 1, 2, 3.
CLASSES = SHAPES
#: Name of the folder ``generate`` writes under ``out_dir``.
FOLDER = 'coco'
#: Number of images in each split.
SPLITS = (('train2017', 48), ('val2017', 16))
#: Side of the square images, in pixels.
IMAGE_SIZE = 128
#: Range of the shapes' circumradius, in pixels.
RADIUS_RANGE = (10, 24)


def _polygon(rng, label, radius, center):
    """The vertices of one shape, rounded to 0.1 pixel for the JSON."""
    return [(round(x, 1), round(y, 1))
            for x, y in regular_polygon(rng, label, radius, center)]


def _area(points):
    """Area of a simple polygon (shoelace formula)."""
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    return float(
        abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2)


def _box(points):
    """COCO box ``[x, y, w, h]`` around the vertices."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return [
        min(xs),
        min(ys),
        round(max(xs) - min(xs), 1),
        round(max(ys) - min(ys), 1)
    ]


def _overlaps(box, boxes, margin=2):
    """Whether ``box`` comes within ``margin`` pixels of any of ``boxes``."""
    x, y, w, h = box
    for bx, by, bw, bh in boxes:
        apart_x = x >= bx + bw + margin or bx >= x + w + margin
        apart_y = y >= by + bh + margin or by >= y + h + margin
        if not (apart_x or apart_y):
            return True
    return False


def _draw_image(rng):
    """Draw one image and return it with its objects.

    Args:
        rng (np.random.Generator): Random generator.

    Returns:
        tuple[np.ndarray, list[tuple[int, list]]]: The RGB image and a list
        of ``(label, vertices)``.
    """
    image = Image.new('RGB', (IMAGE_SIZE, ) * 2, background_colour(rng))
    draw = ImageDraw.Draw(image)
    objects, boxes = [], []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(20):
            label = int(rng.integers(len(CLASSES)))
            radius = rng.uniform(*RADIUS_RANGE)
            low, high = radius + 1, IMAGE_SIZE - 2 - radius
            center = rng.uniform(low, high, size=2)
            points = _polygon(rng, label, radius, center)
            box = _box(points)
            if not _overlaps(box, boxes):
                break
        else:
            continue  # no free room left: keep fewer objects
        draw.polygon(points, fill=shape_colour(rng, label))
        objects.append((label, points))
        boxes.append(box)
    return add_noise(image, rng), objects


def generate(out_dir, seed=0, progress=None):
    """Write the COCO-layout shapes data set under ``out_dir/coco``.

    The folder is removed first, so reruns rewrite it cleanly; the output
    depends on ``seed`` only.

    Args:
        out_dir (str | Path): Root of the toy data.
        seed (int): Random seed.
        progress (callable, optional): Wraps an iterable to show progress,
            called as ``progress(iterable, desc=..., total=...)``, e.g.
            ``tqdm.tqdm``. Defaults to no progress display.

    Returns:
        dict: ``root`` (Path written), ``counts`` (images per split) and
        ``classes``.
    """
    progress = progress or no_progress
    root = Path(out_dir) / FOLDER
    if root.exists():
        shutil.rmtree(root)
    (root / 'annotations').mkdir(parents=True)
    rng = np.random.default_rng(seed)
    categories = [
        dict(id=i + 1, name=name, supercategory='shape')
        for i, name in enumerate(CLASSES)
    ]
    image_id = ann_id = 0
    counts = {}
    for split, num_images in SPLITS:
        (root / split).mkdir()
        images, annotations = [], []
        for _ in progress(
                range(num_images), desc=f'det {split}', total=num_images):
            image_id += 1
            pixels, objects = _draw_image(rng)
            file_name = f'{image_id:012d}.jpg'
            Image.fromarray(pixels).save(root / split / file_name, quality=95)
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    width=IMAGE_SIZE,
                    height=IMAGE_SIZE))
            for label, points in objects:
                ann_id += 1
                annotations.append(
                    dict(
                        id=ann_id,
                        image_id=image_id,
                        category_id=label + 1,
                        segmentation=[[c for p in points for c in p]],
                        area=round(_area(points), 2),
                        bbox=_box(points),
                        iscrowd=0))
        coco = dict(
            info=dict(
                description='Synthetic shapes (tools/make_toy_data.py)',
                version='1.0',
                year=2017),
            licenses=[],
            images=images,
            annotations=annotations,
            categories=categories)
        ann_file = root / 'annotations' / f'instances_{split}.json'
        ann_file.write_text(json.dumps(coco))
        counts[split] = num_images
    return dict(root=root, counts=counts, classes=CLASSES)
