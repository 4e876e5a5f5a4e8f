#!/usr/bin/python3
"""gen_train_golden.py -- golden values for two training steps (models/tfm_train.c, tfm_trainer_step).

An independent PyTorch implementation: the encoder of gen_tfm_golden.py (imported from beside this
file: embeddings, LayerNorm, attention with softmax/2ReLU/2Quad, GeLU/ReLU/Quad, pooler, classifier),
differentiated by autograd in float64, with torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW.
It writes tests/ref/train_golden.bin, which tests/test_tfm_train.c reads.

Run:  /usr/bin/python3 tests/ref/gen_train_golden.py [out.bin]     (Debian python3-torch 1.13)

Setting: a small BERT (V 30, C 16, 2 layers, 2 heads, F 32, P 16, 2 labels, position offset 0,
LayerNorm eps 1e-12), weights drawn as gen_tfm_golden.py draws them (dense N(0, 0.2), embeddings
N(0, 0.02), LayerNorm gamma U(0.5, 1.5)), rounded to float32. A batch of B = 3 sequences of T = 8
tokens (sequence 1 has 3 padded keys, sequence 2 has 5), token types 0. Two optimiser steps on that
same batch, each: loss, gradient, clip to global L2 norm 1.0, AdamW (lr 1e-2, betas 0.9/0.999, eps
1e-8, weight decay 0.01 on 2-D tensors except LayerNorm; none on biases and LayerNorm).
Losses (one variant each):
  mode 0 TASK  cross-entropy against targets q (one-hot labels, or a soft distribution)
  mode 1 KD1   MPCFormer stage 1 against a teacher = the same initial weights with GeLU-erf + softmax:
               sum over layers of MSE(student scores, teacher scores) with entries where the teacher
               score <= -100 set to 0 in both, plus sum over the L+1 hidden states of MSE
  mode 2 KD2   soft cross-entropy against softmax(teacher logits) (temperature 1)

File format (little-endian), version 1:
  int32  header[16]: [0] magic 0x54464D54, [1] version 1, [2] V, [3] C, [4] L, [5] NH, [6] F, [7] P,
                     [8] NL, [9] B, [10] T, [11] n_variants, [12] n_params (floats in the block), 0...
  float64 fheader[8]: lr, beta1, beta2, eps, weight_decay, clip, 0, 0
  int32  tokens[B*T], mask[B*T]
  float32 init[n_params]      the initial block, in tfm_tensor_table order (LayerNorm table)
  n_variants times:
    int32  act, attn, mode, 0
    float32 q[B*NL]           targets (mode 0)
    float64 loss[2], grad_norm[2]   per step: the loss before the update and the norm before clipping
    float32 grad1[n_params]   the gradient of step 1 before clipping
    float32 after2[n_params]  the parameters after step 2
"""
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in tests/ref
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_tfm_golden as G  # noqa: E402

SCRIPT_VERSION = 1
MAGIC = 0x54464D54
CFG = dict(family=0, V=30, C=16, L=2, NH=2, F=32, P=16, TT=2, NL=2, pos_offset=0, ln_eps=1e-12,
           quad_a=0.125, quad_b=0.25, quad_c=0.5, quad2_c=5.0)
B, T = 3, 8
LR, BETAS, EPS, WD, CLIP = 1e-2, (0.9, 0.999), 1e-8, 0.01, 1.0
TASK, KD1, KD2 = 0, 1, 2
VARIANTS = [  # act, attn, mode, soft targets
    (G.ACT_GELU_ERF, G.ATTN_SOFTMAX, TASK, False),
    (G.ACT_QUAD, G.ATTN_2QUAD, TASK, True),
    (G.ACT_GELU_TANH, G.ATTN_2RELU, TASK, False),
    (G.ACT_QUAD, G.ATTN_2QUAD, KD1, False),
    (G.ACT_QUAD, G.ATTN_2QUAD, KD2, False),
]


