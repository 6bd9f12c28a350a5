"""A real OpenSearch node for tests, the bench and development, fetched and started the same way everywhere.

``make opensearch`` / ``make opensearch-stop``, the contract suite's fixture
and the bench all call this module. It fetches OpenSearch's own minimal
distribution (``org.opensearch.distribution.integ-test-zip``) from Maven
Central with ``mvn`` once, into a cache outside the repository, and runs it
on 127.0.0.1 as a single node with the security plugin absent (that
distribution has none), disk watermarks off and a heap sized for a 2-core,
24 GB machine.

That distribution carries only the transport module; the character n-gram
and whitespace tokenizers the ``opensearch`` engine's mapping needs live in
the ``analysis-common`` module, which Maven Central serves as a plain jar
(not as the module zip). We install that jar as a module with a descriptor
written here. Upstream it declares ``extended.plugins=lang-painless`` only
to offer analysis scripts to Painless; without Painless installed it loads
and serves every tokenizer and filter.

OpenSearch refuses to run as root, and CI runs as root: then the node runs
as the system user ``opensearch`` (created if missing), and the cache lives
in /var/cache/shuzhi/opensearch, which that user can read (root's home
cannot be). Measured on this 2-core machine: the first fetch (Maven's own
plugins and the 56 MB zip) 11 s; unpacking 2 s; a start until the cluster
answers green about 15 s.

    python -m tests.support.opensearch start [--port 9200]
    python -m tests.support.opensearch stop  [--port 9200]
    python -m tests.support.opensearch status
    python -m tests.support.opensearch run -- COMMAND...   (what ``make test`` does)
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

#: The newest 2.x release Maven Central serves that runs on Java 17 (3.x needs Java 21).
VERSION = "2.19.6"
DISTRIBUTION = f"org.opensearch.distribution.integ-test-zip:opensearch:{VERSION}:zip"
ANALYSIS_COMMON = f"org.opensearch.plugin:analysis-common:{VERSION}"
#: The user a node runs as when we are root.
SERVICE_USER = "opensearch"
DEFAULT_PORT = 9200
#: Half a GB per node would do for the test corpus; 1 GB leaves room for the bench at 10k reports and for
#: three soak nodes (3 GB) on a 24 GB machine.
DEFAULT_HEAP = "1g"
START_TIMEOUT = 180.0


class NodeError(RuntimeError):
    """The node could not be fetched or started; the message says why (with the log's last lines)."""


def cache_dir() -> Path:
    """``$SHUZHI_CACHE``, else /var/cache/shuzhi/opensearch as root (readable by the service user), else
    ~/.cache/shuzhi/opensearch."""
    if os.environ.get("SHUZHI_CACHE"):
        return Path(os.environ["SHUZHI_CACHE"]) / "opensearch"
    if os.geteuid() == 0:
        return Path("/var/cache/shuzhi/opensearch")
    return Path.home() / ".cache" / "shuzhi" / "opensearch"


def port_from_env() -> int:
    return int(os.environ.get("OPENSEARCH_PORT") or DEFAULT_PORT)


def url_for(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def java_home() -> str:
    """``$JAVA_HOME``, else the JDK the ``java`` on PATH belongs to."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if not java:
        raise NodeError("java is not installed: OpenSearch needs Java 17 (apt-get install openjdk-17-jre-headless)")
    return str(Path(java).resolve().parent.parent)


def _mvn_copy(artifact: str, dest: Path) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise NodeError("mvn is not installed: it fetches OpenSearch from Maven Central (apt-get install maven)")
    done = subprocess.run([mvn, "-q", "-B", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={dest}"],
                          capture_output=True, text=True, cwd=dest)
    if done.returncode:
        raise NodeError(f"mvn could not fetch {artifact}:\n{(done.stdout + done.stderr)[-3000:]}")


def home() -> Path:
    return cache_dir() / f"opensearch-{VERSION}"


def fetch() -> Path:
    """The unpacked distribution with the analysis-common module, fetched once; its path."""
    root = cache_dir()
    target = home()
    if (target / ".ready").exists():
        return target
    downloads = root / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"opensearch-{VERSION}.zip"
    jar = downloads / f"analysis-common-{VERSION}.jar"
    if not archive.exists():
        _mvn_copy(DISTRIBUTION, downloads)
    if not jar.exists():
        _mvn_copy(ANALYSIS_COMMON, downloads)
    if target.exists():
        shutil.rmtree(target)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root)
    for script in (target / "bin").iterdir():  # zipfile drops the executable bits
        script.chmod(0o755)
    module = target / "modules" / "analysis-common"
    module.mkdir(parents=True, exist_ok=True)
    shutil.copy(jar, module / jar.name)
    (module / "plugin-descriptor.properties").write_text(
        "description=Adds analysis components (n-gram and whitespace tokenizers among them)\n"
        f"version={VERSION}\nname=analysis-common\n"
        "classname=org.opensearch.analysis.common.CommonAnalysisPlugin\n"
        f"java.version=11\nopensearch.version={VERSION}\ncustom.foldername=\nextended.plugins=\n"
        "has.native.controller=false\n")
    (target / ".ready").write_text(VERSION)
    return target


def _service_user() -> tuple[int, int] | None:
    """(uid, gid) to run a node as: ``opensearch`` (created if missing) when we are root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SERVICE_USER], check=True)
        entry = pwd.getpwnam(SERVICE_USER)
    return entry.pw_uid, entry.pw_gid


