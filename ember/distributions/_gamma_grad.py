"""Implicit reparameterisation: d x / d alpha for a gamma or beta draw x, on NumPy arrays.

A draw x = F^-1(u; alpha) moves with alpha at fixed u, so (implicit function theorem)

    dx/dalpha = -(dF/dalpha)(x; alpha) / pdf(x; alpha).

Neither cumulative derivative has a closed form. PyTorch evaluates it piecewise with series,
saddle-point expansions and fitted rational functions (Jankowiak & Obermeyer, "Pathwise
derivatives beyond the reparameterization trick", 2018); ember evaluates the same pieces so that
its gradients equal PyTorch's (``torch._standard_gamma_grad``, ``torch._dirichlet_grad``) to
round-off. The fitted pieces are accurate to about 1e-4 relative, as PyTorch's are.

Everything is computed in float64 and returned in the dtype of ``x``. (PyTorch evaluates the
beta series in float32 for float32 input, digamma differences included, so its float32
``_dirichlet_grad`` can be ~1e-3 off its own float64 value near x = 0 or 1; ember's float32 result
is its float64 one rounded.)
"""
import numpy as np

from ._special import _np_digamma

__all__ = ["standard_gamma_grad", "dirichlet_grad"]


# PyTorch compares with float32 literals (0.8f, 0.9f, 1.1f) even for float64 input; so does ember.
_F08, _F09, _F11 = (float(np.float32(v)) for v in (0.8, 0.9, 1.1))


def _psi(a):
    """digamma, +inf at 0 and the negative integers (the poles' convention of PyTorch's kernels)."""
    return np.where((a <= 0) & (a == np.floor(a)), np.inf, _np_digamma(a))


def _piecewise(shape, pieces):
    """``pieces``: (mask, fn) in order; each element takes the first piece whose mask holds."""
    out = np.zeros(shape)
    todo = np.ones(shape, dtype=bool)
    for mask, fn in pieces:
        idx = todo & mask
        if idx.any():
            out[idx] = fn(idx)
        todo &= ~mask
    return out


# --- Gamma(alpha, 1) ----------------------------------------------------------------------------

def _gamma_small_x(a, x):
    """x < 0.8. With the series P(a, x) = x^a/Gamma(a) * S1, S1 = sum_n (-x)^n / (n! (a+n)):
    dP/da = x^a/Gamma(a) [(log x - psi(a)) S1 - S2], S2 = sum_n (-x)^n / (n! (a+n)^2), and the
    pdf is x^(a-1) e^-x / Gamma(a), so dx/da = -x e^x [(log x - psi(a)) S1 - S2] (6 terms)."""
    term = np.ones_like(x)
    s1, s2 = 1 / a, 1 / (a * a)
    for n in range(1, 6):
        term = term * (-x / n)
        s1 = s1 + term / (a + n)
        s2 = s2 + term / ((a + n) * (a + n))
    r = -((np.log(x) - _psi(a)) * s1 - s2) * np.power(x, a) / (np.power(x, a - 1) * np.exp(-x))
    return np.where(np.isnan(r), 0.0, r)


def _gamma_large_alpha(a, x):
    """alpha > 8: Rice's saddle-point expansion of the gamma CDF around x = alpha (a polynomial in
    the band 0.9 alpha <= x <= 1.1 alpha, where the general form is 0/0)."""
    band = (_F09 * a <= x) & (x <= _F11 * a)
    near = (1 + 24 * a * (1 + 12 * a)) * (1440 * a * a + 6 * x * (53 - 120 * x) - 65 * x * x / a
                                          + a * (107 + 3600 * x)) / (1244160 * a ** 4)
    with np.errstate(all="ignore"):
        root = np.sqrt(8 * a)
        lx = np.log(x / a)
        t2 = root / (a - x)
        t3 = np.power(x - a - a * lx, -1.5)
        t23 = np.where(x < a, t2 - t3, t2 + t3)
        t1 = lx * t23 - np.sqrt(2 / a) * (a + x) / ((a - x) * (a - x))
        stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
        far = -stirling * x * t1 / root
    return np.where(band, near, far)


# Fitted coefficients of log(dx/da) = p(u, v) / q(u, v), u = log(x/alpha), v = log(alpha):
# row k holds the u^k part of the 8 coefficients (4 of p, 4 of q, each a cubic in v).
_GAMMA_UV = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
     -1.5247877e-07],
])


def _gamma_rational(a, x):
    u, v = np.log(x / a), np.log(a)
    c = _GAMMA_UV[0][:, None] + u * (_GAMMA_UV[1][:, None] + u * _GAMMA_UV[2][:, None])
    p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
    q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
    return np.exp(p / q)


