"""Validate simulator answers against BMW's OpenAPI files (reference data).

The files are not part of the project: their directory comes from
``CARDATA_REFERENCE_DIR`` (default ``<repo>/../shared/reference/bmw``) and
tests skip with a clear reason where they are absent.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from tests.simulator.catalogue_csv import reference_dir

CARDATA = "openapi-cardata-api.json"
DEVICE_FLOW = "openapi-device-code-flow.json"


def _load(name: str) -> dict[str, Any]:
    path: Path = reference_dir() / name
    if not path.is_file():
        pytest.skip(f"BMW reference file {path} absent (set CARDATA_REFERENCE_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))


def optional(name: str) -> OpenApi | None:
    """The document, or None where the reference files are absent."""
    if not (reference_dir() / name).is_file():
        return None
    return OpenApi(name)


def _observed_relaxations(doc: dict[str, Any]) -> dict[str, Any]:
    """BMW's observed answers that its own OpenAPI does not allow.

    - telematicData: descriptors the vehicle does not support come back with
      ``null`` value, unit and timestamp.
    - Deleting a container already marked for deletion answers 208 with the
      CU-122 error body (seen by bmw-cardata-ha's owners), not a documented 403.
    """
    doc = copy.deepcopy(doc)
    entry = doc["components"]["schemas"]["TelematicDataEntryDto"]["properties"]
    for key in ("value", "unit", "timestamp"):
        entry[key] = {"type": ["string", "null"]}
    delete = doc["paths"]["/customers/containers/{containerId}"]["delete"]
    delete["responses"]["208"] = delete["responses"]["403"]
    return doc


class OpenApi:
    """Response schemas of one OpenAPI document."""

    def __init__(self, name: str) -> None:
        raw = _load(name)
        self.doc = _observed_relaxations(raw) if name == CARDATA else raw
        uri = f"urn:bmw:{name}"
        spec = DRAFT202012 if self.doc["openapi"].startswith("3.1") else DRAFT4
        resource = Resource.from_contents(self.doc, default_specification=spec)
        self.uri = uri
        self.registry: Registry[Any] = Registry().with_resource(uri, resource)
        self.validator_cls = (
            jsonschema.Draft202012Validator
            if spec is DRAFT202012
            else jsonschema.Draft4Validator
        )
        self.checked: set[tuple[str, str, int]] = set()

    def operation(self, method: str, path: str) -> dict[str, Any]:
        return self.doc["paths"][path][method.lower()]

    def response_schema(
        self, method: str, path: str, status: int
    ) -> dict[str, Any] | None:
        responses = self.operation(method, path)["responses"]
        if status == 429:
            status = 403
        assert str(status) in responses, (
            f"{method} {path}: status {status} not documented"
        )
        content = responses[str(status)].get("content")
        if not content:
            return None
        media = content.get("application/json") or next(iter(content.values()))
        return media["schema"]

    def _pointer(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if ref:
            return {"$ref": f"{self.uri}{ref}"}
        return schema

    def validate(self, method: str, path: str, status: int, body: Any) -> None:
        """Check ``body`` against the documented answer for ``status``."""
        schema = self.response_schema(method, path, status)
        self.checked.add((method.upper(), path, status))
        if schema is None:
            assert body in (None, b"", ""), (
                f"{method} {path} {status}: body not documented"
            )
            return
        schema = self._pointer(schema)
        if path == "/customers/vehicles/mappings" and status == 200:
            # Observed: a bare JSON array of VehicleMappingDto.
            assert isinstance(body, list)
            schema = {"type": "array", "items": schema}
        validator = self.validator_cls(
            schema, registry=self.registry, format_checker=jsonschema.FormatChecker()
        )
        validator.validate(body)
