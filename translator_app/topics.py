"""The pipeline's topics. Names come from settings; keys are article ids as UTF-8."""

from __future__ import annotations

from .app import app, settings
from .records import DeadLetter, FinalTranslation, TranslatedArticle

__all__ = ("errors_topic", "final_topic", "input_topic", "output_topics", "translated_topic")

# Raw bytes in: decoding is ours, so a bad message becomes a dead letter with
# its exact payload instead of a decode error Faust would log and drop.
input_topic = app.topic(
    settings.topic_input, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
)
# Keys are raw UTF-8 ids on every topic and on the table changelog, so the
# default partitioner puts an id on the same partition number everywhere.
translated_topic = app.topic(
    settings.topic_translated, key_type=str, value_type=TranslatedArticle, key_serializer="raw"
)
final_topic = app.topic(settings.topic_final, key_type=str, value_type=FinalTranslation, key_serializer="raw")
errors_topic = app.topic(settings.topic_errors, key_type=str, value_type=DeadLetter, key_serializer="raw")

output_topics = (translated_topic, final_topic, errors_topic)
