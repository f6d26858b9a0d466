"""Adapters: the seams importers, exporters and generators plug into.

* An :class:`Importer` turns a source (a chat log, a character card, a Ren'Py
  game, manga pages) into a :class:`Plan` — domain events, the blobs they need,
  a summary — without IO and without a vault; :func:`apply_import` records a
  plan as one commit.
* An :class:`Exporter` turns a read-only :class:`StoryView` into an
  :class:`ExportPlan` of output files with checked relative paths;
  :func:`write_export` writes them under one folder.
* A :class:`Generator` (ComfyUI, a TTS engine) turns a
  :class:`GenerationRequest` into :class:`GeneratedOutput` bytes with the seed,
  model and device lineage records.

Adapters are found by kind (``comfyvn import text``) in the registry
(:func:`register_importer` …), which imports an adapter's module only when its
kind is first used. ``plaintext`` (scripts as plain text) and ``seeded``
(deterministic bytes) are small complete adapters, used by the tests.

Names are imported on first use (PEP 562), so the CLI pays only for what it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comfyvn_vault.lazy import exports

_EXPORTS: dict[str, str] = {
    "AdapterInfo": "comfyvn_vault.adapters.base",
    "ExportPlan": "comfyvn_vault.adapters.exporter",
    "Exporter": "comfyvn_vault.adapters.exporter",
    "GeneratedOutput": "comfyvn_vault.adapters.generator",
    "GenerationRequest": "comfyvn_vault.adapters.generator",
    "Generator": "comfyvn_vault.adapters.generator",
    "ImportResult": "comfyvn_vault.adapters.apply",
    "ImportSummary": "comfyvn_vault.adapters.plan",
    "Importer": "comfyvn_vault.adapters.importer",
    "OutputFile": "comfyvn_vault.adapters.exporter",
    "Plan": "comfyvn_vault.adapters.plan",
    "PlanBuilder": "comfyvn_vault.adapters.plan",
    "Source": "comfyvn_vault.adapters.importer",
    "SourceFinding": "comfyvn_vault.adapters.plan",
    "StoryView": "comfyvn_vault.adapters.exporter",
    "apply_import": "comfyvn_vault.adapters.apply",
    "check_output_path": "comfyvn_vault.adapters.exporter",
    "check_plan": "comfyvn_vault.adapters.plan",
    "get_exporter": "comfyvn_vault.adapters.registry",
    "get_generator": "comfyvn_vault.adapters.registry",
    "get_importer": "comfyvn_vault.adapters.registry",
    "parse_options": "comfyvn_vault.adapters.base",
    "plan_import": "comfyvn_vault.adapters.apply",
    "register_exporter": "comfyvn_vault.adapters.registry",
    "register_generator": "comfyvn_vault.adapters.registry",
    "register_importer": "comfyvn_vault.adapters.registry",
    "story_view": "comfyvn_vault.adapters.apply",
    "write_export": "comfyvn_vault.adapters.output",
}

if TYPE_CHECKING:
    from comfyvn_vault.adapters.apply import ImportResult, apply_import, plan_import, story_view
    from comfyvn_vault.adapters.base import AdapterInfo, parse_options
    from comfyvn_vault.adapters.exporter import Exporter, ExportPlan, OutputFile, StoryView, check_output_path
    from comfyvn_vault.adapters.generator import GeneratedOutput, GenerationRequest, Generator
    from comfyvn_vault.adapters.importer import Importer, Source
    from comfyvn_vault.adapters.output import write_export
    from comfyvn_vault.adapters.plan import ImportSummary, Plan, PlanBuilder, SourceFinding, check_plan
    from comfyvn_vault.adapters.registry import (
        get_exporter,
        get_generator,
        get_importer,
        register_exporter,
        register_generator,
        register_importer,
    )

__getattr__ = exports(__name__, _EXPORTS)

__all__ = [
    "AdapterInfo",
    "ExportPlan",
    "Exporter",
    "GeneratedOutput",
    "GenerationRequest",
    "Generator",
    "ImportResult",
    "ImportSummary",
    "Importer",
    "OutputFile",
    "Plan",
    "PlanBuilder",
    "Source",
    "SourceFinding",
    "StoryView",
    "apply_import",
    "check_output_path",
    "check_plan",
    "get_exporter",
    "get_generator",
    "get_importer",
    "parse_options",
    "plan_import",
    "register_exporter",
    "register_generator",
    "register_importer",
    "story_view",
    "write_export",
]
