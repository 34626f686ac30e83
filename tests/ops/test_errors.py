"""Bad input to tensor ops: the same exception type as PyTorch and a message naming the problem."""
import pytest
import torch

import ember

CASES = [
    ("broadcast add", lambda m: m.zeros(2, 3) + m.zeros(3, 2), "must match the size"),
    ("broadcast mul", lambda m: m.zeros(2, 3) * m.zeros(4), "must match the size"),
    ("broadcast in-place", lambda m: m.ones(2).add_(m.ones(3)), "must match the size"),
    ("broadcast compare", lambda m: m.zeros(2, 3) > m.zeros(2), "must match the size"),
    ("broadcast where", lambda m: m.where(m.zeros(3, dtype=m.bool), m.zeros(2), 1.0), "must match the size"),
    ("bool subtract", lambda m: m.tensor([True]) - m.tensor([True]), "logical_xor"),
    ("view size", lambda m: m.zeros(2).view(3), "invalid for input of size 2"),
    ("reshape size", lambda m: m.zeros(3).reshape(2, 2), "invalid for input of size 3"),
    ("sum dim", lambda m: m.zeros(2, 3).sum(5), "Dimension out of range"),
    ("float index", lambda m: m.zeros(3)[m.tensor([1.5])], "long"),
    ("gather float index", lambda m: m.zeros(2, 3).gather(0, m.zeros(2, 3)), "int64"),
    ("int negative pow", lambda m: m.arange(3) ** -1, "negative integer powers"),
    ("matmul shapes", lambda m: m.zeros(2, 3).matmul(m.zeros(2, 3)), "cannot be multiplied"),
    ("max dim", lambda m: m.zeros(2).max(1), "Dimension out of range"),
    ("item", lambda m: m.zeros(2).item(), "Scalar"),
    ("transpose dim", lambda m: m.zeros(2, 3).transpose(0, 5), "Dimension out of range"),
    ("unsqueeze dim", lambda m: m.zeros(2).unsqueeze(3), "Dimension out of range"),
    ("ragged data", lambda m: m.tensor([[1, 2], [3]]), ""),
    ("softmax dim", lambda m: m.zeros(2).softmax(1), "Dimension out of range"),
    ("empty cat", lambda m: m.cat([]), "non-empty"),
    ("stack sizes", lambda m: m.stack([m.zeros(2), m.zeros(3)]), "equal size"),
    ("expand size", lambda m: m.zeros(2, 3).expand(3, 3), "must match the existing size"),
    ("permute dup", lambda m: m.zeros(2, 3).permute(0, 0), ""),
    ("narrow range", lambda m: m.zeros(2, 3).narrow(1, 2, 3), "exceeds dimension size"),
    ("flatten order", lambda m: m.zeros(2, 3).flatten(1, 0), "start_dim"),
    ("in-place int result", lambda m: m.ones(2, dtype=m.int64).add_(1.5), "can't be cast"),
    ("index_select 2-D index", lambda m: m.zeros(2).index_select(0, m.tensor([[0]])), ""),
    ("randint range", lambda m: m.randint(5, 2, (3,)), "from=5"),
    ("masked_fill shape", lambda m: m.zeros(2, 2).masked_fill(m.zeros(2, 3, dtype=m.bool), 1.0), ""),
    ("masked_fill mask dtype", lambda m: m.zeros(2).masked_fill(m.tensor([1, 0]), 1.0), "bool"),
    ("bool of many", lambda m: bool(m.zeros(2)), "ambiguous"),
    ("requires_grad int", lambda m: m.zeros(2, dtype=m.int64).requires_grad_(), "floating point"),
    ("index out of range", lambda m: m.zeros(3)[3], "out of bounds"),
    ("neg bool", lambda m: -m.tensor([True]), "logical_not"),
    ("mm ranks", lambda m: m.mm(m.zeros(3), m.zeros(3, 2)), ""),
]


@pytest.mark.parametrize("name,fn,words", CASES, ids=[c[0] for c in CASES])
def test_error_type_matches_torch(name, fn, words):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as e_err:
        fn(ember)
    assert isinstance(e_err.value, t_err.type), \
        f"ember raised {type(e_err.value).__name__}, torch {t_err.type.__name__}: {e_err.value}"
    assert words in str(e_err.value)
