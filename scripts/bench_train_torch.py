#!/usr/bin/python3
"""bench_train_torch.py -- wall time of one training step in PyTorch (CPU, float32), the twin of
bench/bench_train.c; scripts/bench-train.sh runs both into results/train_step.csv.

The model is the encoder of tests/ref/gen_tfm_golden.py (the independent PyTorch implementation of
models/tfm.h used by the golden tests): its tensor table, activations (GeLU-erf, Quad = 0.125x^2 +
0.25x + 0.5) and attention normalisations (softmax; 2Quad = (s + 5)^2 zeroed at padded keys, divided
by the row sum) are imported from it; the forward is its forward() in float32 instead of float64,
with BERT's hidden dropout where models/tfm_backward.c applies it (embedding output, attention output
and FFN output projections before their residuals, the pooled vector; not the attention weights).

One step, as tfm_trainer_step runs it in task mode: forward (dropout 0.1), cross-entropy against
one-hot labels, autograd backward, torch.nn.utils.clip_grad_norm_ (1.0), torch.optim.AdamW (lr 1e-3,
betas 0.9/0.999, eps 1e-8, weight decay 0.01 on 2-D weights except LayerNorm). Model: vocabulary
8192, 512 positions, 2 token types (all 0), 2 labels, LayerNorm eps 1e-12, weights N(0, 0.02).
Inputs: random token ids from a fixed seed, id 2 first, no padding. W warm-up steps, then S timed
steps (time.perf_counter, CLOCK_MONOTONIC); median and min in ms.

Usage: /usr/bin/python3 scripts/bench_train_torch.py [--warmup W] [--steps S] [--threads N]
                                                     [--no-header] [--profile] [SPEC...]
  SPEC  L:C:NH:F:T:B:ACT:ATTN (as bench/bench_train.c), ACT gelu-erf|gelu-tanh|relu|quad,
        ATTN softmax|2relu|2quad
  --threads N  torch.set_num_threads(N) and OpenBLAS's threads (openblas_set_num_threads through
               ctypes: Debian's torch calls sgemm_ of the system OpenBLAS). With N > 1 two thread
               pools share the cores (torch's OpenMP, OpenBLAS's pthreads); libgomp's default
               spin-waiting then starves OpenBLAS (on 2 cores: steps 2-5x slower and erratic), so
               scripts/bench-train.sh runs this with OMP_WAIT_POLICY=PASSIVE (recorded in `blas`).
  --profile    torch.autograd.profiler table of one step per shape on stderr
Output (stdout): CSV rows as bench/bench_train.c's with impl = pytorch. Exit 3 if torch cannot be
imported (message on stderr), 2 on a usage error.
"""
import argparse
import ctypes
import ctypes.util
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the shell wrapper reports it and writes the C rows only
    sys.stderr.write("bench_train_torch: cannot import torch (%s); install Debian's python3-torch\n" % e)
    sys.exit(3)

sys.dont_write_bytecode = True  # no __pycache__ in tests/ref
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
import gen_tfm_golden as G  # noqa: E402

DROPOUT, CLIP, WD, LR, BETAS, EPS = 0.1, 1.0, 0.01, 1e-3, (0.9, 0.999), 1e-8
SEED = 1
ACTS = {"gelu-erf": G.ACT_GELU_ERF, "gelu-tanh": G.ACT_GELU_TANH, "relu": G.ACT_RELU, "quad": G.ACT_QUAD}
ATTNS = {"softmax": G.ATTN_SOFTMAX, "2relu": G.ATTN_2RELU, "2quad": G.ATTN_2QUAD}
DEFAULT_SPECS = ["2:128:2:512:128:16:gelu-erf:softmax", "2:128:2:512:128:16:quad:2quad",
                 "4:256:4:1024:256:16:gelu-erf:softmax", "4:256:4:1024:256:16:quad:2quad"]
HEADER = ("impl,layers,hidden,heads,ffn,seq,batch,act,attn,threads,step_ms_median,step_ms_min,steps,blas,"
          "torch_version")


