"""The trusted-documents manifest: document id -> GraphQL document text.

Two shapes are read, both written by client build tools:
- a flat JSON object `{"<id>": "<document>"}`, as GraphQL Code Generator's client preset
  writes `persisted-documents.json` and Relay's compiler writes `persistConfig.file`;
- Apollo's persisted query manifest,
  `{"format": "apollo-persisted-query-manifest", "version": 1,
    "operations": [{"id": "<id>", "body": "<document>", …}]}`.

Ids are whatever the tool chose (SHA-256 hex by default for both codegen and Apollo); an id
written `sha256:<hex>`, as the GraphQL-over-HTTP persisted documents appendix spells it, is
the same document as `<hex>`.
"""

from __future__ import annotations

import json
from pathlib import Path

SHA256_PREFIX = "sha256:"


def normalise_id(document_id: str) -> str:
    if document_id[: len(SHA256_PREFIX)].lower() == SHA256_PREFIX:
        document_id = document_id[len(SHA256_PREFIX) :]
    return document_id.lower() if _is_hex(document_id) else document_id


def _is_hex(value: str) -> bool:
    return bool(value) and all(character in "0123456789abcdefABCDEF" for character in value)


def load_manifest(path: Path) -> dict[str, str]:
    """The manifest's documents by normalised id; ValueError says what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a JSON file: {exc}") from None
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list) or not all(
            isinstance(operation, dict) for operation in operations
        ):
            raise ValueError(f"{path}: `operations` must be a list of objects")
        entries = [(operation.get("id"), operation.get("body")) for operation in operations]
    elif isinstance(data, dict):
        entries = list(data.items())
    else:
        raise ValueError(f"{path} must hold a JSON object of document id -> document text")
    documents: dict[str, str] = {}
    for document_id, text in entries:
        if not isinstance(document_id, str) or not document_id.strip():
            raise ValueError(f"{path}: every document needs a non-empty string id")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{path}: document {document_id!r} has no text")
        documents[normalise_id(document_id.strip())] = text
    if not documents:
        raise ValueError(f"{path} lists no documents")
    return documents
