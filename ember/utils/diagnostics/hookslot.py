"""A registered hook's slot in its table, emptied and filled again without registering anew.

``Diagnostics`` keeps a layer's forward hook in the module only while it has work (a few switches
per epoch). Registering a hook makes a handle and updates several tables; taking the hook out of
its table by the handle's id and putting it (or another function) back is one dictionary
operation, as ``handle.remove()`` itself does. The handle stays valid for the final ``remove()``.

Example:
    >>> handle = module.register_forward_hook(hook)
    >>> slot = HookSlot(module._forward_hooks, handle.id, hook)
    >>> slot.set(None)        # no call between samples
    >>> slot.set(hook)        # back for the next sampled step
"""

__all__ = ["HookSlot"]


class HookSlot:
    """The entry ``key`` of the hook table ``table`` (an ordered dict of id -> function);
    ``current`` is the function in it, or None when the slot is empty."""
    __slots__ = ("table", "key", "hook", "current")

    def __init__(self, table, key, hook):
        self.table, self.key, self.hook, self.current = table, key, hook, hook

    def set(self, fn):
        """Put ``fn`` in the slot (None: empty it); nothing to do if it is already there."""
        if fn is not self.current:
            if fn is None:
                self.table.pop(self.key, None)
            else:
                self.table[self.key] = fn
            self.current = fn
