"""A HEAD request's response carries the headers of a GET and no body.

Django answers HEAD by running the GET view and leaves dropping the body to the server:
``runserver`` and the test client drop it, gunicorn drops it too but logs "WSGI app sent
body bytes on a no-body response" for every HEAD (a load balancer's HEAD probe filled the
log). Here the body is dropped before the response leaves Django; ``Content-Length`` keeps
the length the GET's body has (RFC 9110 §9.3.2), as CommonMiddleware or the file response
set it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse


class HeadWithoutBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if isinstance(response, StreamingHttpResponse):
            # A FileResponse's file is closed with the response, as for a GET.
            response.streaming_content = []
        elif isinstance(response, HttpResponse) and response.content:
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
