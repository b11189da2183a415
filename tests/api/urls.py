"""The real URL map plus views that report who is calling, for the authentication tests.

One view of each kind the API will have: a plain sync view, an async view (as watch streams
are) and a DRF view.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cluster.urls import urlpatterns as cluster_urlpatterns


def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.get_username()})


async def async_whoami(request: HttpRequest) -> JsonResponse:
    user = await request.auser()
    return JsonResponse({"user": user.get_username()})


class DrfWhoami(APIView):
    def get(self, request: Request) -> Response:
        return self._answer(request)

    def post(self, request: Request) -> Response:
        return self._answer(request)

    def _answer(self, request: Request) -> Response:
        authenticator = type(request.successful_authenticator).__name__
        return Response({"user": request.user.get_username(), "authenticator": authenticator})


urlpatterns = [
    *cluster_urlpatterns,
    path("whoami", whoami),
    path("async-whoami", async_whoami),
    path("drf-whoami", DrfWhoami.as_view()),
]
