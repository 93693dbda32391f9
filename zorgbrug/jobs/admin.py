from django.contrib import admin

from zorgbrug.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "state", "progress_done", "progress_total", "attempts"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]
