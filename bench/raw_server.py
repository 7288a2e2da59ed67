"""The limit to compare against: a minimal `websockets` server that broadcasts in a plain loop and acks
votes from memory. Phones connect anywhere but /control; the control socket triggers a broadcast."""

import argparse
import asyncio
import gc
import json
import resource
from http import HTTPStatus

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

phones: set = set()
votes: list = []


async def handler(ws) -> None:
    if ws.request.path == "/control":
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "broadcast":
                broadcast(phones, json.dumps(msg["payload"], separators=(",", ":"), ensure_ascii=False))
        return
    phones.add(ws)
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "vote":
                votes.append((msg["question_id"], msg["choices"]))
                await ws.send(json.dumps({"type": "ack", "vote_id": msg["vote_id"]}, separators=(",", ":")))
    except ConnectionClosed:
        pass
    finally:
        phones.discard(ws)


# What a phone loads before it opens the socket: a page of the app's size (~22 KB), as plain HTTP.
PAGE = "<!doctype html><title>raw</title>" + "x" * 22_000


def process_request(connection, request):
    """Plain HTTP GET /j/...: the page, so raw phones join over HTTP first, like the app's."""
    if request.path.startswith("/j/") and "upgrade" not in request.headers.get("Connection", "").lower():
        return connection.respond(HTTPStatus.OK, PAGE)
    return None


async def main(port: int) -> None:
    # The same collector settings as the app (app.server.tune_gc), so the comparison is like for like.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1000)
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=4096, process_request=process_request, backlog=4096, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(args.port))
