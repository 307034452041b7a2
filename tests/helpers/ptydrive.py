#!/usr/bin/env python3
"""ptydrive: runs a command on a real pty, as its controlling terminal, through a scripted dialogue.

    ptydrive.py [--log FILE] [--rows R] [--cols C] [--timeout SECS] [--ignore SIG,...]
                [--script FILE] [-e STEP]... -- COMMAND [ARGS...]

The command runs in a new session whose controlling terminal is the slave of a fresh pty (stdin,
stdout and stderr are the slave), sized R x C (24 x 80 by default). The driver keeps the master and
its own descriptor of the slave: the master to talk and listen, the slave to read the terminal's
settings (termios) before and after, as the user's shell would find them once the command is done.
Like a terminal emulator's session, the command starts with every signal at its default disposition
and none blocked, whatever the driver inherited; --ignore INT,QUIT starts it with those ignored.

Steps come from --script FILE (one per line; blank lines and lines starting with # are skipped)
and then from each -e STEP, in order. A step is split like a shell word list (shlex: use single
quotes for text with spaces or backslashes):

    expect REGEX [TIMEOUT]    wait for REGEX (Python re, on the output decoded as latin-1) in the
                              output after the previous match; the match is consumed
    expectl TEXT [TIMEOUT]    the same for a literal TEXT
    send TEXT                 write TEXT to the master; escapes: \\r \\n \\t \\e \\0 \\\\ \\xHH
    resize ROWS COLS          TIOCSWINSZ on the master (the kernel sends SIGWINCH to the
                              terminal's foreground process group: the command)
    sleep SECS                wait, still collecting output
    hold SECS                 wait without reading: output piles up in the pty (and blocks the
                              command once the buffers are full)
    signal SIG                send SIG (name or number) to the command's pid
    shell CMD                 run CMD with /bin/sh -c (stdin /dev/null, its output goes to the log
                              and stderr); a non-zero exit fails the dialogue
    check-raw                 print outer_raw=1|0: whether the terminal is in raw mode now (no
                              ICANON, ECHO or ISIG), as the command left it
    wait [TIMEOUT]            wait for the command to exit; prints exit=N (N = its exit code, or
                              128+S when killed by signal S, then also signal=S)

TIMEOUT defaults to 10 s. When the steps are done and the command has not been waited for, an
implicit `wait` follows. Finally it prints termios_restored=1|0: whether the slave's termios equal
the ones before the command started (with termios_before= and termios_after= when they differ).

Everything the command writes goes to the --log transcript as it arrives, with the driver's own
steps as lines starting with `@@ptydrive:`. On failure (an expect timeout, the command exiting
before the expected output, a step error, --timeout for the whole dialogue) it prints one line
`ptydrive: ...` with the unmatched output on stderr, ends the command (SIGTERM, then SIGKILL after
2 s; only that pid) and exits 1. Usage errors exit 2. Otherwise it exits 0, whatever the command's
own exit status (that is in the exit= line).
"""

import argparse
import fcntl
import os
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time

DEFAULT_TIMEOUT = 10.0


class Failure(Exception):
    pass


def decode_escapes(text):
    out = bytearray()
    i = 0
    simple = {"r": 13, "n": 10, "t": 9, "e": 27, "0": 0, "\\": 92, "a": 7, "b": 8}
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 == len(text):
            out += ch.encode("utf-8")
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2 : i + 4]):
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        else:
            raise Failure("send: unknown escape \\%s in %r" % (nxt, text))
    return bytes(out)


def parse_signal(name):
    if name.isdigit():
        return int(name)
    name = name.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    try:
        return int(getattr(signal.Signals, name))
    except AttributeError:
        raise Failure("unknown signal %s" % name)


