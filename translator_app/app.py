"""Build the Faust application. ``faust -A translator_app.app worker -l info`` starts it."""

from __future__ import annotations

import faust

from . import recovery_order
from .config import get_settings

__all__ = ("TranslatorApp", "app", "main")

settings = get_settings()
recovery_order.install()  # faust 0.15.3 resumes stream partitions before seeking them; see the module


class TranslatorApp(faust.App):
    """The Faust app, plus one step when a worker process starts."""

    async def on_first_start(self) -> None:
        """Prepare the worker once per process, before the producer and consumer start.

        Only ``faust worker`` starts the app service, so ``ingest``, ``tail`` and
        ``create-topics`` never load the model.
        """
        await super().on_first_start()
        from .agents import prepare_worker
        from .changelogs import ensure_changelog_topics
        from .commands import bootstrap_servers

        prepare_worker()
        await ensure_changelog_topics(self, bootstrap=bootstrap_servers(settings.broker))


app = TranslatorApp(
    settings.app_id,
    broker=settings.broker,
    store=settings.table_store,
    datadir=str(settings.data_dir),
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication_factor,
    # acks=all: a record counts as published only once every in-sync replica has it.
    producer_acks=-1,
    broker_session_timeout=settings.session_timeout_s,
    consumer_metadata_max_age_ms=int(settings.metadata_max_age_s * 1000),
    producer_metadata_max_age_ms=int(settings.metadata_max_age_s * 1000),
    producer_request_timeout=settings.produce_timeout_s,
    processing_guarantee=settings.processing_guarantee,
    web_bind=settings.web_bind,
    web_port=settings.web_port,
    web_in_thread=False,
    # Faust's table browser would serve every stored translation without the
    # API's limits or documentation; /articles and /articles/{id} replace it.
    web_tables_enabled=False,
    web_router_enabled=False,
    autodiscover=False,
    origin="translator_app",
)

# Registering agents, tables and commands needs ``app``; import them last.
from . import agents, commands, views  # noqa: E402,F401


def main() -> None:
    """Console entry point: ``translator_app worker|ingest|tail ...``."""
    app.main()
