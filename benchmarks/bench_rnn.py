"""Recurrent layers: the word-language-model LSTM training step (PyTorch's official example at its
small size: embedding 200, 2 LSTM layers of 200, vocabulary 10,000, sequence 35, batch 20, SGD with
clip_grad_norm_), ember vs PyTorch."""
import numpy as np

from run import Workload, setups

VOCAB, EMB, HIDDEN, LAYERS, SEQ, BATCH = 10_000, 200, 200, 2, 35, 20


def _lstm_lm(lib):
    def setup():
        nn = lib.nn

        class LM(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Embedding(VOCAB, EMB)
                self.rnn = nn.LSTM(EMB, HIDDEN, LAYERS)
                self.decoder = nn.Linear(HIDDEN, VOCAB)

            def forward(self, x, hidden):
                out, hidden = self.rnn(self.encoder(x), hidden)
                return self.decoder(out).view(-1, VOCAB), hidden

        lib.manual_seed(0)
        model = LM()
        opt = lib.optim.SGD(model.parameters(), lr=20.0)
        loss_fn = nn.CrossEntropyLoss()
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.integers(0, VOCAB, (SEQ, BATCH)).astype(np.int64))
        y = lib.tensor(rng.integers(0, VOCAB, SEQ * BATCH).astype(np.int64))
        state = [(lib.zeros(LAYERS, BATCH, HIDDEN), lib.zeros(LAYERS, BATCH, HIDDEN))]

        def step():
            hidden = tuple(h.detach() for h in state[0])     # truncated BPTT, as the example does
            opt.zero_grad()
            out, hidden = model(x, hidden)
            loss = loss_fn(out, y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            opt.step()
            state[0] = hidden
        return step
    return setup


WORKLOADS = [
    Workload("LSTM language model step (2x200, seq 35, batch 20, vocab 10k)", *setups(_lstm_lm),
             required=1.5, goal=1.0),
]


def _lstm_only(lib):
    def setup():
        lib.manual_seed(0)
        m = lib.nn.LSTM(EMB, HIDDEN, LAYERS)
        x = lib.tensor(np.random.default_rng(0).standard_normal((SEQ, BATCH, EMB)).astype(np.float32),
                       requires_grad=True)

        def step():
            x.grad = None
            m.zero_grad()
            out, (h, c) = m(x)
            out.sum().backward()
        return step
    return setup


WORKLOADS.append(Workload("LSTM(200, 200, 2) fwd+bwd (seq 35, batch 20)", *setups(_lstm_only)))
