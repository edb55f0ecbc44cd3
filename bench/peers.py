#!/usr/bin/env python3
# The PyTorch side of `npm run bench -- peers` (bench/peers.ts runs this file; nothing else in the
# project uses Python). Each workload has the shapes of ours; the script prints one JSON object of
# median seconds per workload on stdout. CPU, float32, one thread.
#
#   /usr/bin/python3 bench/peers.py [--quick] [--only unroll,mlp,...] [--history 5] [--scaling adagrad]
import argparse
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)


def median_seconds(repeats, run):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(repeats, make):
    made = make()
    run, warm_up = made if isinstance(made, tuple) else (made, made)
    warm_up()  # as on our side: one run, or a short one where a run is long
    return {"seconds": median_seconds(repeats, run), "repeats": repeats}


# 1. The coordinatewise LSTM optimizer (policies/coordinatewise-lstm.ts): LogAndSign (p = 10)
# preprocessing, 2 LSTM layers of 20 units, a linear output × 0.1, the same weights for every
# coordinate. One 20-step unroll over 10,000 coordinates of the separable quadratic Σ a_i θ_i² / 2,
# forward + backward; the optimizee's gradient enters as a constant (no second derivatives).
class CoordinatewiseLstm(nn.Module):
    def __init__(self, hidden=20, layers=2, p=10.0, output_scale=0.1):
        super().__init__()
        self.p = p
        self.output_scale = output_scale
        self.hidden = hidden
        self.cells = nn.ModuleList([nn.LSTMCell(2 if l == 0 else hidden, hidden) for l in range(layers)])
        self.out = nn.Linear(hidden, 1)

    def initial_state(self, n):
        return [(torch.zeros(n, self.hidden), torch.zeros(n, self.hidden)) for _ in self.cells]

    def forward(self, gradient, state):
        column = gradient.unsqueeze(1)
        magnitude = torch.clamp(torch.log(column.abs()) / self.p, min=-1.0)
        sign = torch.clamp(column * math.exp(self.p), -1.0, 1.0)
        x = torch.cat([magnitude, sign], 1)
        next_state = []
        for cell, (h, c) in zip(self.cells, state):
            h, c = cell(x, (h, c))
            next_state.append((h, c))
            x = h
        return self.out(x).squeeze(1) * self.output_scale, next_state


def make_unroll(coordinates=10_000, steps=20):
    lstm = CoordinatewiseLstm()
    rng = np.random.default_rng(1)
    a = torch.from_numpy(rng.uniform(0.1, 2.0, coordinates).astype(np.float32))
    theta0 = torch.from_numpy(rng.standard_normal(coordinates).astype(np.float32))

    def run():
        theta = theta0
        gradient = a * theta
        state = lstm.initial_state(coordinates)
        meta_loss = torch.zeros(())
        for _ in range(steps):
            update, state = lstm(gradient, state)
            theta = theta + update
            meta_loss = meta_loss + 0.5 * (a * theta * theta).sum()
            gradient = (a * theta).detach()
        lstm.zero_grad(set_to_none=True)
        meta_loss.backward()

    return run


