#!/usr/bin/python3
"""gen_tfm_golden.py -- golden values for the plaintext Transformer forward pass (models/tfm_forward.c).

An independent PyTorch implementation of the encoder documented in models/tfm.h (BERT with the
sequence-classification head and MPCFormer's approximations), written with torch.nn.functional ops.
It builds bert-tiny-shaped random weights from a fixed torch seed, runs a batch of 2 sequences of 12
tokens (the second padded) through several variants, and writes tests/ref/tfm_golden.bin, which
tests/test_tfm_forward.c reads.

Run:  /usr/bin/python3 tests/ref/gen_tfm_golden.py [out.bin]     (Debian python3-torch 1.13)

Computation: parameters are drawn, rounded to float32 (what the file stores and C uses), and the
forward pass runs in float64 from those float32 values; outputs are rounded to float32 on writing.

Weights (deliberately NOT BERT's init everywhere, so the test is sensitive): embedding tables
N(0, 0.02) (LayerNorm follows them); dense weights N(0, 0.2) -- with 0.02 the attention scores have std
~0.01 (softmax ~ uniform) and GeLU-erf vs GeLU-tanh differ by ~1e-5, below the test tolerance; biases
N(0, 0.2); LayerNorm gamma U(0.5, 1.5), beta N(0, 0.2); BatchNorm running_mean N(0, 0.5),
running_var U(0.5, 2). All variants share the same weights; the batchnorm variant adds running stats
(drawn after all other tensors, so the shared tensors are identical).

Inputs: tokens random in [1, V) with 2 ([CLS]-like) first; sequence 1 has its last 4 tokens padded
(mask 0, token 0); token types mixed 0/1. Position ids are pos_offset + t with pos_offset = 2 here (not
bert-tiny's 0) so that a missing offset is caught.

File format (all little-endian), version 1 (one script version = one header version):
  int32  header[32]:  [0] magic 0x54464D47, [1] version = 1, [2] family (0 = BERT), [3] V, [4] C,
                      [5] L, [6] NH, [7] F, [8] P, [9] TT, [10] NL, [11] pos_offset, [12] B, [13] T,
                      [14] n_variants, [15..31] 0
  float64 fheader[8]: [0] ln_eps, [1] quad_a, [2] quad_b, [3] quad_c, [4] quad2_c, [5] 2ReLU eps,
                      [6] additive mask value (-1e4), [7] 0
  int32  tokens[B*T], types[B*T], mask[B*T]          (mask 1 = real token, 0 = padding)
  n_variants times:
    int32  act, attn, norm, n_tensors               (enums of models/tfm.h)
    n_tensors times, in the exact order of tfm_tensor_table() for that norm:
      char   name[96]  (Hugging Face name, NUL padded)
      int32  ndim, shape[2]  (shape[1] = 0 when ndim = 1)
      float32 data[shape[0] * max(shape[1], 1)]      (row-major, Linear weights [out, in])
    float32 hidden[(L+1) * B * T * C]  embedding output (after its norm), then each layer's output
    float32 scores[L * B * NH * T * T] pre-normalisation QK^T/sqrt(hs) + (-1e4 at padded keys)
    float32 logits[B * NL]
"""
import math
import struct
import sys

import torch
import torch.nn.functional as F

SCRIPT_VERSION = 1
MAGIC = 0x54464D47
NAME_LEN = 96

ACT_GELU_ERF, ACT_GELU_TANH, ACT_RELU, ACT_QUAD = 0, 1, 2, 3
ATTN_SOFTMAX, ATTN_2RELU, ATTN_2QUAD = 0, 1, 2
NORM_LAYERNORM, NORM_BATCHNORM = 0, 1

# bert-tiny (models/tfm_params.c), with a non-zero position offset (see above).
CFG = dict(family=0, V=100, C=32, L=2, NH=2, F=64, P=64, TT=2, NL=2, pos_offset=2, ln_eps=1e-12,
           quad_a=0.125, quad_b=0.25, quad_c=0.5, quad2_c=5.0)
RELU2_EPS = 1e-12
MASK_VALUE = -1e4
B, T = 2, 12
N_PAD = 4  # padded tail of sequence 1

VARIANTS = [
    (ACT_GELU_ERF, ATTN_SOFTMAX, NORM_LAYERNORM),
    (ACT_GELU_TANH, ATTN_SOFTMAX, NORM_LAYERNORM),
    (ACT_QUAD, ATTN_2QUAD, NORM_LAYERNORM),
    (ACT_QUAD, ATTN_2RELU, NORM_LAYERNORM),
    (ACT_RELU, ATTN_SOFTMAX, NORM_BATCHNORM),
]


