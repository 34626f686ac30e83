"""Transformer workloads: a GPT training step (embedding 128, 4 heads, 2 pre-norm blocks with causal
self-attention through F.scaled_dot_product_attention, sequence 64, batch 16, AdamW, character
vocabulary of 96), the fused attention op alone, and nn.TransformerEncoderLayer, ember vs PyTorch."""
import numpy as np

from run import Workload, setups


def _gpt(lib, vocab=96, embed=128, heads=4, layers=2, seq=64, batch=16):
    nn, F = lib.nn, lib.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(embed, 3 * embed)
            self.proj = nn.Linear(embed, embed)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).reshape(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.attn, self.ln2 = nn.LayerNorm(embed), Attention(), nn.LayerNorm(embed)
            self.mlp = nn.Sequential(nn.Linear(embed, 4 * embed), nn.GELU(), nn.Linear(4 * embed, embed))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, embed), nn.Embedding(seq, embed)
            self.blocks = nn.Sequential(*[Block() for _ in range(layers)])
            self.ln, self.head = nn.LayerNorm(embed), nn.Linear(embed, vocab, bias=False)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            return self.head(self.ln(self.blocks(x)))

    def setup():
        lib.manual_seed(0)
        model = GPT()
        opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.integers(0, vocab, (batch, seq)).astype(np.int64))
        y = lib.tensor(rng.integers(0, vocab, (batch, seq)).astype(np.int64))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
            loss.backward()
            opt.step()
        return step
    return setup


def _sdpa(lib, shape=(16, 4, 64, 32)):
    def setup():
        rng = np.random.default_rng(0)
        q, k, v = (lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True) for _ in range(3))

        def step():
            for t in (q, k, v):
                t.grad = None
            lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
        return step
    return setup


def _encoder_layer(lib):
    def setup():
        lib.manual_seed(0)
        m = lib.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
        x = lib.tensor(np.random.default_rng(0).standard_normal((16, 64, 128)).astype(np.float32),
                       requires_grad=True)
        mask = lib.nn.Transformer.generate_square_subsequent_mask(64)

        def step():
            x.grad = None
            m.zero_grad()
            m(x, src_mask=mask, is_causal=True).sum().backward()
        return step
    return setup


WORKLOADS = [
    Workload("GPT block step: emb 128, 4 heads, 2 layers, seq 64, batch 16, AdamW", *setups(_gpt),
             required=1.5, goal=1.0),
    Workload("scaled_dot_product_attention causal fwd+bwd (16x4x64x32)", *setups(_sdpa)),
    Workload("TransformerEncoderLayer(128, 4, 512) fwd+bwd (16x64x128)", *setups(_encoder_layer)),
]