def standard_gamma_grad(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1), elementwise (as ``torch._standard_gamma_grad(alpha, x)``)."""
    dtype = np.result_type(x.dtype, np.float32)
    shape = np.broadcast_shapes(np.shape(alpha), np.shape(x))
    a = np.broadcast_to(alpha, shape).astype(np.float64)
    xx = np.broadcast_to(x, shape).astype(np.float64)
    with np.errstate(all="ignore"):
        out = _piecewise(shape, [
            (xx < _F08, lambda i: _gamma_small_x(a[i], xx[i])),
            (a > 8.0, lambda i: _gamma_large_alpha(a[i], xx[i])),
            (np.ones(shape, dtype=bool), lambda i: _gamma_rational(a[i], xx[i])),
        ])
    return out.astype(dtype)


# --- Beta(alpha, beta), for the Dirichlet -------------------------------------------------------

def _beta_alpha_small_x(x, a, b):
    """x near 0. I_x(a, b) = x^a / B(a, b) sum_n (1-b)_n x^n / (n! (a+n)) ((1-b)_n rising), so
    dx/da = x (1-x)^(1-b) sum_n (1-b)_n x^n / (n! (a+n)) [psi(a) - psi(a+b) - log x + 1/(a+n)]
    (11 terms); returned divided by (1 - x)."""
    f = _psi(a) - _psi(a + b) - np.log(x)
    coef = np.ones_like(x)
    s = (f + 1 / a) / a
    for n in range(1, 11):
        coef = coef * (n - b) * x / n
        s = s + coef / (a + n) * (f + 1 / (a + n))
    r = x * np.power(1 - x, -b) * s
    return np.where(np.isnan(r), 0.0, r)


def _beta_beta_small_y(y, a, b):
    """d y / d b for y ~ Beta(a, b) near 0 (series in y of the derivative of I_y in b, 9 terms)."""
    f = _psi(a + b) - _psi(b)
    term, poly, dpoly = np.ones_like(y), np.ones_like(y), np.zeros_like(y)
    s = f / a
    for n in range(1, 9):
        term = term * (-y / n)
        dpoly = dpoly * (b - n) + poly       # d/db of poly = prod_{k<=n} (b - k)
        poly = poly * (b - n)
        s = s + term / (a + n) * (dpoly + f * poly)
    r = -np.power(1 - y, 1 - b) * s
    return np.where(np.isnan(r), 0.0, r)


def _beta_alpha_mid(x, a, b):
    """alpha, beta > 6: Rice's saddle-point expansion around the mean (a polynomial within a tenth
    of a standard deviation of it, where the general form is 0/0)."""
    t = a + b
    mean = a / t
    std = np.sqrt(a * b / (t + 1)) / t
    band = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    b2 = b * b
    poly = 47 * x * b2 * b2 + a * ((43 + 20 * (16 + 27 * b) * x) * b2 * b + a * (
        3 * (59 + 180 * b - 90 * x) * b2 + a * ((453 + 1620 * b * (1 - x) - 455 * x) * b + a * (
            8 * (1 - x) * (135 * b - 11)))))
    near = ((1 + 12 * a) * (1 + 12 * b) / (t * t)) / (1 - x) * poly / (12960 * a ** 3 * b2 * (1 + 12 * t))
    with np.errstate(all="ignore"):
        pre = -x / np.sqrt(2 * a * b / t)
        stirling = ((1 + 1 / (12 * a) + 1 / (288 * a * a)) * (1 + 1 / (12 * b) + 1 / (288 * b2))
                    / (1 + 1 / (12 * t) + 1 / (288 * t * t)))
        d = a * (x - 1) + b * x
        t1 = (2 * a * a * (x - 1) + a * b * (x - 1) - x * b2) / (np.sqrt(2 * a / b) * t ** 1.5 * d * d)
        t2 = 0.5 * np.log(a / (t * x))
        t3 = np.sqrt(8 * a * b / t) / d
        t4 = np.power(b * np.log(b / (t * (1 - x))) + a * np.log(a / (t * x)), -1.5)
        far = stirling * pre * (t1 + t2 * (t3 + np.where(x < mean, t4, -t4)))
    return np.where(band, near, far)


# Fitted rational correction p/q to x (psi(total) - psi(alpha)) / beta: _BETA_C[k, i, j, m] is the
# coefficient of u^i A^j B^m in p (k = 0) or q (k = 1), u = log x, A = log alpha - u, B = log total - A.
_BETA_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]],
])


def _beta_rational(x, a, t):
    u = np.log(x)
    A = np.log(a) - u
    B = np.log(t) - A
    powers = np.stack([np.ones_like(B), B, B * B, B * B * B])                         # (4, n)
    uA = np.stack([u ** i * A ** j for i in range(3) for j in range(3)])             # (9, n)
    coef = _BETA_C.reshape(2, 9, 4)
    p = np.einsum("kn,kn->n", uA, coef[0] @ powers)
    q = np.einsum("kn,kn->n", uA, coef[1] @ powers)
    return p / q * x * (_psi(t) - _psi(a)) / (t - a)


def dirichlet_grad(x, alpha, total):
    """(d x / d alpha) / (1 - x) for x ~ Beta(alpha, total - alpha) with total - alpha held fixed,
    elementwise (as ``torch._dirichlet_grad(x, alpha, total)``). For a Dirichlet draw the
    coordinate x_i is such a Beta with alpha = c_i, total = sum c; the Jacobian of the whole draw
    is d x_j / d c_i = g_i (delta_ij - x_j), g = dirichlet_grad(x, c, sum c)."""
    dtype = np.result_type(x.dtype, np.float32)
    shape = np.broadcast_shapes(np.shape(x), np.shape(alpha), np.shape(total))
    xx, a, t = (np.broadcast_to(v, shape).astype(np.float64) for v in (x, alpha, total))
    b = t - a
    edge = np.broadcast_to(total * x * (1 - x), shape)    # computed in the input dtype, as the branches are
    xs = np.broadcast_to(x, shape)
    with np.errstate(all="ignore"):
        out = _piecewise(shape, [
            ((xs <= 0.5) & (edge < 2.5), lambda i: _beta_alpha_small_x(xx[i], a[i], b[i])),
            ((xs >= 0.5) & (edge < 0.75), lambda i: -_beta_beta_small_y(1 - xx[i], b[i], a[i])),
            ((a > 6) & (b > 6), lambda i: _beta_alpha_mid(xx[i], a[i], b[i])),
            (np.ones(shape, dtype=bool), lambda i: _beta_rational(xx[i], a[i], t[i])),
        ])
    return out.astype(dtype)
