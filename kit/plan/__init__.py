"""Plan the move: which jobs to migrate first, and why.

Reads the figures of the earlier stages; see ``order`` for the ranking.
"""

from __future__ import annotations

from kit.plan.order import migration_order

__all__ = ["migration_order"]