def config(L, C, NH, Fi):
    """bert-mini's vocabulary and positions (models/tfm_params.c) with the benchmarked shape."""
    return dict(family=0, V=8192, C=C, L=L, NH=NH, F=Fi, P=512, TT=2, NL=2, pos_offset=0, ln_eps=1e-12,
                quad_a=0.125, quad_b=0.25, quad_c=0.5, quad2_c=5.0)


def make_params(c, gen):
    """float32 leaf tensors by name (tfm_params_init: N(0, 0.02) weights, zero biases, gamma 1)."""
    p = {}
    for name, shape in G.tensor_table(c, bn=False):
        if name.endswith("LayerNorm.weight"):
            x = torch.ones(shape)
        elif name.endswith(".bias"):
            x = torch.zeros(shape)
        else:
            x = torch.randn(shape, generator=gen) * 0.02
        p[name] = x.to(torch.float32).requires_grad_(True)
    return p


def ln(x, p, prefix, c):
    return F.layer_norm(x, (x.shape[-1],), p[prefix + ".weight"], p[prefix + ".bias"], c["ln_eps"])


def linear(x, p, prefix):
    return F.linear(x, p[prefix + ".weight"], p[prefix + ".bias"])


def forward(p, c, tokens, types, mask, act, attn, pdrop):
    """G.forward in float32 with LayerNorm and hidden dropout (training); returns the logits."""
    Bn, Tn = tokens.shape
    C, NH = c["C"], c["NH"]
    hs = C // NH
    pos = torch.arange(Tn) + c["pos_offset"]
    x = (F.embedding(tokens, p["bert.embeddings.word_embeddings.weight"])
         + F.embedding(pos, p["bert.embeddings.position_embeddings.weight"])[None]
         + F.embedding(types, p["bert.embeddings.token_type_embeddings.weight"]))
    x = F.dropout(ln(x, p, "bert.embeddings.LayerNorm", c), pdrop, True)
    keymask = mask.to(torch.float32)[:, None, None, :]
    additive = (1.0 - keymask) * G.MASK_VALUE
    for l in range(c["L"]):
        pre = "bert.encoder.layer.%d." % l

        def heads(y):
            return y.view(Bn, Tn, NH, hs).permute(0, 2, 1, 3)
        q = heads(linear(x, p, pre + "attention.self.query"))
        k = heads(linear(x, p, pre + "attention.self.key"))
        v = heads(linear(x, p, pre + "attention.self.value"))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs) + additive
        ctx = torch.matmul(G.normalise(s, keymask, c, attn), v).permute(0, 2, 1, 3).reshape(Bn, Tn, C)
        y = F.dropout(linear(ctx, p, pre + "attention.output.dense"), pdrop, True)
        x = ln(y + x, p, pre + "attention.output.LayerNorm", c)
        h = G.activation(linear(x, p, pre + "intermediate.dense"), c, act)
        y = F.dropout(linear(h, p, pre + "output.dense"), pdrop, True)
        x = ln(y + x, p, pre + "output.LayerNorm", c)
    pooled = F.dropout(torch.tanh(linear(x[:, 0], p, "bert.pooler.dense")), pdrop, True)
    return linear(pooled, p, "classifier")


