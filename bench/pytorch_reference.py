#!/usr/bin/env python3
"""PyTorch baseline for bench/gpu_step: the same dense model (DESIGN.md) on the same GPU.

Token embedding; pre-norm blocks of RMSNorm -> causal multi-head attention (heads of 64, rotary
embeddings with "rotate half" pairing, theta 10000) -> residual, RMSNorm -> SwiGLU of hidden size
3*d_model -> residual; final RMSNorm; untied output projection; mean cross-entropy. Written
from scratch here; trained with bf16 autocast, scaled_dot_product_attention (flash attention on
Hopper), fused AdamW, and torch.compile when the installed PyTorch has it.

usage: python3 bench/pytorch_reference.py [--device cuda] [--steps 10] [--shapes 768x12,1024x16]
                                           [--seq 512,1024] [--tokens-per-step 16384] [--no-compile]
Prints, per shape, tokens/s, MFU against the H100 SXM's dense bf16 peak (989 TFLOP/s) with the
FLOP count of bench/gpu_step (6*N_act + 12*n_blocks*d_model*seq_len per token), and peak memory.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 50257


def bf16_peak(name):
    """Dense bf16 peak FLOP/s from NVIDIA's data sheets, as bench/gpu_step.cpp picks it."""
    if "H200" in name:
        return 835.5e12 if "NVL" in name else 989.4e12
    if "H100" in name:
        return 756.5e12 if "PCIe" in name else 835.5e12 if "NVL" in name else 989.4e12
    if "A100" in name:
        return 312e12
    return float("nan")


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.gain


def rotary_tables(seq, head_dim, device):
    half = head_dim // 2
    inv_freq = 10000.0 ** (-2.0 * torch.arange(half, dtype=torch.float64, device=device) / head_dim)
    angle = torch.arange(seq, dtype=torch.float64, device=device)[:, None] * inv_freq[None, :]
    return torch.cos(angle).float(), torch.sin(angle).float()


def rotate(x, cos, sin):  # x: [B, H, T, D], rotary in fp32
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half].float(), x[..., half:].float()
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).type_as(x)


def causal_attention(q, k, v):
    if hasattr(F, "scaled_dot_product_attention"):  # PyTorch 2: flash attention where it can
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    t = q.shape[-2]  # older PyTorch (Debian's 1.13, CPU checks only)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1) @ v


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.heads = d // 64
        self.attn_norm, self.ffn_norm = RMSNorm(d), RMSNorm(d)
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.w_gate, self.w_up = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, 3 * d, bias=False)
        self.w_down = nn.Linear(3 * d, d, bias=False)

    def forward(self, x, cos, sin):
        b, t, d = x.shape
        h = self.attn_norm(x)
        split = lambda y: y.view(b, t, self.heads, 64).transpose(1, 2)
        q, k, v = rotate(split(self.wq(h)), cos, sin), rotate(split(self.wk(h)), cos, sin), split(self.wv(h))
        a = causal_attention(q, k, v)
        x = x + self.wo(a.transpose(1, 2).reshape(b, t, d))
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Model(nn.Module):
    def __init__(self, d, blocks):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(blocks))
        self.final_norm = RMSNorm(d)
        self.lm_head = nn.Linear(d, VOCAB, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.trunc_normal_(p, std=0.1 / math.sqrt(p.shape[-1]) if p is not self.embedding.weight else 0.1)

    def forward(self, tokens, targets, cos, sin):
        x = self.embedding(tokens)
        for block in self.blocks:
            x = block(x, cos, sin)
        logits = self.lm_head(self.final_norm(x))
        return F.cross_entropy(logits.float().view(-1, VOCAB), targets.view(-1))


def bench(d, blocks, seq, batch, steps, device, compile_model):
    torch.manual_seed(1)
    model = Model(d, blocks).to(device)
    # Weights of matrix products, as gpu_step counts them: not the norm gains, not the input
    # embedding (a lookup).
    n_act = sum(p.numel() for p in model.parameters() if p.dim() > 1) - model.embedding.weight.numel()
    fused = device == "cuda"
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1,
                            **({"fused": True} if fused else {}))
    # One static graph per shape: with recompiles PyTorch would switch to dynamic shapes.
    run = torch.compile(model, dynamic=False) if compile_model and hasattr(torch, "compile") else model
    cos, sin = rotary_tables(seq, 64, device)
    tokens = (torch.arange(batch * seq, device=device) * 7919 % VOCAB).view(batch, seq)
    targets = ((torch.arange(batch * seq, device=device) * 104729 + 1) % VOCAB).view(batch, seq)
    autocast = torch.autocast(device_type=device, dtype=torch.bfloat16)

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast:
            loss = run(tokens, targets, cos, sin)
        loss.backward()
        opt.step()
        return loss

    try:
        for _ in range(2):  # compilation and warm-up
            step()
    except Exception as e:  # e.g. Triton cannot build its launcher on this machine
        if run is model:
            raise
        print(f"torch.compile failed ({type(e).__name__}: {str(e)[:200]}); timing eager mode", flush=True)
        run = model
        for _ in range(2):
            step()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tokens_per_second = batch * seq * steps / seconds
    flops_per_token = 6 * n_act + 12 * blocks * d * seq
    peak = bf16_peak(torch.cuda.get_device_name(0)) if device == "cuda" else float("nan")
    memory = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    print(f"d_model {d:4d} blocks {blocks:2d} seq {seq:4d} batch {batch:3d}: {tokens_per_second:9.0f} tokens/s, "
          f"MFU {100 * tokens_per_second * flops_per_token / peak:5.1f}% of bf16 peak, "
          f"peak GPU memory {memory:.1f} GiB (PyTorch {torch.__version__}, "
          f"{'compiled' if run is not model else 'eager'})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--shapes", default="768x12,1024x16")
    ap.add_argument("--seq", default="512,1024")
    ap.add_argument("--tokens-per-step", type=int, default=16384)
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        print(f"pytorch_reference on {torch.cuda.get_device_name(0)}")
    for shape in args.shapes.split(","):
        d, blocks = (int(v) for v in shape.split("x"))
        for seq in (int(s) for s in args.seq.split(",")):
            bench(d, blocks, seq, max(1, args.tokens_per_step // seq), args.steps, args.device, not args.no_compile)


if __name__ == "__main__":
    main()
