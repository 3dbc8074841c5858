#!/usr/bin/python3
"""unit_sandbox.py: run a command under the restrictions a systemd unit file
asks for, as far as they can be had without systemd as PID 1.

    unit_sandbox.py UNIT --uid N --state DIR [--runtime DIR] [--keep DIR]... -- CMD...

--keep DIR stays visible (read-only) at its path whatever the unit hides
(PrivateTmp=, ProtectHome=): the tree the programs under test come from.

Reproduced from the unit's [Service] section:
  mount namespace: ProtectSystem=strict (every mount read-only), the
    StateDirectory= (DIR bound at /var/lib/NAME) and RuntimeDirectory= (bound
    at /run/NAME) and ReadWritePaths= writable, PrivateTmp= (fresh /tmp,
    /var/tmp), ProtectHome= (empty read-only /home, /root, /run/user),
    PrivateDevices= (a /dev with null, zero, full, random, urandom, tty and
    the BindPaths= devices; /dev/net/tun mode 0666 as Debian's udev makes
    it, whatever this machine's is), ProtectKernelTunables= (/proc/sys, /sys
    read-only), ProtectKernelModules= (no /lib/modules), ProtectProc= and
    ProcSubset= (a proc mount with hidepid= and subset=);
  credentials (setpriv): User= (the numeric --uid, no supplementary
    groups), CapabilityBoundingSet=, AmbientCapabilities=, NoNewPrivileges=,
    UMask=;
  seccomp (libseccomp): SystemCallFilter= (groups expanded by
    systemd-analyze syscall-filter) with SystemCallErrorNumber=,
    SystemCallArchitectures=native, RestrictAddressFamilies= (socket()'s
    family), MemoryDenyWriteExecute= (mmap/mprotect/pkey_mprotect/shmat),
    LockPersonality=, RestrictNamespaces= (clone/unshare flags, setns,
    clone3 answered ENOSYS as systemd does).
Not reproduced: PrivateUsers=, PrivateIPC=, ProtectClock=, ProtectHostname=,
RestrictRealtime=, RestrictSUIDSGID=, RemoveIPC=, KeyringMode=, the
DeviceAllow= cgroup filter, IPAddressDeny=, LimitNOFILE= (left as it is).
Root only.  Prints one line per step it could not take (and fails).
"""
import ctypes
import json
import os
import stat
import subprocess
import sys

CLONE_NEWNS = 0x00020000
NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | \
    0x20000000 | 0x40000000 | 0x00000080  # mnt cgroup uts ipc user pid net time
libc = ctypes.CDLL(None, use_errno=True)
SYS_OPEN_TREE, SYS_MOVE_MOUNT = 428, 429          # x86_64, Linux 5.2
OPEN_TREE_CLONE, AT_RECURSIVE, AT_FDCWD = 1, 0x8000, -100
MOVE_MOUNT_F_EMPTY_PATH = 4


def detach_copy(path):
    """A detached copy of the mount tree at path (open_tree(2)), as an fd."""
    fd = libc.syscall(SYS_OPEN_TREE, AT_FDCWD, path.encode(),
                      OPEN_TREE_CLONE | AT_RECURSIVE | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "open_tree(%s)" % path)
    return fd


def attach(fd, path):
    """Mounts a detached tree at path (move_mount(2)), making path first."""
    os.makedirs(path, exist_ok=True)
    if libc.syscall(SYS_MOVE_MOUNT, fd, b"", AT_FDCWD, path.encode(),
                    MOVE_MOUNT_F_EMPTY_PATH) != 0:
        raise OSError(ctypes.get_errno(), "move_mount(%s)" % path)
    os.close(fd)


def parse_unit(path):
    """The [Service] section: key -> list of values, in order."""
    out, section, pending = {}, None, ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if pending:
                line, pending = pending + " " + line.strip(), ""
            if line.endswith("\\"):
                pending = line[:-1]
                continue
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("["):
                section = s
                continue
            if section == "[Service]" and "=" in s:
                k, v = s.split("=", 1)
                out.setdefault(k.strip(), []).append(v.strip())
    return out


def last(unit, key, default=""):
    return unit.get(key, [default])[-1]


def yes(unit, key):
    return last(unit, key, "no") in ("yes", "true", "1", "on", "strict", "full")


