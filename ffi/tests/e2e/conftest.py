"""The real server for the end-to-end binding tests: one per test session,
shared by every test module (each test uses its own forces)."""

import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading

import pytest

from harness import ADMIN_PASSWORD


@pytest.fixture(scope="session")
def server():
    """The real server on an embedded cluster in a temporary folder."""
    binary = os.environ["FATIGUE_SERVER"]
    # The cluster runs as the `postgres` user, who must be able to enter the folder.
    data = tempfile.mkdtemp(prefix="fatigue-bindings-e2e-", dir="/var/tmp")
    os.chmod(data, 0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "FATIGUE_CONFIG")}
    env.update(FATIGUE_DATA_DIR=data, FATIGUE_BIND="127.0.0.1:0", FATIGUE_WORKERS="2",
               FATIGUE_POOL_SIZE="4", FATIGUE_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
               RUST_LOG="warn",
               # Every phone and every account of the session signs in or
               # enrols from this one loopback address within a minute or two.
               FATIGUE_ENROL_PER_MINUTE="100", FATIGUE_SIGN_IN_PER_MINUTE="60")
    proc = subprocess.Popen([binary, "serve"], stdout=subprocess.PIPE, env=env, text=True)
    lines = queue.Queue()

    def drain():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    url = None
    try:
        while url is None:
            line = lines.get(timeout=60)
            assert line is not None, "the server exited before listening"
            if line.startswith("listening on "):
                url = line.split("listening on ", 1)[1].strip()
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)

