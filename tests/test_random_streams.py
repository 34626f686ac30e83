"""ember's random streams are PyTorch's CPU streams: the same seed gives the same numbers.

Every check runs the same calls on both libraries after the same seed, then also compares the
generators' states byte for byte, so a function that draws the right values but consumes the
wrong number of words fails too. Sizes straddle PyTorch's paths (normal: < 16 one at a time,
>= 16 in blocks of 16 with a recomputed tail; integer ranges needing 64-bit words).
"""
import math

import numpy as np
import pytest
import torch

import ember
from ember.utils import data as edata

SEEDS = [0, 1, 123456789, 2 ** 40 + 3, -5]
# the vectorised float32 normal path uses SIMD log/sin/cos in PyTorch: equal up to an ulp or two
NORMAL_F32 = dict(rtol=4e-7, atol=4e-7)


def same_state():
    return np.array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


def both(fn, seed=0):
    """``fn(lib)`` on each library after ``manual_seed(seed)``, as NumPy arrays."""
    ember.manual_seed(seed)
    a = fn(ember)
    torch.manual_seed(seed)
    b = fn(torch)
    assert same_state(), "the generators consumed different numbers of words"
    conv = lambda v: v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)
    return conv(a), conv(b)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [1, 5, 1000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rand(seed, n, dtype):
    a, b = both(lambda L: L.rand(n, dtype=getattr(L, dtype)), seed)
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("n", [1, 2, 3, 15, 16, 17, 31, 32, 100, 1001])
def test_randn_float32_both_paths(seed, n):
    a, b = both(lambda L: L.randn(n), seed)
    if n < 16:  # one double at a time: exact
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, **NORMAL_F32)


@pytest.mark.parametrize("n", [3, 16, 17, 1000])
def test_randn_float64(n):
    a, b = both(lambda L: L.randn(n, dtype=L.float64), 7)
    np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15)


def test_normal_cache_carries_across_calls():
    """PyTorch caches the second value of a Box-Muller pair in the generator: randn(1) twice
    gives the pair, and the cache is part of the state."""
    a, b = both(lambda L: L.cat([L.randn(1), L.randn(3), L.randn(1), L.randn(20), L.randn(1)]), 3)
    np.testing.assert_allclose(a, b, **NORMAL_F32)


def test_state_round_trips_between_libraries():
    ember.manual_seed(11)
    ember.randn(3)                    # leaves a cached normal in the state
    state = ember.get_rng_state()
    torch.set_rng_state(torch.from_numpy(state.numpy()))
    np.testing.assert_array_equal(ember.randn(5).numpy(), torch.randn(5).numpy())
    torch.manual_seed(12)
    torch.rand(700)                   # past one twist of the 624 words
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(ember.rand(10).numpy(), torch.rand(10).numpy())
    assert same_state()


def test_set_state_rejects_wrong_size():
    with pytest.raises(RuntimeError, match="5056"):
        ember.set_rng_state(ember.zeros(10, dtype=ember.uint8))


@pytest.mark.parametrize("args", [(10, (50,)), (-3, 4, (7, 3)), (0, 2 ** 33, (20,)), (5, 2 ** 40, (9,))])
@pytest.mark.parametrize("dtype", [None, "int32", "float32", "float64"])
def test_randint(args, dtype):
    if dtype in ("int32", "float32") and max(a for a in args if isinstance(a, int)) > 2 ** 24:
        pytest.skip("outside the range PyTorch supports for this dtype")
    kw = {} if dtype is None else {"dtype": dtype}
    a, b = both(lambda L: L.randint(*args, **{k: getattr(L, v) for k, v in kw.items()}), 4)
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000, 50_000])
def test_randperm(n):
    a, b = both(lambda L: L.randperm(n), 9)
    np.testing.assert_array_equal(a, b)


def test_generator_objects_are_independent_streams():
    ge, gt = ember.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    ember.manual_seed(0)
    torch.manual_seed(0)
    np.testing.assert_array_equal(ember.rand(4, generator=ge).numpy(), torch.rand(4, generator=gt).numpy())
    np.testing.assert_array_equal(ember.randperm(30, generator=ge).numpy(), torch.randperm(30, generator=gt).numpy())
    np.testing.assert_allclose(ember.randn(40, generator=ge).numpy(), torch.randn(40, generator=gt).numpy(), **NORMAL_F32)
    np.testing.assert_array_equal(ge.get_state().numpy(), gt.get_state().numpy())
    assert ge.initial_seed() == gt.initial_seed() == 5
    assert same_state()               # the global stream was not touched
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()


