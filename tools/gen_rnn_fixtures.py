#!/usr/bin/env python3
"""Fixtures and a benchmark for ember's recurrent layers (tests/test_rnn.cpp), from PyTorch 1.13.

Writes tests/fixtures/rnn.txt: for each case the input, the initial state (when given), every
parameter (set deterministically), the outputs, the upstream gradients and the gradients of the
input, state and parameters, all float64 references of float32-exact values; and
tests/fixtures/pt/lstm_state_dict.pt + lstm_io.pt (a PyTorch LSTM's state_dict, an input and its
outputs).

usage: /usr/bin/python3 tools/gen_rnn_fixtures.py [OUTDIR]   (default tests/fixtures)
       /usr/bin/python3 tools/gen_rnn_fixtures.py --bench      (PyTorch's side of the benchmark in
       docs/benchmarks.md: LSTM forward + backward, seq 35, batch 20, hidden 200, 2 layers, 2
       threads; ember's side is build/tools/bench_rnn)
"""
import os
import sys
import time

import torch
import torch.nn as nn

from gen_fixtures import FixtureFile  # same folder: the one writer of the fixture format

_gen = torch.Generator().manual_seed(2718)


def rnd(*shape, scale=1.0):
    """Normal values (times scale), rounded to float32, as float64."""
    return (torch.randn(tuple(shape), generator=_gen, dtype=torch.float32) * scale).float().double()


def stored(x):
    return x.float() if torch.equal(x.float().double(), x) else x


def layer_case(ff, name, module, x, state, call=None):
    """module (float64) with parameters rnd * 0.5; state: None, a tensor or an (h, c) pair;
    call(module, x, *states) runs it (module(x, ...) by default)."""
    with torch.no_grad():
        for pname, p in module.named_parameters():
            p.copy_(rnd(*p.shape, scale=0.5))
            ff.add(f"{name}.p.{pname}", stored(p))
    ff.add(f"{name}.nparams", torch.tensor(len(list(module.parameters()))))
    x = x.clone().requires_grad_(True)
    ff.add(f"{name}.x", stored(x))
    states = [] if state is None else (list(state) if isinstance(state, tuple) else [state])
    states = [s.clone().requires_grad_(True) for s in states]
    for i, s in enumerate(states):
        ff.add(f"{name}.s{i}", stored(s))
    if call is not None:
        out = call(module, x, *states)
    elif not states:
        out = module(x)
    elif len(states) == 1:
        out = module(x, states[0])
    else:
        out = module(x, tuple(states))
    # Flatten (output, h_n) / (output, (h_n, c_n)) / h / (h, c) to a list.
    flat = []
    for o in (out if isinstance(out, tuple) else (out,)):
        flat.extend(o if isinstance(o, tuple) else (o,))
    gouts = [rnd(*o.shape) for o in flat]
    for i, (o, g) in enumerate(zip(flat, gouts)):
        ff.add(f"{name}.out{i}", o)
        ff.add(f"{name}.gout{i}", stored(g))
    torch.autograd.backward(flat, gouts)
    ff.add(f"{name}.gx", x.grad)
    for i, s in enumerate(states):
        ff.add(f"{name}.gs{i}", s.grad)
    for pname, p in module.named_parameters():
        ff.add(f"{name}.g.{pname}", p.grad)


