"""Follow one run with N WebSocket clients at once; print one JSON summary per client.

Run by test_websocket.py under `nice`, as a separate process: on a two-core test machine
the clients stand in for browsers on other machines, so they must not take the CPU
from the job whose wall time the test compares.

    python -m tests.integration.ws_crowd ws://127.0.0.1:PORT/ws/logs/ID 20
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from websockets.asyncio.client import connect


async def follow(url: str) -> dict[str, Any]:
    seqs: list[int] = []
    last_line, end = "", {}
    async with connect(url, max_size=None, ping_interval=None, open_timeout=30) as ws:
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] == "log":
                seqs.append(frame["seq"])
                last_line = frame["line"]
            else:
                end = frame
    in_order = seqs == list(range(1, len(seqs) + 1))
    return {"lines": len(seqs), "in_order": in_order, "last_line": last_line, "end": end}


async def crowd(url: str, clients: int) -> list[dict[str, Any]]:
    return await asyncio.gather(*(follow(url) for _ in range(clients)))


if __name__ == "__main__":
    for summary in asyncio.run(crowd(sys.argv[1], int(sys.argv[2]))):
        print(json.dumps(summary))
