"""Trusted documents: with `TRUSTED_DOCUMENTS` set, the server runs only the documents of
the manifest that the portal's build wrote, requested by id; any other text is refused
before it is parsed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData

from core.config import ConfigError
from core.trusted_documents import load_manifest, normalise_id

TRUSTED_ONLY = (
    "This server runs trusted documents only: send the document's id as `documentId` "
    "(or `extensions.persistedQuery.sha256Hash`), not its text."
)
UNKNOWN = "Unknown document: this id is not among the server's trusted documents."


class TrustedDocuments:
    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        try:
            return cls(load_manifest(path))
        except ValueError as exc:
            raise ConfigError(f"TRUSTED_DOCUMENTS: {exc}") from None

    def resolve(self, request_data: GraphQLRequestData, document_id: object) -> GraphQLRequestData:
        """The request with its document's text filled in; HTTP 400 for free text and for
        ids that are not in the manifest."""
        if request_data.query is not None:
            raise HTTPException(400, TRUSTED_ONLY)
        if not isinstance(document_id, str) or not document_id:
            raise HTTPException(400, TRUSTED_ONLY)
        text = self.documents.get(normalise_id(document_id))
        if text is None:
            raise HTTPException(400, UNKNOWN)
        return dataclasses.replace(request_data, query=text)


def persisted_query_hash(extensions: dict[str, Any] | None) -> object:
    """`extensions.persistedQuery.sha256Hash`, as Apollo's clients send it."""
    persisted = (extensions or {}).get("persistedQuery")
    return persisted.get("sha256Hash") if isinstance(persisted, dict) else None
