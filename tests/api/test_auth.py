"""Bearer-token authentication: tokens stored hashed, every path guarded, 401 as a v1 Status."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.test import AsyncClient, Client
from pytest_django import DjangoAssertNumQueries
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cluster.api import tokens
from cluster.api.authentication import BearerTokenAuthentication, bearer_token
from cluster.api.models import Token
from cluster.api.tokens import (
    MASTERS_GROUP,
    ensure_admin_user,
    hash_token,
    issue_token,
    user_for_token,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice")


@pytest.fixture
def alice_token(alice: User) -> str:
    return issue_token(alice, name="test")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_stored_only_as_its_sha256_digest(alice: User) -> None:
    token = issue_token(alice, name="laptop")

    row = Token.objects.get()
    assert len(token) >= 43
    assert row.digest == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert (row.user, row.name) == (alice, "laptop")
    assert token not in {str(value) for value in Token.objects.values_list().get()}


def test_every_token_issued_is_a_new_one(alice: User) -> None:
    issued = {issue_token(alice, name="same") for _ in range(5)}

    assert len(issued) == 5
    assert Token.objects.count() == 5


def test_a_token_authenticates_its_user_and_nothing_else_does(
    alice: User, alice_token: str
) -> None:
    assert user_for_token(alice_token) == alice
    assert user_for_token(alice_token + "x") is None
    assert user_for_token(hash_token(alice_token)) is None
    assert user_for_token("") is None


def test_a_token_of_a_deactivated_user_authenticates_nobody(alice: User, alice_token: str) -> None:
    alice.is_active = False
    alice.save()

    assert user_for_token(alice_token) is None


def test_a_repeated_lookup_is_answered_from_the_cache(
    alice: User, alice_token: str, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        assert user_for_token(alice_token) == alice
    with django_assert_num_queries(0):
        assert user_for_token(alice_token) == alice


def test_a_revoked_token_works_only_until_its_cache_entry_expires(
    alice: User, alice_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1000.0
    monkeypatch.setattr(tokens, "clock", lambda: now)
    assert user_for_token(alice_token) == alice

    Token.objects.all().delete()
    now += tokens.CACHE_TTL_SECONDS - 1
    assert user_for_token(alice_token) == alice
    now += 2
    assert user_for_token(alice_token) is None


def test_the_cache_holds_a_bounded_number_of_tokens(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "CACHE_MAX_ENTRIES", 3)

    for _ in range(10):
        assert user_for_token(issue_token(alice, name="many")) == alice

    assert 0 < len(tokens._cache) <= 3


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.DEF-_1", "abc.DEF-_1"),
        ("bearer abc", "abc"),
        ("  Bearer   abc  ", "abc"),
        ("Bearer", ""),
        ("Bearer ", ""),
        ("Bearer a b", ""),
        ("Basic YWxpY2U6c2VjcmV0", ""),
        ("abc", ""),
    ],
)
def test_it_reads_the_token_of_a_bearer_header_only(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("path", ["/api/v1/namespaces", "/apis", "/whoami", "/", "/openapi/v3"])
def test_a_request_without_credentials_gets_a_401_status(client: Client, path: str) -> None:
    _assert_unauthorized(client.get(path))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Token abc", "Bearer a b"],
)
def test_a_request_with_bad_credentials_gets_a_401_status(
    client: Client, alice_token: str, authorization: str
) -> None:
    _assert_unauthorized(client.get("/whoami", headers={"Authorization": authorization}))


def test_a_valid_token_reaches_the_view_as_its_user(client: Client, alice_token: str) -> None:
    response = client.get("/whoami", headers=_bearer(alice_token))

    assert response.status_code == 200
    assert response.json() == {"user": "alice"}


def test_an_authenticated_request_for_an_unknown_path_is_a_404_not_a_401(
    client: Client, alice_token: str
) -> None:
    assert client.get("/api/v1/nothing-here", headers=_bearer(alice_token)).status_code == 404


def test_drf_views_see_the_token_user(client: Client, alice_token: str) -> None:
    response = client.get("/drf-whoami", headers=_bearer(alice_token))

    assert response.status_code == 200
    assert response.json() == {"user": "alice", "authenticator": "BearerTokenAuthentication"}


def _async_get(path: str, headers: dict[str, str]) -> Any:
    get: Callable[..., Any] = AsyncClient().get
    return async_to_sync(get)(path, headers=headers)


def test_async_views_see_the_token_user(alice_token: str) -> None:
    response = _async_get("/async-whoami", headers=_bearer(alice_token))

    assert response.status_code == 200
    assert response.json() == {"user": "alice"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_async_requests_without_valid_credentials_get_a_401_status(
    headers: dict[str, str],
) -> None:
    _assert_unauthorized(_async_get("/async-whoami", headers))


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_health_endpoints_answer_without_credentials(client: Client, path: str) -> None:
    response = client.get(path)

    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.parametrize("path", ["/version", "/version/"])
def test_version_answers_without_credentials(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.json()["major"] == "1"


@pytest.mark.parametrize("path", ["/readyz/ping", "/livez/log"])
def test_subpaths_of_public_paths_are_not_refused(client: Client, path: str) -> None:
    # Nothing serves these subpaths yet, but they are not the auth's to refuse: 404, not 401.
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/healthzz", "/versions", "/readyz-all", "/administrator"])
def test_paths_that_only_look_public_are_refused(client: Client, path: str) -> None:
    _assert_unauthorized(client.get(path))


def test_credentials_that_are_sent_are_checked_even_on_public_paths(client: Client) -> None:
    # As kube-apiserver: a client with a wrong token learns so, instead of passing as anonymous.
    _assert_unauthorized(client.get("/healthz", headers={"Authorization": "Bearer wrong"}))


def test_the_django_admin_handles_anonymous_users_with_its_own_login(client: Client) -> None:
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_staff_session_may_read_but_not_write(client: Client) -> None:
    client.force_login(User.objects.create_user("operator", is_staff=True))

    assert client.get("/whoami").json() == {"user": "operator"}
    assert client.get("/drf-whoami").json() == {
        "user": "operator",
        "authenticator": "SessionAuthentication",
    }
    _assert_unauthorized(client.post("/whoami"))
    _assert_unauthorized(client.post("/drf-whoami"))


def test_a_session_of_a_user_who_is_not_staff_is_refused(client: Client) -> None:
    client.force_login(User.objects.create_user("visitor"))

    _assert_unauthorized(client.get("/whoami"))


@pytest.mark.parametrize("path", ["/whoami", "/drf-whoami"])
def test_a_write_with_a_token_needs_no_csrf_token(alice_token: str, path: str) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(path, headers=_bearer(alice_token))

    assert response.status_code == 200
    assert response.json()["user"] == "alice"


def test_the_drf_authentication_class_reads_the_bearer_token(alice: User, alice_token: str) -> None:
    factory = APIRequestFactory()
    authentication = BearerTokenAuthentication()

    assert authentication.authenticate(Request(factory.get("/", headers=_bearer(alice_token)))) == (
        alice,
        None,
    )
    assert authentication.authenticate(Request(factory.get("/"))) is None
    with pytest.raises(AuthenticationFailed):
        authentication.authenticate(Request(factory.get("/", headers=_bearer("wrong"))))
    assert authentication.authenticate_header(Request(factory.get("/"))).startswith("Bearer")


def test_the_admin_user_is_a_superuser_in_system_masters_without_a_password() -> None:
    admin = ensure_admin_user()

    assert (admin.username, admin.is_superuser, admin.is_staff) == ("admin", True, True)
    assert list(admin.groups.values_list("name", flat=True)) == [MASTERS_GROUP]
    assert not admin.has_usable_password()
    assert ensure_admin_user() == admin
    assert User.objects.count() == 1


def test_an_existing_admin_user_keeps_its_password() -> None:
    User.objects.create_user("admin", password="for-the-django-admin")

    admin = ensure_admin_user()

    assert admin.check_password("for-the-django-admin")
    assert admin.is_superuser
    assert admin.groups.filter(name=MASTERS_GROUP).exists()