def _chown_tree(path: Path, ids: tuple[int, int] | None) -> None:
    if ids is None:
        return
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, *ids)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), *ids)


def _get(url: str, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def health(url: str) -> dict | None:
    """The cluster's health, or None when nothing answers at ``url`` (a busy node gets 10 s)."""
    return _get(url.rstrip("/") + "/_cluster/health", timeout=10.0)


@dataclass
class Node:
    """One node's settings and folders (config, data, logs) under the cache; the distribution is shared."""

    port: int = DEFAULT_PORT
    heap: str = DEFAULT_HEAP
    cluster: str = "shuzhi"
    #: Transport ports of every node of a cluster (empty: a single-node cluster).
    peers: list[int] = field(default_factory=list)
    #: The node's process when this object started it.
    proc: subprocess.Popen | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"node-{self.port}"

    @property
    def transport_port(self) -> int:
        return self.port + 100

    @property
    def dir(self) -> Path:
        return cache_dir() / "nodes" / str(self.port)

    @property
    def pid_file(self) -> Path:
        return self.dir / "node.pid"

    @property
    def url(self) -> str:
        return url_for(self.port)

    def settings(self) -> str:
        lines = [
            f"cluster.name: {self.cluster}", f"node.name: {self.name}", "network.host: 127.0.0.1",
            f"http.port: {self.port}", f"transport.port: {self.transport_port}",
            f"path.data: {self.dir / 'data'}", f"path.logs: {self.dir / 'logs'}",
            # Test machines run with little free disk: never refuse shards or go read-only for it.
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "action.destructive_requires_name: false",
        ]
        if self.peers:
            lines.append("discovery.seed_hosts: [" + ", ".join(f'"127.0.0.1:{p}"' for p in self.peers) + "]")
            lines.append("cluster.initial_cluster_manager_nodes: [" +
                         ", ".join(f'"node-{p - 100}"' for p in self.peers) + "]")
        else:
            lines.append("discovery.type: single-node")
        return "\n".join(lines) + "\n"

    def jvm_options(self) -> str:
        return "\n".join([
            f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-XX:G1ReservePercent=25",
            "-XX:InitiatingHeapOccupancyPercent=30", f"-Djava.io.tmpdir={self.dir / 'tmp'}",
            f"-XX:ErrorFile={self.dir / 'logs'}/hs_err_pid%p.log",
            ("-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
             "org.opensearch.secure_sm.SecuredForkJoinWorkerThreadFactory"),
        ]) + "\n"

    def pid(self) -> int | None:
        """The running node's process id (from our pid file, else asked of the node itself, if it runs from
        this node's folder), or None."""
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            pass
        answer = _get(f"{self.url}/_nodes/_local/process")
        for node in (answer or {}).get("nodes", {}).values():
            pid = node.get("process", {}).get("id")
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    ours = f"-Dopensearch.path.conf={self.dir / 'config'}".encode() in f.read()
            except OSError:
                ours = False
            if ours:
                return int(pid)
        return None

    def start(self, timeout: float = START_TIMEOUT, wait_for: str = "yellow") -> float:
        """Start the node unless one of ours runs already, and wait until its cluster is ``wait_for``;
        seconds taken."""
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise NodeError(f"OpenSearch on port {self.port} exited with {self.proc.returncode}:\n"
                                f"{self.log_tail()}")
            if self.proc is None and self.pid() is None:  # none of ours runs (or one just ended): start one
                if health(self.url):
                    raise NodeError(f"something else answers on port {self.port}: set OPENSEARCH_PORT to a "
                                    "free port")
                self._launch()
            state = _get(f"{self.url}/_cluster/health?wait_for_status={wait_for}&timeout=1s")
            if state and not state.get("timed_out"):
                return time.monotonic() - started
            time.sleep(0.5)
        self.stop()
        raise NodeError(f"OpenSearch on port {self.port} did not become {wait_for} in {timeout:.0f} s:\n"
                        f"{self.log_tail()}")

    def _launch(self) -> None:
        dist = fetch()
        ids = _service_user()
        _chown_tree(cache_dir(), ids)  # the service user reads the distribution and owns the node folders
        config = self.dir / "config"
        for sub in ("config", "data", "logs", "tmp"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (config / "opensearch.yml").write_text(self.settings())
        (config / "jvm.options").write_text(self.jvm_options())
        (config / "jvm.options.d").mkdir(exist_ok=True)
        shutil.copy(dist / "config" / "log4j2.properties", config / "log4j2.properties")
        _chown_tree(self.dir, ids)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENSEARCH_", "JAVA_TOOL"))}
        env.update(OPENSEARCH_PATH_CONF=str(config), OPENSEARCH_JAVA_HOME=java_home(), HOME=str(self.dir))
        with open(self.dir / "logs" / "stdout.log", "ab") as log:
            self.proc = subprocess.Popen([str(dist / "bin" / "opensearch")], cwd=self.dir, env=env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, user=ids[0] if ids else None,
                                         group=ids[1] if ids else None)
        self.pid_file.write_text(str(self.proc.pid))

    def log_tail(self, lines: int = 30) -> str:
        path = self.dir / "logs" / "stdout.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def kill(self) -> None:
        """SIGKILL, as a crash would (the soak's failover)."""
        pid = self.proc.pid if self.proc is not None and self.proc.poll() is None else self.pid()
        if pid:
            os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 30)
        self.proc = None

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the node we started (SIGTERM, then SIGKILL); False when none was running."""
        pid = self.proc.pid if self.proc is not None and self.proc.poll() is None else self.pid()
        if not pid:
            return False
        os.killpg(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
        self.pid_file.unlink(missing_ok=True)
        self.proc = None
        return True

    def wipe(self) -> None:
        """Forget the node's data (a fresh cluster next start)."""
        shutil.rmtree(self.dir / "data", ignore_errors=True)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
            if done:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.opensearch", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["fetch", "start", "stop", "status", "run"])
    parser.add_argument("--port", type=int, default=port_from_env())
    parser.add_argument("--heap", default=DEFAULT_HEAP)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="with run: the command to run beside a node")
    args = parser.parse_args(argv)
    node = Node(args.port, args.heap)
    if args.action == "run":
        return run_beside(node, [c for c in args.command if c != "--"] if args.command[:1] == ["--"] else args.command)
    try:
        if args.action == "fetch":
            started = time.monotonic()
            print(f"OpenSearch {VERSION} in {fetch()} ({time.monotonic() - started:.1f} s)")
        elif args.action == "start":
            seconds = node.start()
            print(f"OpenSearch {VERSION} answers on {node.url} (pid {node.pid()}, started in {seconds:.1f} s; "
                  f"logs in {node.dir / 'logs'})")
        elif args.action == "stop":
            print(f"stopped OpenSearch on port {args.port}" if node.stop() else f"no node of ours on port {args.port}")
        else:
            state = health(node.url)
            print(json.dumps(state) if state else f"nothing answers on {node.url}")
            return 0 if state else 1
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_beside(node: Node, command: list[str]) -> int:
    """Run ``command`` with a node answering (one already running is used and left running; one started here
    is stopped after). Without a node the command still runs, and the tests that need one skip, except in CI
    (``CI=true``), where they fail."""
    started = False
    if not health(node.url):
        try:
            seconds = node.start()
            started = True
            print(f"OpenSearch {VERSION} started on {node.url} in {seconds:.1f} s (for the test suite)", flush=True)
        except NodeError as exc:
            print(f"note: no OpenSearch node for the tests: {exc}", file=sys.stderr, flush=True)
    try:
        return subprocess.call(command, env=dict(os.environ, OPENSEARCH_PORT=str(node.port)))
    finally:
        if started:
            node.stop()


if __name__ == "__main__":
    sys.exit(main())


def test_node() -> tuple[str, Node | None]:
    """(url, the node this call started or None) for a test session: a node already answering on
    ``OPENSEARCH_PORT`` (``make test`` starts one) is used as it is; else one is started here."""
    node = Node(port_from_env())
    if health(node.url):
        return node.url, None
    node.start()
    return node.url, node


def drop_indexes(url: str, aliases: list[str]) -> None:
    """Delete the indexes behind test archives' aliases (and any a killed rebuild left)."""
    from opensearchpy import OpenSearch

    es = OpenSearch(hosts=[url])
    try:
        for alias in aliases:
            es.indices.delete(index=f"{alias}-m*", ignore_unavailable=True)
    finally:
        es.close()
