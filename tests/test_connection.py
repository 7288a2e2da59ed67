"""A socket's sends: at once while it keeps up, in order through a backlog when slow, closed when far behind."""

import asyncio

from app.realtime.connection import SEND_BACKLOG_MAX, Connection


class SlowSocket:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.gate: asyncio.Future | None = None
        self.closed_with: int | None = None

    async def send_text(self, text: str) -> None:
        if self.gate is not None and not self.gate.done():
            await self.gate
        self.sent.append(text)

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


def test_send_goes_out_without_a_task_switch():
    async def run():
        ws = SlowSocket()
        conn = Connection(ws, "attendee", 1, "d", "de")
        conn.push("a")
        assert ws.sent == ["a"]  # no await happened in between
        assert conn.drainer is None

    asyncio.run(run())


def test_slow_socket_keeps_order_then_returns_to_direct_sends():
    async def run():
        ws = SlowSocket()
        conn = Connection(ws, "attendee", 1, "d", "de")
        ws.gate = asyncio.get_running_loop().create_future()
        for text in ["a", "b", "c"]:
            conn.push(text)
        assert ws.sent == [] and conn.drainer is not None
        ws.gate.set_result(None)
        await asyncio.sleep(0.01)
        assert ws.sent == ["a", "b", "c"]
        assert conn.backlog is None and conn.drainer is None
        conn.push("d")
        assert ws.sent[-1] == "d"

    asyncio.run(run())


def test_socket_far_behind_is_closed_for_a_fresh_start():
    async def run():
        ws = SlowSocket()
        conn = Connection(ws, "attendee", 1, "d", "de")
        ws.gate = asyncio.get_running_loop().create_future()
        for i in range(SEND_BACKLOG_MAX + 2):
            conn.push(str(i))
        await asyncio.sleep(0.01)
        assert conn.closed and ws.closed_with == 1013
        conn.push("ignored")
        assert "ignored" not in ws.sent

    asyncio.run(run())


def test_failed_send_marks_connection_closed():
    class Broken(SlowSocket):
        async def send_text(self, text: str) -> None:
            raise RuntimeError("gone")

    async def run():
        conn = Connection(Broken(), "attendee", 1, "d", "de")
        conn.push("a")
        assert conn.closed

    asyncio.run(run())


def test_text_frame_encodes_each_length_form():
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    from app.realtime.asgi import text_frame

    for size in (5, 125, 126, 65535, 65536):
        text = "ä" * (size // 2) + "x" * (size % 2)
        reader = StreamReader()
        reader.feed_data(text_frame(text))
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frame = done.value
        assert frame.opcode is Opcode.TEXT and frame.fin
        assert frame.data.decode() == text
