"""The exception tree of DESIGN.md: classes, retryable defaults, English str(), pickling."""

from __future__ import annotations

import pickle

import pytest

from smartbox_next import errors as e

TREE = {
    e.ConfigError: e.SmartboxError,
    e.InputError: e.SmartboxError,
    e.MediaError: e.InputError,
    e.UnsupportedMediaError: e.InputError,
    e.AttributeValueError: e.InputError,
    e.NetworkError: e.SmartboxError,
    e.ConnectError: e.NetworkError,
    e.AssociationRejectedError: e.NetworkError,
    e.AssociationAbortedError: e.NetworkError,
    e.ResponseTimeoutError: e.NetworkError,
    e.NoAcceptedContextError: e.NetworkError,
    e.DimseError: e.SmartboxError,
    e.StoreError: e.DimseError,
    e.WorklistError: e.DimseError,
    e.OutboxError: e.SmartboxError,
    e.SpoolFullError: e.OutboxError,
}


@pytest.mark.parametrize(("cls", "parent"), TREE.items())
def test_tree(cls: type[e.SmartboxError], parent: type[e.SmartboxError]) -> None:
    assert issubclass(cls, parent)
    assert cls.__bases__[0] is parent
    assert issubclass(cls, Exception)


def test_mixins() -> None:
    assert issubclass(e.AttributeValueError, ValueError)
    assert issubclass(e.ResponseTimeoutError, TimeoutError)
    assert issubclass(e.SmartboxError, Exception) and e.SmartboxError.__bases__ == (Exception,)
    # Siblings stay apart: a network error is never an input error and vice versa.
    assert not issubclass(e.NetworkError, e.InputError) and not issubclass(e.DimseError, e.NetworkError)
    assert not issubclass(e.ConfigError, e.InputError)


@pytest.mark.parametrize(("cls", "retryable"), [
    (e.SmartboxError, False), (e.ConfigError, False), (e.InputError, False), (e.MediaError, False),
    (e.AttributeValueError, False), (e.NetworkError, True), (e.ConnectError, True),
    (e.AssociationAbortedError, True), (e.ResponseTimeoutError, True), (e.AssociationRejectedError, False),
    (e.NoAcceptedContextError, False), (e.DimseError, False), (e.StoreError, False), (e.OutboxError, False),
    (e.SpoolFullError, False),
])
def test_retryable_defaults(cls: type[e.SmartboxError], retryable: bool) -> None:
    assert cls("net.timeout", peer="P", operation="C-STORE").retryable is retryable


def test_retryable_when_told() -> None:
    assert e.AssociationRejectedError("net.rejected.congestion", retryable=True).retryable is True
    assert e.NetworkError("net.timeout", retryable=False).retryable is False
    assert e.StoreError("net.timeout", retryable=True, status=0xA700).retryable is True


def test_str_is_english_and_text_is_localised() -> None:
    exc = e.ConnectError("net.connect_failed", peer="PACS@10.0.0.5:104", host="10.0.0.5", port=104)
    assert str(exc) == "No connection to PACS@10.0.0.5:104: nothing answers at 10.0.0.5 port 104."
    assert exc.args == (str(exc),)
    assert exc.text("de").startswith("Keine Verbindung zu PACS@10.0.0.5:104")
    assert exc.text() == str(exc)
    assert "Adresse (10.0.0.5 Port 104)" in exc.hint("de") and "address (10.0.0.5 port 104)" in exc.hint("en")
    assert "PACS" not in exc.hint("en").replace("PACS@", "")  # also the worklist server's message
    assert exc.key == "net.connect_failed" and exc.params["port"] == 104


def test_dimse_status() -> None:
    assert e.StoreError("net.timeout", status=0xA700).status == 0xA700
    assert e.WorklistError("net.timeout").status == 0


@pytest.mark.parametrize("cls", [*TREE, e.SmartboxError])
def test_pickle_round_trip(cls: type[e.SmartboxError]) -> None:
    exc = cls("attr.too_long", retryable=True, attribute="Patient's Name (0010,0010)", length=70, maximum=64,
              vr="PN")
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is cls
    assert (again.key, again.params, again.retryable) == (exc.key, exc.params, True)
    assert str(again) == str(exc) and again.text("de") == exc.text("de")


def test_pickle_keeps_default_retryable() -> None:
    again = pickle.loads(pickle.dumps(e.NoAcceptedContextError("net.no_context", peer="P", sop_class="1.2",
                                                               transfer_syntax="1.2.3")))
    assert again.retryable is False
    assert pickle.loads(pickle.dumps(e.ConnectError("net.timeout"))).retryable is True


def test_can_be_raised_and_caught_as_builtin() -> None:
    with pytest.raises(ValueError, match="Patient's Name"):
        raise e.AttributeValueError("attr.missing", attribute="Patient's Name (0010,0010)")
    with pytest.raises(TimeoutError):
        raise e.ResponseTimeoutError("net.timeout", peer="P", operation="C-ECHO")