# ---- the tensor table (mirrors walk() in models/tfm_params.c) ----

def tensor_table(c, bn):
    """[(name, shape)] in tfm_tensor_table order for a BERT-family config."""
    C, Fi = c["C"], c["F"]
    t = [("bert.embeddings.word_embeddings.weight", (c["V"], C)),
         ("bert.embeddings.position_embeddings.weight", (c["P"], C)),
         ("bert.embeddings.token_type_embeddings.weight", (c["TT"], C)),
         ("bert.embeddings.LayerNorm.weight", (C,)),
         ("bert.embeddings.LayerNorm.bias", (C,))]
    if bn:
        t += [("bert.embeddings.LayerNorm.running_mean", (C,)),
              ("bert.embeddings.LayerNorm.running_var", (C,))]
    for l in range(c["L"]):
        p = "bert.encoder.layer.%d." % l
        t += [(p + "attention.self.query.weight", (C, C)), (p + "attention.self.query.bias", (C,)),
              (p + "attention.self.key.weight", (C, C)), (p + "attention.self.key.bias", (C,)),
              (p + "attention.self.value.weight", (C, C)), (p + "attention.self.value.bias", (C,)),
              (p + "attention.output.dense.weight", (C, C)), (p + "attention.output.dense.bias", (C,)),
              (p + "attention.output.LayerNorm.weight", (C,)), (p + "attention.output.LayerNorm.bias", (C,))]
        if bn:
            t += [(p + "attention.output.LayerNorm.running_mean", (C,)),
                  (p + "attention.output.LayerNorm.running_var", (C,))]
        t += [(p + "intermediate.dense.weight", (Fi, C)), (p + "intermediate.dense.bias", (Fi,)),
              (p + "output.dense.weight", (C, Fi)), (p + "output.dense.bias", (C,)),
              (p + "output.LayerNorm.weight", (C,)), (p + "output.LayerNorm.bias", (C,))]
        if bn:
            t += [(p + "output.LayerNorm.running_mean", (C,)), (p + "output.LayerNorm.running_var", (C,))]
    t += [("bert.pooler.dense.weight", (C, C)), ("bert.pooler.dense.bias", (C,)),
          ("classifier.weight", (c["NL"], C)), ("classifier.bias", (c["NL"],))]
    return t


def make_params(c, gen):
    """Float32 tensors by name: the layernorm table, then the BatchNorm running stats."""
    p = {}
    for name, shape in tensor_table(c, bn=False):
        if "embeddings" in name and name.endswith("embeddings.weight"):
            x = torch.randn(shape, generator=gen) * 0.02
        elif name.endswith("LayerNorm.weight"):
            x = torch.rand(shape, generator=gen) + 0.5
        elif name.endswith(".bias"):
            x = torch.randn(shape, generator=gen) * 0.2
        else:
            x = torch.randn(shape, generator=gen) * 0.2
        p[name] = x.to(torch.float32)
    for name, shape in tensor_table(c, bn=True):
        if name.endswith("running_mean"):
            p[name] = (torch.randn(shape, generator=gen) * 0.5).to(torch.float32)
        elif name.endswith("running_var"):
            p[name] = (torch.rand(shape, generator=gen) * 1.5 + 0.5).to(torch.float32)
    return p


# ---- the model (float64) ----

def norm(x, p, prefix, c, kind):
    g, b = p[prefix + ".weight"].double(), p[prefix + ".bias"].double()
    if kind == NORM_LAYERNORM:
        return F.layer_norm(x, (x.shape[-1],), g, b, c["ln_eps"])
    mu, var = p[prefix + ".running_mean"].double(), p[prefix + ".running_var"].double()
    return F.batch_norm(x.reshape(-1, x.shape[-1]), mu, var, g, b, training=False,
                        eps=c["ln_eps"]).reshape(x.shape)


def linear(x, p, prefix):
    return F.linear(x, p[prefix + ".weight"].double(), p[prefix + ".bias"].double())


def activation(x, c, act):
    if act == ACT_GELU_ERF:
        return F.gelu(x)
    if act == ACT_GELU_TANH:
        return F.gelu(x, approximate="tanh")
    if act == ACT_RELU:
        return F.relu(x)
    return c["quad_a"] * x * x + c["quad_b"] * x + c["quad_c"]


def normalise(s, keymask, c, attn):
    """s: [B,NH,T,Tk] scores incl. additive mask; keymask: [B,1,1,Tk] 1 = real key."""
    if attn == ATTN_SOFTMAX:
        return F.softmax(s, dim=-1)
    if attn == ATTN_2QUAD:
        e = (s + c["quad2_c"]) ** 2 * keymask
        return e / e.sum(dim=-1, keepdim=True)
    r = F.relu(s)
    return (r + RELU2_EPS / s.shape[-1]) / (r.sum(dim=-1, keepdim=True) + RELU2_EPS)


