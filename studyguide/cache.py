"""A content-hash cache of rendered outputs, kept in a git-ignored folder.

Every output is stored under the hash of exactly what it is made from (the rendered
HTML model it reads, the templates, the styles, the engine's own code and the options),
so a hit can only return what a fresh render would produce. A stamp per output folder
records the hash of all inputs, so that a rebuild with no change renders nothing and
does not even read the content into the model. The cache keeps to a size limit: after
each build, the objects used longest ago go first, never one that the build used.

A cache never fails a build: an object that cannot be read or decoded, whatever the
reason, is a miss and is dropped; a cache that cannot be written (a full disk, a
read-only folder) is a warning, and the build goes on without writing to it, leaving no
temporary file.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import stat
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Protocol

from . import paths

ENGINE_FOLDERS = (paths.TEMPLATES, paths.STYLES, Path(__file__).resolve().parent)
LIMIT = 1 << 30          # bytes of cached objects kept after a build (a build uses 10-200 MB)


def digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            h.update(b"b" + len(part).to_bytes(8, "big") + part)
        elif isinstance(part, str):
            data = part.encode("utf-8")
            h.update(b"s" + len(data).to_bytes(8, "big") + data)
        else:
            data = pickle.dumps(part, protocol=5)
            h.update(b"p" + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def tree_digest(folders, exclude=()) -> str:
    """The hash of every file below the folders: names and bytes, in a fixed order;
    none below the ``exclude`` folders (a book's output folder inside it).

    The folders may be a book's, which is untrusted, and this runs before the sandbox
    (``readers.read_confined``) has looked at anything: only what the sandbox would
    read is read here. A symlink that leads out of its folder is hashed as the link it
    is, never followed; anything but a regular file (a FIFO, a device) is never opened;
    a file larger than any the sandbox reads is hashed by its size and time, unread.
    Folders are walked without following symlinks."""
    h = hashlib.sha256()
    skip = tuple(Path(e).resolve() for e in exclude)
    for folder in folders:
        folder = Path(folder)
        top = Path(os.path.realpath(folder))
        for path in sorted(_files(folder)):
            rel = path.relative_to(folder)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            real = Path(os.path.realpath(path))
            if skip and any(real.is_relative_to(e) for e in skip):
                continue
            h.update(str(rel).encode() + b"\0" + _file_digest(path, real, top))
    return h.hexdigest()


def _files(folder: Path):
    """Every entry below ``folder`` that is not a folder, symlinks to folders not
    followed."""
    for parent, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
        yield from (Path(parent, name) for name in files)


def _file_digest(path: Path, real: Path, top: Path) -> bytes:
    """What a file contributes to ``tree_digest``, read only if the sandbox would read it."""
    from .readers import LIMITS
    if real != top and top not in real.parents:
        return b"link:" + os.readlink(path).encode("utf-8", "surrogateescape")
    limit = max(LIMITS.values())
    try:     # opened without blocking, and looked at before anything is read
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return b"unreadable"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return b"special:%d" % stat.S_IFMT(st.st_mode)
        if st.st_size > limit:
            return b"oversized:%d:%d" % (st.st_size, st.st_mtime_ns)
        h, left = hashlib.sha256(), limit + 1      # a file that grows meanwhile, too
        while left > 0 and (chunk := os.read(fd, min(1 << 20, left))):
            h.update(chunk)
            left -= len(chunk)
        return h.digest()
    except OSError:
        return b"unreadable"
    finally:
        os.close(fd)


def engine_digest() -> str:
    """The builder's own code, templates and styles, and the version of every installed
    package (WeasyPrint, Markdown, pandoc...) and the engine's switches (``writers.engine``):
    a cached result made by other code is never reused."""
    from .writers import engine
    return digest(tree_digest(ENGINE_FOLDERS, exclude=[paths.STARTER]), installed_packages(),
                  engine.switches(), system_fonts())


def system_fonts() -> list[str]:
    """The fonts fontconfig knows (file, index and version of each): the typefaces the
    outputs are drawn with, so that installing, removing or upgrading a font package
    (a second Liberation Mono beside the first) reuses no result drawn before."""
    import subprocess
    try:
        out = subprocess.run(["fc-list", "--format", "%{file}\t%{index}\t%{fontversion}\n"],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(out.splitlines()))


def installed_packages() -> list[str]:
    """The names of the installed distributions' metadata folders, which carry their
    versions ("weasyprint-70.0.dist-info"): a listing, far cheaper than asking each."""
    names = set()
    for entry in sys.path:
        if os.path.basename(entry) not in ("site-packages", "dist-packages"):
            continue         # the script's folder, the standard library...
        try:
            names.update(n for n in os.listdir(entry or ".")
                         if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return sorted(names)


class Memo(Protocol):
    """Where results of costly pure steps are kept between builds, by key: the build's
    ``Cache`` (Markdown and citeproc in ``resolve``, merged fonts in ``fontmerge``,
    typographic quotes in ``writers.pdf``)."""
    def get(self, key: str): ...

    def put(self, key: str, value) -> None: ...


class Cache:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self.warnings: list[str] = []        # the cache's problems, one line each
        self.writable = bool(folder)
        self._failing = threading.Lock()     # writes finish in the pool's threads
        if folder:
            try:
                (folder / "objects").mkdir(parents=True, exist_ok=True)
                (folder / "stamps").mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._unwritable(exc)

    def _path(self, key: str) -> Path:
        return self.folder / "objects" / key[:2] / key

    def get(self, key: str):
        if not self.folder:
            return None
        path = self._path(key)
        try:
            stored, value = pickle.loads(zlib.decompress(path.read_bytes()))
            if stored != key:
                raise ValueError(f"object {stored} under {key}")
        except FileNotFoundError:
            return None
        except Exception:        # cut short, overwritten, another's, not a file...: a miss
            _remove(path)
            return None
        try:
            os.utime(path)           # used now: the last to go when the cache is pruned
        except OSError:
            pass
        return value

    def has(self, key: str) -> bool:
        return bool(self.folder) and self._path(key).is_file()

    def put(self, key: str, value) -> None:
        if not self.writable:
            return
        path = self._path(key)
        # level 1: parts are kept uncompressed for the join, which compresses once
        # the key goes with the value: an object found under another key is not used
        self._write(path, zlib.compress(pickle.dumps((key, value), protocol=5), 1))

    def _write(self, path: Path, data: bytes) -> None:
        if not self.writable:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, data)
        except OSError as exc:
            self._unwritable(exc)

    def _unwritable(self, exc: OSError) -> None:
        """From now on this build writes nothing to the cache, and says why, once (two
        writes that fail together, in two threads, are one problem)."""
        with self._failing:
            if not self.writable:
                return
            self.writable = False
        where = exc.filename or self.folder
        self.warnings.append(f"{where}: warning: cannot write to the cache "
                             f"({exc.strerror or exc}); building without it")

    def prune(self, limit: int | None = None, since: float | None = None) -> int:
        """Delete the objects used longest ago until those left take at most ``limit``
        bytes (default ``LIMIT``); an object used at or after ``since`` (the build's
        start) is kept whatever the limit. Returns the bytes freed."""
        if not self.folder:
            return 0
        limit = LIMIT if limit is None else limit
        entries = []
        try:
            buckets = [b.path for b in os.scandir(self.folder / "objects") if b.is_dir()]
        except OSError:
            return 0
        for bucket in buckets:
            try:
                objects = list(os.scandir(bucket))
            except OSError:
                continue
            for entry in objects:
                try:
                    st = entry.stat()
                except OSError:
                    continue
                entries.append((st.st_mtime, st.st_size, entry.path))
        total, freed = sum(size for _, size, _ in entries), 0
        for mtime, size, path in sorted(entries):
            if total - freed <= limit or (since is not None and mtime >= since):
                break
            try:
                os.unlink(path)
                freed += size
            except OSError:
                continue
        return freed

    # -- stamps: what the last successful build of an output folder came from ----------
    def _stamp(self, output: Path) -> Path:
        return self.folder / "stamps" / (digest(str(output.resolve())) + ".json")

    def unchanged(self, output: Path, inputs: str) -> tuple[list[Path], list[str]] | None:
        """The outputs of the last build, if its inputs were these and its files are intact."""
        if not self.folder:
            return None
        try:
            stamp = json.loads(self._stamp(output).read_text())
            if stamp["inputs"] != inputs:
                return None
            outputs = dict(stamp["outputs"])
            warnings = [str(w) for w in stamp["warnings"]]
        except Exception:        # no stamp, or not one this code wrote: build
            return None
        files = []
        for rel, sha in outputs.items():
            path = output / rel
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                    return None
            except OSError:
                return None
            files.append(path)
        return files, warnings

    def record(self, output: Path, inputs: str, files: dict[Path, bytes],
               warnings: list[str]) -> None:
        if not self.folder:
            return
        stamp = {"inputs": inputs, "warnings": warnings,
                 "outputs": {str(p.relative_to(output)): hashlib.sha256(d).hexdigest()
                             for p, d in sorted(files.items())}}
        self._write(self._stamp(output), json.dumps(stamp, indent=1).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    """Write under a temporary name, then rename: a reader sees all or nothing, and a
    failed write (a full disk) leaves nothing behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        _remove(Path(tmp))
        raise


def _remove(path: Path) -> None:
    """Drop a file or folder from the cache, if it can be."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
