"""Reports people can read: a run's HTML report and audit table, and two runs compared.

``scorelab.report(folder)`` (``scorelab report DIR``) writes ``audit.parquet`` and
``report.html`` into a finished run folder; ``write_audit_and_report(folder,
manifest)`` does the same without reading the manifest, for the runner's staging
folder. ``scorelab.compare(a, b)`` (``scorelab compare A B``) prints and writes
the differences between two runs; with ``replicates`` it runs both runs' inputs
again on common seeds (reporting ``ComparisonProgress``) and adds each
difference's interval over them. ``write_experiment_report(folder, manifest)``
writes an experiment folder's ``report.html`` and ``differences.parquet``.

The package is ``scorelab.reporting`` so that ``scorelab.report`` can be the
public function that mirrors ``scorelab report`` (as ``scorelab.run`` and the
``scorelab.runner`` package).
"""

from __future__ import annotations

from scorelab.reporting._compare import compare
from scorelab.reporting._experiment_report import write_experiment_report
from scorelab.reporting._replicates import ComparisonProgress
from scorelab.reporting._report import report, write_audit_and_report

__all__ = ["ComparisonProgress", "compare", "report", "write_audit_and_report",
           "write_experiment_report"]
