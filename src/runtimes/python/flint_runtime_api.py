"""The Python runtime's HTTP/1.1 client for the Runtime API (used by flint_runtime.py).

A small HTTP/1.1 client on one kept-alive TCP connection. http.client would do, but importing it
pulls in email.* and ssl: measured, ~50 ms of start and several MiB per runtime process (the AWS
Python runtime interface client uses a C extension for the same reason); socket.py's wrapper
around the C module adds selectors, array and more (~0.4 MiB) for nothing used here. The Runtime
API is the only peer and the runtime asks one thing at a time: a request is one send, a response
is a status line, headers and a body framed by Content-Length (what Flint's Runtime API sends) or
chunked.
"""
import _socket
import os

RUNTIME_API = os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
HOST, _, PORT = RUNTIME_API.rpartition(":")
HOST = HOST[1:-1] if HOST.startswith("[") else HOST
# In a bwrap sandbox AWS_LAMBDA_RUNTIME_API is a relay (127.0.0.1:9001) in front of a unix socket the
# host serves: this runtime talks to the socket itself, one process hop fewer each way; code that
# reads AWS_LAMBDA_RUNTIME_API still finds the relay.
_SANDBOX_SOCKET = "/run/flint/runtime-api.sock"
_UNIX_PATH = _SANDBOX_SOCKET if RUNTIME_API == "127.0.0.1:9001" and os.path.exists(_SANDBOX_SOCKET) else None


class _ProtocolError(Exception):
    pass


_HOST_LINE = " HTTP/1.1\r\nHost: " + RUNTIME_API + "\r\n"
_SMALL_BODY = 64 * 1024
_MAX_LINE = 64 * 1024
_sock = None
_rbuf = bytearray()  # received and not yet consumed


def _connect():
    global _sock
    if _UNIX_PATH is not None:
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.connect(_UNIX_PATH)
        except OSError:
            s.close()
            raise
        _sock = s
        _rbuf.clear()
        return
    err = OSError(f"no address for the Runtime API at {RUNTIME_API}")
    for family, kind, proto, _name, addr in _socket.getaddrinfo(HOST, int(PORT), 0, _socket.SOCK_STREAM):
        s = _socket.socket(family, kind, proto)
        try:
            s.connect(addr)
        except OSError as e:
            s.close()
            err = e
            continue
        s.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        _sock = s
        _rbuf.clear()
        return
    raise err


def _disconnect():
    global _sock
    if _sock is not None:
        try:
            _sock.close()
        except OSError:
            pass
    _sock = None
    _rbuf.clear()


def request(method, full_path, body=None, error_type=None):
    """One Runtime API request on the kept-alive connection (re-opened once if it dropped).

    Returns (status, headers with lower-case names, body bytes); `body` is bytes (JSON) or None,
    `error_type` becomes Lambda-Runtime-Function-Error-Type.
    """
    head = method + " " + full_path + _HOST_LINE
    # A header value must be visible ASCII; an error type that is not stays in the body only
    # (Flint reads it from there when the header is absent).
    if error_type and error_type.isascii() and error_type.isprintable():
        head += "Lambda-Runtime-Function-Error-Type: " + error_type + "\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    head = (head + "\r\n").encode("latin-1")
    for attempt in (0, 1):
        if _sock is None:
            _connect()
        try:
            if body is None:
                _sock.sendall(head)
            elif len(body) <= _SMALL_BODY:
                _sock.sendall(head + body)
            else:
                _sock.sendall(head)
                _sock.sendall(body)
            return _read_response()
        except (OSError, _ProtocolError):
            _disconnect()
            if attempt == 1:
                raise


def _fill():
    data = _sock.recv(65536)
    if not data:
        raise _ProtocolError("the Runtime API closed the connection")
    _rbuf.extend(data)


def _readline():
    start = 0
    while True:
        end = _rbuf.find(b"\r\n", start)
        if end >= 0:
            line = bytes(_rbuf[: end + 2])
            del _rbuf[: end + 2]
            return line
        if len(_rbuf) > _MAX_LINE:
            raise _ProtocolError("the Runtime API sent a line over 64 KiB")
        start = max(0, len(_rbuf) - 1)
        _fill()


def _read(n):
    while len(_rbuf) < n:
        _fill()
    data = bytes(_rbuf[:n])
    del _rbuf[:n]
    return data


def _read_response():
    """Status, headers (a dict with lower-case names) and body of one response."""
    status_line = _readline()
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise _ProtocolError("the Runtime API sent a malformed status line: %r" % status_line[:100])
    status = int(parts[1])
    headers = {}
    while True:
        line = _readline()
        if line == b"\r\n":
            break
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name:
            raise _ProtocolError("the Runtime API sent a malformed header line: %r" % line[:100])
        name = name.lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    length = headers.get("content-length", "")
    if headers.get("transfer-encoding", "").lower().rstrip().endswith("chunked"):
        body = _read_chunked()
    elif length.isascii() and length.isdigit():
        body = _read(int(length))
    elif status in (204, 304):
        body = b""
    else:
        raise _ProtocolError("the Runtime API sent a response without Content-Length")
    if _rbuf:
        raise _ProtocolError("the Runtime API sent more than one response")
    if "close" in headers.get("connection", "").lower():
        _disconnect()
    return status, headers, body


def _read_chunked():
    chunks = []
    while True:
        size = _readline().split(b";", 1)[0].strip()
        try:
            n = int(size, 16)
        except ValueError:
            raise _ProtocolError("the Runtime API sent a malformed chunk size")
        if n == 0:
            while _readline() != b"\r\n":  # trailers
                pass
            return b"".join(chunks)
        data = _read(n + 2)
        if data[n:] != b"\r\n":
            raise _ProtocolError("the Runtime API sent a malformed chunk")
        chunks.append(data[:n])
