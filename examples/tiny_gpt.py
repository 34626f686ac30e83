"""A tiny GPT: a character-level Transformer language model trained on ember's own README.

Token and position embeddings, a stack of pre-norm blocks (causal multi-head self-attention through
the fused F.scaled_dot_product_attention, then an MLP, each with a residual), a final LayerNorm and
a linear head whose weight is tied to the token embedding. AdamW, cross-entropy on the next character.
It prints the loss falling (against the unigram entropy, what a model that ignores context scores)
and a sample generated from the trained model.

Run: python examples/tiny_gpt.py [--steps N] [--text FILE]
"""
import argparse
import math
import os
import time
from collections import Counter

import ember as torch
from ember import nn
from ember.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CausalSelfAttention(nn.Module):
    def __init__(self, embed, heads, dropout):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(embed, 3 * embed)      # query, key and value in one GEMM
        self.proj = nn.Linear(embed, embed)
        self.dropout = dropout

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, heads, T, head size)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, embed, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed)
        self.attn = CausalSelfAttention(embed, heads, dropout)
        self.ln2 = nn.LayerNorm(embed)
        self.mlp = nn.Sequential(nn.Linear(embed, 4 * embed), nn.GELU(), nn.Linear(4 * embed, embed),
                                 nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab, block_size, embed=64, heads=4, layers=2, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab, embed)
        self.pos = nn.Embedding(block_size, embed)
        self.blocks = nn.Sequential(*[Block(embed, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(embed)
        self.head = nn.Linear(embed, vocab, bias=False)
        self.head.weight = self.tok.weight          # weight tying
        for m in self.modules():                    # GPT-2's initialisation: small normal weights
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(T))
        return self.head(self.ln(self.blocks(x)))

    @torch.no_grad()
    def generate(self, idx, n, temperature=0.8):
        for _ in range(n):
            logits = self(idx[:, -self.block_size:])[:, -1] / temperature
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
            idx = torch.cat([idx, nxt], dim=1)
        return idx


def unigram_entropy(text):
    """Entropy (nats/char) of the character frequencies: the loss of the best context-free model."""
    n = len(text)
    return -sum(c / n * math.log(c / n) for c in Counter(text).values())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--text", default=os.path.join(ROOT, "README.md"))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--block", type=int, default=64)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--sample", type=int, default=200, help="characters to generate at the end")
    args = parser.parse_args()

    torch.manual_seed(0)
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.int64)
    n_val = len(data) // 10
    train, val = data[:-n_val], data[-n_val:]
    print(f"text: {len(text)} characters, vocabulary {len(chars)}; "
          f"unigram entropy {unigram_entropy(text):.3f} nats/char")

    def batch(split):
        src = train if split == "train" else val
        ix = torch.randint(len(src) - args.block - 1, (args.batch,))
        x = torch.stack([src[i:i + args.block] for i in ix.tolist()])
        y = torch.stack([src[i + 1:i + args.block + 1] for i in ix.tolist()])
        return x, y

    model = TinyGPT(len(chars), args.block, args.embed, args.heads, args.layers)
    print(f"{sum(p.numel() for p in model.parameters())} parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20) *
                                              (0.5 + 0.5 * math.cos(math.pi * s / max(1, args.steps))))
    t0 = time.perf_counter()
    for step in range(args.steps):
        x, y = batch("train")
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    model.eval()
    with torch.no_grad():
        losses = []
        for _ in range(10):
            x, y = batch("val")
            logits = model(x)
            losses.append(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item())
    print(f"validation loss {sum(losses) / len(losses):.4f} nats/char ({time.perf_counter() - t0:.1f} s)")
    start = torch.tensor([[stoi[text[0]]]])
    sample = model.generate(start, args.sample)[0].tolist()
    print("sample:", "".join(chars[i] for i in sample))


if __name__ == "__main__":
    main()
