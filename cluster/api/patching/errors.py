"""The ways kube-apiserver refuses a patch, each with the ``v1 Status`` it answers.

The API layer maps a ``PatchError`` to a response without knowing which patch format failed:
``code``, ``reason`` and ``message`` are what kube-apiserver puts in the ``Status`` it returns
for the same request, and ``status()`` builds that object. ``detail`` keeps the underlying
error text even where kube-apiserver drops it from the answer (a failed JSON patch ``test``
answers only "the server rejected our request due to an error in our request"), so that it
can be logged.

Which failure gets which answer, as kube-apiserver's patch handler decides it:

- 400 ``BadRequest`` (``PatchBadRequest``): a body that is not JSON or not of the patch's
  shape (a JSON patch that is not a list of operations, a strategic merge patch that is not an
  object), a merge patch that is ``null``, a string or a number ("Invalid JSON Patch"), and the
  malformed strategic directives ``$deleteFromPrimitiveList``, ``$setElementOrder`` and
  ``$retainKeys`` (including a field missing from ``$retainKeys``).
- 413 ``RequestEntityTooLarge`` (``PatchTooLarge``): a JSON patch of more than 10000 operations.
- 415 ``UnsupportedMediaType`` (``UnsupportedPatchType``): a Content-Type that is not a patch
  type this server applies, or a strategic merge patch for a kind without a patch schema.
- 422 ``Invalid`` (``PatchInvalid``): a JSON patch operation that does not apply (missing path,
  bad index, failed ``test``) and a strategic merge patch with a list of lists, both with the
  fixed message above and empty details; and a patch whose result is not an object (kube fails
  to decode it), with a ``patch`` field cause.
- 500 with no reason (``PatchFailed``): what the strategic merge code reports without a type,
  for example a list item without its merge key ("map: map[image:nginx] does not contain
  declared merge key: name"), ``$patch: merge`` in a list, an unknown ``$patch`` value, or a
  ``$setElementOrder`` list that disagrees with the patch list. kube-apiserver answers these
  with a 500 whose ``message`` is the error text, and kubectl prints "Error from server: ...".
"""

from __future__ import annotations

from typing import ClassVar

INVALID_REQUEST_MESSAGE = "the server rejected our request due to an error in our request"


class PatchError(Exception):
    """A patch kube-apiserver would refuse, with the Status it would answer."""

    code: ClassVar[int] = 500
    reason: ClassVar[str] = ""

    def __init__(self, message: str, *, detail: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail if detail is not None else message
        self.field = field

    def details(self) -> dict[str, object] | None:
        """The Status ``details`` kube-apiserver sends for this failure, if any."""
        return None

    def status(self) -> dict[str, object]:
        """The ``v1 Status`` object kube-apiserver answers with."""
        status: dict[str, object] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            status["reason"] = self.reason
        details = self.details()
        if details is not None:
            status["details"] = details
        status["code"] = self.code
        return status


class PatchBadRequest(PatchError):
    """400: the patch body cannot be read as the patch type it claims to be."""

    code = 400
    reason = "BadRequest"


class PatchTooLarge(PatchError):
    """413: a JSON patch with more operations than kube-apiserver accepts."""

    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedPatchType(PatchError):
    """415: the Content-Type names no patch type this server applies to this kind."""

    code = 415
    reason = "UnsupportedMediaType"

    def __init__(self, accepted: list[str]):
        super().__init__(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(accepted)
        )
        self.accepted = accepted


class PatchInvalid(PatchError):
    """422: the patch is well formed but cannot be applied to this object."""

    code = 422
    reason = "Invalid"

    @classmethod
    def rejected(cls, detail: str) -> PatchInvalid:
        """The answer kube gives for a failed JSON patch operation: a fixed message only."""
        return cls(INVALID_REQUEST_MESSAGE, detail=detail)

    def details(self) -> dict[str, object] | None:
        if self.field is None:
            return {}
        return {
            "causes": [{"reason": "FieldValueInvalid", "message": self.detail, "field": self.field}]
        }


class PatchFailed(PatchError):
    """500 without a reason: a strategic merge failure kube-apiserver does not classify."""
