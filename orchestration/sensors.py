"""The failure alert: a failed run POSTs a short JSON message to a webhook (docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg
import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from ingestion.settings import default, env_name, settings

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo

WEBHOOK_ENV = env_name("alert_webhook")  # unset: the sensor sends nothing
WEBSERVER_ENV = env_name("webserver_url")  # the base of the run link in the message
DEFAULT_WEBSERVER = default("webserver_url")  # `make dev`
PARTITION_TAG = "dagster/partition"


def first_line(error: SerializableErrorInfo) -> str:
    """The first line of the error that started it: Dagster wraps a step's own exception in
    DagsterExecutionStepExecutionError, whose message names only the op."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name


def failure_message(context: dg.RunFailureSensorContext, webserver: str) -> dict[str, Any]:
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    if step_failures:
        failed = step_failures[0]
        step, error_info = failed.step_key, failed.step_failure_data.error
    else:  # the run failed outside any step: launch, resources, a killed process
        failed = context.failure_event
        step, error_info = None, failed.job_failure_data.error
    error = first_line(error_info) if error_info else (failed.message or "unknown error")
    partition = run.tags.get(PARTITION_TAG)
    link = f"{webserver.rstrip('/')}/runs/{run.run_id}"
    where = f" for week {partition}" if partition else ""
    at = f" at step {step}" if step else ""
    return {
        # "text" is what Slack, Mattermost and Teams-style incoming webhooks display.
        "text": f"sectorpulse: {run.job_name} failed{where}{at}: {error} {link}",
        "job": run.job_name,
        "run_id": run.run_id,
        "partition": partition,
        "step": step,
        "error": error,
        "url": link,
    }


# A webhook that blips is tried twice more; one that stays down fails the sensor tick, which
# the UI shows (Sensors -> alert_on_run_failure), rather than dropping the alert silently.
@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.5, max=4),
    retry=retry_if_exception_type(requests.RequestException),
    reraise=True,
)
def post_alert(url: str, message: dict[str, Any]) -> None:
    response = requests.post(url, json=message, timeout=10)
    response.raise_for_status()


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    description=(
        f"POSTs a one-line JSON alert (job, run id, week, failed step, error, run link) to "
        f"${WEBHOOK_ENV} when a run of this code location fails. Without {WEBHOOK_ENV} it does "
        f"nothing. The link's base is ${WEBSERVER_ENV} (default {DEFAULT_WEBSERVER})."
    ),
    # Running by default: an alert someone has to remember to switch on is missing the day it is
    # needed, and without the webhook variable it sends nothing.
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
    current = settings()
    url = current.alert_webhook
    if not url:
        return dg.SkipReason(f"{WEBHOOK_ENV} is not set: no alert sent")
    message = failure_message(context, current.webserver_url)
    post_alert(url, message)
    context.log.info(f"alert sent for run {context.dagster_run.run_id}")
    return None
