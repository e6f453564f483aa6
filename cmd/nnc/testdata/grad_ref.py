# Reference gradients for cmd/nnc's grad test, computed by PyTorch in float64.
# Run with /usr/bin/python3 (Debian python3-torch); writes grad_ref.json.
import json
import torch

x = torch.tensor([[0.5, -1.0, 0.25, 2.0],
                  [1.5, 0.75, -0.5, -2.0],
                  [-0.25, 1.25, 1.0, 0.1]], dtype=torch.float64, requires_grad=True)
W = torch.tensor([[0.3, -0.2],
                  [0.1, 0.4],
                  [-0.5, 0.25],
                  [0.2, -0.1]], dtype=torch.float64, requires_grad=True)
y = (torch.tanh(x @ W) ** 2).sum()
y.backward()
out = {
    "x": x.detach().tolist(),
    "W": W.detach().tolist(),
    "out": y.item(),
    "grad_x": x.grad.flatten().tolist(),
    "grad_W": W.grad.flatten().tolist(),
    "torch": torch.__version__,
}
with open("grad_ref.json", "w") as f:
    json.dump(out, f, indent=1)
