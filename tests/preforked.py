"""Run `python -m worker ...`, `hiroba ...` and `python -c ...` as processes forked from a
server that has imported them already (issue 19: each fresh interpreter spent 1.3-3 s
importing SQLAlchemy, Alembic, Pelican, rq and our code before doing any work, for each of
several hundred runs).

What a test gets is still a real separate process running the command's own `main(argv)`
with the given environment, working folder, arguments and closed stdin, its stdout and
stderr captured and its exit status returned, like `subprocess.run`. Only the import is
shared: the server (one per pytest process, started at first use) imports the entry points
and what `python -m worker run` imports first (worker.run), and nothing else; it runs no
thread, opens no connection and reads no setting, so every child starts as clean as
`python -m worker` would; settings are read in the child, from its environment. A command
that replaces itself with another entry point (`hiroba build` and `hiroba republish` exec
`python -m worker build`) runs that entry point's main in the same child, as the exec'd
interpreter would, instead of importing everything again. Tests about the process itself
(signals, stopping, a crash, the console script, `python -m` startup) keep starting their
own with subprocess.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The entry points the server imports once: name -> (module, what `sys.argv[0]` shows).
ENTRY_POINTS = {"worker": "worker.__main__", "hiroba": "intake.cli"}
# What `python -m worker run` imports first thing in its main (the rq worker, the job modules
# its work-horses run, Argon2's dummy hash): imported once here too, as side-effect free as
# the entry points, instead of in each child (most of a second of CPU per worker run).
ALSO_IMPORTED = ("worker.run",)
# `python -c CODE` in a child, for the tests that run a few lines of our code as a process.
PYTHON_C = "python -c"


class Preforked:
    """A fork server (one per pytest process) and the client side of its pipes."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.pending = b""

    def _server(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
            self.pending = b""
            ready = self._answer(None)
            if ready != {"ready": True}:
                raise RuntimeError(f"the fork server did not start: {ready!r}")
        return self.process

    def _answer(self, deadline: float | None) -> dict | None:  # type: ignore[type-arg]
        """Read the server's next answer line; None when the deadline passes first."""
        assert self.process is not None and self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self.pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the fork server exited")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)  # type: ignore[no-any-return]

    def run(
        self, entry: str, argv: list[str], env: dict[str, str], cwd: str | Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run entry's main(argv) in a forked child; raise subprocess.TimeoutExpired (after
        killing the child and its descendants) when it takes longer than timeout."""
        server = self._server()
        assert server.stdin is not None
        with tempfile.TemporaryDirectory(prefix="preforked-") as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            request = {"entry": entry, "argv": argv, "env": env, "cwd": str(cwd)}
            request |= {"out": str(out), "err": str(err)}
            server.stdin.write(json.dumps(request).encode() + b"\n")
            started = self._answer(None)
            assert started is not None
            answer = self._answer(time.monotonic() + timeout)
            timed_out = answer is None
            if answer is None:
                _kill_tree(started["pid"])
                answer = self._answer(time.monotonic() + 60)
                if answer is None:
                    raise RuntimeError("the fork server stopped answering")
            stdout, stderr = out.read_text(), err.read_text()
        args = [entry, *argv]
        if timed_out:
            raise subprocess.TimeoutExpired(args, timeout, output=stdout, stderr=stderr)
        return subprocess.CompletedProcess(args, answer["returncode"], stdout, stderr)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _kill_tree(pid: int) -> None:
    from conftest import descendants

    for each in [pid, *descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(each, signal.SIGKILL)


PREFORKED = Preforked()
atexit.register(PREFORKED.close)


def run_worker(
    argv: list[str], env: dict[str, str], cwd: str | Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `python -m worker argv...` in a forked child (see the module docstring)."""
    return PREFORKED.run("worker", argv, env, cwd, timeout)


def run_hiroba(
    argv: list[str], env: dict[str, str], cwd: str | Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `hiroba argv...` in a forked child (see the module docstring)."""
    return PREFORKED.run("hiroba", argv, env, cwd, timeout)


def run_python(
    code: str, env: dict[str, str], cwd: str | Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `python -c code` in a forked child (see the module docstring)."""
    return PREFORKED.run(PYTHON_C, [code], env, cwd, timeout)


def _child(request: dict) -> int:  # type: ignore[type-arg]
    """In the forked child: become the command's process and run its main."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGPIPE"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.close(null)
    os.execv = _exec_entry_point  # type: ignore[assignment]
    return _main(request["entry"], request["argv"])


def _exec_entry_point(path: str, argv: list[str]) -> None:
    """os.execv in the child: `python -m <an entry point> ...` (what `hiroba build` becomes)
    runs that entry point's main here, imported already, and leaves as that process would;
    anything else (gunicorn) is exec'd for real."""
    if path == sys.executable and len(argv) >= 3 and argv[1] == "-m" and argv[2] in ENTRY_POINTS:
        _leave(_main(argv[2], list(argv[3:])))
    _REAL_EXECV(path, argv)


_REAL_EXECV = os.execv


def _main(entry: str, argv: list[str]) -> int:
    """Run entry's main(argv) as its own process would; return the exit status."""
    try:
        if entry == PYTHON_C:
            sys.argv = ["-c"]
            source = compile(argv[0], "<string>", "exec")
            exec(source, {"__name__": "__main__"})  # noqa: S102 - the test's code, as `python -c`
            code = 0
        else:
            module = sys.modules[ENTRY_POINTS[entry]]
            sys.argv = [module.__file__ or entry, *argv]
            code = module.main(argv)
    except SystemExit as stop:
        code = stop.code
    except BaseException:  # noqa: BLE001 - shown as the interpreter would, then exit 1
        import traceback

        traceback.print_exc()
        code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    return code


def serve() -> None:
    """The server: import the entry points, then fork one child per request line."""
    import gc
    import importlib

    sys.path[0] = str(Path(__file__).resolve().parent.parent)  # as `python -m` from the checkout
    for module in (*ENTRY_POINTS.values(), *ALSO_IMPORTED):
        importlib.import_module(module)
    # What the imports made is kept for good: out of the collector's sight, so a child's
    # collections do not walk (and copy, page by page) the objects it shares with us.
    gc.collect()
    gc.freeze()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _leave(_child(request))
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": _returncode(status)}), flush=True)


def _leave(code: int) -> None:
    """Exit the child as an interpreter does, minus tearing down every module (most of a
    second of CPU after these imports): wait for its threads, run its atexit handlers,
    flush its output."""
    import atexit
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _returncode(status: int) -> int:
    """The exit status as subprocess reports it: minus the signal for a killed child."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    serve()
