"""
The interface to whatever runs the applications, and the lifecycle the console enforces in front of it.

The console has no real runtime to drive. ``Orchestrator`` is what a real one (Kubernetes, Nomad, a PaaS API) would
implement; ``SimulatedOrchestrator`` completes every request at once and is used locally and in the tests. The
services decide *whether* a transition is allowed (``TRANSITIONS``); the orchestrator only carries it out.

``settings.APPS_ORCHESTRATOR`` (a dotted path) chooses the implementation.
"""

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Application

State = Application.State


class Action(StrEnum):
    DEPLOY = "deploy"
    START = "start"
    STOP = "stop"
    RESTART = "restart"


ACTION_LABELS = {
    Action.DEPLOY: _("deploy"),
    Action.START: _("start"),
    Action.STOP: _("stop"),
    Action.RESTART: _("restart"),
}

# The states from which each action may be asked; anything else is refused.
TRANSITIONS: dict[Action, frozenset[str]] = {
    Action.DEPLOY: frozenset({State.STOPPED, State.RUNNING, State.FAILED}),
    Action.START: frozenset({State.STOPPED, State.FAILED}),
    Action.STOP: frozenset({State.RUNNING, State.FAILED}),
    Action.RESTART: frozenset({State.RUNNING}),
}


def allowed(action: Action, state: str) -> bool:
    return state in TRANSITIONS[action]


@dataclass(frozen=True)
class Outcome:
    """What the orchestrator answered: ``done`` False means it will report back later (``deployment_finish``)."""

    done: bool = True
    succeeded: bool = True


class Orchestrator(Protocol):
    def latest_commit(self, application: Application) -> str:
        """The commit at the head of the application's repository."""

    def deploy(self, application: Application, commit: str) -> Outcome:
        """Build and roll out ``commit``."""

    def start(self, application: Application) -> Outcome:
        """Start the application's instances (its last successful deployment)."""

    def stop(self, application: Application) -> Outcome:
        """Stop every instance."""

    def restart(self, application: Application) -> Outcome:
        """Restart every instance."""

    def scale(self, application: Application) -> Outcome:
        """Apply the application's flavor and instance bounds."""

    def destroy(self, application: Application) -> Outcome:
        """Free everything the application uses."""


class SimulatedOrchestrator:
    """Does everything at once and always succeeds; a commit starting with ``bad`` fails to deploy, for tests."""

    def latest_commit(self, application: Application) -> str:
        return secrets.token_hex(20)

    def deploy(self, application: Application, commit: str) -> Outcome:
        return Outcome(succeeded=not commit.startswith("bad"))

    def start(self, application: Application) -> Outcome:
        return Outcome()

    def stop(self, application: Application) -> Outcome:
        return Outcome()

    def restart(self, application: Application) -> Outcome:
        return Outcome()

    def scale(self, application: Application) -> Outcome:
        return Outcome()

    def destroy(self, application: Application) -> Outcome:
        return Outcome()


def orchestrator() -> Orchestrator:
    """The configured orchestrator."""
    path = getattr(settings, "APPS_ORCHESTRATOR", "apps.runtime.SimulatedOrchestrator")
    return import_string(path)()
