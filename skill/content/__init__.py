"""The clinic's content: YAML files loaded once per process into validated, typed records.

``content/en.yaml`` is the English base; ``content/<locale>.yaml`` overlays say what differs
(phone lines, local words); ``content/clinic.yaml`` holds the clinic's details,
``content/sources.yaml`` the sources answers cite, ``content/triage/`` the safety rules.
"""

from skill.content.documents import COMPILED_NAME, INTERNATIONAL
from skill.content.library import ContentError, ContentLibrary, load_library
from skill.content.parser import PLACEHOLDER, all_answers, answer_texts, content_texts
from skill.content.records import (
    PENDING,
    Answer,
    Clinic,
    Content,
    Line,
    Review,
    Source,
    Topic,
)

__all__ = [
    "COMPILED_NAME",
    "INTERNATIONAL",
    "PENDING",
    "PLACEHOLDER",
    "Answer",
    "Clinic",
    "Content",
    "ContentError",
    "ContentLibrary",
    "Line",
    "Review",
    "Source",
    "Topic",
    "all_answers",
    "answer_texts",
    "content_texts",
    "load_library",
]
