"""Settings that would lose articles are refused with the reason, not accepted silently."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from translator_app.config import EXACTLY_ONCE_REFUSED, Settings


def test_at_least_once_is_the_default() -> None:
    assert Settings().processing_guarantee == "at_least_once"


def test_exactly_once_is_refused_with_the_measured_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_PROCESSING_GUARANTEE", "exactly_once")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert EXACTLY_ONCE_REFUSED in str(refused.value)
    assert "RELIABILITY.md" in EXACTLY_ONCE_REFUSED


def test_the_app_hands_bounded_kafka_timeouts_to_faust() -> None:
    from translator_app.app import app, settings

    # A lost broker stalls its partitions at most one metadata refresh, not
    # aiokafka's 5 minutes; an unanswered produce fails and is sent again after
    # produce_timeout_s, not faust's 20 minutes.
    assert app.conf.consumer_metadata_max_age_ms == settings.metadata_max_age_s * 1000 < 300_000
    assert app.conf.producer_metadata_max_age_ms == settings.metadata_max_age_s * 1000
    assert app.conf.producer_request_timeout == settings.produce_timeout_s < 1200
