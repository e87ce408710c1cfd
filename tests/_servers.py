"Helpers of the tests that start a local server (the web demo, JupyterLab): a free port, and waiting until it answers."
import socket, time, urllib.request


def free_port() -> int:
    "A TCP port on 127.0.0.1 that nothing listens on now."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def wait_for(url:str, proc, timeout:float=300) -> bool:
    "Wait until `url` answers (the server has started) or `proc` has exited."
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None: return False
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200: return True
        except OSError: time.sleep(1)
    return False
