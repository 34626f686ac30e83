"""make_grid layout, padding, grey-to-RGB and normalisation."""
import numpy as np
import pytest

import ember
from ember.vision.utils import make_grid


def test_layout_and_padding():
    imgs = ember.tensor(np.arange(5 * 3 * 2 * 4, dtype=np.float32).reshape(5, 3, 2, 4) + 1)
    g = make_grid(imgs, nrow=2, padding=1, pad_value=-1.0)
    assert g.shape == (3, 3 * 3 + 1, 2 * 5 + 1)  # 3 rows of (2 + 1), 2 columns of (4 + 1), plus 1
    a = g.numpy()
    for k in range(5):
        y, x = divmod(k, 2)
        np.testing.assert_array_equal(a[:, 1 + 3 * y:3 + 3 * y, 1 + 5 * x:5 + 5 * x], imgs.numpy()[k])
    assert (a[:, 0, :] == -1).all() and (a[:, :, 0] == -1).all()
    assert (a[:, 7:9, 6:10] == -1).all()  # the empty sixth cell is padding


def test_grey_single_and_list():
    grey = ember.rand(4, 1, 3, 3)
    g = make_grid(grey, nrow=4, padding=0)
    assert g.shape == (3, 3, 12)
    np.testing.assert_array_equal(g.numpy()[0], g.numpy()[2])
    assert make_grid(ember.rand(1, 3, 5, 5)).shape == (3, 5, 5)
    assert make_grid([ember.rand(3, 4, 4)] * 3, padding=0).shape == (3, 4, 12)
    with pytest.raises(ValueError, match="expected images"):
        make_grid(ember.rand(2, 2, 2, 2, 2))


def test_normalize():
    x = ember.tensor([[[[-2.0, 0.0]]], [[[1.0, 2.0]]]])
    g = make_grid(x, normalize=True, padding=0).numpy()[0, 0]
    np.testing.assert_allclose(g, [0.0, 0.5, 0.75, 1.0])
    each = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()[0, 0]
    np.testing.assert_allclose(each, [0.0, 1.0, 0.0, 1.0])
    clipped = make_grid(x, normalize=True, value_range=(0.0, 1.0), padding=0).numpy()[0, 0]
    np.testing.assert_allclose(clipped, [0.0, 0.0, 1.0, 1.0])
    assert x.numpy()[0, 0, 0, 0] == -2.0  # the input is not modified
