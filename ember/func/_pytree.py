"""Nested containers of tensors ("pytrees"), as ``torch.utils._pytree`` sees them.

A tree's nodes are tuples, lists, dicts (keys kept in insertion order) and namedtuples; anything
else (a Tensor, a number, None) is a leaf. ``tree_flatten`` gives the leaves and a ``TreeSpec``
that ``tree_unflatten`` rebuilds the same structure from. The transforms in ``ember.func`` use it
for their inputs, outputs, ``in_dims``/``out_dims`` and ``argnums``.

Example:
    >>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
    >>> leaves
    [1, 2, 3]
    >>> tree_unflatten([x * 10 for x in leaves], spec)
    {'a': (10, 20), 'b': [30]}
"""


class TreeSpec:
    """The structure of a tree: its node type, keys (dict) and children's specs; ``None`` type = leaf."""

    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_, context, children):
        self.type, self.context, self.children = type_, context, children
        self.num_leaves = 1 if type_ is None else sum(c.num_leaves for c in children)

    def is_leaf(self):
        return self.type is None

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.type is other.type and self.context == other.context
                and self.children == other.children)

    def __repr__(self):
        if self.type is None:
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.type is dict or issubclass(self.type, dict):
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.context, self.children))
            return "{" + inner + "}"
        if self.type is list:
            return f"[{inner}]"
        return f"({inner}{',' if len(self.children) == 1 else ''})"


_LEAF = TreeSpec(None, None, ())


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(x):
    """(node type, context, children) of a node, or None for a leaf."""
    if isinstance(x, dict):
        return type(x), tuple(x.keys()), tuple(x.values())
    if isinstance(x, (tuple, list)):
        return type(x), None, tuple(x)
    return None


def tree_flatten(tree):
    """``(leaves, spec)`` of ``tree`` (leaves in depth-first order)."""
    if not isinstance(tree, (tuple, list, dict)):
        return [tree], _LEAF
    leaves = []

    def walk(x):
        node = _children(x)
        if node is None:
            leaves.append(x)
            return _LEAF
        type_, context, kids = node
        return TreeSpec(type_, context, tuple(walk(k) for k in kids))

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, spec):
    """The tree of ``spec``'s structure holding ``leaves``."""
    if spec.type is None:
        return leaves[0]
    it = iter(leaves)

    def build(s):
        if s.type is None:
            return next(it)
        kids = [build(c) for c in s.children]
        if issubclass(s.type, dict):
            return s.type(zip(s.context, kids))
        if issubclass(s.type, tuple) and hasattr(s.type, "_fields"):
            return s.type(*kids)
        return s.type(kids)

    return build(spec)


def tree_leaves(tree):
    return tree_flatten(tree)[0]


def broadcast_prefix(prefix, spec, what):
    """Expand ``prefix`` (a tree whose leaves stand for whole subtrees of ``spec``) to one value per
    leaf of ``spec``, as vmap does with ``in_dims``/``out_dims``. Raises ValueError (with ``what``
    naming the two trees) when ``prefix`` is not a prefix of ``spec``."""
    out = []

    def walk(p, s):
        node = _children(p)
        if node is None:
            out.extend([p] * s.num_leaves)
            return True
        type_, context, kids = node
        if s.type is None or len(kids) != len(s.children):
            return False
        if issubclass(type_, dict) != issubclass(s.type, dict):
            return False
        if issubclass(type_, dict):
            if set(context) != set(s.context):
                return False
            by_key = dict(zip(context, kids))
            return all(walk(by_key[k], c) for k, c in zip(s.context, s.children))
        if issubclass(type_, list) != issubclass(s.type, list):
            return False
        return all(walk(k, c) for k, c in zip(kids, s.children))

    if not walk(prefix, spec):
        raise ValueError(what(tree_flatten(prefix)[1], spec))
    return out
