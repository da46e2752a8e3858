"""The C sampling kernel (the .c files here, kernel.h says what each holds), compiled on first
use into one library and loaded with ctypes.

It is built with the machine's C compiler (cc, or $CC) for this very CPU
(-march=native, or the level $DREAMJOBS_MARCH names, such as x86-64-v2) and cached
under ~/.cache/dreamjobs/ (or $XDG_CACHE_HOME), keyed by the source, the compiler,
the flags and the CPU, so it builds once per machine in about a second. It is built
with -ffp-contract=off: every float operation rounds the same on every instruction set,
so the same seed writes the same text on any CPU (kernel.h says how). OpenMP binds to
the runtime torch already loaded; the step's thread count is its own (threads()).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ...errors import CharLMError

HERE = Path(__file__).parent
SOURCES = sorted(HERE.glob("*.c"))
HEADERS = sorted(HERE.glob("*.h"))
MAX_NAME, MAX_DEPTH, MAX_STOP, MAX_LAYERS = 32, 64, 16, 16  # as #defined in kernel.h
MAX_EXTRA, MAX_WORD = 16, 32  # kernel.h's Row: a row's own known words
MAX_MARK = 32  # kernel.h's TNet: HEAD and HEADER_END in ids
PRECISIONS = ("fp32", "fp16", "int8")  # kernel.h's P_FP32, P_FP16, P_INT8
TEXT = 0  # kernel.h's Row.state in plain text (enum TEXT)
W_BETWEEN = -1  # kernel.h's Row.word between words
MAX_RUNGS = 8  # kernel.h's Pacer
# The same text on every CPU needs these (kernel.h); -fno-fast-math in case $CFLAGS-like defaults differ.
EXACT = ["-ffp-contract=off", "-fno-fast-math"]


def flag_sets() -> tuple[list[str], ...]:
    """Tried in order: the first that compiles wins (no OpenMP on Apple's clang, no -march=native on some arm64)."""
    march = os.environ.get("DREAMJOBS_MARCH", "native")
    return ([f"-march={march}", "-fopenmp"], [f"-march={march}"], ["-mcpu=native"], [])


def threads() -> int:
    """The most threads a sampling step may use: the cores this process may run on (its CPU
    affinity, not the host's count), or fewer where $OMP_NUM_THREADS says so."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        cores = os.cpu_count() or 1
    try:
        cap = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
    except ValueError:
        cap = cores
    return max(1, min(cores, cap if cap > 0 else cores))


class NativeUnavailable(CharLMError):
    """The sampling kernel could not be built: no C compiler, or one it cannot use."""


class Row(ctypes.Structure):
    _fields_ = [
        ("seed", ctypes.c_uint64), ("counter", ctypes.c_uint64),
        *[(n, ctypes.c_float) for n in ("temperature", "top_p", "min_p")],
        *[(n, ctypes.c_int32) for n in ("argmax", "top_k", "guard", "wrap_up", "min_length", "written", "max_length",
                                         "done", "stop_len")],
        ("stop", ctypes.c_int32 * MAX_STOP), ("tail", ctypes.c_int32 * MAX_STOP),
        *[(n, ctypes.c_int32) for n in ("state", "name_len", "depth", "expect_pos")],
        ("name", ctypes.c_int32 * MAX_NAME), ("stack_len", ctypes.c_int32 * MAX_DEPTH),
        ("stack", (ctypes.c_int32 * MAX_NAME) * MAX_DEPTH),
        *[(n, ctypes.c_int32) for n in ("real_words", "word", "n_extra", "extra_pos")], ("extra_live", ctypes.c_uint32),
        ("extra", (ctypes.c_int32 * MAX_WORD) * MAX_EXTRA), ("in_body", ctypes.c_int32),
        ("said", ctypes.c_int32 * 2), ("apart", ctypes.c_int32),
        *[(n, ctypes.c_int32) for n in ("paren", "quote", "inside", "word_shares", "coin")],
        ("repeats", ctypes.c_void_p), ("used", ctypes.c_void_p),
    ]


class Pacer(ctypes.Structure):
    _fields_ = [
        ("n_rungs", ctypes.c_int32), ("rungs", ctypes.c_int32 * MAX_RUNGS),
        *[(n, ctypes.c_int32) for n in ("at", "trying", "rows", "steps", "since")],
        ("wait", ctypes.c_int32 * MAX_RUNGS), ("next_up", ctypes.c_int32), ("phase", ctypes.c_int32),
        ("trial_sum", ctypes.c_double), ("own_sum", ctypes.c_double),
        ("elapsed", ctypes.c_double), ("base", ctypes.c_double),
    ]


class Net(ctypes.Structure):
    _fields_ = [
        *[(n, ctypes.c_int32) for n in ("L", "H", "V", "precision")], ("last", Pacer), ("busy", ctypes.c_int32),
        ("table", ctypes.c_void_p),
        ("w", ctypes.c_void_p * (MAX_LAYERS + 1)), ("bias", ctypes.c_void_p * (MAX_LAYERS + 1)),
        ("scale", ctypes.c_void_p * (MAX_LAYERS + 1)),
    ]


class TNet(ctypes.Structure):
    _fields_ = [
        *[(n, ctypes.c_int32) for n in ("L", "C", "H", "R", "V", "precision")], ("last", Pacer), ("busy", ctypes.c_int32),
        ("embed", ctypes.c_void_p), ("inv_freq", ctypes.c_void_p),
        ("w", ctypes.c_void_p * (4 * MAX_LAYERS + 1)), ("scale", ctypes.c_void_p * (4 * MAX_LAYERS + 1)),
        ("norm", ctypes.c_void_p * (2 * MAX_LAYERS + 1)),
        *[(n, ctypes.c_int32) for n in ("P", "n_open", "n_close")],
        ("open", ctypes.c_int32 * MAX_MARK), ("close", ctypes.c_int32 * MAX_MARK), ("gate", ctypes.c_void_p * MAX_LAYERS),
    ]


class TState(ctypes.Structure):
    _fields_ = [("cap", ctypes.c_int32),
                *[(n, ctypes.c_void_p) for n in ("x", "h", "qkv", "y", "m", "scores", "logits", "keys", "values",
                                                 "kscale", "vscale", "rot", "count", "xq", "xs")],
                ("pacer", Pacer), *[(n, ctypes.c_void_p) for n in ("pkeys", "pvalues", "pkscale", "pvscale", "meta",
                                                                    "pslot")]]


def pacer_share(net: ctypes.Structure) -> ctypes.c_void_p:
    """The address of a packed model's PacerShare (its `last` and `busy` fields), for dj_pacer_resume."""
    return ctypes.c_void_p(ctypes.addressof(net) + type(net).last.offset)


class CopyState(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_void_p), ("n_index", ctypes.c_int64), ("codes", ctypes.c_void_p), ("space", ctypes.c_void_p),
        ("base", ctypes.c_uint64), ("top", ctypes.c_uint64), ("q", ctypes.c_int32), ("hard_margin", ctypes.c_int32),
        ("soft_share", ctypes.c_double),
        *[(n, ctypes.c_void_p) for n in ("ring", "h", "seen", "run", "limit", "last_space")],
    ]


