"""The web worker freezes what it holds after its first requests (smp_clinic.wsgi),
so that Python's full collections stop rescanning it."""

import gc

import pytest

from smp_clinic.wsgi import FrozenAfterWarmUp, application


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_worker_freezes_once_after_its_warm_up_and_answers_unchanged(
    unfrozen, monkeypatch
):
    calls = []
    freezes = []
    freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: (freezes.append(1), freeze()))

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("a view failed")
        return [b"answer"]

    frozen = FrozenAfterWarmUp(app, after=2)
    assert frozen({"PATH_INFO": "/"}, None) == [b"answer"]
    with pytest.raises(RuntimeError):
        frozen({"PATH_INFO": "/boom"}, None)  # a failed request counts too
    assert gc.get_freeze_count() == 0

    assert frozen({"PATH_INFO": "/"}, None) == [b"answer"]  # frozen before it
    held = gc.get_freeze_count()
    assert held > 1000  # the test process's modules, at least

    frozen({"PATH_INFO": "/"}, None)
    # Once only. (Not the count of frozen objects: one freed since leaves it.)
    assert freezes == [1]
    assert calls == ["/", "/boom", "/", "/"]


def test_the_served_application_is_wrapped():
    assert isinstance(application, FrozenAfterWarmUp)
    assert application.after == 200
