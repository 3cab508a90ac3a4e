"""A local OpenAI-compatible server for tests: chat completions from scripted replies, embeddings from
bag-of-words vectors (which can be held back, as a slow endpoint would), real HTTP, recorded requests."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.testing.vectors import bag_of_words


@dataclass
class Reply:
    """What the server answers to one request."""

    content: str | None = None  # the assistant message
    status: int = 200
    body: str | None = None  # a raw body instead (for garbage replies)
    delay: float = 0.0  # seconds to wait first (for timeouts)


ERRORS = {
    401: {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                    "code": "invalid_api_key"}},
    429: {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
    500: {"error": {"message": "The server had an error", "type": "server_error", "code": None}},
}


class FakeOpenAI:
    """Serve /v1/chat/completions on loopback from a queue of replies (or a function of the request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/v1"
        self.replies: deque[Reply] = deque()
        self.respond: Callable[[dict], Reply] | None = None
        self.requests: list[dict] = []
        self._received = threading.Condition()
        self.embedding_requests = 0
        self._embeddings_flowing: asyncio.Event | None = None  # made in the server's loop
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def reset(self) -> None:
        """Forget the script and the recorded requests; let embeddings flow."""
        self.replies.clear()
        self.requests.clear()
        self.respond = None
        self.embedding_requests = 0
        self.release_embeddings()

    def wait_for_requests(self, count: int, timeout: float = 60.0) -> None:
        """Block until at least `count` requests have arrived (a model is now thinking about them)."""
        with self._received:
            if not self._received.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests arrived in {timeout} s")

    def hold_embeddings(self) -> None:
        """Keep every embeddings request waiting until `release_embeddings`."""
        self._loop.call_soon_threadsafe(self._embeddings_flowing.clear)

    def release_embeddings(self) -> None:
        """Answer the embeddings requests held back, and the next ones at once."""
        self._loop.call_soon_threadsafe(self._embeddings_flowing.set)

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        self.replies.extend(replies)

    def start(self) -> FakeOpenAI:
        """Start serving in a background thread."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop serving."""
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._embeddings_flowing = asyncio.Event()
        self._embeddings_flowing.set()
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _chat(self, request: web.Request) -> web.Response:
        data = await request.json()
        with self._received:
            self.requests.append({"headers": dict(request.headers), **data})
            self._received.notify_all()
        if self.replies:
            reply = self.replies.popleft()
        elif self.respond is not None:
            reply = self.respond(data)
        else:
            reply = Reply("NOT_IN_DOCUMENTS")
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.body is not None:
            return web.Response(text=reply.body, status=reply.status, content_type="application/json")
        if reply.status != 200:
            return web.json_response(ERRORS.get(reply.status, ERRORS[500]), status=reply.status)
        return web.json_response({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": data.get("model", "test"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        })


    async def _embeddings(self, request: web.Request) -> web.Response:
        data = await request.json()
        with self._received:
            self.embedding_requests += 1
            self._received.notify_all()
        await self._embeddings_flowing.wait()
        texts = [data["input"]] if isinstance(data["input"], str) else data["input"]
        return web.json_response({"object": "list", "model": data.get("model", "test"), "data": [
            {"object": "embedding", "index": n, "embedding": bag_of_words(text)} for n, text in enumerate(texts)],
            "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    def wait_for_embedding_requests(self, count: int, timeout: float = 60.0) -> None:
        """Block until at least `count` embeddings requests have arrived."""
        with self._received:
            if not self._received.wait_for(lambda: self.embedding_requests >= count, timeout):
                raise TimeoutError(f"{self.embedding_requests} of {count} embeddings requests arrived")


def messages_text(request: dict) -> str:
    """Return all the text a request sent to the model."""
    return "\n".join(m["content"] for m in request["messages"] if isinstance(m.get("content"), str))

