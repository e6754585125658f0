"""The server's garbage collection: a full collection once messages stop, never while they come."""

from __future__ import annotations

import asyncio
import gc

from lsp_server import collector
from lsp_server.collector import IdleCollector


def test_a_full_collection_waits_for_quiet(monkeypatch):
    monkeypatch.setattr(collector, "IDLE_SECONDS", 0.05)
    collected: list[float] = []

    async def run() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(gc, "collect", lambda *args: collected.append(loop.time()))
        idle = IdleCollector()
        for _ in range(6):  # a message every 20 ms: never quiet for 50 ms
            idle.busy()
            await asyncio.sleep(0.02)
        last = loop.time()
        assert collected == []
        await asyncio.sleep(0.12)
        return collected, last

    times, last = asyncio.run(run())
    assert len(times) == 1 and times[0] - last >= 0.05 - 0.021