def test_in_place_fills():
    def fills(L):
        outs = [L.empty(20).uniform_(-2, 3), L.empty(5, dtype=L.float64).uniform_(),
                L.empty(40).normal_(1.5, 0.5), L.empty(7).normal_(-1, 2),
                L.empty(300).bernoulli_(0.3), L.empty(30).bernoulli_(L.full((30,), 0.6)),
                L.empty(30).bernoulli_(L.full((30,), 0.6, dtype=L.float64)),
                L.empty(50, dtype=L.int64).random_(), L.empty(50, dtype=L.int32).random_(),
                L.empty(10).random_(), L.empty(10, dtype=L.float64).random_(),
                L.empty(10, dtype=L.uint8).random_(), L.empty(10, dtype=L.bool).random_(),
                L.empty(20, dtype=L.int64).random_(7), L.empty(20).random_(-4, 9),
                L.empty(100).exponential_(2.0)]
        return L.cat([o.double() for o in outs])
    a, b = both(fills, 21)
    np.testing.assert_allclose(a, b, **NORMAL_F32)


def test_fills_of_non_contiguous_views_follow_memory_order():
    def fills(L):
        base = L.zeros(30, 40)
        base.t().normal_()                 # non-contiguous: one value at a time
        base[:, 3].uniform_(5, 6)
        base[::2, ::3].bernoulli_(0.5)
        return base
    a, b = both(fills, 2)
    np.testing.assert_array_equal(a, b)


def test_distribution_functions():
    def draws(L):
        m = L.arange(1.0, 21.0)
        return L.cat([L.normal(m, 0.5), L.normal(0.0, L.full((20,), 2.0)), L.normal(m, L.full((20,), 0.1)),
                      L.normal(2.0, 3.0, size=(17,)), L.bernoulli(L.full((25,), 0.4)),
                      L.bernoulli(L.full((25,), 0.0), p=0.7),
                      L.multinomial(L.tensor([0.1, 0.2, 0.7]), 30, replacement=True).float(),
                      L.multinomial(L.tensor([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]), 3).float().flatten(),
                      L.multinomial(L.tensor([1.0, 2.0, 3.0], dtype=L.float64), 1).float(),
                      L.rand_like(m), L.randn_like(m), L.randint_like(m, 3, 9)])
    a, b = both(draws, 8)
    np.testing.assert_allclose(a, b, **NORMAL_F32)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_default_init_of_layers(seed):
    def layers(L):
        nn = L.nn
        mods = [nn.Linear(20, 7), nn.Linear(3, 1, bias=False), nn.Conv2d(3, 8, 3), nn.Conv1d(2, 4, 5, groups=2),
                nn.ConvTranspose2d(4, 2, 3), nn.Embedding(10, 7), nn.Embedding(3, 2, padding_idx=1),
                nn.Bilinear(3, 4, 5), nn.PReLU()]
        return L.cat([p.detach().flatten() for m in mods for p in m.parameters()])
    a, b = both(layers, seed)
    np.testing.assert_allclose(a, b, **NORMAL_F32)


