"""Drawing helpers shared by the shapes data sets (detection, segmentation).

Both draw squares, circles and triangles as polygons on a noisy background;
the same seed gives the same vertices and pixels. Each shape keeps its own
colour (jittered), far from the random background colour: the toy sets
check that data, model and commands work together in a few hundred CPU
iterations, and a class that has to be told from its outline alone is not
learnt that fast (the segmentation runs stayed near all-background).
"""
import math

import numpy as np

#: The shapes, by the index that :func:`regular_polygon` takes.
SHAPES = ('square', 'circle', 'triangle')
#: The colour (RGB) each shape is drawn in, jittered, by shape index.
SHAPE_COLOURS = ((220, 20, 60), (0, 130, 200), (255, 200, 0))
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


def shape_colour(rng, shape, jitter=20):
    """The colour of a shape: its :data:`SHAPE_COLOURS` entry, jittered.

    Args:
        rng (np.random.Generator): Random generator.
        shape (int): The index of the shape in :data:`SHAPES`.
        jitter (int): The most each channel moves. Defaults to 20.

    Returns:
        tuple[int, int, int]: The colour.
    """
    colour = np.array(SHAPE_COLOURS[shape]) + rng.integers(
        -jitter, jitter + 1, size=3)
    return tuple(int(c) for c in colour.clip(0, 255))


def background_colour(rng, min_distance=200):
    """A random RGB colour far (L1 distance) from every shape's colour.

    Args:
        rng (np.random.Generator): Random generator.
        min_distance (int): The least L1 distance to each of
            :data:`SHAPE_COLOURS`. Defaults to 200, which leaves at least
            140 to a jittered shape.

    Returns:
        tuple[int, int, int]: The colour.
    """
    while True:
        colour = rng.integers(0, 256, size=3)
        if all(
                np.abs(colour - np.array(base)).sum() >= min_distance
                for base in SHAPE_COLOURS):
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
