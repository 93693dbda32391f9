from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "zorgbrug.jobs"
    label = "jobs"
    verbose_name = _("Background work")

    def ready(self) -> None:
        # Each domain registers its job kinds in <app>/jobs.py.
        autodiscover_modules("jobs")
