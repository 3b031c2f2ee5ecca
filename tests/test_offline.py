"""Loading the engines and reading a page never opens a network connection."""

import subprocess
import sys
import textwrap

import pytest

GUARD = textwrap.dedent(
    """
    import socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network blocked by test")
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from kiosk.capture.synthetic import receipt_page
    from kiosk.ocr.engine import create_engine
    engine = create_engine(sys.argv[1])
    texts = [line.text for line in engine.read(receipt_page())]
    print("TOTAL" in " ".join(texts), len(attempts))
    """
)


@pytest.mark.parametrize("name", ["onnx", "paddle"])
def test_engine_loads_and_reads_with_sockets_blocked(name):
    result = subprocess.run([sys.executable, "-c", GUARD, name], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "0"]
