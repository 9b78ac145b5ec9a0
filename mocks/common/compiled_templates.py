"""Page templates compiled once per process, whichever app renders them first.

Every sandbox builds its apps anew, and each Flask app has a Jinja environment of its own, which
compiles a template the first time it renders it (parse, generate Python, compile: ~15 ms for a
page). A process that starts many sandboxes (the test suite, the conformance self-test) compiled
the same pages again for each. This cache keeps the compiled code in memory, keyed by template
and checked against the source's checksum, so a changed template is compiled again.
"""

from __future__ import annotations

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class ProcessTemplateCache(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # resets itself when the checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


#: The one cache of this process, for every app's Jinja environment (Flask's ``jinja_options``).
COMPILED_TEMPLATES = ProcessTemplateCache()
