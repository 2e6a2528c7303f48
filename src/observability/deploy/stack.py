"""Create or update a stack through a change set, and wait for it: `StackDeployer`.

A change set is the reviewable unit CloudFormation offers: it is created, waited for,
dropped when it holds no changes, else executed and followed event by event until the
stack settles. A failed deploy ends in `DeployError` naming the resources that failed and
why (CloudFormation has rolled them back by then). The client is injected: tests run it
against moto's CloudFormation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from botocore.exceptions import ClientError

from observability.core.errors import ObservabilityError

Action = Literal["created", "updated", "unchanged"]

CAPABILITIES: Final = ("CAPABILITY_IAM",)
_SETTLED_OK: Final = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
_SETTLED_BAD: Final = frozenset(
    {
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_FAILED",
        "DELETE_COMPLETE",
        "DELETE_FAILED",
    }
)
#: How CloudFormation says a change set has nothing to do.
_NO_CHANGES: Final = ("didn't contain changes", "No updates are to be performed")


class DeployError(ObservabilityError):
    """The stack did not reach its new state; the message lists what failed."""


@dataclass(frozen=True, slots=True)
class DeployResult:
    """What a deploy did, and the stack's outputs afterwards."""

    stack: str
    action: Action
    outputs: Mapping[str, str] = field(default_factory=dict)


class StackDeployer:
    """Change-set deploys with an injected CloudFormation client."""

    def __init__(
        self,
        cloudformation: Any,
        *,
        poll_seconds: float = 5.0,
        timeout_seconds: float = 3600.0,
        on_event: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._cfn = cloudformation
        self._poll = poll_seconds
        self._timeout = timeout_seconds
        self._on_event = on_event or (lambda _line: None)
        self._sleep = sleep

    def status(self, stack: str) -> str | None:
        """The stack's status, or None when there is no such stack."""
        try:
            stacks = self._cfn.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                return None
            raise
        return str(stacks[0]["StackStatus"]) if stacks else None

    def deploy(self, stack: str, template_url: str, parameters: Mapping[str, str]) -> DeployResult:
        """Create or update `stack` from the template at `template_url`."""
        status = self.status(stack)
        if status == "ROLLBACK_COMPLETE":
            raise DeployError(
                f"stack {stack} failed its first creation and cannot be updated: delete it "
                f"(aws cloudformation delete-stack --stack-name {stack}) and deploy again"
            )
        creating = status in (None, "REVIEW_IN_PROGRESS")
        name = f"observability-{datetime.now(UTC):%Y%m%d%H%M%S}"
        started = datetime.now(UTC)
        self._cfn.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            ChangeSetType="CREATE" if creating else "UPDATE",
            TemplateURL=template_url,
            Parameters=[
                {"ParameterKey": key, "ParameterValue": value}
                for key, value in sorted(parameters.items())
            ],
            Capabilities=list(CAPABILITIES),
        )
        if not self._change_set_ready(stack, name):
            self._cfn.delete_change_set(StackName=stack, ChangeSetName=name)
            return DeployResult(stack, "unchanged", self.outputs(stack))
        self._cfn.execute_change_set(StackName=stack, ChangeSetName=name)
        self._follow(stack, started)
        return DeployResult(stack, "created" if creating else "updated", self.outputs(stack))

    def outputs(self, stack: str) -> dict[str, str]:
        """The stack's outputs, by key."""
        described = self._cfn.describe_stacks(StackName=stack)["Stacks"][0]
        return {o["OutputKey"]: str(o["OutputValue"]) for o in described.get("Outputs", [])}

    def _change_set_ready(self, stack: str, name: str) -> bool:
        """Wait for the change set; False when it holds no changes."""
        deadline = time.monotonic() + self._timeout
        while True:
            described = self._cfn.describe_change_set(StackName=stack, ChangeSetName=name)
            status = described.get("Status")
            if status == "CREATE_COMPLETE":
                self._on_event(f"change set {name}: {len(described.get('Changes', []))} changes")
                return True
            if status == "FAILED":
                reason = str(described.get("StatusReason", ""))
                if any(marker in reason for marker in _NO_CHANGES):
                    self._on_event(f"change set {name}: no changes")
                    return False
                raise DeployError(f"change set {name} failed: {reason}")
            if time.monotonic() > deadline:
                raise DeployError(f"change set {name} still {status} after {self._timeout:.0f}s")
            self._sleep(self._poll)

    def _follow(self, stack: str, since: datetime) -> None:
        """Print the stack's events until it settles; DeployError if it did not succeed."""
        seen: set[str] = set()
        failures: list[str] = []
        deadline = time.monotonic() + self._timeout
        while True:
            for event in self._new_events(stack, since, seen):
                line = (
                    f"{event['ResourceStatus']:<20} {event['LogicalResourceId']}"
                    f" ({event.get('ResourceType', '')})"
                )
                reason = event.get("ResourceStatusReason")
                if reason:
                    line += f": {reason}"
                self._on_event(line)
                if str(event["ResourceStatus"]).endswith("_FAILED"):
                    failures.append(f"{event['LogicalResourceId']}: {reason or 'failed'}")
            status = self.status(stack)
            if status in _SETTLED_OK:
                return
            if status is None or status in _SETTLED_BAD:
                detail = "; ".join(failures) or "see the stack's events"
                raise DeployError(f"stack {stack} ended {status}: {detail}")
            if time.monotonic() > deadline:
                raise DeployError(f"stack {stack} still {status} after {self._timeout:.0f}s")
            self._sleep(self._poll)

    def _new_events(self, stack: str, since: datetime, seen: set[str]) -> list[dict[str, Any]]:
        """Events after `since` not printed yet, oldest first."""
        fresh: list[dict[str, Any]] = []
        paginator = self._cfn.get_paginator("describe_stack_events")
        for page in paginator.paginate(StackName=stack):
            for event in page.get("StackEvents", []):
                stamp = event.get("Timestamp")
                if event["EventId"] in seen or (
                    isinstance(stamp, datetime) and stamp.astimezone(UTC) < since
                ):
                    continue
                seen.add(event["EventId"])
                fresh.append(event)
        return sorted(fresh, key=lambda e: e.get("Timestamp") or since)
