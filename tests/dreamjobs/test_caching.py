import threading
import time

from dreamjobs.caching import built_once


def test_callers_that_come_while_a_value_is_built_wait_for_it_and_share_it():
    builds = []

    @built_once(maxsize=2)
    def index(name):
        builds.append(name)
        time.sleep(0.2)  # long enough that every caller arrives while the first builds
        return object()

    start, got = threading.Barrier(6), []

    def ask():
        start.wait(timeout=60)
        got.append(index("corpus"))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert builds == ["corpus"] and len(got) == 6 and len({id(v) for v in got}) == 1
    index("other"), index("third")  # past maxsize the least recently used goes, and is built again
    assert index("corpus") is not got[0] and builds == ["corpus", "other", "third", "corpus"]
