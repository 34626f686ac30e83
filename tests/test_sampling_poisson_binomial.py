"""torch.poisson, torch.binomial, distributions.Poisson / Binomial: PyTorch's draws, bit for bit.

PyTorch's CPU kernels draw one double uniform (one 64-bit word) at a time: Poisson by multiplying
uniforms (rate < 10) or Hörmann's PTRS (rate >= 10); binomial by inversion (count * p < 10) or
BTRS. Each check compares the values and then the generators' states, so a sampler that draws the
right values but consumes a different number of words fails too.
"""
import itertools

import numpy as np
import pytest
import torch

import ember

RATES = [0, 0.5, 3, 9.9, 10, 50, 1e4]


def same_state(g, tg):
    return np.array_equal(g.get_state().numpy(), tg.get_state().numpy())


def both(fn, seed=0):
    """``fn(lib, generator)`` on each library with a generator seeded ``seed``; states compared."""
    g, tg = ember.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
    a, b = fn(ember, g), fn(torch, tg)
    assert same_state(g, tg), "the generators consumed different numbers of words"
    return a.detach().numpy(), b.detach().numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("rate", RATES)
def test_poisson_stream(rate, dtype):
    for seed in (0, 1, 2 ** 40 + 3):
        a, b = both(lambda L, g: L.poisson(L.full((300,), rate, dtype=getattr(L, dtype)), generator=g), seed)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poisson_mixed_rates_and_layouts(dtype):
    rates = np.exp(np.random.default_rng(0).uniform(-6, 11, (40, 30))).astype(dtype)
    rates[::7, ::5] = 0
    for make in (lambda L: L.tensor(rates), lambda L: L.tensor(rates).t(), lambda L: L.tensor(rates)[::2, 1::3],
                 lambda L: L.tensor(rates[0]).expand(5, 30)):
        a, b = both(lambda L, g: L.poisson(make(L), generator=g), 4)
        np.testing.assert_array_equal(a, b)


def test_poisson_uses_the_global_stream_and_infinite_rates():
    ember.manual_seed(9)
    torch.manual_seed(9)
    r = [float("inf"), 2.0, float("inf"), 30.0]
    a, b = ember.poisson(ember.tensor(r)), torch.poisson(torch.tensor(r))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())


def test_poisson_moments():
    """Mean and variance of 20000 draws per rate, within 5 standard errors (a fixed seed)."""
    g = ember.Generator().manual_seed(0)
    for rate in (0.7, 6.0, 25.0, 400.0):
        x = ember.poisson(ember.full((20000,), rate, dtype=ember.float64), generator=g).numpy()
        assert abs(x.mean() - rate) < 5 * np.sqrt(rate / x.size)
        assert abs(x.var() / rate - 1) < 5 * np.sqrt(2 / x.size) + 5 / np.sqrt(rate * x.size)
        assert (x == np.round(x)).all() and (x >= 0).all()


def test_poisson_errors_and_gradient():
    for L in (ember, torch):
        with pytest.raises(NotImplementedError):
            L.poisson(L.tensor([1, 2]))
        for bad in (-1.0, float("nan")):
            with pytest.raises(RuntimeError, match="non-negative"):
                L.poisson(L.tensor([1.0, bad]))
    x = ember.tensor([3.0, 40.0], requires_grad=True)
    y = ember.poisson(x)
    assert y.grad_fn.name() == torch.poisson(torch.tensor([1.0], requires_grad=True)).grad_fn.name()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