def fixtures(outdir):
    ff = FixtureFile("rnn", writer="tools/gen_rnn_fixtures.py")
    d = dict(dtype=torch.float64)
    # seq 3, batch 2, input 4, hidden 5 unless said.
    layer_case(ff, "rnn_tanh_l2", nn.RNN(4, 5, num_layers=2, **d), rnd(3, 2, 4), rnd(2, 2, 5))
    layer_case(ff, "rnn_relu_bidir_bf", nn.RNN(4, 5, nonlinearity="relu", bidirectional=True, batch_first=True, **d),
               rnd(2, 3, 4), None)
    layer_case(ff, "lstm_l2_bidir", nn.LSTM(4, 5, num_layers=2, bidirectional=True, **d), rnd(3, 2, 4),
               (rnd(4, 2, 5), rnd(4, 2, 5)))
    layer_case(ff, "lstm_proj_l2_bidir_bf", nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True,
                                                    proj_size=3, **d), rnd(2, 3, 4), None)
    layer_case(ff, "lstm_proj_given", nn.LSTM(4, 5, proj_size=2, **d), rnd(3, 2, 4), (rnd(1, 2, 2), rnd(1, 2, 5)))
    layer_case(ff, "lstm_nobias", nn.LSTM(4, 5, bias=False, **d), rnd(4, 1, 4), None)
    layer_case(ff, "gru_l2_bidir", nn.GRU(4, 5, num_layers=2, bidirectional=True, **d), rnd(3, 2, 4), rnd(4, 2, 5))
    layer_case(ff, "gru_nobias_bf", nn.GRU(4, 5, bias=False, batch_first=True, **d), rnd(2, 3, 4), None)
    layer_case(ff, "rnncell_tanh", nn.RNNCell(4, 5, **d), rnd(2, 4), rnd(2, 5))
    layer_case(ff, "rnncell_relu_nobias", nn.RNNCell(4, 5, bias=False, nonlinearity="relu", **d), rnd(3, 4), None)
    layer_case(ff, "lstmcell", nn.LSTMCell(4, 5, **d), rnd(2, 4), (rnd(2, 5), rnd(2, 5)))
    layer_case(ff, "lstmcell_default", nn.LSTMCell(4, 5, **d), rnd(2, 4), None)
    layer_case(ff, "grucell", nn.GRUCell(4, 5, **d), rnd(2, 4), rnd(2, 5))
    layer_case(ff, "grucell_unbatched", nn.GRUCell(4, 5, **d), rnd(4), rnd(5))
    # PackedSequence through the layers: padded input, lengths, unsorted (enforce_sorted=False)
    # or sorted; the packed output is padded back for the comparison.
    def packed(lengths, batch_first, enforce_sorted):
        def call(module, x, *states):
            seq = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first,
                                                    enforce_sorted=enforce_sorted)
            out, state = module(seq, (tuple(states) if len(states) == 2 else states[0]) if states else None)
            return nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first)[0], state
        return call
    ff.add("packed_lstm.lengths", torch.tensor([2, 4, 3]))
    layer_case(ff, "packed_lstm", nn.LSTM(4, 5, num_layers=2, bidirectional=True, **d), rnd(4, 3, 4),
               (rnd(4, 3, 5), rnd(4, 3, 5)), call=packed([2, 4, 3], False, False))
    ff.add("packed_lstm_proj.lengths", torch.tensor([3, 1]))
    layer_case(ff, "packed_lstm_proj", nn.LSTM(4, 5, proj_size=3, bidirectional=True, **d), rnd(3, 2, 4), None,
               call=packed([3, 1], False, True))
    ff.add("packed_gru_bf.lengths", torch.tensor([1, 3, 2]))
    layer_case(ff, "packed_gru_bf", nn.GRU(4, 5, batch_first=True, **d), rnd(3, 3, 4), rnd(1, 3, 5),
               call=packed([1, 3, 2], True, False))
    ff.add("packed_rnn.lengths", torch.tensor([3, 3, 1]))
    layer_case(ff, "packed_rnn", nn.RNN(4, 5, num_layers=2, **d), rnd(3, 3, 4), None, call=packed([3, 3, 1], False,
                                                                                                   True))
    print("wrote", ff.write(outdir))

    # A PyTorch LSTM's state_dict (float32, PyTorch's own initialisation) and its outputs.
    torch.manual_seed(31)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        out, (h, c) = lstm(x)
    pt = os.path.join(outdir, "pt")
    torch.save(lstm.state_dict(), os.path.join(pt, "lstm_state_dict.pt"))
    torch.save({"input": x, "output": out, "h_n": h, "c_n": c}, os.path.join(pt, "lstm_io.pt"))
    print("wrote", os.path.join(pt, "lstm_state_dict.pt"), os.path.join(pt, "lstm_io.pt"))


def bench():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    lstm = nn.LSTM(200, 200, num_layers=2)
    x = torch.randn(35, 20, 200)
    def step():
        out, _ = lstm(x)
        out.sum().backward()
    for _ in range(3):
        step()
    n, best = 20, float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, (time.perf_counter() - t0) / n)
    print(f"pytorch {torch.__version__} LSTM(200, 200, 2 layers) seq 35 batch 20 forward+backward: "
          f"{best * 1e3:.2f} ms/iter (2 threads, best of 3 x {n})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--bench":
        bench()
    else:
        fixtures(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests",
                                                                       "fixtures"))