def test_nn_init_functions():
    def inits(L):
        init = L.nn.init
        outs = [init.xavier_uniform_(L.empty(6, 9)), init.xavier_normal_(L.empty(6, 9)),
                init.kaiming_uniform_(L.empty(5, 4, 3), nonlinearity="relu"),
                init.kaiming_normal_(L.empty(8, 4), mode="fan_out"), init.uniform_(L.empty(12), -1, 1),
                init.normal_(L.empty(33), 0, 0.02), init.trunc_normal_(L.empty(40, 5), std=0.02),
                init.trunc_normal_(L.empty(40, 5), mean=0.5, std=1.0, a=0.0, b=0.2),
                init.orthogonal_(L.empty(6, 10)), init.sparse_(L.empty(10, 6), 0.3)]
        return L.cat([o.flatten() for o in outs])
    a, b = both(inits, 6)
    np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_dropout_masks(p):
    def drops(L):
        F = L.nn.functional
        x = L.ones(4, 6, 5, 5)
        return L.cat([F.dropout(x, p).flatten(), F.dropout2d(x, p).flatten(), F.dropout1d(x[0], p).flatten(),
                      L.nn.Dropout(p)(x).flatten(), F.alpha_dropout(x, p, True).flatten(),
                      F.feature_alpha_dropout(x, p, True).flatten()])
    a, b = both(drops, 13)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_rrelu_draws_only_for_negative_inputs():
    x = np.random.default_rng(0).standard_normal(200).astype(np.float32)
    a, b = both(lambda L: L.nn.functional.rrelu(L.tensor(x), training=True), 1)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_dataloader_shuffle_random_split_and_samplers():
    def data(L):
        ds = L.utils.data.TensorDataset(L.arange(23))
        dl = L.utils.data.DataLoader(ds, batch_size=5, shuffle=True)
        epochs = [b[0] for _ in range(3) for b in dl]
        train, val = L.utils.data.random_split(ds, [0.75, 0.25])
        split = L.utils.data.random_split(range(10), [3, 7], generator=L.Generator().manual_seed(42))
        sm = L.utils.data
        lists = [list(sm.RandomSampler(range(10), replacement=True, num_samples=70)),
                 list(sm.RandomSampler(range(10), generator=L.Generator().manual_seed(1))),
                 list(sm.SubsetRandomSampler([5, 6, 7, 8])),
                 list(sm.WeightedRandomSampler([0.1, 0.5, 0.2, 0.9], 12)),
                 list(sm.WeightedRandomSampler([0.1, 0.5, 0.2, 0.9], 3, replacement=False)),
                 train.indices, val.indices, split[0].indices]
        return L.cat(epochs + [L.tensor(v) for v in lists] + [L.rand(2)])
    a, b = both(data, 0)
    np.testing.assert_array_equal(a, b)


def test_dataloader_with_its_own_generator_leaves_global_stream_alone():
    def data(L):
        dl = L.utils.data.DataLoader(L.utils.data.TensorDataset(L.arange(12)), batch_size=4, shuffle=True,
                                     generator=L.Generator().manual_seed(3))
        return L.cat([b[0] for b in dl] + [L.rand(3).mul(100).long()])
    a, b = both(data, 5)
    np.testing.assert_array_equal(a, b)


def test_vision_random_transforms_draw_like_torchvision():
    """torchvision decides flips with ``torch.rand(1) < p`` and crops with two ``randint`` calls."""
    from ember.vision import transforms as T
    img = ember.arange(2 * 6 * 6.0).reshape(2, 6, 6)
    ember.manual_seed(4)
    out = [T.RandomHorizontalFlip()(img), T.RandomVerticalFlip()(img), T.RandomCrop(4)(img)]
    torch.manual_seed(4)
    timg = torch.arange(2 * 6 * 6.0).reshape(2, 6, 6)
    flip_h = torch.rand(1) < 0.5
    flip_v = torch.rand(1) < 0.5
    i, j = torch.randint(0, 3, (1,)).item(), torch.randint(0, 3, (1,)).item()
    expect = [timg.flip(-1) if flip_h else timg, timg.flip(-2) if flip_v else timg, timg[:, i:i + 4, j:j + 4]]
    for o, e in zip(out, expect):
        np.testing.assert_array_equal(o.numpy(), e.numpy())
    assert same_state()


def test_seeding_helpers():
    assert ember.manual_seed(3) is ember.default_generator
    assert ember.initial_seed() == 3
    ember.manual_seed(-1)
    torch.manual_seed(-1)
    assert ember.initial_seed() == torch.initial_seed() == 2 ** 64 - 1
    np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())
    s = ember.seed()
    assert ember.initial_seed() == s
    with pytest.raises(RuntimeError, match="seed"):
        ember.manual_seed(2 ** 64)
    with pytest.raises(TypeError, match="Generator"):
        ember.rand(2, generator=np.random.default_rng(0))