COUNTS = [0, 1, 5, 20, 37, 1000, 123456]
PROBS = [0, 0.01, 0.1, 1 / 3, 0.5, 0.7, 0.95, 1.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("count", COUNTS)
def test_binomial_stream(count, dtype):
    for p, seed in itertools.product(PROBS, (0, 7)):
        a, b = both(lambda L, g: L.binomial(L.full((200,), count, dtype=getattr(L, dtype)),
                                            L.full((200,), p, dtype=getattr(L, dtype)), generator=g), seed)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b, err_msg=f"count={count} p={p} seed={seed}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binomial_mixed_parameters(dtype):
    rng = np.random.default_rng(1)
    n = np.floor(np.exp(rng.uniform(0, 12, 3000))).astype(dtype)
    p = rng.uniform(0, 1, 3000).astype(dtype)
    a, b = both(lambda L, g: L.binomial(L.tensor(n), L.tensor(p), generator=g), 3)
    np.testing.assert_array_equal(a, b)


def test_binomial_errors_gradient_and_nan():
    for L in (ember, torch):
        with pytest.raises(ValueError, match="floating-point"):
            L.binomial(L.tensor([3]), L.tensor([1]))
        with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
            L.binomial(L.tensor([3.0]), L.tensor([0.5], dtype=L.float64))
        with pytest.raises(NotImplementedError):
            L.binomial(L.tensor([3.0], dtype=L.float16), L.tensor([0.5], dtype=L.float16))
        c = L.tensor([10.0, 100.0], requires_grad=True)
        y = L.binomial(c, L.tensor([0.5, 0.2]))
        assert y.requires_grad and type(y.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
            y.sum().backward()
    # PyTorch returns nan for a nan probability; for a nan count it never returns (ember: nan)
    out = ember.binomial(ember.tensor([5.0, float("nan"), float("inf")]), ember.tensor([float("nan"), 0.5, 0.5]))
    assert np.isnan(out.numpy()).all()


def test_poisson_distribution_matches_torch():
    def run(L):
        D = L.distributions
        L.manual_seed(5)
        d = D.Poisson(L.tensor([0.5, 3.0, 9.9, 10.0, 50.0, 1e4]))
        value = L.tensor([0.0, 2.0, 9.0, 10.0, 49.0, 9999.0])
        return [d.sample((3,)), d.sample(), d.expand((2, 6)).sample(), D.Poisson(2.5).sample((4,)),
                d.log_prob(value), D.Poisson(L.tensor(0.0)).log_prob(L.tensor([0.0, 1.0])),
                d.mean, d.mode, d.variance, L.rand(2)]
    for x, y in zip(run(ember), run(torch)):
        assert tuple(x.shape) == tuple(y.shape) and str(x.dtype)[-7:] == str(y.dtype)[-7:]
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)
    d, td = ember.distributions.Poisson(3.0), torch.distributions.Poisson(3.0)
    assert tuple(d.batch_shape) == tuple(td.batch_shape) == ()
    assert not d.has_rsample and str(d.support) == str(td.support)
    with pytest.raises(NotImplementedError):
        d.rsample()
    with pytest.raises(ValueError, match="rate"):
        ember.distributions.Poisson(ember.tensor([-1.0]), validate_args=True)
    with pytest.raises(ValueError, match="support"):
        ember.distributions.Poisson(ember.tensor([1.0]), validate_args=True).log_prob(ember.tensor([0.5]))


def test_binomial_distribution_sample_matches_torch():
    def run(L):
        D = L.distributions
        L.manual_seed(3)
        return [D.Binomial(L.tensor([10.0, 50.0]), probs=L.tensor([0.2, 0.9])).sample((3,)),
                D.Binomial(200, logits=L.tensor([0.3, -2.0])).sample(),
                D.Binomial(L.tensor([[5.0], [500.0]]), probs=L.tensor([0.5, 0.04], dtype=L.float64)).sample((2,)),
                L.rand(2)]
    for x, y in zip(run(ember), run(torch)):
        assert tuple(x.shape) == tuple(y.shape) and str(x.dtype)[-7:] == str(y.dtype)[-7:]
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_geometric_matches_torch():
    def run(L):
        D = L.distributions
        L.manual_seed(2)
        g = D.Geometric(L.tensor([0.2, 1.0, 0.01, 0.7]))
        value = L.tensor([[0.0, 0.0, 3.0, 1.0], [3.0, 1.0, 0.0, 2.0]])
        return [g.sample((50,)), g.sample(), D.Geometric(logits=L.tensor([0.3], dtype=L.float64)).sample((40,)),
                g.expand((3, 4)).sample(), g.mean, g.mode, g.variance, g.entropy(), g.log_prob(value),
                D.Geometric(logits=L.tensor([0.3, -2.0])).probs, L.rand(2)]
    for x, y in zip(run(ember), run(torch)):
        assert tuple(x.shape) == tuple(y.shape) and str(x.dtype)[-7:] == str(y.dtype)[-7:]
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)
    for L in (ember, torch):
        with pytest.raises(ValueError, match="to be positive"):
            L.distributions.Geometric(L.tensor([0.0, 0.5]), validate_args=True)
        with pytest.raises(NotImplementedError):
            L.distributions.Geometric(0.5).rsample()


