"""The Gradio app is a thin layer: it builds over a service and its handlers return the service's results."""

from __future__ import annotations

import gradio as gr

import app as ui
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.service import ContentService, ServiceSettings


def test_app_builds_and_lists_shoppers(demo_shop):
    service = ContentService(demo_shop, ServiceSettings(variants=1), generator=EchoGenerator())
    blocks = ui.build_app(service)
    assert isinstance(blocks, gr.Blocks)
    dropdowns = [b for b in blocks.blocks.values() if isinstance(b, gr.Dropdown)]
    assert dropdowns and len(dropdowns[0].choices) == len(service.profiles.frame)


def test_handler_errors_become_readable_messages():
    from contentgen.errors import ConfigError

    @ui.readable
    def known():
        raise ConfigError("shopper 'x' is not in shop 'demo' (e.g. 12347)")

    @ui.readable
    def streaming():
        yield 1
        raise KeyError("boom")

    try:
        known()
    except gr.Error as error:
        assert "shopper 'x' is not in shop" in str(error.message)
    else:
        raise AssertionError("no gr.Error")
    stream = streaming()
    assert next(stream) == 1
    try:
        next(stream)
    except gr.Error as error:
        assert "Something went wrong (KeyError" in str(error.message) and "Traceback" not in str(error.message)
    else:
        raise AssertionError("no gr.Error")


def test_the_write_tab_says_why_an_sms_shows_fewer_variants_than_asked():
    from types import SimpleNamespace

    ready, error = SimpleNamespace(error=None), SimpleNamespace(error="no candidate and not the fallback passed")
    assert "1 fewer than asked" in ui.shortfall_note("sms", 2, [ready])
    assert ui.shortfall_note("sms", 2, [ready, ready]) == ""
    assert ui.shortfall_note("email", 2, [ready]) == ""  # only the SMS rule drops variants silently
    assert ui.shortfall_note("sms", 2, [error]) == ""  # an error says why itself
