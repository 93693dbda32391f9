from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from zorgbrug.core.views import healthz

urlpatterns = [
    path("", include("zorgbrug.core.urls")),
    path("accounts/", include("zorgbrug.access.urls")),
    path("", include("zorgbrug.network.urls")),
    path("clients/", include("zorgbrug.clients.urls")),
    path("feeds/", include("zorgbrug.care.urls_feeds")),
    path("care/", include("zorgbrug.care.urls")),
    path("covenant/", include("zorgbrug.covenant.urls")),
    path("allocation/", include("zorgbrug.allocation.urls")),
    path("training/", include("zorgbrug.training.urls")),
    path("pathways/", include("zorgbrug.pathways.urls")),
    path("jobs/", include("zorgbrug.jobs.urls")),
    path("research/", include("zorgbrug.research.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("zorgbrug.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Zorgbrug admin"
# The admin is for superusers only, whatever is_staff says.
admin.site.has_permission = lambda request: bool(  # type: ignore[method-assign]
    request.user.is_active and request.user.is_superuser
)