def sh(*argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(" ".join(argv) + ": " + r.stderr.strip())


def mountpoints():
    with open("/proc/self/mountinfo") as f:
        return [ln.split()[4].replace("\\040", " ") for ln in f]


def setup_mounts(unit, state, runtime, keep):
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    sh("mount", "--make-rprivate", "/")
    kept = [(p, os.stat(p), detach_copy(p)) for p in keep]
    # Copies taken first: the state may itself live under /var/lib.
    state_dirs = " ".join(unit.get("StateDirectory", [])).split()
    state_fds = [detach_copy(state) for _ in state_dirs]
    runtime_dirs = " ".join(unit.get("RuntimeDirectory", [])).split()
    if runtime_dirs and runtime is None:
        raise RuntimeError("the unit has RuntimeDirectory=: give --runtime")
    runtime_fds = [detach_copy(runtime) for _ in runtime_dirs]
    writable = []
    # /var/lib is a scratch tmpfs holding the StateDirectory= (as the unit
    # sees nothing else writable there) and what the sandbox builds (/dev).
    scratch = "/var/lib"
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", scratch)
    for name, fd in zip(state_dirs, state_fds):
        target = os.path.join("/var/lib", name)
        attach(fd, target)
        writable.append(target)
    for name, fd in zip(runtime_dirs, runtime_fds):
        target = os.path.join("/run", name)
        attach(fd, target)
        writable.append(target)
    if yes(unit, "PrivateDevices"):
        dev = os.path.join(scratch, ".dev")
        os.makedirs(dev)
        sh("mount", "-t", "tmpfs", "-o", "mode=0755,nosuid,noexec", "tmpfs", dev)
        nodes = ["null", "zero", "full", "random", "urandom", "tty"]
        for spec in " ".join(unit.get("BindPaths", [])).split():
            spec = spec.lstrip("-")
            if spec.startswith("/dev/") and os.path.exists(spec):
                nodes.append(spec[len("/dev/"):])
        for n in nodes:
            p = os.path.join(dev, n)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if n == "net/tun":
                # Debian's udev makes it 0666 (50-udev-default.rules); a
                # machine without udev may have it 0600, which only root
                # opens: the node as udev would have made it.
                os.mknod(p, stat.S_IFCHR | 0o666, os.stat("/dev/net/tun").st_rdev)
                os.chmod(p, 0o666)
                continue
            open(p, "w").close()
            sh("mount", "--bind", "/dev/" + n, p)
        for d in ("pts", "shm"):
            os.makedirs(os.path.join(dev, d))
        sh("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts", dev + "/pts")
        sh("mount", "-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", dev + "/shm")
        for n, t in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                     ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                     ("ptmx", "pts/ptmx")):
            os.symlink(t, os.path.join(dev, n))
        sh("mount", "--move", dev, "/dev")
    if yes(unit, "PrivateTmp"):
        for d in ("/tmp", "/var/tmp"):
            sh("mount", "-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", d)
            writable.append(d)
    if yes(unit, "ProtectHome"):
        for d in ("/home", "/root", "/run/user"):
            if os.path.isdir(d):
                # Read-only with everything else below; writable until the
                # kept trees have their mount points.
                sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
    hide = last(unit, "ProtectProc", "default")
    subset = last(unit, "ProcSubset", "all")
    if hide != "default" or subset != "all":
        opts = "nosuid,nodev,noexec,hidepid=" + hide
        if subset == "pid":
            opts += ",subset=pid"
        sh("mount", "-t", "proc", "-o", opts, "proc", "/proc")
    if yes(unit, "ProtectKernelTunables"):
        for d in ("/proc/sys", "/proc/sysrq-trigger", "/sys"):
            if os.path.exists(d):
                sh("mount", "--rbind", d, d)
    for spec in " ".join(unit.get("ReadWritePaths", [])).split():
        p = spec.lstrip("-")
        if os.path.exists(p):
            sh("mount", "--bind", p, p)
            writable.append(p)
    if yes(unit, "ProtectKernelModules"):
        for d in ("/lib/modules", "/usr/lib/modules"):
            if os.path.isdir(d) and not os.path.islink(d):
                sh("mount", "-t", "tmpfs", "-o", "ro,mode=0755", "tmpfs", d)
    for path, st, fd in kept:
        try:
            now = os.stat(path)
            hidden = (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino)
        except FileNotFoundError:
            hidden = True
        if hidden:
            attach(fd, path)
        else:
            os.close(fd)
    # ProtectSystem=strict: everything read-only but the writable paths and
    # the API file systems (/dev, /proc; /sys only with ProtectKernelTunables).
    if last(unit, "ProtectSystem") != "strict":
        raise RuntimeError("only ProtectSystem=strict is reproduced")
    tunables = yes(unit, "ProtectKernelTunables")
    keep_rw = set(writable)
    for mp in mountpoints():
        if mp in keep_rw or mp == "/dev" or mp.startswith("/dev/"):
            continue
        if mp == "/proc" or (mp.startswith("/proc/") and mp not in ("/proc/sys", "/proc/sysrq-trigger")):
            continue
        if (mp == "/sys" or mp.startswith("/sys/")) and not tunables:
            continue
        if mp in ("/proc/sys", "/proc/sysrq-trigger") and not tunables:
            continue
        r = subprocess.run(["mount", "-o", "remount,bind,ro", mp], capture_output=True)
        if r.returncode != 0 and not mp.startswith("/run/netns/"):
            raise RuntimeError("cannot make %s read-only" % mp)
    os.umask(int(last(unit, "UMask", "0022"), 8))


def caps(unit, key):
    return [c.lower()[len("cap_"):] for c in " ".join(unit.get(key, [])).split()]