class State(ctypes.Structure):
    _fields_ = [("cap", ctypes.c_int32), *[(n, ctypes.c_void_p) for n in ("xh", "c", "gates", "logits", "xq", "xs")],
                ("pacer", Pacer)]


class Guard(ctypes.Structure):
    _fields_ = [
        *[(n, ctypes.c_int32) for n in ("V", "lt", "slash", "gt", "amp", "n_void", "n_end", "n_tags")],
        ("wrap_up_scale", ctypes.c_float),
        *[(n, ctypes.c_void_p) for n in ("alpha", "alnum", "lower", "masks", "has_mask", "void_names", "end_names",
                                         "tag_names", "children", "letter", "digit", "word_letters", "word_first", "word_end",
                                         "body_letters", "body_first", "body_end")],
        ("n_names", ctypes.c_int32), ("space", ctypes.c_int32), ("names", ctypes.c_void_p), ("name_last", ctypes.c_void_p),
        *[(n, ctypes.c_int32) for n in ("lparen", "rparen", "quote", "max_paren", "bracket_soft")],
        ("bracket_scale", ctypes.c_float), ("prose", ctypes.c_uint32),
        *[(n, ctypes.c_void_p) for n in ("shares", "shares_end", "steered", "repeat_end", "repeat_add", "parent",
                                         "symbol_first", "symbol_repeat")],
        ("symbol_at", ctypes.c_int32), ("wrap_up_inner", ctypes.c_int32),
    ]


_lib: ctypes.CDLL | None = None
_failure: NativeUnavailable | None = None  # why the kernel could not be built or loaded, once tried
_lock = threading.Lock()


def _cache_dir(key: str) -> Path:
    """The folder for one build: in the user's cache, or beside the temporary files when that is not writable."""
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dreamjobs" / "native"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    for base in (user, Path(tempfile.gettempdir()) / f"dreamjobs-native-{uid}"):
        try:
            (base / key).mkdir(parents=True, exist_ok=True)
            return base / key
        except OSError:
            continue
    raise NativeUnavailable(f"no writable folder for charlm's kernel: neither {user} nor {tempfile.gettempdir()}")


