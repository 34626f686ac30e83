"""One training step (Linear + ReLU + MSE, backward, SGD) profiled the same way on torch and ember."""
import numpy as np


def profiled_step(lib, record_shapes=False, profile_memory=False):
    """``lib`` is ``torch`` or ``ember``; returns the finished profiler."""
    rng = np.random.default_rng(0)
    lin = lib.nn.Linear(4, 3)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(rng.standard_normal((3, 4)).astype(np.float32)))
        lin.bias.copy_(lib.tensor(rng.standard_normal(3).astype(np.float32)))
    model = lib.nn.Sequential(lin, lib.nn.ReLU())
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    x = lib.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU], record_shapes=record_shapes,
                              profile_memory=profile_memory) as prof:
        with lib.profiler.record_function("model_inference"):
            loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return prof


def counts(prof):
    return {e.key: e.count for e in prof.key_averages()}


def header_cells(table):
    """The header row of a profiler table, split into its column names."""
    line = table.splitlines()[1]
    return [c.strip() for c in line.split("  ") if c.strip()]