# 2. One SGD step of an MLP 784-48-10 (sigmoid hidden, softmax cross-entropy) at minibatch 64.
def make_mlp(batch=64):
    model = nn.Sequential(nn.Linear(784, 48), nn.Sigmoid(), nn.Linear(48, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(batch, 784)
    y = torch.randint(10, (batch,))

    def run():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()

    def warm_up():  # 100 steps, as on our side
        for _ in range(100):
            run()

    return run, warm_up


# 3. GPS distillation (policies/policy-network.ts PolicyNetwork.fit): μ = W2ᵀ[softplus(W1ᵀz + b1) −
# softplus(b1)], loss mean_i w_i ‖U_iᵀ(μ_i − target_i)‖², Adam, minibatch 64, then the full-data loss.
def distillation_data(rows=16_000, obs=23, out=3):
    rng = np.random.default_rng(3)
    observations = rng.standard_normal((rows, obs))
    targets = rng.standard_normal((rows, out))
    factors = np.triu(rng.standard_normal((rows, out, out)) * 0.3)
    diagonal = np.arange(out)
    factors[:, diagonal, diagonal] = np.abs(rng.standard_normal((rows, out))) + 0.5
    weights = rng.uniform(0.5, 1.5, rows)
    return observations, targets, factors, weights  # float64, as ours holds them before fit


def fit(data, iterations, batch=64, lr=1e-3, hidden=50):
    observations, targets, factors, weights = data
    n, obs_dim = observations.shape
    out = targets.shape[1]
    o_all = torch.from_numpy(observations.astype(np.float32))
    y_all = torch.from_numpy(targets.astype(np.float32))
    u_all = torch.from_numpy(factors.astype(np.float32))
    w_all = torch.from_numpy(weights.astype(np.float32))
    W1 = nn.Parameter(torch.randn(obs_dim, hidden) * math.sqrt(2 / (obs_dim + hidden)))
    b1 = nn.Parameter(torch.zeros(hidden))
    W2 = nn.Parameter(torch.randn(hidden, out) * 0.1 * math.sqrt(2 / (hidden + out)))
    optimizer = torch.optim.Adam([W1, b1, W2], lr=lr)

    def loss(o, y, U, w):
        mu = (F.softplus(o @ W1 + b1) - F.softplus(b1)) @ W2
        whitened = (U * (mu - y).unsqueeze(1)).sum(2)  # (Uᵀd)_a = Σ_b Uᵀ[a, b] d_b
        return (whitened.square().sum(1) * w).mean()

    for _ in range(iterations):
        idx = torch.randint(n, (batch,))
        optimizer.zero_grad(set_to_none=True)
        loss(o_all[idx], y_all[idx], u_all[idx], w_all[idx]).backward()
        optimizer.step()
    with torch.no_grad():
        return loss(o_all, y_all, u_all, w_all).item()


def make_distill(iterations):
    data = distillation_data()
    return (lambda: fit(data, iterations)), (lambda: fit(data, 20))


# 4. A per-coordinate learned step on the image-mlp "larger net" (100-200-10, ReLU, minibatch 64;
# 22,210 weights): the gradient of that MLP, each coordinate's 3H history features (gradient, step,
# relative change of f per lag; gradients AdaGrad-scaled where ours are), and the 3H-50-1 anchored
# softplus MLP applied to all coordinates at once. Against it, an SGD step with the same gradient.
class ImageMlpObjective:
    def __init__(self, inputs=100, hidden=200, classes=10, batch=64, pool=250):
        rng = np.random.default_rng(4)
        # Ours draws minibatches from the 250-image CIFAR-10 test split, projected to 100 dims.
        self.pool_x = torch.from_numpy(rng.standard_normal((pool, inputs)).astype(np.float32))
        self.pool_y = torch.from_numpy(rng.integers(classes, size=pool))
        self.model = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, classes))
        self.params = list(self.model.parameters())
        self.dim = sum(p.numel() for p in self.params)
        self.batch = batch

    def gradient(self):
        idx = torch.randint(self.pool_x.shape[0], (self.batch,))
        for p in self.params:
            p.grad = None
        loss = F.cross_entropy(self.model(self.pool_x[idx]), self.pool_y[idx])
        loss.backward()
        return loss.item(), torch.cat([p.grad.reshape(-1) for p in self.params])

    @torch.no_grad()
    def add(self, step):
        offset = 0
        for p in self.params:
            p.add_(step[offset : offset + p.numel()].view_as(p))
            offset += p.numel()


def make_learned_step(history, scaling, hidden=50):
    objective = ImageMlpObjective()
    n, H, features = objective.dim, history, 3 * history
    W1 = torch.randn(features, hidden) * math.sqrt(2 / (features + hidden))
    b1 = torch.zeros(hidden)
    W2 = torch.randn(hidden, 1) * 0.1 * math.sqrt(2 / (hidden + 1))
    scale = torch.ones(features)
    bound = torch.full((features,), 1e6)
    gradients = torch.zeros(H, n)
    steps = torch.zeros(H, n)
    changes = torch.zeros(H)
    squares = torch.zeros(n)
    previous = {"value": None, "step": torch.zeros(n)}

    @torch.no_grad()
    def scaled(g):
        if scaling != "adagrad":
            return g
        squares.add_(g * g)
        root = squares.sqrt()
        return torch.where(root > 0, g / root, torch.zeros_like(g))

    def run():
        value, g = objective.gradient()
        with torch.no_grad():
            gradients.copy_(torch.roll(gradients, 1, 0))
            gradients[0] = scaled(g)
            if previous["value"] is not None:
                steps.copy_(torch.roll(steps, 1, 0))
                steps[0] = previous["step"]
                changes.copy_(torch.roll(changes, 1, 0))
                changes[0] = (value - previous["value"]) / max(abs(previous["value"]), 1e-12)
            # [n, H, 3] → [n, 3H]: per lag, gradient, step, relative change.
            state = torch.stack([gradients.t(), steps.t(), changes.expand(n, H)], 2).reshape(n, features)
            z = torch.maximum(torch.minimum(state / scale, bound), -bound)
            step = ((F.softplus(z @ W1 + b1) - F.softplus(b1)) @ W2).squeeze(1)
            objective.add(step)
            previous["value"], previous["step"] = value, step

    return run


def make_sgd_step(lr=0.1):
    objective = ImageMlpObjective()

    def run():
        _, g = objective.gradient()
        objective.add(-lr * g)

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one timed run per workload (a smoke test)")
    parser.add_argument("--only", default="unroll,mlp,distill,learned-step,sgd-step")
    parser.add_argument("--history", type=int, default=5)
    parser.add_argument("--scaling", default="adagrad")
    args = parser.parse_args()
    quick = args.quick
    makers = {
        "unroll": (9, make_unroll),
        "mlp": (1000, make_mlp),
        "distill": (3, lambda: make_distill(1000)),
        "learned-step": (30, lambda: make_learned_step(args.history, args.scaling)),
        "sgd-step": (50, make_sgd_step),
    }
    results = {}
    for name in args.only.split(","):
        if name not in makers:
            continue
        repeats, make = makers[name]
        print(f"PyTorch: {name}", file=sys.stderr)
        results[name] = timed(1 if quick else repeats, make)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_libraries(), "workloads": results}))


def blas_libraries():
    """The BLAS shared objects this process has mapped (Debian's torch uses whichever libblas.so.3 is selected)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return sorted(paths)
    except OSError:
        return []


if __name__ == "__main__":
    main()