def _cpu_id() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features", "model name")):
                return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise NativeUnavailable("sampling needs a C compiler to build charlm's kernel once: install gcc "
                                "(apt-get install gcc) or clang, or point $CC at one")
    return cc


def _build() -> Path:
    if not SOURCES or not (HERE / "kernel.h").is_file():
        raise NativeUnavailable(f"this install of charlm lacks its sampling kernel's C sources ({HERE}/*.c, *.h); "
                                "reinstall dreamjobs from a complete copy")
    cc = _compiler()
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise NativeUnavailable(f"the C compiler {cc} does not run: {exc}") from None
    source = b"".join(f.name.encode() + f.read_bytes() for f in SOURCES + HEADERS)
    sets = flag_sets()
    key = hashlib.sha256(source + version.encode() + _cpu_id().encode() + repr(sets).encode()).hexdigest()[:16]
    target = _cache_dir(key) / "sampler.so"
    if target.is_file():
        return target
    errors = []
    for flags in sets:
        # Compile beside the target and rename: a concurrent or killed build never leaves half a library.
        fd, tmp = tempfile.mkstemp(suffix=".so.tmp", dir=target.parent)
        os.close(fd)
        cmd = [cc, "-O3", *EXACT, *flags, "-shared", "-fPIC", "-o", tmp, *map(str, SOURCES), "-lm"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if done.returncode == 0:
                os.replace(tmp, target)
                return target
            errors.append(f"{' '.join(cmd)}:\n{done.stderr.strip()[-800:]}")
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(f"{' '.join(cmd)}: {exc}")
        finally:
            Path(tmp).unlink(missing_ok=True)
    raise NativeUnavailable("could not build charlm's sampling kernel:\n" + "\n".join(errors))


_P, _I, _D = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
# Each exported function of the kernel: (argument types, return type).
SIGNATURES = {
    "dj_lstm_step": ([_P, _P, _I, _P], None),
    "dj_transformer_step": ([_P, _P, _I, _P], None),
    "dj_sample": ([_P, _P, _I, _P, _P, _P], _I),
    "dj_guard_feed": ([_P, _P, _I], None),
    "dj_row_feed": ([_P, _P, _I], None),
    "dj_constrain": ([_P, _P, _P], None),
    "dj_copy_feed": ([_P, _I, _P, _I], None),
    "dj_copy_check": ([_P, _I, _P], _I),
    "dj_pacer_init": ([_P, _I, _I], None),
    "dj_pacer_resume": ([_P, _P], None),
    "dj_pace_threads": ([_P, _I], _I),
    "dj_pace_done": ([_P, _D], None),
    "dj_ring_slots": ([_I], _I),
    **{name: ([], _I) for name in ("dj_row_size", "dj_state_size", "dj_net_size", "dj_tnet_size", "dj_tstate_size",
                                   "dj_guard_size")},
}


def _bind(loaded: ctypes.CDLL) -> ctypes.CDLL:
    """Give the library's functions their types, and check it agrees with this module on every struct."""
    for name, (args, result) in SIGNATURES.items():
        fn = getattr(loaded, name)
        fn.argtypes, fn.restype = args, result
    sizes = (loaded.dj_row_size(), loaded.dj_state_size(), loaded.dj_net_size(), loaded.dj_tnet_size(),
             loaded.dj_tstate_size(), loaded.dj_guard_size())
    if sizes != tuple(ctypes.sizeof(s) for s in (Row, State, Net, TNet, TState, Guard)):
        raise NativeUnavailable("kernel.h and charlm/sampling/native/__init__.py disagree on a struct's layout")
    return loaded


def lib() -> ctypes.CDLL:
    """The loaded kernel, built first if this machine has none yet."""
    global _lib, _failure
    with _lock:
        if _failure is not None:  # tried once in this process: a build takes long, and fails the same way again
            raise _failure
        if _lib is None:
            try:
                _lib = _bind(ctypes.CDLL(str(_build())))
            except (OSError, AttributeError) as exc:  # a library from another build of the sources
                _failure = NativeUnavailable(f"charlm's sampling kernel does not load: {exc}")
            except NativeUnavailable as exc:
                _failure = exc
            if _failure is not None:
                raise _failure
        return _lib


def unavailable() -> str | None:
    """Why the kernel cannot be used here, in one line, or None when it can."""
    try:
        lib()
    except NativeUnavailable as exc:
        return str(exc).splitlines()[0].rstrip(":")
    return None
