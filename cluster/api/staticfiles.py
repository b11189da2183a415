"""Static files (the admin's CSS and JS, the API docs' assets), served by WhiteNoise.

Nothing else serves them: uvicorn serves no files, and Django's own view serves them only with
DEBUG on. WhiteNoise indexes the apps' static directories once at start-up
(``WHITENOISE_USE_FINDERS``), so there is no collectstatic step.

Its middleware is sync-only, though, and a single sync-only middleware makes Django run the
whole chain of every request under ASGI through the process's one sync thread, the async watch
views included. This wrapper can run either way: it answers static paths from WhiteNoise's index
and passes every other request on in the mode it came in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

GetResponse = Callable[[HttpRequest], Any]


async def _read_off_the_loop(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """A file's chunks for an async server, each read in a worker thread.

    Given WhiteNoise's file iterator as is, Django's ASGI handler would read it whole in the
    process's sync thread, and warn that it had to.
    """
    iterator = iter(chunks)
    read = sync_to_async(_next_chunk, thread_sensitive=False)
    while (chunk := await read(iterator)) is not None:
        yield chunk


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


class StaticFilesMiddleware:
    """WhiteNoise's answers for static paths, in whichever mode the request came."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._whitenoise = WhiteNoiseMiddleware(get_response)
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def _static(self, request: HttpRequest) -> HttpResponseBase | None:
        whitenoise = self._whitenoise
        path = request.path_info
        # With autorefresh (DEBUG) WhiteNoise looks files up on each request instead.
        found = whitenoise.find_file(path) if whitenoise.autorefresh else whitenoise.files.get(path)
        if found is None:
            return None
        response: HttpResponseBase = whitenoise.serve(found, request)
        return response

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self._async:
            return self.__acall__(request)
        static = self._static(request)
        if static is not None:
            return static
        response: HttpResponseBase = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        static = self._static(request)
        if static is None:
            response: HttpResponseBase = await self.get_response(request)
            return response
        if isinstance(static, StreamingHttpResponse) and not static.is_async:
            chunks = cast(Iterable[bytes], static.streaming_content)
            static.streaming_content = _read_off_the_loop(chunks)
        return static