class Driver:
    def __init__(self, argv, rows, cols, log, ignore=()):
        self.log = log
        self.ignore = ignore
        self.master, self.slave = os.openpty()
        self.set_size(rows, cols)
        self.before = termios.tcgetattr(self.slave)
        self.buf = ""  # everything received, decoded as latin-1
        self.pos = 0  # where the next expect starts
        self.status = None
        self.pid = self.spawn(argv)
        os.set_blocking(self.master, False)

    def spawn(self, argv):
        # The exec error travels back on a pipe: a typo in the command must fail clearly.
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(rfd)
                # A fresh terminal session: every signal at its default and none blocked, not
                # what this process or its caller had (Python ignores SIGPIPE and SIGXFSZ, a
                # background job of a script ignores SIGINT and SIGQUIT); then what --ignore asks.
                for sig in range(1, signal.NSIG):
                    if sig in (signal.SIGKILL, signal.SIGSTOP):
                        continue
                    try:
                        signal.signal(sig, signal.SIG_DFL)
                    except (OSError, ValueError):
                        pass  # glibc's reserved real-time signals
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                for sig in self.ignore:
                    signal.signal(sig, signal.SIG_IGN)
                os.setsid()
                fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(self.slave, fd)
                if self.slave > 2:
                    os.close(self.slave)
                os.close(self.master)
                os.set_inheritable(wfd, False)
                os.execvp(argv[0], argv)
            except BaseException as e:  # noqa: B036 - the child must never return
                try:
                    os.write(wfd, ("exec %s: %s" % (argv[0], e)).encode())
                finally:
                    os._exit(127)
        os.close(wfd)
        err = b""
        while True:
            chunk = os.read(rfd, 4096)
            if not chunk:
                break
            err += chunk
        os.close(rfd)
        if err:
            os.waitpid(pid, 0)
            raise Failure(err.decode(errors="replace"))
        return pid

    def note(self, text):
        if self.log:
            self.log.write(("\n@@ptydrive: %s\n" % text).encode())
            self.log.flush()

    def set_size(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def pump(self, timeout):
        """Reads what the master has within timeout seconds; returns whether anything came."""
        r, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not r:
            return False
        got = False
        while True:
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                break
            except OSError:  # EIO: no slave left (cannot happen while we hold one)
                break
            if not data:
                break
            got = True
            self.buf += data.decode("latin-1")
            if self.log:
                self.log.write(data)
                self.log.flush()
        return got

    def reap(self):
        if self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = st
        return self.status is not None

    def tail(self):
        rest = self.buf[self.pos :]
        return repr(rest[-800:]) if rest else "(nothing)"

    def expect(self, pattern, timeout, literal):
        rx = re.compile(re.escape(pattern) if literal else pattern, re.M)
        deadline = time.monotonic() + timeout
        exited_at = None
        while True:
            m = rx.search(self.buf, self.pos)
            if m:
                self.pos = m.end()
                self.note("matched %r" % m.group(0))
                return
            now = time.monotonic()
            if exited_at is None and self.reap():
                exited_at = now
            # After an exit, only what is still in the pty's buffer can come.
            if exited_at is not None and now - exited_at > 0.5:
                raise Failure(
                    "command exited (%s) before %r appeared; unmatched output: %s"
                    % (self.describe_status(), pattern, self.tail())
                )
            if now >= deadline:
                raise Failure(
                    "timeout after %gs waiting for %r; unmatched output: %s"
                    % (timeout, pattern, self.tail())
                )
            self.pump(min(0.05, deadline - now))

    def send(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self.master], [], 0.05)
                self.pump(0)

    def sleep(self, secs):
        deadline = time.monotonic() + secs
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.pump(min(left, 0.05))

    def exit_code(self):
        st = self.status
        if os.WIFEXITED(st):
            return os.WEXITSTATUS(st), None
        return 128 + os.WTERMSIG(st), os.WTERMSIG(st)

    def describe_status(self):
        code, sig = self.exit_code()
        return "exit=%d" % code if sig is None else "signal %d" % sig

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.reap():
            if time.monotonic() >= deadline:
                raise Failure(
                    "timeout after %gs waiting for the command to exit; last output: %s"
                    % (timeout, repr(self.buf[-800:]))
                )
            self.pump(0.05)
        # Whatever is still buffered in the pty (we hold the slave: no EIO, so read until quiet).
        while self.pump(0.2):
            pass
        code, sig = self.exit_code()
        self.note("exited: exit=%d%s" % (code, "" if sig is None else " signal=%d" % sig))
        print("exit=%d" % code)
        if sig is not None:
            print("signal=%d" % sig)
        sys.stdout.flush()

    def shell(self, cmd, timeout):
        self.note("shell %s" % cmd)
        p = subprocess.Popen(
            ["/bin/sh", "-c", cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while p.poll() is None:
            if time.monotonic() >= deadline:
                p.kill()
                p.wait()
                raise Failure("shell: %r did not finish within %gs" % (cmd, timeout))
            self.pump(0.05)
        out = p.stdout.read()
        p.stdout.close()
        if self.log:
            self.log.write(b"@@ptydrive: shell output: " + out + b"\n")
            self.log.flush()
        sys.stderr.write(out.decode(errors="replace"))
        if p.returncode != 0:
            text = out.decode(errors="replace").strip()
            raise Failure("shell: %r exited %d: %s" % (cmd, p.returncode, text))

    def check_raw(self):
        attrs = termios.tcgetattr(self.slave)
        lflag = attrs[3]
        raw = not (lflag & (termios.ICANON | termios.ECHO | termios.ISIG))
        print("outer_raw=%d" % (1 if raw else 0))
        sys.stdout.flush()
        self.note("check-raw: lflag=%#o raw=%d" % (lflag, raw))

    def stop(self):
        """Ends the command (only it, by pid) when the dialogue failed."""
        if self.reap():
            return
        for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if self.reap():
                    return
                self.pump(0.05)

    def run_step(self, words):
        op, args = words[0], words[1:]

        def timeout_arg(i):
            if len(args) > i:
                try:
                    return float(args[i])
                except ValueError:
                    raise Failure("%s: bad timeout %r" % (op, args[i]))
            return DEFAULT_TIMEOUT

        def need(n_min, n_max):
            if not n_min <= len(args) <= n_max:
                raise Failure("step %r: wrong number of arguments" % shlex.join(words))

        self.note(shlex.join(words))
        if op in ("expect", "expectl"):
            need(1, 2)
            self.expect(args[0], timeout_arg(1), op == "expectl")
        elif op == "send":
            need(1, 1)
            self.send(decode_escapes(args[0]))
        elif op == "resize":
            need(2, 2)
            self.set_size(int(args[0]), int(args[1]))
        elif op == "sleep":
            need(1, 1)
            self.sleep(float(args[0]))
        elif op == "hold":
            need(1, 1)
            time.sleep(float(args[0]))
        elif op == "signal":
            need(1, 1)
            os.kill(self.pid, parse_signal(args[0]))
        elif op == "shell":
            need(1, 2)
            self.shell(args[0], timeout_arg(1) if len(args) > 1 else 60.0)
        elif op == "check-raw":
            need(0, 0)
            self.check_raw()
        elif op == "wait":
            need(0, 1)
            self.wait(timeout_arg(0))
        else:
            raise Failure("unknown step %r" % op)

    def finish(self):
        after = termios.tcgetattr(self.slave)
        same = after == self.before
        print("termios_restored=%d" % (1 if same else 0))
        if not same:
            names = ["iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed", "cc"]
            diff = [n for n, a, b in zip(names, self.before, after) if a != b]
            print("termios_differs=%s" % ",".join(diff))
            print("termios_before=%s" % self.before[:6])
            print("termios_after=%s" % after[:6])
        sys.stdout.flush()


def load_steps(args):
    lines = []
    if args.script:
        with open(args.script) as f:
            lines += f.read().splitlines()
    lines += args.e or []
    steps = []
    for line in lines:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            words = shlex.split(s)
        except ValueError as e:
            raise SystemExit("ptydrive: bad step %r: %s" % (line, e))
        steps.append(words)
    return steps


def main():
    p = argparse.ArgumentParser(
        description="Run a command on a pty through a scripted dialogue.",
        usage="%(prog)s [options] -- COMMAND [ARGS...]",
    )
    p.add_argument("--log", help="transcript file (everything received, and the steps)")
    p.add_argument("--rows", type=int, default=24)
    p.add_argument("--cols", type=int, default=80)
    p.add_argument("--timeout", type=float, default=120.0, help="bound for the whole dialogue")
    p.add_argument("--script", help="file of steps, one per line")
    p.add_argument(
        "--ignore",
        default="",
        metavar="SIG,...",
        help="signals the command starts with ignored (as under nohup or in a background job)",
    )
    p.add_argument("-e", action="append", metavar="STEP", help="one step (repeatable)")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        p.print_usage(sys.stderr)
        sys.stderr.write("ptydrive: missing COMMAND\n")
        return 2
    try:
        steps = load_steps(args)
    except OSError as e:
        sys.stderr.write("ptydrive: %s\n" % e)
        return 2

    log = open(args.log, "ab") if args.log else None

    def on_alarm(signum, frame):
        raise Failure("the whole dialogue took longer than --timeout %gs" % args.timeout)

    signal.signal(signal.SIGALRM, on_alarm)
    drv = None
    try:
        ignore = [parse_signal(n) for n in args.ignore.split(",") if n]
        drv = Driver(cmd, args.rows, args.cols, log, ignore)
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        for words in steps:
            drv.run_step(words)
        if drv.status is None:
            drv.run_step(["wait"])
        signal.setitimer(signal.ITIMER_REAL, 0)
        drv.finish()
        return 0
    except (Failure, OSError, ValueError) as e:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout.flush()
        sys.stderr.write("ptydrive: %s\n" % e)
        if drv is not None:
            drv.note("FAILED: %s" % e)
            drv.stop()
            if drv.reap():
                sys.stderr.write("ptydrive: the command ended: %s\n" % drv.describe_status())
        return 1
    finally:
        if log:
            log.close()


if __name__ == "__main__":
    sys.exit(main())
