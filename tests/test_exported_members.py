"""The public namespace is pinned: adding or removing a name is a decision, made here."""

from __future__ import annotations

import scorelab
import scorelab.audit
import scorelab.calibration
import scorelab.engine
import scorelab.experiments
import scorelab.policy
import scorelab.reporting
import scorelab.runner
import scorelab.server
import scorelab.world

EXPECTED = {
    scorelab: {
        "CalibrationResult", "CitizenStory", "PolicyError", "PolicyInfo", "RunFolderError",
        "RunInterruptedError", "RunProgress", "RunRefusedError", "RunResult", "ScenarioError",
        "ScorelabError", "ValidationSummary",
        "__version__", "calibrate", "explain", "policies", "run", "validate",
        "Comparison", "compare", "report", "ExperimentError", "ExperimentResult", "experiment",
        "ServerError", "serve",
    },
    scorelab.server: {"Settings", "make_settings", "serve"},
    scorelab.policy: {
        "CompiledCondition", "ConditionError", "LoadedPolicy", "Policy", "PolicyInfo",
        "ValidationSummary", "compile_condition", "load_policy", "policies", "validate",
    },
    scorelab.runner: {"PHASES", "RunProgress", "RunResult", "plan_chunks", "read_manifest", "run",
                      "DEFAULT_CHECKPOINT_EVERY", "Estimate", "local_pool",
                      "estimate_run", "ray_session", "refuse_many_runs", "SMALL_RUN"},
    scorelab.audit: {
        "CitizenStory", "Comparison", "ComparisonRow", "audit_table", "compare_runs", "explain",
        # what the report is drawn from, through this __init__
        "DEFAULT_COMBINATIONS", "FAIR_HIGH", "FAIR_LOW", "PER_CITIZENS", "audit_tables",
        "choose_story_citizens", "story", "write_audit",
        "CONFIDENCE", "PairedDifference", "paired_difference",
        # compare --replicates: each run read once, every measure over the seeds
        "MeasuredRun", "ReplicatedRow", "replicated_rows",
    },
    scorelab.reporting: {"ComparisonProgress", "compare", "report", "write_audit_and_report",
                         "write_experiment_report"},
    scorelab.calibration: {
        "FORECAST_METRICS", "METRICS", "CalibrationResult", "Evaluation", "FitRow", "Target",
        "TargetsError",
        "calibrate", "load_targets",
    },
    scorelab.engine: {
        "CITIZEN_COLUMNS", "LEDGER_COLUMNS", "LEDGER_KINDS", "compile_tables", "is_compiled",
        "warm_up",
        # what the runner drives the kernel with, through this __init__
        "CITIZEN_COUNTERS", "EngineTables", "Groups", "Layout", "clear_household",
        "make_layout", "new_household", "run_chunk", "score_bins", "to_kernel",
    },
    scorelab.experiments: {"Experiment", "ExperimentProgress", "ExperimentResult", "catalogue",
                           "experiment", "load_experiment"},
    scorelab.world: {
        "BEHAVIOURS", "SENSORS", "SERVICES", "Census", "Citizens", "LoadedScenario", "Scenario",
        "generate", "load_census", "load_scenario",
        # what the policy, runner and calibration packages use, through this __init__
        "BEHAVIOUR_NAMES", "SENSOR_NAMES", "SERVICE_NAMES", "BLOCK", "CensusCdfs",
        "census_cdfs", "in_sample", "age_band_of", "FreeParameter", "AGE_BANDS",
        "deep_merge",
    },
}


def test_exported_members():
    for module, names in EXPECTED.items():
        assert set(module.__all__) == names, module.__name__
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name}"
