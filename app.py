"""The Gradio UI for copywriters: a thin layer over ``contentgen.service.ContentService``.

Run ``.venv/bin/python app.py`` (./contentgen.toml, else the demo shop), ``app.py --project FILE`` or
``app.py --data real``; it serves on
http://127.0.0.1:7860. Every button calls one service method and formats what it returns.
"""

from __future__ import annotations

import argparse

import gradio as gr
import pandas as pd

from contentgen.brief import CHANNELS, LANGUAGES
from contentgen.errors import ContentgenError
from contentgen.presenters import copy_markdown, offer_text, recommendations_frame
from contentgen.service import ContentService


def build_app(service: ContentService) -> gr.Blocks:
    """The UI over a built service (the app never loads data or models itself)."""
    shopper_ids = service.profiles.frame.index.astype(str).tolist()

    def look_up(shopper_id: str):
        try:
            return (
                service.profiles.describe(shopper_id),
                recommendations_frame(service.recommend(shopper_id)),
                offer_text(service.offer(shopper_id)),
            )
        except ContentgenError as error:
            raise gr.Error(str(error)) from error

    def write(shopper_id: str, channel: str, language: str):
        try:
            return copy_markdown(service.write(shopper_id, channel, language))
        except ContentgenError as error:
            raise gr.Error(str(error)) from error

    def segments():
        table = service.segment_table().reset_index()
        clusters = service.profiles.clusters
        cluster_table = clusters.table().reset_index() if clusters is not None else pd.DataFrame()
        return table, cluster_table

    with gr.Blocks(title="contentgen") as app:
        gr.Markdown(f"# contentgen — {service.shop.name}\nPersonalized copy grounded in the catalog.")
        with gr.Tab("Shopper"):
            with gr.Row():
                shopper = gr.Dropdown(shopper_ids, value=shopper_ids[0], label="Shopper", allow_custom_value=True)
                channel = gr.Radio(list(CHANNELS), value="email", label="Channel")
                language = gr.Radio(list(LANGUAGES), value="en", label="Language")
            look = gr.Button("Look up")
            profile = gr.Textbox(label="Profile", lines=9)
            recs = gr.Dataframe(label="Recommended products")
            offer = gr.Textbox(label="Offer")
            go = gr.Button("Write copy", variant="primary")
            copy = gr.Markdown()
            look.click(look_up, [shopper], [profile, recs, offer])
            go.click(write, [shopper, channel, language], [copy])
        with gr.Tab("Segments"):
            refresh = gr.Button("Show segments and clusters")
            segment_table = gr.Dataframe(label="Lifecycle segments")
            cluster_table = gr.Dataframe(label="Behavioural clusters")
            refresh.click(segments, [], [segment_table, cluster_table])
    return app


def main(argv: list[str] | None = None) -> None:
    from contentgen.cli.common import DATA_HELP, MAPPING_HELP, PROJECT_HELP, service_from_options

    parser = argparse.ArgumentParser(description="contentgen web UI")
    parser.add_argument("--project", default=None, help=PROJECT_HELP)
    parser.add_argument("--data", default=None, help=DATA_HELP)
    parser.add_argument("--mapping", default=None, help=MAPPING_HELP)
    parser.add_argument("--model", default=None, help="generator model name (default: the project's [model] name)")
    parser.add_argument("--backend", default=None, help="generator backend (default: the project's [model] backend)")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    try:
        service = service_from_options(args.project, args.data, args.mapping, backend=args.backend, model=args.model)
    except ContentgenError as error:
        parser.exit(2, f"error: {error}\n")
    build_app(service).launch(server_name="127.0.0.1", server_port=args.port)


if __name__ == "__main__":
    main()
