"""A TCP proxy a test can cut, to put one process on the far side of a network partition.

Usage: tcp_proxy.py LISTEN_PORT TARGET_PORT (both on 127.0.0.1). Prints "ready" once it accepts connections.
- SIGUSR1 cuts: every connection, open or new, stays open and silent; nothing is forwarded either way. That is
  what a partition looks like to a client (its commands time out), not a refusal it could notice at once.
- SIGUSR2 heals: the held connections are closed (what was dropped cannot be replayed, so their streams are
  broken) and new ones are forwarded again.
"""

import signal
import socket
import sys
import threading

listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
cut = threading.Event()
# Reentrant: the signal handlers run on the main thread, which may hold it already (in serve) when one arrives.
lock = threading.RLock()
open_sockets = set()


def forget(*sockets):
    with lock:
        for each in sockets:
            open_sockets.discard(each)
            try:
                each.close()
            except OSError:
                pass


def pump(source, destination):
    """Copies source to destination until either closes; while cut, reads and drops."""
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if not cut.is_set():
                destination.sendall(data)
    except OSError:
        pass
    forget(source, destination)


def serve(client):
    if cut.is_set():
        # Held open and silent, like the rest, until healed.
        with lock:
            open_sockets.add(client)
        return
    try:
        upstream = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    with lock:
        open_sockets.update((client, upstream))
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


def on_cut(*_):
    cut.set()


def on_heal(*_):
    with lock:
        held = list(open_sockets)
    for each in held:
        try:
            each.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    forget(*held)
    cut.clear()


signal.signal(signal.SIGUSR1, on_cut)
signal.signal(signal.SIGUSR2, on_heal)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", listen_port))
listener.listen(128)
print("ready", flush=True)
while True:
    try:
        connection, _ = listener.accept()
    except InterruptedError:
        continue
    serve(connection)
