"""Inventory stage: parse Mule 3 and Mule 4 apps into jobs, triggers, steps, calls."""

from __future__ import annotations

from kit.portfolio.inventory import StrictStop, take_inventory
from kit.portfolio.model import Call, Finding, Inventory, Job, Step, Trigger
from kit.portfolio.tables import write_inventory

__all__ = [
    "Call",
    "Finding",
    "Inventory",
    "Job",
    "Step",
    "StrictStop",
    "Trigger",
    "take_inventory",
    "write_inventory",
]
