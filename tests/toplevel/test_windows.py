"""Window functions against torch: periodic and symmetric, dtypes, lengths 0 and 1, errors."""
import pytest

from tests.both import assert_same

NAMES = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 33])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, n, periodic):
    assert_same(lambda t: getattr(t, name)(n, periodic))
    assert_same(lambda t: getattr(t, name)(n, periodic, dtype=t.float64))


def test_window_defaults_and_parameters():
    assert_same(lambda t: [t.hann_window(6), t.kaiser_window(6, True, 5.0), t.kaiser_window(7, False, 2.0),
                           t.hamming_window(6, True, 0.5, 0.5), t.hann_window(4, requires_grad=True)])


@pytest.mark.parametrize("name", NAMES)
def test_window_errors(name):
    assert_same(lambda t: getattr(t, name)(-1), error=RuntimeError)
    assert_same(lambda t: getattr(t, name)(4, dtype=t.int64), error=RuntimeError)
    assert_same(lambda t: getattr(t, name)(2.5), error=TypeError)
