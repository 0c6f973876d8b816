"""One service object over the whole flow, shared by the CLI, the Gradio app and Python callers.

Each stage is built lazily and once: profiles (with the propensity model), the recommender,
the offer plan, and the writer (which loads the language model). A behaviour exists once, here;
the front ends only format what these methods return.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
import logging
from pathlib import Path
import pickle

import pandas as pd

from contentgen.brief import BrandVoice, Brief, OfferTerms
from contentgen.data.schema import Shop
from contentgen.errors import ConfigError, ContentgenError
from contentgen.policy import ShopPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSettings:
    """What the service needs beyond the shop itself; the defaults run the demo."""

    offers_path: Path | None = None  # offer rules YAML; None = the packaged default rules
    generator_backend: str = "auto"  # llama.cpp when installed, else transformers
    generator_model: str = "qwen2.5-coder-1.5b"
    variants: int = 3
    candidates: int = 6  # samples per brief per round; more candidates, fewer fallbacks, slower
    recommendations: int = 3
    # The shop's own voice and policy come from its project file (contentgen.toml); these
    # defaults say nothing shop-specific.
    voice: BrandVoice = field(default_factory=BrandVoice)
    policy: ShopPolicy = field(default_factory=ShopPolicy)
    send_date: date | None = None  # the offers' start; None = the day after the last event
    as_of: date | None = None  # the profiles' date; None = the day after the last event
    clusters: bool = True  # fit and describe behavioural clusters with the profiles
    # Blend the content signal (sentence embeddings of product names) into the CF re-ranker.
    # It costs one catalog encode (cached in embedding_cache, so only the first run pays).
    content: bool = True
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_cache: Path = Path("indexes/.cache")
    store_url: str = "contentgen.db"  # campaign store: SQLite path or SQLAlchemy URL
    index_dir: Path = Path("indexes/default")  # this shop's saved product index and fitted recommender
    templates_dir: Path | None = None  # prompt templates (*.j2); None = the shipped ones
    # the shop's approved-copy library (JSON lines; contentgen/generate/exemplars.py): few-shot examples
    # for the prompt, grown by the workspace's approve button; None = no examples. The demo shop's
    # seed library (written by the contentgen team) is contentgen.generate.exemplars.SEED_LIBRARY.
    approved_copy: Path | None = None
    # read-only approved examples the library starts from (the demo project: the seed library); None = none
    approved_seed: Path | None = None
    # ranks the candidates that passed every check by the learned chance a reader would send them
    # (contentgen/generate/reader_model.py): "packaged", a shop's model file, or "" for none
    reader_model: str = "packaged"
    # passing candidates the reader model gives less than this chance are not kept (0 = keep all)
    reader_min: float = 0.0
    # a failing candidate is kept on its leading sentences where they pass (WriterSettings.trim_sentences)
    trim_sentences: bool = True


# ServiceSettings fields that do not change the fitted recommender (the saved fit's key skips them)
_NOT_IN_FIT = frozenset({
    "offers_path", "generator_backend", "generator_model", "variants", "candidates", "recommendations",
    "voice", "policy", "send_date", "as_of", "clusters", "embedding_cache", "store_url", "index_dir", "templates_dir",
    "approved_copy", "approved_seed", "reader_model", "reader_min", "trim_sentences",
})


class ContentService:
    """``ContentService(shop).write("12347", "email")`` → checked copy variants for that shopper."""

    def __init__(self, shop: Shop, settings: ServiceSettings | None = None, *, generator=None) -> None:
        self.shop = shop
        self.settings = settings or ServiceSettings()
        self._generator = generator  # an already-loaded Generator (tests, the app) or None to load lazily

    @classmethod
    def from_project(cls, project=None, generator=None, **overrides) -> "ContentService":
        """The service for a ``contentgen.project.Project`` (None: ./contentgen.toml, else the demo).

        ``overrides`` replace ServiceSettings fields, e.g. ``variants=2``.
        """
        from dataclasses import replace

        from contentgen.project import load_project

        project = project if project is not None else load_project(None)
        settings = project.service_settings()
        if overrides:
            settings = replace(settings, **overrides)
        return cls(project.load_shop(), settings, generator=generator)

    # -- stages, each built once ------------------------------------------------------------

    @cached_property
    def profiles(self):
        """Features, segment, cluster and purchase propensity of every shopper."""
        from contentgen.profile import PropensityModel, build_profiles
        from contentgen.profile.features import default_as_of

        as_of = pd.Timestamp(self.settings.as_of) if self.settings.as_of else default_as_of(self.shop)
        try:
            model = PropensityModel().fit(self.shop, as_of)
        except ContentgenError as error:  # a young shop has too little history to label; profiles still work
            log.warning("propensity model not fitted (%s); offers will use the rules' missing_propensity", error)
            model = None
        profiles = build_profiles(self.shop, as_of, propensity=model, cluster=self.settings.clusters)
        if model is None:
            # The offer planner fills missing propensities with its configured default.
            profiles.frame["propensity"] = float("nan")
        return profiles

    @cached_property
    def recommender(self):
        """Content candidates blended with collaborative filtering, popularity and repeat signals.

        Saved in the index folder after fitting and reused by the next service on the same shop
        data, settings and ranking code (any change refits).
        """
        from contentgen.fitted import FittedStore, Lazy, code_checksum, fit_key, shop_checksum

        store = FittedStore(self.settings.index_dir)
        # every setting is part of the key except those known not to touch the fit, so a setting
        # added later refits by default rather than reusing a fit made without it
        fit_settings = {f.name: getattr(self.settings, f.name) for f in fields(self.settings) if f.name not in _NOT_IN_FIT}
        key = fit_key(
            shop_checksum(self.shop), sorted(fit_settings.items()),
            code_checksum("contentgen.service", "contentgen.rank", "contentgen.retrieval", "contentgen.data",
                          "contentgen.profile.categories"),  # new_arrivals reads the categories
        )
        frames = {"shop": self.shop, "catalog": self.shop.catalog, "events": self.shop.events, "shoppers": self.shop.shoppers}
        # the shop and the embedding model are put back from this service, not copied into the file;
        # the model loads its weights only if something asks for a new embedding
        found = store.load("recommender", key, {**frames, "embedder": Lazy(self._embedder)})
        if found is not None:
            return found
        embedder = self._embedder() if self.settings.content else None
        recommender = self._fit_recommender(embedder)
        try:
            store.save("recommender", key, recommender, {**frames, "embedder": embedder})
        except (OSError, TypeError, AttributeError, pickle.PicklingError) as error:  # reuse is a speed-up, never a failure
            log.warning("could not save the fitted recommender in %s (%s); the next run refits", store.folder, error)
        return recommender

    def _embedder(self):
        from contentgen.retrieval import CachedEmbedder, EmbeddingCache, make_embedder

        return CachedEmbedder(make_embedder(self.settings.embedding_model), EmbeddingCache(self.settings.embedding_cache))

    def _fit_recommender(self, embedder):
        from contentgen.rank import Recommender, RecommenderConfig

        if not self.settings.content:
            return Recommender().fit(self.shop)
        from contentgen.rank.content import ContentScorer
        from contentgen.retrieval import ContentModel

        saved = self._saved_index(embedder)
        before = saved.manifest.data_checksum if saved is not None else None
        model = ContentModel(embedder, index=saved)  # fitting syncs a saved index instead of building one
        scorers = {"content": ContentScorer(model=model)}
        recommender = Recommender(RecommenderConfig.with_content(), scorers=scorers).fit(self.shop)
        self._keep_index(model.index, saved is not None, before)
        return recommender

    def _saved_index(self, embedder):
        """The project's saved product index when it was built with this embedder (else None)."""
        from contentgen.retrieval import ProductIndex, read_manifest
        from contentgen.retrieval.index import MANIFEST_FILE

        folder = self.settings.index_dir
        if not (folder / MANIFEST_FILE).is_file():
            return None
        manifest = read_manifest(folder)
        if (manifest.model_name, manifest.dimension) != (embedder.name, embedder.dimension):
            log.warning(
                "the index in %s holds %s vectors, the project embeds with %s: using a new index in memory "
                "(`contentgen index build --rebuild` replaces the saved one)", folder, manifest.model_name, embedder.name)
            return None
        try:
            return ProductIndex.load(folder)
        except ContentgenError as error:
            log.warning("could not load the index in %s (%s): building a new one", folder, error)
            return None

    def _keep_index(self, index, was_saved: bool, checksum_before: str | None) -> None:
        """Save the fitted index when there was none, or when syncing it to the catalog changed it."""
        from contentgen.retrieval.index import MANIFEST_FILE

        folder = self.settings.index_dir
        if not was_saved and (folder / MANIFEST_FILE).is_file():
            return  # another model's index: leave it for its owner
        if was_saved and index.manifest.data_checksum == checksum_before:
            return  # it matched the catalog: nothing to write
        try:
            index.save(folder)
        except OSError as error:
            log.warning("could not save the product index in %s (%s)", folder, error)

    @cached_property
    def offer_rules(self):
        from contentgen.offers.rules import load_offer_rules

        return load_offer_rules(self.settings.offers_path)

    @cached_property
    def offer_plan(self):
        """The chosen offer per shopper for a campaign starting at ``send_date``."""
        from contentgen.offers.choice import audience_from_profiles, choose_offers

        return choose_offers(audience_from_profiles(self.profiles), self.offer_rules, self.send_date)

    @property
    def send_date(self) -> date:
        return self.settings.send_date or self.profiles.as_of.date()

    @cached_property
    def templates(self):
        """The prompt templates (loaded without the model, so prompts can be previewed before it loads)."""
        from contentgen.generate.prompts import TemplateLibrary

        return TemplateLibrary.load(self.settings.templates_dir)

    @cached_property
    def writer(self):
        from contentgen.generate.factory import shared_generator
        from contentgen.generate.prompts import TemplateLibrary
        from contentgen.generate.writer import Writer, WriterSettings

        generator = self._generator or shared_generator(self.settings.generator_backend, self.settings.generator_model)
        known = self.shop.catalog["title"].astype(str).tolist()
        return Writer(generator, self.templates, WriterSettings(variants=self.settings.variants, candidates=self.settings.candidates,
                                                                    min_reader=self.settings.reader_min,
                                                                    trim_sentences=self.settings.trim_sentences), known_products=known,
                      policy=self.settings.policy,  # the project's [policy]: claims it supports pass
                      exemplars=self.approved_copy, reader=self.reader_model)

    @cached_property
    def reader_model(self):
        """The reader model that ranks passing candidates, or None (``settings.reader_model`` = "")."""
        from contentgen.generate.reader_model import reader_model_for

        return reader_model_for(self.settings.reader_model)

    @cached_property
    def approved_copy(self):
        """The approved-copy library (``.add(copy, brief)`` from an approve button), or None."""
        from contentgen.generate.exemplars import ApprovedCopyLibrary

        path, seed = self.settings.approved_copy, self.settings.approved_seed
        if not path and not seed:
            return None
        # embeds with the packaged all-MiniLM-L6-v2 on first use
        return ApprovedCopyLibrary(path or None, seeds=[seed] if seed else [])

    # -- per shopper ------------------------------------------------------------------------

    def _require_known(self, shopper_id: str) -> str:
        shopper_id = str(shopper_id).strip()
        if shopper_id not in self.profiles:
            examples = ", ".join(self.profiles.frame.index[:3].astype(str))
            raise ConfigError(f"shopper {shopper_id!r} is not in shop {self.shop.name!r} (e.g. {examples})")
        return shopper_id

    def profile(self, shopper_id: str):
        return self.profiles.get(self._require_known(shopper_id))

    @cached_property
    def quarantined_products(self) -> frozenset[str]:
        """Product ids the load set aside as untrusted catalog text (offer claims, instructions to a
        model, markup, template syntax, formulas) that the shop's policy has not cleared."""
        report = self.shop.report
        found = set(report.quarantined_products) if report is not None else set()
        return frozenset(found - set(self.settings.policy.cleared_products))

    def recommend(self, shopper_id: str, k: int | None = None, exclude_purchased: bool = True):
        """The products a message to this shopper is about, best first, with reasons; never a
        quarantined product (asked for a few more, then filtered)."""
        k = k or self.settings.recommendations
        blocked = self.quarantined_products
        recs = self.recommender.recommend(
            self._require_known(shopper_id), k + min(len(blocked), 50), exclude_purchased=exclude_purchased)
        return [r for r in recs if str(r.product_id) not in blocked][:k]

    def offer(self, shopper_id: str) -> OfferTerms | None:
        return self.offer_plan.terms_for(self._require_known(shopper_id))

    def brief(self, shopper_id: str, channel: str = "email", language: str = "en", voice: BrandVoice | None = None) -> Brief:
        """Everything one message to this shopper may say."""
        from contentgen.briefing import make_brief, product_fact, situation_from_features
        from contentgen.profile.categories import OTHER, category_name

        profile = self.profile(shopper_id)
        products = [
            product_fact(r.product_id, r.title, r.price, self.shop.currency, reasons=r.reasons)
            for r in self.recommend(shopper_id)
        ]
        # "other" is where unmatched products land, not something a shopper is interested in
        interests = tuple(category_name(c, language) for c in profile.top_categories if c != OTHER)
        situation = situation_from_features(
            profile.recency_days, profile.n_orders, profile.monetary, interests, self.shop.currency, language
        )
        offer = self.offer(shopper_id)
        first_name = ""
        row = self.shop.shoppers.loc[self.shop.shoppers["shopper_id"] == profile.shopper_id]
        if not row.empty:
            first_name = str(row.iloc[0]["first_name"] or "")
        return make_brief(
            channel=channel,
            language=language,
            products=products,
            voice=voice or self.settings.voice,
            offer=offer.in_language(language) if offer is not None else None,
            first_name=first_name,
            segment=profile.segment,
            situation=situation,
            interests=interests,
            shopper_id=profile.shopper_id,
            send_date=self.send_date.isoformat(),
        )

    def write(self, shopper_id: str, channel: str = "email", language: str = "en"):
        """Checked copy variants for one shopper (the model loads on first use)."""
        return self.writer.write(self.brief(shopper_id, channel, language))

    def write_many(self, shopper_ids, channel: str = "email", language: str = "en", show_progress: bool = False):
        """Copy for many shoppers, every model call batched."""
        briefs = [self.brief(s, channel, language) for s in shopper_ids]
        return self.writer.write_many(briefs, show_progress=show_progress)

    def segment_table(self) -> pd.DataFrame:
        return self.profiles.segment_counts()

    # -- a lifecycle segment, and live events (used by the HTTP service) ----------------------

    def segment_brief(self, segment: str, channel: str = "email", language: str = "en") -> Brief:
        """One message for every shopper of a lifecycle segment: no name, the products its buyers
        bought most in the last 90 days (all time, then the whole shop, when they bought none), the
        offer most of them are planned to get."""
        from contentgen.briefing import make_brief, product_fact, situation_from_features
        from contentgen.profile.categories import OTHER, category_name
        from contentgen.profile.config import SEGMENTS
        from contentgen.rank import reasons as why
        from contentgen.rank.diversity import first_of_each_title, title_key
        from contentgen.rank.rules import allowed_mask

        if segment not in SEGMENTS:
            raise ConfigError(f"unknown segment {segment!r}; choose one of: {', '.join(SEGMENTS)}")
        frame = self.profiles.frame
        members = frame[frame["segment"].astype(str) == segment]
        if members.empty:
            present = sorted(set(frame["segment"].astype(str)))
            raise ConfigError(f"no shopper of shop {self.shop.name!r} is in segment {segment!r} now; "
                              f"segments with shoppers: {', '.join(present)}")
        catalog = self.shop.catalog.drop_duplicates("product_id")
        allowed = set(catalog.loc[allowed_mask(catalog, self.recommender.config.rules), "product_id"].astype(str))
        purchases = self.shop.purchases[self.shop.purchases["product_id"].astype(str).isin(allowed)]
        bought = purchases[purchases["shopper_id"].astype(str).isin(members.index.astype(str))]
        pool = bought if not bought.empty else purchases
        recent = pool[pool["timestamp"] >= pool["timestamp"].max() - pd.Timedelta(days=90)] if not pool.empty else pool
        counts = recent.groupby(recent["product_id"].astype(str))["shopper_id"].nunique()
        rows = catalog.set_index(catalog["product_id"].astype(str))
        ranked = counts.sort_values(ascending=False, kind="stable").index
        # one name once, as the recommender lists them: colour variants sold under one name are one product
        keys = [title_key(t) for t in rows.loc[ranked, "title"].astype(str)]
        top = ranked[first_of_each_title(range(len(ranked)), keys)][: self.settings.recommendations]
        products = [product_fact(p, rows.at[p, "title"], rows.at[p, "price"], self.shop.currency, reasons=(why.POPULAR,))
                    for p in top]
        buyers = members[members["n_orders"] > 0]
        categories = members["top_category"].astype(str)
        common = [c for c in categories[(categories != "") & (categories != OTHER)].value_counts().index[:3]]
        interests = tuple(category_name(c, language) for c in common)
        situation = situation_from_features(
            float(buyers["recency_days"].median()) if not buyers.empty else None,
            int(buyers["n_orders"].median()) if not buyers.empty else 0,
            float(buyers["monetary"].median()) if not buyers.empty else 0.0,
            interests, self.shop.currency, language,
        )
        plan = self.offer_plan.assignments
        offers = plan.loc[plan["shopper_id"].astype(str).isin(members.index.astype(str)), "offer_id"]
        offers = offers[offers.astype(bool)]
        offer = self.offer_plan.terms[offers.value_counts().index[0]] if not offers.empty else None
        return make_brief(channel=channel, language=language, products=products, voice=self.settings.voice,
                          offer=offer.in_language(language) if offer is not None else None, segment=segment,
                          situation=situation, interests=interests, send_date=self.send_date.isoformat())

    def record_event(self, event):
        """Fold a live view, cart or purchase (``realtime.LiveEvent``) into this shopper's profile and
        recommendations at once, without a refit. Not thread-safe: callers serialise calls."""
        from contentgen.realtime import LiveFolder

        if "_live" not in self.__dict__:
            self._live = LiveFolder(self)
        return self._live.fold(event)

    # -- the copywriters' workspace: preview, stream, revise --------------------------------

    def prompt(self, shopper_id: str, channel: str = "email", language: str = "en", template: str | None = None,
               voice: BrandVoice | None = None):
        """The system and user messages the model will see for this shopper (the model is not loaded)."""
        from contentgen.generate.writer import Writer

        brief = self.brief(shopper_id, channel, language, voice)
        # a Writer without a generator renders prompts; the template checks are the writer's own
        return Writer(None, self.templates, policy=self.settings.policy, exemplars=self.approved_copy).prompt(brief, template)

    def stream(self, shopper_id: str, channel: str = "email", language: str = "en", template: str | None = None,
               voice: BrandVoice | None = None, variants: int | None = None):
        """Checked variants for one shopper, each yielded as soon as it passes (fallback last if too few)."""
        brief = self.brief(shopper_id, channel, language, voice)
        yield from self.writer.stream(brief, template, variants)

    def revise(self, copy, creative, voice: BrandVoice | None = None):
        """A variant with a person's edit of its creative parts, re-checked by every guardrail."""
        brief = self.brief(copy.shopper_id, copy.channel, copy.language, voice)
        return self.writer.revise(copy, brief, creative)

    def template_names(self, channel: str, language: str) -> list[str]:
        """The templates that write ``channel`` copy in ``language``."""
        return [n for n in self.templates.names
                if (self.templates.get(n).channel, self.templates.get(n).language) == (channel, language)]

    # -- settings edited while the service runs (the workspace's Settings tab) -----------------

    def update_settings(self, **changes) -> tuple[str, ...]:
        """Replace live-changeable settings (voice, policy, offers_path) and drop the stages built on them.

        Pass ``offers_path`` after editing the offer rules (even at the same path) to re-plan offers.
        Returns the stages that are rebuilt on next use ("writer", "offer plan"); any other
        setting is refused, since profiles and the recommender are fitted with it (restart instead).
        """
        from dataclasses import replace

        live = {"voice", "policy", "offers_path"}
        fixed = sorted(set(changes) - live)
        if fixed:
            raise ConfigError(f"settings {', '.join(fixed)} cannot change while the service runs; fix: restart with "
                              f"the new project file (live settings: {', '.join(sorted(live))})")
        changed = {key: value for key, value in changes.items() if getattr(self.settings, key) != value}
        self.settings = replace(self.settings, **changed)
        rebuilt = []
        # the brief reads settings.voice on every call, so a new voice needs nothing rebuilt
        if "policy" in changed:  # the writer's guardrails and the quarantine list read the policy once
            self.__dict__.pop("writer", None)
            self.__dict__.pop("quarantined_products", None)
            rebuilt.append("writer")
        if "offers_path" in changes:
            # given even when unchanged: the same path may hold edited rules; re-read them and
            # re-plan (one vectorised pass over the profiles)
            self.__dict__.pop("offer_rules", None)
            self.__dict__.pop("offer_plan", None)
            rebuilt.append("offer plan")
        return tuple(rebuilt)
