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
