"""route_apply (how ember.compile records and ember.onnx traces): routes only the calling
thread's op applications, nests, and restores Op.apply when the last route ends."""
import threading

import ember
from ember.autograd.function import Function, Op, route_apply


def _counting(seen):
    def handler(original, cls, args):
        seen.append(cls.__name__)
        return original(cls, *args)
    return handler


def test_routes_this_threads_ops_and_restores_apply():
    before = (Op.__dict__.get("apply"), Function.__dict__.get("apply"))
    seen = []
    x = ember.ones(3)
    with route_apply(_counting(seen)):
        y = (x * 2).exp()
    assert seen == ["Mul", "Exp"] and y.tolist() == [ember.tensor(2.0).exp().item()] * 3
    assert (Op.__dict__.get("apply"), Function.__dict__.get("apply")) == before


def test_other_threads_are_not_routed_while_a_route_is_active():
    seen_main, seen_other = [], []
    entered, done = threading.Event(), threading.Event()

    def other():
        entered.wait(10)
        x = ember.ones(2)
        seen_other.append((x + 1).sum().item())
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with route_apply(_counting(seen_main)):
        entered.set()
        done.wait(10)
        ember.ones(2).neg()
    t.join()
    assert seen_other == [4.0]                    # applied as usual, not recorded by the main thread's route
    assert seen_main == ["Neg"]


def test_two_threads_route_at_once_and_each_sees_its_own_ops():
    before = Op.__dict__.get("apply")
    seen = {0: [], 1: []}
    barrier = threading.Barrier(2)

    def work(i):
        with route_apply(_counting(seen[i])):
            barrier.wait(10)
            for _ in range(20):
                (ember.ones(2) * 3 if i == 0 else ember.ones(2).exp())
            barrier.wait(10)

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] == ["Mul"] * 20 and seen[1] == ["Exp"] * 20
    assert Op.__dict__.get("apply") == before


def test_routes_nest_innermost_handler_gets_the_calls():
    outer, inner = [], []
    with route_apply(_counting(outer)):
        ember.ones(1).exp()
        with route_apply(_counting(inner)):
            ember.ones(1).neg()
        ember.ones(1).sin()
    assert outer == ["Exp", "Sin"] and inner == ["Neg"]