def openblas():
    """The process's OpenBLAS (the one torch's libblas.so.3 forwards to), or None."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            pass
    return None


def parse_spec(s):
    try:
        f = s.split(":")
        if len(f) != 8 or f[6] not in ACTS or f[7] not in ATTNS:
            raise ValueError
        L, C, NH, Fi, T, B = (int(v) for v in f[:6])
        if min(L, C, NH, Fi, B) < 1 or C % NH or not 2 <= T <= 512:
            raise ValueError
        return L, C, NH, Fi, T, B, f[6], f[7]
    except ValueError:
        raise argparse.ArgumentTypeError("shape '%s': expected L:C:NH:F:T:B:ACT:ATTN, e.g. "
                                         "2:128:2:512:128:16:gelu-erf:softmax" % s)


def run(spec, warmup, steps, prof):
    L, C, NH, Fi, T, B, act_name, attn_name = spec
    c = config(L, C, NH, Fi)
    act, attn = ACTS[act_name], ATTNS[attn_name]
    gen = torch.Generator().manual_seed(SEED)
    p = make_params(c, gen)
    names = [n for n, _ in G.tensor_table(c, bn=False)]
    decay = [p[n] for n in names if p[n].dim() == 2 and "LayerNorm" not in n]
    nodecay = [p[n] for n in names if not (p[n].dim() == 2 and "LayerNorm" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=EPS)
    params = [p[n] for n in names]
    tokens = torch.randint(1, c["V"], (B, T), generator=gen)
    tokens[:, 0] = 2
    types = torch.zeros(B, T, dtype=torch.long)
    mask = torch.ones(B, T, dtype=torch.long)
    q = F.one_hot(torch.randint(0, c["NL"], (B,), generator=gen), c["NL"]).to(torch.float32)
    torch.manual_seed(SEED)  # dropout masks

    def step():
        opt.zero_grad()
        logits = forward(p, c, tokens, types, mask, act, attn, DROPOUT)
        loss = -(q * F.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        return float(loss)

    ms, loss = [], 0.0
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        loss = step()
        t1 = time.perf_counter()
        if i >= warmup:
            ms.append(1e3 * (t1 - t0))
    med, mn = statistics.median(ms), min(ms)
    sys.stderr.write("pytorch: L%d C%d NH%d F%d T%d B%d %s+%s: median %.1f ms, min %.1f ms over %d steps "
                     "(loss %.4f)\n" % (L, C, NH, Fi, T, B, act_name, attn_name, med, mn, steps, loss))
    if prof:
        with torch.autograd.profiler.profile() as pr:
            step()
        sys.stderr.write(pr.key_averages().table(sort_by="self_cpu_time_total", row_limit=15) + "\n")
    return med, mn


def main():
    ap = argparse.ArgumentParser(description="PyTorch training-step time (twin of bench/bench_train.c)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="torch and OpenBLAS threads (default: as is)")
    ap.add_argument("--no-header", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("specs", nargs="*", type=parse_spec)
    a = ap.parse_args()
    if a.warmup < 0 or a.steps < 1 or a.threads < 0:
        ap.error("--warmup >= 0, --steps >= 1, --threads >= 0")
    specs = a.specs or [parse_spec(s) for s in DEFAULT_SPECS]
    ob = openblas()
    if a.threads:
        torch.set_num_threads(a.threads)
        if ob is not None:
            ob.openblas_set_num_threads(a.threads)
    threads = torch.get_num_threads()
    ct = os.environ.get("OPENBLAS_CORETYPE") or "(unset)"
    wp = os.environ.get("OMP_WAIT_POLICY") or "(unset)"
    if ob is not None:
        blas = "openblas core=%s OPENBLAS_CORETYPE=%s OMP_WAIT_POLICY=%s" % (ob.openblas_get_corename().decode(),
                                                                           ct, wp)
        blas_threads = ob.openblas_get_num_threads()
    else:
        blas, blas_threads = "unknown OMP_WAIT_POLICY=%s" % wp, -1
    sys.stderr.write("pytorch %s: %s, %d torch thread(s), %d OpenBLAS thread(s), %d warm-up + %d timed steps "
                     "per shape\n" % (torch.__version__, blas, threads, blas_threads, a.warmup, a.steps))
    if not a.no_header:
        print(HEADER)
    for spec in specs:
        med, mn = run(spec, a.warmup, a.steps, a.profile)
        print("pytorch,%d,%d,%d,%d,%d,%d,%s,%s,%d,%.2f,%.2f,%d,%s,%s" %
              (*spec, threads, med, mn, a.steps, blas, torch.__version__), flush=True)


if __name__ == "__main__":
    main()
