from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from config.api.environment import ENVIRONMENTS
from mutations.engine import eligible_mutations
from mutations.services import engine_wakeup


class Command(BaseCommand):
    help = "Enqueue engine work for environments with due mutations (beat does it every 10 s)."

    def handle(self, *args: Any, **options: Any) -> None:
        for environment in ENVIRONMENTS:
            due = eligible_mutations(environment).count()
            woken = engine_wakeup(environment) if due else False
            self.stdout.write(f"{environment}: {due} due, engine {'woken' if woken else 'idle'}")
