"""A TCP proxy the load test can cut: the server reaches PostgreSQL and Redis through it,
so "the database is unreachable" is simulated without touching the machine's shared
PostgreSQL or Redis (other people use them).

``cut()`` closes every proxied connection and refuses new ones (accepted and closed at
once: the client sees a reset, as with a host that rejects connections); ``restore()``
lets connections through again. It runs its own asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class CuttableProxy:
    def __init__(self, listen_port: int, target_host: str, target_port: int) -> None:
        self.listen_port = listen_port
        self.target = (target_host, target_port)
        self.cut_now = False
        self.connections = 0
        self.refused = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"proxy-{listen_port}", daemon=True)

    def start(self) -> CuttableProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"proxy on port {self.listen_port} did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.listen_port)
        )
        self._ready.set()
        with contextlib.closing(server):
            self._loop.run_forever()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.cut_now:
            self.refused += 1
            client_w.transport.abort()
            return
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self.connections += 1
        self._writers |= {client_w, upstream_w}
        await asyncio.gather(self._pipe(client_r, upstream_w), self._pipe(upstream_r, client_w))
        self._writers -= {client_w, upstream_w}

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    def cut(self) -> None:
        """Drop every connection now and refuse new ones until :meth:`restore`."""

        def drop() -> None:
            self.cut_now = True
            for writer in list(self._writers):
                writer.transport.abort()

        self._loop.call_soon_threadsafe(drop)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "cut_now", False)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
