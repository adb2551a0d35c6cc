"""Drawing helpers shared by the shapes data sets (detection, segmentation).

Both draw squares, circles and triangles as polygons in random colours on a
noisy background; the same seed gives the same vertices and pixels.
"""
import math

import numpy as np

#: The shapes, by the index that :func:`regular_polygon` takes.
SHAPES = ('square', 'circle', 'triangle')
#: Vertices of the polygon that approximates a circle.
CIRCLE_VERTICES = 24


def regular_polygon(rng, shape, radius, center):
    """The vertices of a randomly rotated square, circle or triangle.

    Args:
        rng (np.random.Generator): Random generator (for the rotation).
        shape (int): The index of the shape in :data:`SHAPES`.
        radius (float): Circumradius in pixels.
        center (Sequence[float]): Centre ``(x, y)`` in pixels.

    Returns:
        list[tuple[float, float]]: The vertices ``(x, y)``.
    """
    num = {0: 4, 1: CIRCLE_VERTICES, 2: 3}[shape]
    start = rng.uniform(0, 2 * math.pi)
    angles = start + np.arange(num) * (2 * math.pi / num)
    return [(float(center[0] + radius * math.cos(a)),
             float(center[1] + radius * math.sin(a))) for a in angles]


def distinct_colour(rng, avoid, min_distance=160):
    """A random RGB colour far enough (L1 distance) from ``avoid``.

    Args:
        rng (np.random.Generator): Random generator.
        avoid (np.ndarray): The RGB colour to stay away from.
        min_distance (int): The least L1 distance. Defaults to 160.

    Returns:
        tuple[int, int, int]: The colour.
    """
    while True:
        colour = rng.integers(0, 256, size=3)
        if np.abs(colour - avoid).sum() >= min_distance:
            return tuple(int(c) for c in colour)


def add_noise(image, rng, sigma=12):
    """The pixels of ``image`` with Gaussian noise, as uint8.

    Args:
        image (PIL.Image.Image): An RGB image.
        rng (np.random.Generator): Random generator.
        sigma (float): The standard deviation of the noise. Defaults to 12.

    Returns:
        np.ndarray: HxWx3 uint8 pixels.
    """
    pixels = np.asarray(image, dtype=np.float64)
    pixels += rng.normal(0, sigma, size=pixels.shape)
    return np.rint(pixels).clip(0, 255).astype(np.uint8)