def setpriv_argv(unit, uid):
    bounding = caps(unit, "CapabilityBoundingSet")
    ambient = caps(unit, "AmbientCapabilities")
    argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
            "--bounding-set=" + ",".join(["-all"] + ["+" + c for c in bounding]),
            "--inh-caps=" + ",".join(["-all"] + ["+" + c for c in ambient])]
    if ambient:
        argv.append("--ambient-caps=" + ",".join(["+" + c for c in ambient]))
    if yes(unit, "NoNewPrivileges") or unit.get("SystemCallFilter"):
        argv.append("--no-new-privs")
    return argv


def syscall_group(name, seen):
    """The system calls of @name, its nested groups expanded."""
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         capture_output=True, text=True, check=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        calls |= syscall_group(s, seen) if s.startswith("@") else {s}
    return calls


def expand(tokens):
    calls = set()
    for t in tokens:
        calls |= syscall_group(t, set()) if t.startswith("@") else {t}
    return calls


def seccomp_plan(unit):
    """What the filter allows, worked out before the credentials change:
    the second stage may no longer see the unit file (PrivateTmp=)."""
    filters = unit.get("SystemCallFilter", [])
    if not filters:
        return None
    allow = set()
    for f in filters:
        if f.startswith("~"):
            allow -= expand(f[1:].split())
        else:
            allow |= expand(f.split())
    return {"allow": sorted(allow), "errno": last(unit, "SystemCallErrorNumber"),
            "families": last(unit, "RestrictAddressFamilies").split(),
            "mdwe": yes(unit, "MemoryDenyWriteExecute"),
            "personality": yes(unit, "LockPersonality"),
            "namespaces": yes(unit, "RestrictNamespaces")}


def load_seccomp(plan):
    import errno
    import mmap
    import socket
    import seccomp

    allow = set(plan["allow"])
    num = plan["errno"]
    default = seccomp.ERRNO(getattr(errno, num)) if num else seccomp.KILL_PROCESS
    flt = seccomp.SyscallFilter(defaction=default)
    special = {}
    if plan["families"]:
        special["socket"] = [[seccomp.Arg(0, seccomp.EQ, int(getattr(socket, fam)))]
                             for fam in plan["families"]]
    if plan["mdwe"]:
        # Never writable and executable at once, nothing made executable later.
        for call in ("mmap", "mmap2"):
            special[call] = [[seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_WRITE, 0)],
                             [seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, 0)]]
        for call in ("mprotect", "pkey_mprotect"):
            special[call] = [[seccomp.Arg(2, seccomp.MASKED_EQ, mmap.PROT_EXEC, 0)]]
        special["shmat"] = [[seccomp.Arg(2, seccomp.MASKED_EQ, 0o100000, 0)]]  # SHM_EXEC
    if plan["personality"]:
        special["personality"] = [[seccomp.Arg(0, seccomp.EQ, 0)],
                                  [seccomp.Arg(0, seccomp.EQ, 0xffffffff)]]
    if plan["namespaces"]:
        special["clone"] = [[seccomp.Arg(0, seccomp.MASKED_EQ, NS_FLAGS, 0)]]
        special["unshare"] = [[seccomp.Arg(0, seccomp.MASKED_EQ, NS_FLAGS, 0)]]
        special["setns"] = []
        if "clone3" in allow:
            allow.discard("clone3")
            flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for call in sorted(allow):
        try:
            if seccomp.resolve_syscall(seccomp.Arch.NATIVE, call) < 0:
                continue  # not a system call of this architecture
        except (ValueError, RuntimeError):
            continue
        for args in special.get(call, [[]]):
            flt.add_rule(seccomp.ALLOW, call, *args)
    flt.load()


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: unit_sandbox.py UNIT --uid N --state DIR [--runtime DIR] -- CMD...")
    i = argv.index("--")
    opts, cmd = argv[:i], argv[i + 1:]
    if opts == ["--exec-seccomp"]:
        # Second stage: already confined by the mounts and setpriv.
        plan = os.environ.pop("UNIT_SANDBOX_SECCOMP", "")
        if plan:
            load_seccomp(json.loads(plan))
        os.execvp(cmd[0], cmd)
    unit_path, uid, state, runtime, keep = opts[0], None, None, None, []
    it = iter(opts[1:])
    for o in it:
        if o == "--uid":
            uid = int(next(it))
        elif o == "--state":
            state = next(it)
        elif o == "--runtime":
            runtime = next(it)
        elif o == "--keep":
            keep.append(os.path.realpath(next(it)))
    if uid is None or state is None:
        sys.exit("unit_sandbox: --uid and --state are required")
    unit = parse_unit(unit_path)
    plan = seccomp_plan(unit)
    if plan is not None:
        os.environ["UNIT_SANDBOX_SECCOMP"] = json.dumps(plan)
    try:
        setup_mounts(unit, state, runtime, keep)
    except (OSError, RuntimeError) as e:
        sys.exit("unit_sandbox: %s" % e)
    # /usr/bin/python3: ProtectHome= may hide another interpreter.
    os.execvp("setpriv", setpriv_argv(unit, uid) +
              ["--", "/usr/bin/python3", os.path.abspath(__file__), "--exec-seccomp",
               "--"] + cmd)


if __name__ == "__main__":
    main()
