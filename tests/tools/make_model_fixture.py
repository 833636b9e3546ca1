#!/usr/bin/python3
"""Writes tests/fixtures/model_reference.json: an independent PyTorch reference for the C++ model.

The architecture of DESIGN.md is written here from scratch in PyTorch (float64): token embedding,
pre-norm blocks (RMSNorm -> causal multi-head attention with rotary embeddings -> residual;
RMSNorm -> SwiGLU feed-forward of hidden size 3*d_model -> residual), final RMSNorm, untied output
projection, mean cross-entropy over positions whose target is not -1.

Weights are integers k standing for k / WEIGHT_DENOMINATOR, so both sides load exactly the same
values in float and in double, and the file stays small. The fixture holds the weights by tensor
name, the tokens and targets, the loss, and a few gradient entries of every tensor.

Needs PyTorch (Debian: apt-get install -y python3-torch). CI does not run this script; it only
reads the committed fixture. Run: /usr/bin/python3 tests/tools/make_model_fixture.py
"""
import json
import math
import pathlib

import torch

D_MODEL, N_BLOCKS, N_HEADS, HEAD_DIM, VOCAB, SEQ_LEN, BATCH = 16, 2, 2, 8, 50, 8, 2
FFN = 3 * D_MODEL
NORM_EPS = 1e-5
ROPE_THETA = 10000.0
WEIGHT_DENOMINATOR = 4096
SEED = 20240520

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "model_reference.json"


def tensor_shapes():
    """Names and shapes, matching the C++ ParameterTable (order does not matter here)."""
    shapes = {"tok_embedding": (VOCAB, D_MODEL)}
    for b in range(N_BLOCKS):
        p = f"blocks.{b}."
        shapes[p + "attn_norm"] = (D_MODEL,)
        for w in ("wq", "wk", "wv", "wo"):
            shapes[p + w] = (D_MODEL, D_MODEL)
        shapes[p + "ffn_norm"] = (D_MODEL,)
        shapes[p + "w_gate"] = (FFN, D_MODEL)
        shapes[p + "w_up"] = (FFN, D_MODEL)
        shapes[p + "w_down"] = (D_MODEL, FFN)
    shapes["final_norm"] = (D_MODEL,)
    shapes["lm_head"] = (VOCAB, D_MODEL)
    return shapes


def make_integer_weights(gen):
    """Random integer weights: std 1/sqrt(fan_in) for matrices, gains near 1 (so they matter)."""
    ints = {}
    for name, shape in tensor_shapes().items():
        if len(shape) == 1:
            values = 1.0 + 0.2 * torch.randn(shape, generator=gen, dtype=torch.float64)
        else:
            values = torch.randn(shape, generator=gen, dtype=torch.float64) / math.sqrt(shape[1])
        ints[name] = torch.round(values * WEIGHT_DENOMINATOR).to(torch.int64)
    return ints


def rms_norm(x, gain):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + NORM_EPS) * gain


def rotary(x):
    """x: [B, T, H, D]; dimension i pairs with i + D/2, angle t * theta^(-2i/D)."""
    _, t_len, _, d = x.shape
    half = d // 2
    inv_freq = ROPE_THETA ** (-2.0 * torch.arange(half, dtype=torch.float64) / d)
    angle = torch.arange(t_len, dtype=torch.float64)[:, None] * inv_freq[None, :]  # [T, half]
    cos, sin = torch.cos(angle)[None, :, None, :], torch.sin(angle)[None, :, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def attention(x, w, prefix):
    b, t, c = x.shape
    q = rotary((x @ w[prefix + "wq"].T).view(b, t, N_HEADS, HEAD_DIM)).transpose(1, 2)
    k = rotary((x @ w[prefix + "wk"].T).view(b, t, N_HEADS, HEAD_DIM)).transpose(1, 2)
    v = (x @ w[prefix + "wv"].T).view(b, t, N_HEADS, HEAD_DIM).transpose(1, 2)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM)
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    probs = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
    out = (probs @ v).transpose(1, 2).reshape(b, t, c)
    return out @ w[prefix + "wo"].T


def swiglu(x, w, prefix):
    gate = x @ w[prefix + "w_gate"].T
    up = x @ w[prefix + "w_up"].T
    return (torch.nn.functional.silu(gate) * up) @ w[prefix + "w_down"].T


def model_loss(w, tokens, targets):
    x = w["tok_embedding"][tokens]
    for b in range(N_BLOCKS):
        p = f"blocks.{b}."
        x = x + attention(rms_norm(x, w[p + "attn_norm"]), w, p)
        x = x + swiglu(rms_norm(x, w[p + "ffn_norm"]), w, p)
    logits = rms_norm(x, w["final_norm"]) @ w["lm_head"].T
    return torch.nn.functional.cross_entropy(logits.view(-1, VOCAB), targets.view(-1), ignore_index=-1)


def main():
    gen = torch.Generator().manual_seed(SEED)
    ints = make_integer_weights(gen)
    weights = {n: (k.to(torch.float64) / WEIGHT_DENOMINATOR).requires_grad_(True) for n, k in ints.items()}
    tokens = torch.randint(0, VOCAB, (BATCH, SEQ_LEN), generator=gen)
    targets = torch.randint(0, VOCAB, (BATCH, SEQ_LEN), generator=gen)
    targets[0, 3] = -1  # a position without a loss
    loss = model_loss(weights, tokens, targets)
    loss.backward()

    gradients = []
    for name, w in weights.items():
        g = w.grad.reshape(-1)
        picks = sorted({0, g.numel() // 2 + 1, g.numel() - 1, int(torch.argmax(g.abs()))})
        gradients += [{"tensor": name, "index": i, "value": float(g[i])} for i in picks]

    fixture = {
        "about": "PyTorch float64 reference for the dense model; written by tests/tools/make_model_fixture.py",
        "torch_version": torch.__version__,
        "dims": {"d_model": D_MODEL, "n_blocks": N_BLOCKS, "n_heads": N_HEADS, "head_dim": HEAD_DIM,
                 "vocab_size": VOCAB, "seq_len": SEQ_LEN},
        "norm_eps": NORM_EPS,
        "rope_theta": ROPE_THETA,
        "batch": BATCH,
        "tokens": tokens.reshape(-1).tolist(),
        "targets": targets.reshape(-1).tolist(),
        "weight_denominator": WEIGHT_DENOMINATOR,
        "weights": {n: k.reshape(-1).tolist() for n, k in ints.items()},
        "loss": float(loss),
        "gradients": gradients,
    }
    # json writes floats with repr(), the shortest text that reads back to the same double.
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), loss {float(loss)!r}")


if __name__ == "__main__":
    main()