def test_fork_rng_restores_the_global_stream():
    ember.manual_seed(1)
    torch.manual_seed(1)
    with ember.random.fork_rng():
        ember.manual_seed(99)
        inner = ember.rand(3)
    with torch.random.fork_rng():
        torch.manual_seed(99)
        np.testing.assert_array_equal(inner.numpy(), torch.rand(3).numpy())
    np.testing.assert_array_equal(ember.rand(2).numpy(), torch.rand(2).numpy())
    with pytest.raises(RuntimeError, match="CPU only"):
        with ember.random.fork_rng(devices=[0]):
            pass


def test_distribution_samples():
    def draws(L):
        D = L.distributions
        out = [D.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0])).sample((20,)),
               D.Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0])).rsample((3,)),
               D.Uniform(L.tensor([0.0]), L.tensor([2.0])).sample((5,)),
               D.Exponential(L.tensor([1.5])).sample((5,)),
               D.Laplace(L.tensor([0.0]), L.tensor([1.0])).sample((5,)),
               D.Bernoulli(probs=L.tensor([0.3, 0.8])).sample((6,)),
               D.Categorical(probs=L.tensor([0.2, 0.5, 0.3])).sample((10,)).float(),
               D.Categorical(logits=L.tensor([[0.2, 0.5, 0.3], [1., 0., -1.]])).sample().float(),
               D.OneHotCategorical(probs=L.tensor([0.2, 0.5, 0.3])).sample((4,)),
               D.MultivariateNormal(L.zeros(3), L.eye(3) * 2).sample((7,))]
        return L.cat([o.flatten() for o in out])
    a, b = both(draws, 0)
    np.testing.assert_allclose(a, b, **NORMAL_F32)


UNIFORM_RANGES = [(0, 1), (-2, 3), (-0.1, 0.1), (1e-3, 7.3), (-5.5, -1.25), (3, 1e4), (-1 / 3, 2 / 7),
                  (0.6, 1.0), (-1e-30, 1e-30), (5, 5)]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("low,high", UNIFORM_RANGES)
def test_uniform_is_bitwise_pytorchs_single_rounding(dtype, low, high):
    """uniform_ computes from + u * (to - from) with one rounding (a fused multiply-add) in float64
    for float64 and in float32 otherwise; a plain multiply then add differs in the last bit."""
    for seed in SEEDS[:3]:
        a, b = both(lambda L: L.empty(3000, dtype=getattr(L, dtype)).uniform_(low, high), seed)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


def test_uniform_float64_users_are_bitwise():
    def draws(L):
        f64 = L.float64
        return [L.nn.init.uniform_(L.empty(50, dtype=f64), -0.3, 0.7),
                L.nn.init.kaiming_uniform_(L.empty(16, 9, dtype=f64), a=math.sqrt(5)),
                L.nn.init.xavier_uniform_(L.empty(7, 11, dtype=f64)),
                L.testing.make_tensor(40, dtype=f64, device="cpu"),
                L.testing.make_tensor(40, dtype=f64, device="cpu", low=-1e-3, high=2.5)]
    ember.manual_seed(11)
    a = draws(ember)
    torch.manual_seed(11)
    b = draws(torch)
    assert same_state()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.detach().numpy().view(np.uint8), y.detach().numpy().view(np.uint8))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_value_rounding_to_the_upper_bound_becomes_the_lower(dtype):
    """u = 1 - 2**-24 gives 1 - 0.4 * 2**-24 for U(0.6, 1), which rounds to 1.0 in float32:
    PyTorch returns ``from`` then. The state is positioned so that the next word has all 24 low
    bits set (word 12675698 of seed 2), and handed to both libraries."""
    g = ember.Generator().manual_seed(2)
    g._u32(12675698)
    state = g.get_state()
    ember.set_rng_state(state)
    torch.set_rng_state(torch.from_numpy(state.numpy()))
    a = ember.empty(3, dtype=getattr(ember, dtype)).uniform_(0.6, 1.0).numpy()
    b = torch.empty(3, dtype=getattr(torch, dtype)).uniform_(0.6, 1.0).numpy()
    np.testing.assert_array_equal(a, b)
    if dtype == "float32":
        assert a[0] == np.float32(0.6)  # the case that rounds to 1.0
