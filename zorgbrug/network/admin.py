from django.contrib import admin

from zorgbrug.network.models import (
    Contact,
    Membership,
    Network,
    Organisation,
    Partner,
    Postcode,
    Site,
)


class PartnerInline(admin.TabularInline):
    model = Partner
    extra = 0


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region", "is_active"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PartnerInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "kbo_number"]
    search_fields = ["name", "kbo_number"]
    list_filter = ["kind"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "postcode", "municipality"]
    search_fields = ["name", "municipality", "postcode"]


admin.site.register(Contact)
admin.site.register(Membership)
admin.site.register(Postcode, search_fields=["code", "name"], list_display=["code", "name"])
