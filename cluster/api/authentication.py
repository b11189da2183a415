"""Who is calling: bearer tokens for clients, the Django admin session for people.

``BearerTokenMiddleware`` is a plain Django middleware, sync and async, so that it guards every
view alike: DRF views, async watch streams, whatever comes next. It follows kube-apiserver:

- Credentials that are sent are always checked. An ``Authorization`` header that is not a valid
  ``Bearer`` token gets 401, on every path.
- Without credentials only public paths answer: the health endpoints and ``/version`` (what
  Kubernetes grants anonymous users as ``system:public-info-viewer``), and the Django admin and
  static files, which have their own session login.
- A staff user signed into the Django admin may also read (GET, HEAD, OPTIONS) any path with
  the session cookie, so that the OpenAPI docs work in a browser. Writes need a token, which
  also keeps cookies, and so cross-site request forgery, out of the API.

Everything else gets 401 with a ``v1 Status`` body, which kubectl turns into "You must be logged
in to the server (Unauthorized)". The authenticated user is ``request.user`` (and
``request.auser()``); ``BearerTokenAuthentication`` does the same for DRF's ``request.user``.
What that user may do is decided elsewhere, by authorization.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from cluster.api.status import failure_response
from cluster.api.tokens import auser_for_token, user_for_token

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User

# Paths that answer without credentials, each with everything below it.
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
SESSION_PATHS = ("/admin", "/static")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

GetResponse = Callable[[HttpRequest], Any]


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or "" for any other header."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return ""
    return token


def unauthorized() -> JsonResponse:
    response = failure_response(code=401, reason="Unauthorized", message="Unauthorized")
    response["WWW-Authenticate"] = 'Bearer realm="pilothouse"'
    return response


def needs_credentials(path: str) -> bool:
    """Whether a request for ``path`` without credentials is refused."""
    return not any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS + SESSION_PATHS)


def session_may_read(request: HttpRequest, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the Django admin session of ``user`` is enough for this request."""
    # is_staff belongs to Django's User (and AnonymousUser), not to every user model.
    is_staff = bool(getattr(user, "is_staff", False))
    return request.method in SAFE_METHODS and user.is_active and is_staff


class BearerTokenMiddleware:
    """Authenticate every request as the module docstring says; refuse with 401 otherwise."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        header = request.headers.get("Authorization")
        if header is not None:
            user = user_for_token(bearer_token(header))
            if user is None:
                return unauthorized()
            record_user(request, user)
        elif needs_credentials(request.path_info) and not session_may_read(request, request.user):
            return unauthorized()
        response: HttpResponseBase = self.get_response(request)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        header = request.headers.get("Authorization")
        if header is not None:
            user = await auser_for_token(bearer_token(header))
            if user is None:
                return unauthorized()
            record_user(request, user)
        elif needs_credentials(request.path_info) and not session_may_read(
            request, await _session_user(request)
        ):
            return unauthorized()
        response: HttpResponseBase = await self.get_response(request)
        return response


async def _session_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The session's user; anonymous under the lean API handler, which has no sessions."""
    auser = getattr(request, "auser", None)
    if auser is None:
        # Imported here: settings load this module before the auth app's models are ready.
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    user: AbstractBaseUser | AnonymousUser = await auser()
    return user


class BearerTokenAuthentication(BaseAuthentication):
    """DRF's view of the bearer token (the middleware has already refused bad ones)."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        header = request.headers.get("Authorization")
        if header is None:
            return None
        user = user_for_token(bearer_token(header))
        if user is None:
            raise AuthenticationFailed("Unauthorized")
        return user, None

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Bearer realm="pilothouse"'


def record_user(request: HttpRequest, user: User) -> None:
    """Make ``user`` the request's user, for Django (``request.user``) and for async code."""

    async def auser() -> User:
        return user

    request.user = user
    request.auser = auser
    # Browsers never add an Authorization header on their own, so a request that carries a
    # token cannot be a cross-site forgery: Django's CSRF check (for cookies) does not apply.
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
