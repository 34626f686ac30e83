"""``ember train charlm``: a character-level language model (a small LSTM or a small GPT).

Data: a UTF-8 text file (``--text FILE``), or, without it, the text that ships with ember: the
docstrings of ember's own source files (read with ``ast``, nothing is imported). The characters
become a vocabulary; the text is cut into windows of ``seq_len + 1`` characters, the first 90 %
for training and the last 10 % for validation. Each window trains the model to predict every
character from the ones before it.

Models (built from ember's own layers):
- ``lstm``: Embedding -> 2-layer LSTM -> Linear over the vocabulary;
- ``gpt``: token + position embeddings -> pre-norm Transformer blocks (causal self-attention
  with ``F.scaled_dot_product_attention``, GELU MLP) -> LayerNorm -> Linear.

The loss is the cross-entropy per character in nats; the run also reports the unigram entropy
of the training text (what a model that ignores context can reach) so the progress is visible,
and ends by printing a sample generated from the trained model.
"""
import ast
import math
import os

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F
from ember.utils.data import TensorDataset

from .trainer import CLIError, Task, fingerprint

DEFAULTS = {"epochs": 4, "batch_size": 32, "lr": 3e-3, "optimizer": "adamw", "scheduler": "cosine",
            "weight_decay": 0.01, "seed": 0, "text": None, "model": "lstm", "seq_len": 64, "hidden": 192,
            "layers": 2, "heads": 4, "dropout": 0.1, "max_chars": 200_000, "sample_chars": 300,
            "clip_grad_norm": 1.0}

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the ember package


def builtin_text(limit=None):
    """The docstrings of ember's source files, in a fixed order, as one text."""
    parts = []
    for folder, dirs, files in sorted(os.walk(_ROOT)):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(node)
                    if doc and len(doc) > 40:
                        parts.append(doc.strip())
    text = "\n\n".join(parts)
    return text[:limit] if limit else text


def read_text(path, limit):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(limit + 1 if limit else -1)
    except FileNotFoundError:
        raise CLIError(f"--text: no such file {path!r}") from None
    except IsADirectoryError:
        raise CLIError(f"--text: {path!r} is a directory; pass a text file") from None
    except UnicodeDecodeError as e:
        raise CLIError(f"--text: {path!r} is not UTF-8 text (byte {e.start}: {e.reason})") from None
    return text[:limit] if limit else text


def unigram_entropy(ids, vocab_size):
    """The entropy of the character frequencies, in nats per character."""
    p = np.bincount(ids, minlength=vocab_size) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear; ``forward`` returns (batch * time, vocab) logits."""

    def __init__(self, vocab_size, hidden=192, layers=2, dropout=0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx):
        out, _ = self.lstm(self.drop(self.embed(idx)))
        return self.head(self.drop(out)).reshape(-1, self.head.out_features)


class CausalSelfAttention(nn.Module):
    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """A pre-norm Transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads, dropout)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharGPT(nn.Module):
    """A small GPT over characters; ``forward`` returns (batch * time, vocab) logits."""

    def __init__(self, vocab_size, seq_len, dim=192, layers=2, heads=4, dropout=0.1):
        super().__init__()
        if dim % heads:
            raise CLIError(f"--hidden {dim} must be divisible by --heads {heads}")
        self.seq_len = seq_len
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(seq_len, dim)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.Sequential(*[Block(dim, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.drop(self.tok(idx) + self.pos(ember.arange(t)))
        return self.head(self.ln(self.blocks(x))).reshape(-1, self.head.out_features)


def build_model(config, vocab_size):
    if config["model"] == "lstm":
        return CharLSTM(vocab_size, config["hidden"], config["layers"], config["dropout"])
    if config["model"] == "gpt":
        return CharGPT(vocab_size, config["seq_len"], config["hidden"], config["layers"], config["heads"],
                       config["dropout"])
    raise CLIError(f"unknown --model {config['model']!r}; choose lstm or gpt")


def generate(model, vocab, prompt, n, temperature=0.8, seed=0):
    """``prompt`` continued by ``n`` characters sampled from ``model``."""
    index = {c: i for i, c in enumerate(vocab)}
    ids = [index[c] for c in prompt if c in index] or [0]
    context = getattr(model, "seq_len", 128)
    gen = ember.Generator().manual_seed(seed)
    model.eval()
    with ember.no_grad():
        for _ in range(n):
            x = ember.tensor([ids[-context:]])
            logits = model(x)[-1] / temperature
            ids.append(int(ember.multinomial(F.softmax(logits.double(), dim=0), 1, generator=gen).item()))
    return "".join(vocab[i] for i in ids)


def _collate(batch):
    """Stack windows; targets flattened to (batch * time,) to match the models' logits."""
    xs, ys = zip(*batch)
    return ember.stack(xs), ember.stack(ys).reshape(-1)


def build_task(config):
    if config["text"]:
        text, source = read_text(config["text"], config["max_chars"]), config["text"]
    else:
        text, source = builtin_text(config["max_chars"]), "ember's own docstrings (built-in text)"
    vocab = sorted(set(text))
    window = config["seq_len"] + 1
    if len(text) < 20 * window:
        raise CLIError(f"the text has {len(text)} characters; need at least {20 * window} for --seq-len "
                       f"{config['seq_len']} (20 windows): use a longer text or a smaller --seq-len")
    lookup = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))
    n_windows = len(ids) // window
    windows = ids[:n_windows * window].reshape(n_windows, window)
    n_val = max(2, n_windows // 10)
    train, val = windows[:-n_val], windows[-n_val:]
    entropy = unigram_entropy(train.ravel(), len(vocab))

    def after_fit(model, history, log):
        val_loss = history[-1]["test_loss"] if history else float("nan")
        log(f"validation loss {val_loss:.3f} nats/char ({val_loss / math.log(2):.2f} bits) vs unigram entropy "
            f"{entropy:.3f} nats/char ({entropy / math.log(2):.2f} bits) of the training text")
        log("sample:\n" + generate(model, vocab, "The ", config["sample_chars"], seed=config["seed"]))

    return Task(name="charlm",
                train_set=TensorDataset(ember.tensor(train[:, :-1]), ember.tensor(train[:, 1:])),
                test_set=TensorDataset(ember.tensor(val[:, :-1]), ember.tensor(val[:, 1:])),
                build_model=lambda cfg: build_model(cfg, len(vocab)), classes=vocab,
                fingerprint=fingerprint(ids), collate_fn=_collate, confusion=False, after_fit=after_fit,
                extra={"vocabulary": "".join(vocab), "unigram_entropy": entropy}), source
