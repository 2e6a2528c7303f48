"""The dashboard API's answers as pydantic models: the OpenAPI contract and what the read
side builds, so a response cannot drift from its documented schema.

Times are UTC instants (`2026-11-01T03:00:00Z`); windows are half-open, [start, end).
A drift `score` is the method's statistic (a distance, or a p-value for ks, chisquare and
z); `threshold` is what it was compared with; `drifted` is the verdict.

One module per resource; every model is importable from here.
"""

from observability.dashboard.schemas.alerts import (
    AlertHistoryPage,
    AlertList,
    AlertTransition,
    AlertView,
    NewSilence,
    SilenceList,
    SilenceView,
)
from observability.dashboard.schemas.drift import (
    Bucket,
    Category,
    DriftPoint,
    DriftTimeline,
    FeatureDistribution,
    FeatureDrift,
    Resolution,
    SideCounts,
    Source,
)
from observability.dashboard.schemas.jobs import JobPage, JobRun
from observability.dashboard.schemas.models import (
    LastWindow,
    ModelLinks,
    ModelList,
    ModelPerformance,
    ModelSummary,
    PerformancePoint,
)
from observability.dashboard.schemas.queries import (
    QueryInfo,
    QueryList,
    QueryParam,
    QueryRows,
    ServiceList,
    ServiceSummary,
)
from observability.dashboard.schemas.reports import (
    ReportDetail,
    ReportLinks,
    ReportPage,
    ReportSummary,
    RunInfo,
)

__all__ = [
    "AlertHistoryPage",
    "AlertList",
    "AlertTransition",
    "AlertView",
    "Bucket",
    "Category",
    "DriftPoint",
    "DriftTimeline",
    "FeatureDistribution",
    "FeatureDrift",
    "JobPage",
    "JobRun",
    "LastWindow",
    "ModelLinks",
    "ModelList",
    "ModelPerformance",
    "ModelSummary",
    "NewSilence",
    "PerformancePoint",
    "QueryInfo",
    "QueryList",
    "QueryParam",
    "QueryRows",
    "ReportDetail",
    "ReportLinks",
    "ReportPage",
    "ReportSummary",
    "Resolution",
    "RunInfo",
    "ServiceList",
    "ServiceSummary",
    "SideCounts",
    "SilenceList",
    "SilenceView",
    "Source",
]
