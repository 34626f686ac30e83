"""Per-sample gradients and model ensembling with torch.func (runs on ember: `import ember as torch`).

Per-sample gradients (the gradient of each example's loss on its own, as differential privacy
needs for clipping) by `vmap(grad(loss))` over `functional_call`; then the same through a loop of
ordinary backward() calls, to show they agree; then an ensemble of models run as one function with
`stack_module_state` + `vmap`.
"""
import ember as torch
from ember.func import functional_call, grad, stack_module_state, vmap

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
data, targets = torch.randn(16, 20), torch.randint(0, 4, (16,))
params = {k: v.detach() for k, v in model.named_parameters()}


def compute_loss(params, sample, target):
    prediction = functional_call(model, params, (sample.unsqueeze(0),))
    return torch.nn.functional.cross_entropy(prediction, target.unsqueeze(0))


per_sample = vmap(grad(compute_loss), in_dims=(None, 0, 0))(params, data, targets)
print({k: tuple(g.shape) for k, g in per_sample.items()})

worst = 0.0
for i in range(len(data)):
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(data[i:i + 1]), targets[i:i + 1]).backward()
    for k, p in model.named_parameters():
        worst = max(worst, (per_sample[k][i] - p.grad).abs().max().item())
print(f"max difference from a loop of backward() calls: {worst:.2e}")

norms = torch.stack([g.flatten(1).norm(dim=1) for g in per_sample.values()]).norm(dim=0)
print("per-sample gradient norms:", [round(n, 3) for n in norms.tolist()[:4]], "...")

models = [torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)) for _ in range(5)]
stacked_params, stacked_buffers = stack_module_state(models)


def run_one(params, buffers, x):
    return functional_call(models[0], (params, buffers), (x,))


ensemble = vmap(run_one, in_dims=(0, 0, None))(stacked_params, stacked_buffers, data)
loop = torch.stack([m(data) for m in models])
print("ensemble output", tuple(ensemble.shape), f"max difference from running each model: "
      f"{(ensemble - loop).abs().max().item():.2e}")
