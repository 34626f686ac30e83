"""Every differentiable op in ember has a backward written against the array namespace, so it can
be differentiated again (create_graph=True); the op-family tests in tests/ops/second_order compare
each one's second derivatives with PyTorch."""
import ember
from ember.autograd.function import Op

# Ops whose double backward PyTorch itself refuses; ember raises the same error when it is needed.
REFUSED_AS_IN_PYTORCH = {"ember.ops.loss.margin._RefusedBackward", "ember.ops.loss.ctc._CtcLossBackwardGrad"}
# Not an op of the math but the node of an ember.compile'd call: create_graph through it raises an
# error that says to call the original function (tests/compiler/test_compile.py checks it).
NOT_YET = {"ember.compiler.graph.CompiledFunction"}


def _all_ops():
    seen, stack = set(), [Op]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return seen


def test_every_op_is_differentiable_twice():
    ops = _all_ops()
    assert len(ops) > 150
    missing = sorted(f"{c.__module__}.{c.__name__}" for c in ops
                     if c.__module__.startswith("ember.") and not c.differentiable_backward)
    assert set(missing) == REFUSED_AS_IN_PYTORCH | NOT_YET, missing


def test_module_backward_hooks_see_tensors_with_a_graph_under_create_graph():
    import torch

    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2).double()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append((go[0].requires_grad, gi[0].requires_grad)))
        x = lib.tensor([[0.5, -1.0, 2.0]], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(lib.tanh(m(x)).sum(), x, create_graph=True)
        return seen
    assert run(ember) == run(torch)