def loss_of(p, tp, tokens, types, mask, act, attn, mode, q):
    c = CFG
    hidden, scores, logits = G.forward(p, c, tokens, types, mask, act, attn, G.NORM_LAYERNORM)
    if mode == TASK:
        return -(q * F.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    with torch.no_grad():
        th, ts, tl = G.forward(tp, c, tokens, types, mask, G.ACT_GELU_ERF, G.ATTN_SOFTMAX, G.NORM_LAYERNORM)
    if mode == KD2:
        return -(F.softmax(tl, dim=-1) * F.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    loss = 0.0
    for l in range(c["L"]):
        keep = ts[l] > -100.0
        loss = loss + F.mse_loss(torch.where(keep, scores[l], torch.zeros_like(scores[l])),
                                 torch.where(keep, ts[l], torch.zeros_like(ts[l])))
    for l in range(c["L"] + 1):
        loss = loss + F.mse_loss(hidden[l], th[l])
    return loss


def flat(ts):
    return torch.cat([t.detach().reshape(-1) for t in ts])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "train_golden.bin")
    c = CFG
    gen = torch.Generator().manual_seed(20241123)
    p32 = G.make_params(c, gen)
    table = G.tensor_table(c, bn=False)
    names = [n for n, _ in table]
    tokens = torch.randint(1, c["V"], (B, T), generator=gen)
    tokens[:, 0] = 2
    types = torch.zeros(B, T, dtype=torch.long)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, T - 3:] = 0
    mask[2, T - 5:] = 0
    tokens[mask == 0] = 0
    labels = torch.tensor([1, 0, 1])
    n_params = sum(p32[n].numel() for n in names)

    buf = bytearray()
    hdr = [MAGIC, SCRIPT_VERSION, c["V"], c["C"], c["L"], c["NH"], c["F"], c["P"], c["NL"], B, T, len(VARIANTS),
           n_params]
    buf += struct.pack("<16i", *(hdr + [0] * (16 - len(hdr))))
    buf += struct.pack("<8d", LR, BETAS[0], BETAS[1], EPS, WD, CLIP, 0.0, 0.0)
    buf += G.i32bytes(tokens) + G.i32bytes(mask)
    buf += G.f32bytes(flat([p32[n] for n in names]))
    tp = {n: p32[n].double() for n in names}  # the teacher: initial weights, GeLU-erf + softmax
    for act, attn, mode, soft in VARIANTS:
        if soft:
            q = torch.tensor([[0.2, 0.8], [0.7, 0.3], [0.5, 0.5]], dtype=torch.float64)
        else:
            q = F.one_hot(labels, c["NL"]).double()
        q = q.to(torch.float32).double()
        p = {n: p32[n].double().clone().requires_grad_(True) for n in names}
        decay = [p[n] for n in names if p[n].dim() == 2 and "LayerNorm" not in n]
        nodecay = [p[n] for n in names if not (p[n].dim() == 2 and "LayerNorm" not in n)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": nodecay, "weight_decay": 0.0}],
                                lr=LR, betas=BETAS, eps=EPS)
        losses, norms, grad1 = [], [], None
        for step in range(2):
            opt.zero_grad()
            loss = loss_of(p, tp, tokens, types, mask, act, attn, mode, q)
            loss.backward()
            for n in names:  # unused rows (embeddings) get no .grad from F.embedding? they get zeros
                if p[n].grad is None:
                    p[n].grad = torch.zeros_like(p[n])
            if step == 0:
                grad1 = flat([p[n].grad for n in names])
            norms.append(float(torch.nn.utils.clip_grad_norm_([p[n] for n in names], CLIP)))
            losses.append(float(loss))
            opt.step()
        buf += struct.pack("<4i", act, attn, mode, 0)
        buf += G.f32bytes(q)
        buf += struct.pack("<4d", losses[0], losses[1], norms[0], norms[1])
        buf += G.f32bytes(grad1) + G.f32bytes(flat([p[n] for n in names]))
        print("variant act=%d attn=%d mode=%d: loss %.6f -> %.6f, |grad| %.4f, %.4f" %
              (act, attn, mode, losses[0], losses[1], norms[0], norms[1]))
    with open(out, "wb") as f:
        f.write(buf)
    print("wrote %s (%d bytes, version %d, %d parameters)" % (out, len(buf), SCRIPT_VERSION, n_params))


if __name__ == "__main__":
    main()
