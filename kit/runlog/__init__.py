"""Run-history stage: turn Mule runtime logs and CSV run histories into runs."""

from __future__ import annotations

from kit.runlog.ingest import FileCounts, IngestSummary, ingest_file, ingest_logs

__all__ = ["FileCounts", "IngestSummary", "ingest_file", "ingest_logs"]
