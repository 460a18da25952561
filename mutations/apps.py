from __future__ import annotations

from django.apps import AppConfig


class MutationsConfig(AppConfig):
    name = "mutations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import registry, waiting

        registry.register_finish_listener(waiting.mutation_signal_finished)
