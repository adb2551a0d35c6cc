"""Classification: scikit-learn's digits in the ImageNet folder layout.

The 1,797 real 8x8 grey-level digits bundled with scikit-learn (no
download) are upscaled to 32x32 RGB PNGs and split, stratified by class,
into 1,437 training and 360 validation images::

    <out>/imagenet/
        train/digit_0/00000.png ...
        val/digit_3/00017.png ...
        meta/train.txt    # "digit_0/00000.png 0", relative to train/
        meta/val.txt      # "digit_3/00017.png 3", relative to val/
        meta/classes.txt  # one class name per line

The ``meta/*.txt`` files are the annotation files (``ann_file``) of
OpenMMLab's ``CustomDataset`` and ``ImageNet``; the toy-digits config loads
them with ``CustomDataset`` and ``classes=CLASSES`` (without ``ann_file``,
``ImageNet`` expects ImageNet's 1000 class folders). File names are the
digit's index in scikit-learn's array.
"""
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from . import no_progress

#: Class names, in label order.
CLASSES = tuple(f'digit_{i}' for i in range(10))
#: Name of the folder ``generate`` writes under ``out_dir``.
FOLDER = 'imagenet'
#: Side of the square output images, in pixels.
IMAGE_SIZE = 32
#: Number of validation images (the remaining ones are for training).
NUM_VAL = 360


def _split(labels, seed):
    """Split indices into stratified train and validation sets.

    Args:
        labels (np.ndarray): Label of each sample.
        seed (int): Seed of the split.

    Returns:
        tuple[np.ndarray, np.ndarray]: Sorted train and val indices.
    """
    from sklearn.model_selection import train_test_split
    indices = np.arange(len(labels))
    train, val = train_test_split(
        indices, test_size=NUM_VAL, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)


def _to_image(digit):
    """Turn one 8x8 digit with values 0..16 into a 32x32 RGB image.

    Args:
        digit (np.ndarray): The 8x8 float array from scikit-learn.

    Returns:
        PIL.Image.Image: The upscaled RGB image.
    """
    grey = np.rint(digit * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(grey).resize((IMAGE_SIZE, IMAGE_SIZE),
                                         Image.Resampling.BILINEAR)
    return image.convert('RGB')


def generate(out_dir, seed=0, progress=None):
    """Write the digits in the ImageNet layout under ``out_dir/imagenet``.

    The folder is removed first, so reruns rewrite it cleanly; the output
    depends on ``seed`` only (through the train/val split).

    Args:
        out_dir (str | Path): Root of the toy data.
        seed (int): Seed of the stratified train/val split.
        progress (callable, optional): Wraps an iterable to show progress,
            called as ``progress(iterable, desc=..., total=...)``, e.g.
            ``tqdm.tqdm``. Defaults to no progress display.

    Returns:
        dict: ``root`` (Path written), ``counts`` (images per split) and
        ``classes``.
    """
    from sklearn.datasets import load_digits
    progress = progress or no_progress
    root = Path(out_dir) / FOLDER
    if root.exists():
        shutil.rmtree(root)
    meta = root / 'meta'
    meta.mkdir(parents=True)

    digits = load_digits()
    labels = digits.target
    splits = dict(zip(('train', 'val'), _split(labels, seed)))
    for split, indices in splits.items():
        for name in CLASSES:
            (root / split / name).mkdir(parents=True)
        lines = []
        for index in progress(
                indices, desc=f'cls {split}', total=len(indices)):
            label = int(labels[index])
            rel_path = f'{CLASSES[label]}/{index:05d}.png'
            _to_image(digits.images[index]).save(root / split / rel_path)
            lines.append(f'{rel_path} {label}\n')
        (meta / f'{split}.txt').write_text(''.join(lines))
    (meta / 'classes.txt').write_text(''.join(f'{c}\n' for c in CLASSES))
    return dict(
        root=root,
        counts={
            split: len(idx)
            for split, idx in splits.items()
        },
        classes=CLASSES)