def test_negative_binomial_matches_torch():
    def run(L):
        D = L.distributions
        nb = D.NegativeBinomial(L.tensor([3.0, 0.5]), L.tensor([0.4, 0.9]))
        nl = D.NegativeBinomial(4.0, logits=L.tensor([0.3, -1.0]))
        return [nb.mean, nb.mode, nb.variance, nb.log_prob(L.tensor([[2.0, 0.0], [0.0, 7.0]])),
                D.NegativeBinomial(L.tensor(0.0), L.tensor(0.5)).log_prob(L.tensor(0.0)),
                nl.probs, nl.mean, nl.mode, nl.log_prob(L.tensor([1.0, 5.0])), nb.sample((3,)),
                nl.expand((3, 2)).sample()]
    ember.manual_seed(8)
    a = run(ember)
    torch.manual_seed(8)
    b = run(torch)
    for i, (x, y) in enumerate(zip(a, b)):
        assert tuple(x.shape) == tuple(y.shape) and str(x.dtype)[-7:] == str(y.dtype)[-7:]
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)
    # moments of the gamma-Poisson mixture: mean r p / (1 - p), variance mean / (1 - p)
    ember.manual_seed(0)
    x = ember.distributions.NegativeBinomial(ember.tensor([3.0, 0.5]), ember.tensor([0.4, 0.9])).sample((20000,))
    mean, var = np.array([2.0, 4.5]), np.array([10 / 3, 45.0])
    np.testing.assert_allclose(x.mean(0).numpy(), mean, rtol=0.05)
    np.testing.assert_allclose(x.var(0).numpy(), var, rtol=0.1)


def test_zero_dim_and_empty():
    def run(L, g):
        return L.cat([L.poisson(L.tensor(4.0), generator=g).reshape(1), L.poisson(L.empty(0, 3), generator=g).flatten(),
                      L.binomial(L.tensor(10.0), L.tensor(0.3), generator=g).reshape(1),
                      L.binomial(L.empty(2, 0), L.empty(2, 0), generator=g).flatten()])
    a, b = both(run, 6)
    np.testing.assert_array_equal(a, b)
    assert tuple(ember.poisson(ember.empty(0, 3)).shape) == (0, 3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gamma_stream(dtype):
    """torch._standard_gamma: Marsaglia-Tsang with PyTorch's one-at-a-time normals (their cached
    second value included, checked by the randn that follows) and double uniforms."""
    alphas = [0.0, 1e-4, 0.01, 0.3, 0.999, 1.0, 1.5, 3.0, 10.0, 1e3]

    def draws(L, g):
        if L is torch:
            return torch.cat([torch._standard_gamma(torch.full((100,), al, dtype=getattr(torch, dtype)), generator=g)
                              for al in alphas])
        return ember.tensor(np.concatenate([ember._sampling.standard_gamma(g, np.full(100, al, dtype))
                                            for al in alphas]))
    for seed in (0, 1):
        a, b = both(draws, seed)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gamma_dirichlet_beta_samples_match_torch(dtype):
    def run(L):
        D, d = L.distributions, getattr(L, dtype)
        return [D.Gamma(L.tensor([0.3, 2.0, 50.0], dtype=d), L.tensor([1.0, 0.5, 3.0], dtype=d)).sample((20,)),
                D.Gamma(L.tensor([0.3, 2.0], dtype=d), L.tensor([1.0, 0.5], dtype=d)).rsample((2,)),
                D.Dirichlet(L.tensor([[0.2, 1.0, 5.0], [3.0, 3.0, 0.01]], dtype=d)).sample((10,)),
                D.Beta(L.tensor([0.5, 2.0], dtype=d), L.tensor([3.0, 0.7], dtype=d)).sample((10,)),
                L.randn(3, dtype=d)]
    ember.manual_seed(4)
    a = run(ember)
    torch.manual_seed(4)
    b = run(torch)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_noise_is_bitwise(dtype):
    """rrelu's noise is U(lower, upper) in float64 from bounds in the input's compute type, with two
    roundings (PyTorch's rrelu kernel is built without fused multiply-add, unlike uniform_)."""
    xs = np.random.default_rng(0).normal(size=5000).astype(dtype)

    def run(L):
        L.manual_seed(0)
        return L.nn.functional.rrelu(L.tensor(xs), 0.1, 0.4, training=True).numpy()
    np.testing.assert_array_equal(run(ember), run(torch))
