"""ember.vision.transforms: exact outputs, randomness from ember's stream, torch's resize as oracle."""
import numpy as np
import pytest
import torch

import ember
from ember.vision import transforms as T

rng = np.random.default_rng(0)
IMG = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)  # HWC


def test_to_tensor():
    t = T.ToTensor()(IMG)
    assert t.shape == (3, 5, 7) and t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy(), IMG.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert t.numpy().min() >= 0 and t.numpy().max() <= 1
    g = T.ToTensor()(IMG[:, :, 0])
    assert g.shape == (1, 5, 7)
    f = T.ToTensor()(np.full((2, 2, 1), 3.5, np.float32))
    assert f.numpy().max() == 3.5  # non-uint8 arrays are not rescaled (as torchvision)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(ember.zeros(3, 2, 2))
    with pytest.raises(ValueError, match="2/3 dimensional"):
        T.ToTensor()(np.zeros((1, 2, 2, 3), np.uint8))
    assert T.PILToTensor()(IMG).dtype == ember.uint8


def test_pil_inputs_match_arrays():
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(IMG)
    np.testing.assert_array_equal(T.ToTensor()(pil).numpy(), T.ToTensor()(IMG).numpy())
    flipped = T.RandomHorizontalFlip(p=1.0)(pil)
    np.testing.assert_array_equal(np.asarray(flipped), IMG[:, ::-1])
    ember.manual_seed(4)
    a = np.asarray(T.RandomCrop(4, padding=2)(pil))
    ember.manual_seed(4)
    b = T.RandomCrop(4, padding=2)(IMG)
    np.testing.assert_array_equal(a, b)


def test_normalize():
    x = ember.tensor(rng.random((2, 3, 4, 4)).astype(np.float32), requires_grad=True)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    y = T.Normalize(mean, std)(x)
    ref = (torch.from_numpy(x.detach().numpy()) - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    np.testing.assert_allclose(y.detach().numpy(), ref.numpy(), rtol=1e-6)
    assert y.dtype == ember.float32
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[0, :, 0, 0], [2.0, 4.0, 0.5])
    z = ember.ones(3, 2, 2)
    out = T.Normalize(mean, std, inplace=True)(z)
    assert out is z and abs(z.numpy()[2, 0, 0] - 0.35) < 1e-6
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize(mean, std)(ember.zeros(3, 2, 2, dtype=ember.int64))
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize(mean, (1.0, 0.0, 1.0))(ember.ones(3, 2, 2))
    with pytest.raises(ValueError, match="3 values but the image has 2 channels"):
        T.Normalize(mean, std)(ember.ones(2, 2, 2))
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize(mean, std)(IMG)


@pytest.mark.parametrize("cls,axis_t,axis_a", [(T.RandomHorizontalFlip, -1, 1), (T.RandomVerticalFlip, -2, 0)])
def test_flips(cls, axis_t, axis_a):
    t = ember.tensor(rng.random((3, 4, 5)).astype(np.float32))
    np.testing.assert_array_equal(cls(p=1.0)(t).numpy(), np.flip(t.numpy(), axis_t))
    assert cls(p=0.0)(t) is t
    np.testing.assert_array_equal(cls(p=1.0)(IMG), np.flip(IMG, axis_a))
    ember.manual_seed(0)
    flips = [cls()(t) is not t for _ in range(400)]
    assert 150 < sum(flips) < 250
    ember.manual_seed(0)
    assert [cls()(t) is not t for _ in range(400)] == flips


def test_random_crop_windows():
    t = ember.arange(2 * 6 * 6, dtype=ember.float32).reshape(2, 6, 6)
    seen = set()
    ember.manual_seed(1)
    for _ in range(200):
        out = T.RandomCrop(4)(t).numpy()
        assert out.shape == (2, 4, 4)
        i, j = np.argwhere(t.numpy()[0] == out[0, 0, 0])[0]
        np.testing.assert_array_equal(out, t.numpy()[:, i:i + 4, j:j + 4])
        seen.add((i, j))
    assert seen == {(i, j) for i in range(3) for j in range(3)}  # every offset is reachable


@pytest.mark.parametrize("padding,mode", [(2, "constant"), ((1, 3), "edge"), ((1, 2, 3, 4), "reflect"),
                                          (1, "symmetric")])
def test_random_crop_padding(padding, mode):
    p = T.RandomCrop._norm_padding(padding)  # (left, top, right, bottom)
    padded = np.pad(IMG, ((p[1], p[3]), (p[0], p[2]), (0, 0)), mode=mode)
    ember.manual_seed(2)
    full = T.RandomCrop(padded.shape[:2], padding=padding, padding_mode=mode)(IMG)
    np.testing.assert_array_equal(full, padded)  # a crop as large as the padded image is the padded image
    out = T.RandomCrop((5, 7), padding=padding, padding_mode=mode, fill=0)(ember.tensor(IMG.transpose(2, 0, 1)))
    assert out.shape == (3, 5, 7)


def test_random_crop_errors_and_pad_if_needed():
    with pytest.raises(ValueError, match=r"Required crop size \(8, 8\) is larger than input image size \(5, 7\)"):
        T.RandomCrop(8)(IMG)
    assert T.RandomCrop(8, pad_if_needed=True)(IMG).shape == (8, 8, 3)
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4"):
        T.RandomCrop(2, padding=(1, 2, 3))


def test_center_crop():
    t = ember.arange(16.).reshape(1, 4, 4)
    np.testing.assert_array_equal(T.CenterCrop(2)(t).numpy(), [[[5., 6.], [9., 10.]]])
    assert T.CenterCrop((3, 9))(IMG).shape == (3, 9, 3)


@pytest.mark.parametrize("size", [(9, 11), (3, 4), (5, 3), (10, 7)])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_resize_matches_torch_interpolate(size, mode):
    x = rng.random((2, 3, 5, 7)).astype(np.float32)
    interp = T.InterpolationMode.BILINEAR if mode == "bilinear" else T.InterpolationMode.NEAREST
    ours = T.Resize(size, interpolation=interp, antialias=False)(ember.tensor(x)).numpy()
    kw = dict(align_corners=False) if mode == "bilinear" else {}
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode, **kw).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_resize_int_size_and_dtypes():
    assert T.Resize(10)(ember.zeros(3, 5, 7)).shape == (3, 10, 14)
    assert T.Resize(10)(ember.zeros(3, 7, 5)).shape == (3, 14, 10)
    assert T.Resize(10, max_size=12)(ember.zeros(3, 5, 7)).shape == (3, 8, 12)
    u8 = T.Resize((10, 14))(IMG)
    assert u8.shape == (10, 14, 3) and u8.dtype == np.uint8
    ref = T.Resize((10, 14))(ember.tensor(IMG.transpose(2, 0, 1).astype(np.float32))).numpy()
    np.testing.assert_array_equal(u8, np.clip(np.round(ref), 0, 255).astype(np.uint8).transpose(1, 2, 0))


def test_compose_and_lambda():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2), T.Normalize((1.0,) * 3, (1.0,) * 3)])
    out = pipeline(IMG)
    np.testing.assert_allclose(out.numpy(), IMG.transpose(2, 0, 1) / 255.0 * 2 - 1, rtol=1e-5, atol=1e-6)
    assert "ToTensor()" in repr(pipeline) and "Normalize" in repr(pipeline)
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="expected an image"):
        T.RandomCrop(2)([1, 2, 3])