def forward(p, c, tokens, types, mask, act, attn, nrm):
    Bn, Tn = tokens.shape
    C, NH = c["C"], c["NH"]
    hs = C // NH
    pos = torch.arange(Tn) + c["pos_offset"]
    x = (F.embedding(tokens, p["bert.embeddings.word_embeddings.weight"].double())
         + F.embedding(pos, p["bert.embeddings.position_embeddings.weight"].double())[None]
         + F.embedding(types, p["bert.embeddings.token_type_embeddings.weight"].double()))
    x = norm(x, p, "bert.embeddings.LayerNorm", c, nrm)
    hidden, scores = [x], []
    keymask = mask.double()[:, None, None, :]
    additive = (1.0 - keymask) * MASK_VALUE
    for l in range(c["L"]):
        pre = "bert.encoder.layer.%d." % l

        def heads(y):
            return y.view(Bn, Tn, NH, hs).permute(0, 2, 1, 3)
        q = heads(linear(x, p, pre + "attention.self.query"))
        k = heads(linear(x, p, pre + "attention.self.key"))
        v = heads(linear(x, p, pre + "attention.self.value"))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs) + additive
        scores.append(s)
        ctx = torch.matmul(normalise(s, keymask, c, attn), v).permute(0, 2, 1, 3).reshape(Bn, Tn, C)
        x = norm(linear(ctx, p, pre + "attention.output.dense") + x, p, pre + "attention.output.LayerNorm", c, nrm)
        h = activation(linear(x, p, pre + "intermediate.dense"), c, act)
        x = norm(linear(h, p, pre + "output.dense") + x, p, pre + "output.LayerNorm", c, nrm)
        hidden.append(x)
    pooled = torch.tanh(linear(x[:, 0], p, "bert.pooler.dense"))
    logits = linear(pooled, p, "classifier")
    return torch.stack(hidden), torch.stack(scores), logits


# ---- writing ----

def f32bytes(x):
    return x.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()


def i32bytes(x):
    return x.to(torch.int32).contiguous().numpy().astype("<i4").tobytes()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/tfm_golden.bin"
    c = CFG
    gen = torch.Generator().manual_seed(20240611)
    p = make_params(c, gen)
    tokens = torch.randint(1, c["V"], (B, T), generator=gen)
    tokens[:, 0] = 2
    types = torch.zeros(B, T, dtype=torch.long)
    types[0, T // 2:] = 1
    types[1, 3:6] = 1
    types[1, 9] = 1
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, T - N_PAD:] = 0
    tokens[1, T - N_PAD:] = 0

    buf = bytearray()
    hdr = [MAGIC, SCRIPT_VERSION, c["family"], c["V"], c["C"], c["L"], c["NH"], c["F"], c["P"], c["TT"],
           c["NL"], c["pos_offset"], B, T, len(VARIANTS)]
    buf += struct.pack("<32i", *(hdr + [0] * (32 - len(hdr))))
    buf += struct.pack("<8d", c["ln_eps"], c["quad_a"], c["quad_b"], c["quad_c"], c["quad2_c"], RELU2_EPS,
                       MASK_VALUE, 0.0)
    buf += i32bytes(tokens) + i32bytes(types) + i32bytes(mask)
    for act, attn, nrm in VARIANTS:
        table = tensor_table(c, bn=nrm == NORM_BATCHNORM)
        buf += struct.pack("<4i", act, attn, nrm, len(table))
        for name, shape in table:
            assert tuple(p[name].shape) == shape
            nb = name.encode()
            assert len(nb) < NAME_LEN
            buf += nb + b"\0" * (NAME_LEN - len(nb))
            buf += struct.pack("<3i", len(shape), shape[0], shape[1] if len(shape) == 2 else 0)
            buf += f32bytes(p[name])
        with torch.no_grad():
            hidden, scores, logits = forward(p, c, tokens, types, mask, act, attn, nrm)
        assert torch.isfinite(hidden).all() and torch.isfinite(logits).all()
        buf += f32bytes(hidden) + f32bytes(scores) + f32bytes(logits)
        print("variant act=%d attn=%d norm=%d: |hidden|max %.3f, logits %s" %
              (act, attn, nrm, float(hidden.abs().max()), [round(float(v), 5) for v in logits.flatten()]))
    with open(out, "wb") as f:
        f.write(buf)
    print("wrote %s (%d bytes, version %d)" % (out, len(buf), SCRIPT_VERSION))


if __name__ == "__main__":
    main()
