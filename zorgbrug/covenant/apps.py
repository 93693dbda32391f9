from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CovenantConfig(AppConfig):
    name = "zorgbrug.covenant"
    label = "covenant"
    verbose_name = _("Covenant, costs and settlement")

    def ready(self) -> None:
        # Care asks its cancellation window and maximum care periods through its own policy
        # hook: the covenant answers from the version in force (care never imports us).
        from zorgbrug.care import policy as care_policy
        from zorgbrug.covenant import jobs  # noqa: F401  (registers the job kinds)
        from zorgbrug.covenant.policy import CovenantCarePolicy

        care_policy.register(CovenantCarePolicy())
